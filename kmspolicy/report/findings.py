"""What users see of a lint run: findings as text with code frames, JSON, SARIF 2.1.0, or GitHub annotations.

Every format gets the findings in one order: by file, then position, then severity (most severe
first). Positions come from `Finding.location` when the driver resolved it, else from the
`SourceSet`; a finding that has no position (a whole snapshot folder, say) is reported on its file.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Literal, Protocol
from urllib.parse import quote

from kmspolicy.baseline import fingerprint
from kmspolicy.model import SEVERITY_RANK, Finding, Location, Severity
from kmspolicy.parse.source import SourceSet

Format = Literal["text", "json", "sarif", "github"]

TOOL_NAME = "kmspolicy"
INFORMATION_URI = "https://pypi.org/project/kmspolicy/"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "kmspolicy/v1"

# GitHub code scanning shows `security-severity` (0-10) as critical/high/medium/low; it reads it only
# for rules tagged `security`. Invalid input (`error`) and `info` are not security ratings.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
_SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.ERROR: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_GITHUB_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}

CONTEXT_LINES = 2
FRAME_WIDTH = 120  # longer source lines (minified JSON, embedded policies) are cut around the span
_LEAD = 30  # characters kept before the span when a long line is cut


class RuleMeta(Protocol):
    """What the reporters need to know about a rule (the rule registry's objects fit)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def summary(self) -> str: ...
    @property
    def doc(self) -> str: ...  # markdown
    @property
    def help(self) -> str: ...  # how to fix, one paragraph


@dataclass(frozen=True)
class _Placed:
    finding: Finding
    where: Location | None

    @property
    def file(self) -> str:
        return self.finding.span.file


def render(
    findings: Sequence[Finding],
    sources: SourceSet,
    fmt: Format,
    *,
    rules: Mapping[str, RuleMeta] | None = None,
    color: bool = False,
    tool_version: str,
) -> str:
    """The findings in one output format. Colour is used only by `text`, and only when asked for."""
    placed = sorted(
        (_Placed(f, f.location or sources.locate(f.span)) for f in findings),
        key=lambda p: (
            p.file,
            p.where.line if p.where else 0,
            p.where.column if p.where else 0,
            -SEVERITY_RANK[p.finding.severity],
            p.finding.id,
            p.finding.span.pointer,
            p.finding.message,
        ),
    )
    if fmt == "text":
        return _text(placed, sources, _Palette(color))
    if fmt == "json":
        return json.dumps(_json(placed, sources), indent=2, ensure_ascii=False)
    if fmt == "sarif":
        return json.dumps(_sarif(placed, sources, rules or {}, tool_version), indent=2, ensure_ascii=False)
    if fmt == "github":
        return "\n".join(_github(p) for p in placed)
    raise ValueError(f"unknown output format `{fmt}`")


# --------------------------------------------------------------------------- text


_SEVERITY_STYLE = {
    Severity.CRITICAL: "1;31",
    Severity.ERROR: "1;31",
    Severity.HIGH: "31",
    Severity.MEDIUM: "33",
    Severity.LOW: "34",
    Severity.INFO: "36",
}


class _Palette:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def paint(self, style: str, text: str) -> str:
        return f"\x1b[{style}m{text}\x1b[0m" if self.enabled and text else text

    def severity(self, severity: Severity, text: str) -> str:
        return self.paint(_SEVERITY_STYLE[severity], text)


# Policy text is untrusted: escape sequences in it must not drive the terminal showing the report.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str, *, one_line: bool = False) -> str:
    """Control characters from the input shown as escapes: a terminal must not act on them, and a
    finding's first line must stay one line (`file:line:col: ...`)."""
    escaped = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return escaped.replace("\n", "\\n").replace("\t", "\\t") if one_line else escaped


def _text(placed: Sequence[_Placed], sources: SourceSet, palette: _Palette) -> str:
    lines = {file: sources.lines(file) for file in {p.file for p in placed}}  # split each text once
    blocks = [_text_finding(p, lines[p.file], palette) for p in placed]
    blocks.append(_summary_line(placed))
    return "\n\n".join(blocks)


def _text_finding(placed: _Placed, source: list[str], palette: _Palette) -> str:
    finding, where = placed.finding, placed.where
    position = f":{where.line}:{where.column}" if where else ""
    head = " ".join(
        (
            palette.paint("1", f"{_visible(placed.file)}{position}:"),
            palette.severity(finding.severity, finding.severity.value),
            palette.paint("1", finding.id),
            palette.paint("2", finding.rule),
            _visible(finding.message, one_line=True),
        )
    )
    lines = [head]
    if where is not None:
        lines += _frame(source, where, finding.severity, palette)
    if finding.help:
        lines.append(f"  {palette.paint('36', 'help:')} {_visible(finding.help)}")
    return "\n".join(lines)


def _frame(source: list[str], where: Location, severity: Severity, palette: _Palette) -> list[str]:
    """The span's line with its neighbours, numbered, and carets under the span on its first line."""
    if not 1 <= where.line <= len(source):
        return []
    # The empty "line" after a final newline is shown only when the span is on it (end of input).
    shown_lines = len(source) - (1 if source[-1] == "" and where.line < len(source) else 0)
    first = max(1, where.line - CONTEXT_LINES)
    last = min(shown_lines, where.line + CONTEXT_LINES)
    width = len(str(last))
    out: list[str] = []
    for number in range(first, last + 1):
        raw = source[number - 1].rstrip("\r\n")
        marker = ">" if number == where.line else " "
        gutter = palette.paint("2", f"{marker} {number:>{width}} |")
        if number != where.line:
            out.append(f"{gutter} {_clip(raw, 0)[0]}".rstrip())
            continue
        start = min(max(where.column - 1, 0), len(raw))
        end = where.end_column - 1 if where.end_line == where.line else len(raw)
        shown, offset, high = _clip(raw, start)
        out.append(f"{gutter} {shown}".rstrip())
        # Tabs stay tabs so the carets line up whatever the terminal's tab width.
        pad = "".join("\t" if ch == "\t" else " " for ch in shown[:offset])
        carets = "^" * max(1, len(_visible(raw[start : min(end, high)])))
        out.append(
            f"{palette.paint('2', ' ' * (width + 2) + ' |')} {pad}{palette.severity(severity, carets)}"
        )
    return out


def _clip(raw: str, start: int) -> tuple[str, int, int]:
    """The visible part of a line, cut to FRAME_WIDTH around `start`: the text, where `start` falls
    in it, and where in `raw` the visible part ends."""
    if len(raw) <= FRAME_WIDTH:
        return _visible(raw), len(_visible(raw[:start])), len(raw)
    low = max(0, min(start - _LEAD, len(raw) - FRAME_WIDTH))
    high = low + FRAME_WIDTH
    prefix = "…" if low else ""
    shown = prefix + _visible(raw[low:high]) + ("…" if high < len(raw) else "")
    return shown, len(prefix) + len(_visible(raw[low:start])), high


def _summary_line(placed: Sequence[_Placed]) -> str:
    if not placed:
        return "no findings"
    counts = Counter(p.finding.severity for p in placed)
    files = len({p.file for p in placed})
    parts = ", ".join(f"{counts[s]} {s.value}" for s in _by_rank() if counts[s])
    return f"{_plural(len(placed), 'finding')} in {_plural(files, 'file')}: {parts}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _by_rank() -> list[Severity]:
    return sorted(Severity, key=lambda s: -SEVERITY_RANK[s])


# --------------------------------------------------------------------------- json


def _json(placed: Sequence[_Placed], sources: SourceSet) -> dict[str, Any]:
    counts = Counter(p.finding.severity for p in placed)
    return {
        "findings": [_json_finding(p, sources) for p in placed],
        "summary": {
            "total": len(placed),
            "by_severity": {s.value: counts[s] for s in _by_rank()},
            "files": len({p.file for p in placed}),
        },
    }


def _json_finding(placed: _Placed, sources: SourceSet) -> dict[str, Any]:
    finding, where = placed.finding, placed.where
    statement = finding.statement
    return {
        "id": finding.id,
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "file": placed.file,
        "line": where.line if where else None,
        "column": where.column if where else None,
        "end_line": where.end_line if where else None,
        "end_column": where.end_column if where else None,
        "pointer": finding.span.pointer,
        "statement": None if statement is None else {"sid": statement.sid, "index": statement.index},
        "help": finding.help,
        "fingerprint": fingerprint(finding, sources),
    }


# --------------------------------------------------------------------------- sarif


def _sarif(
    placed: Sequence[_Placed], sources: SourceSet, rules: Mapping[str, RuleMeta], tool_version: str
) -> dict[str, Any]:
    index: dict[str, int] = {}
    descriptors: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for p in placed:
        rule_id = p.finding.id
        if rule_id not in index:
            index[rule_id] = len(descriptors)
            descriptors.append(_sarif_rule(rules.get(rule_id), p.finding))
        results.append(_sarif_result(p, index[rule_id], sources))
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": tool_version,
                        "semanticVersion": tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _sarif_rule(meta: RuleMeta | None, example: Finding) -> dict[str, Any]:
    """A rule descriptor; rules the registry does not know (parser findings) are described by a finding."""
    severity = meta.severity if meta else example.severity
    summary = meta.summary if meta else example.rule
    fix = (meta.help if meta else "") or example.help or f"see `kmspolicy rules {example.id}`"
    doc = meta.doc if meta else ""
    properties: dict[str, Any] = {"tags": ["security", "kms"] if severity in SECURITY_SEVERITY else ["kms"]}
    if severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[severity]
    return {
        "id": example.id,
        "name": meta.name if meta else example.rule,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": _first_paragraph(doc) or summary},
        "help": {"text": fix, "markdown": doc or fix},
        "defaultConfiguration": {"level": _SARIF_LEVEL[severity]},
        "properties": properties,
    }


def _first_paragraph(markdown: str) -> str:
    for paragraph in re.split(r"\n\s*\n", markdown.strip()):
        if paragraph and not paragraph.lstrip().startswith("#"):
            return " ".join(line.strip() for line in paragraph.splitlines())
    return ""


def _sarif_result(placed: _Placed, rule_index: int, sources: SourceSet) -> dict[str, Any]:
    finding, where = placed.finding, placed.where
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(placed.file)}}
    if where is not None:
        physical["region"] = {
            "startLine": where.line,
            "startColumn": where.column,
            "endLine": where.end_line,
            "endColumn": where.end_column,
        }
    properties: dict[str, Any] = {"severity": finding.severity.value, "pointer": finding.span.pointer}
    if finding.statement is not None:
        properties["sid"] = finding.statement.sid
        properties["statementIndex"] = finding.statement.index
    return {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, sources)},
        "properties": properties,
    }


def _uri(file: str) -> str:
    """Relative to the working directory where possible: code scanning resolves it in the checkout."""
    path = PurePath(file)
    if path.is_absolute():
        try:
            path = Path(path).relative_to(Path.cwd())
        except ValueError:
            return Path(path).as_uri()
    return quote(os.fsencode(path.as_posix()), safe="/")  # a name that is not UTF-8: its own bytes


# --------------------------------------------------------------------------- github


def _escape(text: str, *, in_property: bool) -> str:
    """GitHub workflow-command escaping; properties also escape `:` and `,`."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


def _github(placed: _Placed) -> str:
    finding, where = placed.finding, placed.where
    fields = [f"file={_escape(placed.file, in_property=True)}"]
    if where is not None:
        fields += [
            f"line={where.line}",
            f"endLine={where.end_line}",
            f"col={where.column}",
            f"endColumn={where.end_column}",
        ]
    fields.append(f"title={_escape(f'{finding.id} {finding.rule}', in_property=True)}")
    message = finding.message + (f"\n\nhelp: {finding.help}" if finding.help else "")
    command = _GITHUB_COMMAND[_SARIF_LEVEL[finding.severity]]
    return f"::{command} {','.join(fields)}::{_escape(message, in_property=False)}"
