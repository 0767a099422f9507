"""Reporters: golden files for every format, SARIF against the official schema, escaping, clipping.

The findings and rule metadata are data (tests/golden/findings/findings.yaml) over the small files
in tests/golden/findings/sources/. Regenerate the expected files with UPDATE_GOLDENS=1 and review
the diff.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kmspolicy.model import Finding, Location, Severity, Span, StatementRef
from kmspolicy.parse.context import ReadContext
from kmspolicy.parse.source import SourceSet
from kmspolicy.parse.yamlload import load_yaml
from kmspolicy.report.findings import FINGERPRINT_KEY, render

HERE = Path(__file__).parent / "golden" / "findings"
SARIF_VALIDATOR = jsonschema.Draft7Validator(
    json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
)
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    help: str
    doc: str


def load_sources() -> SourceSet:
    """Each file as the parser registers it: JSON text, embedded JSON documents, YAML positions."""
    sources = SourceSet()
    for path in sorted((HERE / "sources").iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".yaml":
            load_yaml(text, ReadContext(file=path.name, sources=sources))
            continue
        sources.add(path.name, text)
        try:
            document = json.loads(text)
        except ValueError:
            continue
        for key, value in document.items():
            if isinstance(value, str) and value.lstrip().startswith("{"):
                sources.add_embedded(path.name, f"/{key}", value)
    return sources


def load_case() -> tuple[list[Finding], dict[str, Rule]]:
    case = yaml.safe_load((HERE / "findings.yaml").read_text(encoding="utf-8"))
    rules = {r["id"]: Rule(**{**r, "severity": Severity(r["severity"])}) for r in case["rules"]}
    findings = []
    for raw in case["findings"]:
        span = Span(file=raw.pop("file"), pointer=raw.pop("pointer"))
        statement = raw.pop("statement", None)
        ref = None if statement is None else StatementRef(span=None, **statement)
        findings.append(Finding(span=span, statement=ref, **raw))
    return findings, rules


SOURCES = load_sources()
FINDINGS, RULES = load_case()


def rendered(fmt: str, *, color: bool = False, findings: list[Finding] = FINDINGS) -> str:
    return render(findings, SOURCES, fmt, rules=RULES, color=color, tool_version="0.1.0")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fmt", "color", "golden"),
    [
        ("text", False, "expected.txt"),
        ("text", True, "expected-color.txt"),
        ("json", False, "expected.json"),
        ("sarif", False, "expected.sarif"),
        ("github", False, "expected.github.txt"),
    ],
)
def test_output_matches_golden_file(fmt: str, color: bool, golden: str) -> None:
    output = rendered(fmt, color=color) + "\n"
    path = HERE / golden
    if UPDATE:
        path.write_text(output, encoding="utf-8")
    assert output == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_output_does_not_depend_on_finding_order(fmt: str) -> None:
    assert rendered(fmt, findings=FINDINGS[::-1]) == rendered(fmt)


def test_sarif_is_valid_against_the_official_schema() -> None:
    SARIF_VALIDATOR.validate(json.loads(rendered("sarif")))


def test_sarif_has_what_github_code_scanning_needs() -> None:
    run = json.loads(rendered("sarif"))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert all(rule["help"]["text"] and rule["shortDescription"]["text"] for rule in rules)
    by_id = {rule["id"]: rule for rule in rules}
    assert by_id["KMS001"]["properties"]["security-severity"] == "9.5"
    assert "security" in by_id["KMS001"]["properties"]["tags"]
    assert "security-severity" not in by_id["KMS092"]["properties"]  # invalid input is no security rating
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/")
        assert len(result["partialFingerprints"][FINGERPRINT_KEY]) == 32
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {
        "KMS001": "error",
        "KMS013": "error",
        "KMS009": "warning",
        "KMS068": "note",
        "KMS073": "note",
        "KMS092": "error",
        "KMS072": "note",
    }


def test_json_findings_carry_every_field_and_a_summary() -> None:
    output = json.loads(rendered("json"))
    keys = {
        "id", "rule", "severity", "message", "file", "line", "column", "end_line", "end_column",
        "pointer", "statement", "help", "fingerprint",
    }  # fmt: skip
    assert all(set(finding) == keys for finding in output["findings"])
    assert output["summary"] == {
        "total": 7,
        "by_severity": {"error": 1, "critical": 1, "high": 1, "medium": 1, "low": 1, "info": 2},
        "files": 5,
    }
    first = output["findings"][0]
    assert (first["file"], first["line"], first["column"]) == ("broken.json", 3, 16)


def test_text_is_plain_without_color_and_coloured_with_it() -> None:
    assert not ANSI.search(rendered("text"))
    coloured = rendered("text", color=True)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == rendered("text")


def test_text_frame_points_carets_at_the_span() -> None:
    text = rendered("text")
    frame = text.split("public.json:7:20:", 1)[1].splitlines()
    source_line = next(line for line in frame if line.startswith(">"))
    caret_line = frame[frame.index(source_line) + 1]
    start = caret_line.index("^")
    assert source_line[start : start + 3] == '"*"'
    assert caret_line.count("^") == 3


def test_long_lines_are_cut_around_the_span() -> None:
    text = rendered("text")
    block = text.split("get-key-policy.json:", 1)[1].split("\n\n", 1)[0]
    source_line = next(line for line in block.splitlines() if line.startswith(">"))
    assert len(source_line) < 140
    assert "…" in source_line
    assert "logs.us-east-1.amazonaws.com" in source_line


def test_control_characters_from_input_cannot_reach_the_terminal() -> None:
    sources = SourceSet()
    sources.add("evil.json", '{"Sid": "a"}\n')
    finding = Finding(
        id="KMS001",
        rule="kp-public-principal",
        severity=Severity.HIGH,
        message="principal `\x1b]0;owned\x07`",
        span=Span(file="evil\x1b[2J.json", pointer="/Sid"),
    )
    text = render([finding], sources, "text", tool_version="0")
    assert "\x1b" not in text
    assert "\\x1b]0;owned\\x07" in text


@pytest.mark.parametrize(
    ("message", "help", "file", "expected"),
    [
        (
            "100% of `a,b`",
            "",
            "dir:x,y.json",
            "::error file=dir%3Ax%2Cy.json,title=KMS001 kp-public-principal::100%25 of `a,b`",
        ),
        (
            "two\r\nlines",
            "fix: it",
            "a.json",
            "::error file=a.json,title=KMS001 kp-public-principal::two%0D%0Alines%0A%0Ahelp: fix: it",
        ),
    ],
)
def test_github_annotations_are_escaped(message: str, help: str, file: str, expected: str) -> None:
    finding = Finding(
        id="KMS001",
        rule="kp-public-principal",
        severity=Severity.CRITICAL,
        message=message,
        help=help,
        span=Span(file=file, pointer=""),
    )
    assert render([finding], SourceSet(), "github", tool_version="0") == expected


def test_no_findings() -> None:
    assert rendered("text", findings=[]) == "no findings"
    assert rendered("github", findings=[]) == ""
    assert json.loads(rendered("json", findings=[]))["summary"]["total"] == 0
    assert json.loads(rendered("sarif", findings=[]))["runs"][0]["results"] == []


def test_rules_unknown_to_the_registry_are_described_by_their_findings() -> None:
    run = json.loads(render(FINDINGS, SOURCES, "sarif", tool_version="0.1.0"))["runs"][0]
    described = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert described["KMS001"]["name"] == "kp-public-principal"
    assert described["KMS001"]["help"]["text"].startswith("name the accounts")
    assert described["KMS001"]["defaultConfiguration"]["level"] == "error"


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=300),
    line=st.integers(min_value=1, max_value=12),
    column=st.integers(min_value=1, max_value=400),
    end_line=st.integers(min_value=1, max_value=12),
    end_column=st.integers(min_value=1, max_value=400),
    message=st.text(max_size=80),
    severity=st.sampled_from(list(Severity)),
)
def test_any_position_in_any_text_renders_in_every_format(
    text: str, line: int, column: int, end_line: int, end_column: int, message: str, severity: Severity
) -> None:
    sources = SourceSet()
    sources.add("f.json", text)
    where = Location(
        file="f.json", pointer="/a", line=line, column=column, end_line=end_line, end_column=end_column
    )
    finding = Finding(
        id="KMS001",
        rule="kp-public-principal",
        severity=severity,
        message=message,
        span=Span(file="f.json", pointer="/a"),
        location=where,
    )
    for fmt in ("text", "json", "github"):
        assert render([finding], sources, fmt, color=True, tool_version="0")  # type: ignore[arg-type]
    SARIF_VALIDATOR.validate(json.loads(render([finding], sources, "sarif", tool_version="0")))
    assert "\x1b" not in ANSI.sub("", render([finding], sources, "text", color=True, tool_version="0"))
