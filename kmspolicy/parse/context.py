"""What every format reader gets: the file being read, where to report problems, and options."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kmspolicy.model import Finding, Severity, Span, new_span

if TYPE_CHECKING:
    from kmspolicy.parse.source import SourceSet

# Problems found while reading input. The ids are permanent and shared with the rule catalogue
# (rule `syn-structure` is row 92 of the catalogue, hence KMS092). INPUT_ERROR_RULES make
# `kmspolicy lint` exit 2; every other finding exits 1.
INPUT_ERROR = ("KMS000", "input-error")  # unreadable file, too large, too deep, unknown shape
SYN_STRUCTURE = ("KMS092", "syn-structure")  # invalid JSON/YAML, wrong types, unknown/duplicate elements
SYN_POLICY_SIZE = ("KMS093", "syn-policy-size")
SYN_PRINCIPAL_FORMAT = ("KMS086", "syn-principal-format")
SYN_RESOURCE_ARN = ("KMS087", "syn-resource-arn")
SYN_VARIABLE = ("KMS094", "syn-variable")
SYN_EMPTY = ("KMS095", "syn-empty-or-redundant")
# Not in the catalogue: a snapshot file the documented layout does not name (reported, never skipped).
INPUT_UNEXPECTED_FILE = ("KMS097", "input-unexpected-file")
COND_UNKNOWN_OPERATOR = ("KMS056", "cond-unknown-operator")

INPUT_ERROR_RULES = frozenset({INPUT_ERROR[1], SYN_STRUCTURE[1]})


def input_errors(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that make an input unusable (exit 2): input-error rules at severity ERROR. The
    softer ones (a truncated listing, a key-policy statement without `Resource`, which AWS accepts and
    which has no effect, §2.1) leave what was read standing."""
    return [f for f in findings if f.rule in INPUT_ERROR_RULES and f.severity is Severity.ERROR]


@dataclass
class ReadContext:
    """State for reading one input file. Readers append findings here instead of raising."""

    file: str
    sources: SourceSet
    account: str | None = None  # --account: the owner account when the input does not say
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def span(self, pointer: str) -> Span:
        return new_span(self.file, pointer)

    def report(
        self,
        rule: tuple[str, str],
        message: str,
        pointer: str,
        *,
        severity: Severity = Severity.ERROR,
        help: str = "",
    ) -> None:
        rule_id, name = rule
        self.findings.append(
            Finding.trusted(
                id=rule_id,
                rule=name,
                severity=severity,
                message=message,
                help=help,
                span=self.span(pointer),
            )
        )


def pointer_join(pointer: str, *parts: str | int) -> str:
    """Extend an RFC 6901 pointer, escaping `~` and `/` in keys."""
    out = [pointer]
    for part in parts:
        text = str(part)
        out.append("/" + text.replace("~", "~0").replace("/", "~1"))
    return "".join(out)
