"""Policy, grant and key-metadata readers, driven by the case files in tests/policy_cases/.

Each case file is a YAML list of cases:

    - name: bare_account_principal_becomes_root_arn   # what the case shows, as a sentence
      reader: policy            # policy (default), grant or key
      kind: key                 # policy kind; omit to let the reader decide
      input: |                  # JSON text; {"$unknown": "expr"} stands for an Unknown placeholder
        {...}
      facts:                    # dotted paths into the result (None result: `result: null`)
        statements.0.principal.0.value: arn:aws:iam::111122223333:root
      findings:                 # the complete list, in any order; message optional but exact
        - {id: KMS092, pointer: /Statement/0/Effect, message: "..."}
      notes: ["substring of a note"]
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmspolicy.model import PolicyKind, Unknown
from kmspolicy.parse.context import ReadContext
from kmspolicy.parse.policy import read_grant, read_key_metadata, read_policy
from kmspolicy.parse.source import SourceSet

CASES_DIR = Path(__file__).parent / "policy_cases"


def _load_cases() -> list[Any]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(case, id=f"{path.stem}/{case['name']}"))
    return cases


def with_unknowns(value: Any) -> Any:
    """Replace `{"$unknown": expr}` objects by `Unknown` placeholders, as the IaC loaders produce them."""
    if isinstance(value, dict):
        if set(value) == {"$unknown"}:
            return Unknown(expr=value["$unknown"])
        return {key: with_unknowns(entry) for key, entry in value.items()}
    if isinstance(value, list):
        return [with_unknowns(entry) for entry in value]
    return value


def read(case: dict[str, Any], ctx: ReadContext) -> Any:
    document = with_unknowns(json.loads(case["input"]))
    reader = case.get("reader", "policy")
    if reader == "grant":
        return read_grant(document, ctx, "")
    if reader == "key":
        return read_key_metadata(document, ctx, "")
    kind = PolicyKind(case["kind"]) if "kind" in case else None
    return read_policy(document, ctx, "", kind=kind, name=case.get("policy_name"))


def fact(result: Any, path: str) -> Any:
    value = result
    for step in path.split("."):
        value = value[int(step)] if step.isdigit() else getattr(value, step)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


@pytest.mark.parametrize("case", _load_cases())
def test_case(case: dict[str, Any]) -> None:
    ctx = ReadContext(file="case.json", sources=SourceSet())
    result = read(case, ctx)
    for path, expected in case.get("facts", {}).items():
        actual = result if path == "result" else fact(result, path)
        if isinstance(expected, dict) and set(expected) == {"$unknown"}:
            expected = Unknown(expr=expected["$unknown"])
        assert actual == expected, path
    found = sorted((f.id, f.span.pointer) for f in ctx.findings)
    expected_findings = case.get("findings", [])
    assert found == sorted((f["id"], f["pointer"]) for f in expected_findings)
    messages = {(f.id, f.span.pointer): f.message for f in ctx.findings}
    for expected in expected_findings:
        if "message" in expected:
            assert messages[expected["id"], expected["pointer"]] == expected["message"]
        if "severity" in expected:
            severity = next(
                f.severity.value
                for f in ctx.findings
                if (f.id, f.span.pointer) == (expected["id"], expected["pointer"])
            )
            assert severity == expected["severity"]
    for note in case.get("notes", []):
        assert any(note in written for written in ctx.notes), (note, ctx.notes)


def test_every_finding_span_names_the_file() -> None:
    ctx = ReadContext(file="policy.json", sources=SourceSet())
    read_policy({"Statement": [{"Effect": "allow"}]}, ctx, "/Policy", kind=PolicyKind.IDENTITY)
    assert ctx.findings
    assert {f.span.file for f in ctx.findings} == {"policy.json"}
    assert all(f.span.pointer.startswith("/Policy") for f in ctx.findings)


def test_embedded_policy_pointer_and_default_name() -> None:
    ctx = ReadContext(file="get-key-policy.json", sources=SourceSet())
    policy = read_policy(
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}},
        ctx,
        "/Policy",
        kind=PolicyKind.KEY,
    )
    assert policy is not None
    assert policy.name == "get-key-policy.json#/Policy"
    assert policy.statements[0].span.pointer == "/Policy/Statement"
    assert policy.statements[0].action is not None
    assert policy.statements[0].action[0].span.pointer == "/Policy/Statement/Action"
