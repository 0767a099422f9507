"""The case files of the rules, `rules/<rule-name>.yaml`: named failing and passing inputs.

They are the rules' tests (tests/test_rules.py runs every case) and the examples of the generated
documentation (`kmspolicy.rules.docgen`). A case is an input (a policy, or any input kind the parser
reads), the context to lint it in, and the findings of its rule that must come out, each pinned by
JSON pointer and/or line and column. A case that expects nothing is a passing case; `guard` names the
false-positive class of catalogue §2.1 that it protects against.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field

from kmspolicy.config import LintConfig
from kmspolicy.data import data_dir
from kmspolicy.model import Finding, InputKind
from kmspolicy.rules.framework import Options

if TYPE_CHECKING:
    from kmspolicy.parse import ParseResult


class Expected(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    pointer: str | None = None
    line: int | None = None
    col: int | None = None
    severity: str | None = None
    message: str | None = None  # a part of the message, for cases about what the message says


class Case(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str
    input: str = ""
    # An account snapshot instead of `input`: relative path -> file text, laid out as a snapshot folder
    # (for rules that need what only snapshots carry, such as SCPs and RCPs).
    snapshot: dict[str, str] | None = None
    kind: InputKind | None = InputKind.KEY_POLICY  # None: let the parser detect it
    file: str = "policy.json"
    account: str | None = None
    trusted_accounts: tuple[str, ...] = ()
    trusted_orgs: tuple[str, ...] = ()
    options: dict[str, object] = Field(default_factory=dict)
    guard: str | None = None
    expect: tuple[Expected, ...] = ()

    @property
    def failing(self) -> bool:
        return bool(self.expect)

    def config(self) -> LintConfig:
        return LintConfig(
            trusted_accounts=frozenset(self.trusted_accounts), trusted_orgs=frozenset(self.trusted_orgs)
        )

    def lint_options(self) -> Options:
        return Options(**self.options)  # type: ignore[arg-type]


class CaseFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    rule: str
    cases: tuple[Case, ...]


def case_path(rule_name: str) -> Path:
    return data_dir("rules") / f"{rule_name}.yaml"


@cache
def load_cases(rule_name: str) -> CaseFile | None:
    path = case_path(rule_name)
    if not path.is_file():
        return None
    return CaseFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Outcome:
    """What running one case produced: the rule's findings with their resolved positions."""

    findings: tuple[Finding, ...]
    positions: tuple[tuple[int, int] | None, ...]


def run_case(rule_id: str, case: Case) -> Outcome:
    """Parse the case input, lint it, and keep the findings of `rule_id` (parser ones included)."""
    from kmspolicy.parse import parse_paths, parse_text

    if case.snapshot is not None:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "snapshot"
            for name, text in case.snapshot.items():
                path = root / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            parsed = parse_paths([str(root)], kind=InputKind.SNAPSHOT, account=case.account)
            return _outcome(rule_id, case, parsed)
    return _outcome(rule_id, case, parse_text(case.input, case.file, kind=case.kind, account=case.account))


def _outcome(rule_id: str, case: Case, parsed: ParseResult) -> Outcome:
    from kmspolicy.lint import lint

    found = [
        *parsed.findings,
        *lint(parsed.documents, config=case.config(), account=case.account, options=case.lint_options()),
    ]
    mine = tuple(f for f in found if f.id == rule_id)
    positions = []
    for finding in mine:
        location = parsed.sources.locate(finding.span)
        positions.append(None if location is None else (location.line, location.column))
    return Outcome(mine, tuple(positions))
