"""Explanations as users see them, pinned by golden files (regenerate with UPDATE_GOLDENS=1)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from kmspolicy.evaluate import evaluate
from kmspolicy.model import Decision, Span, StatementRef, TraceStep
from kmspolicy.parse.source import SourceSet
from kmspolicy.report.explain import render_json, render_text
from kmspolicy.scenario import Scenario, load_scenarios

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "explain"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"

# One of each shape: implicit deny with a near miss on a condition, on a principal, cross-account allow,
# explicit deny in IAM and in the key policy, a grant, an SCP deny, a JSON scenario, a KeyId that names
# no key of the scenario, an AWS managed key (RCPs skipped, no fix offered in its fixed policy).
CASES = [
    ("adversarial3/alias_name_not_on_the_key_does_not_name_it.yaml", 0),
    ("aws_managed/aws_managed_key_direct_encrypt_denied.yaml", 0),
    ("worked/w14_via_service_absent_on_direct_call.yaml", 0),
    ("worked/w06_cross_account_key_policy_only_needs_iam.yaml", 0),
    ("worked/w08_cross_account_both_sides_allow.yaml", 0),
    ("worked/w11_iam_deny_beats_key_policy_allow.yaml", 0),
    ("worked/w13_deny_not_principal_per_level.yaml", 2),
    ("worked/w21_grant_encryption_context_subset.yaml", 0),
    ("worked/w35_scp_deny_beats_key_policy.yaml", 0),
    ("worked/w18_encryption_context_key_case_insensitive_value_case_sensitive.yaml", 1),
    ("same_account/json_format_delegation_with_iam_allow.json", 0),
]


def _scenario(relative: str, index: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Scenario, SourceSet]:
    # relative paths keep the file names in the goldens independent of the checkout's location
    monkeypatch.chdir(ROOT)
    sources = SourceSet()
    scenarios, findings = load_scenarios(Path("tests/scenarios") / relative, sources)
    assert findings == []
    return scenarios[index], sources


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden {path}: run with UPDATE_GOLDENS=1"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("relative", "index"), CASES, ids=[f"{case}[{i}]" for case, i in CASES])
def test_text_and_json_goldens(relative: str, index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario, sources = _scenario(relative, index, monkeypatch)
    decision = evaluate(scenario.situation, scenario.request)
    stem = scenario.name.replace("[", "_").replace("]", "")
    text = render_text(scenario, decision, sources)
    _golden(f"{stem}.txt", text)
    document = render_json(scenario, decision, sources, None)
    _golden(f"{stem}.json", json.dumps(document, indent=2) + "\n")
    assert document["decision"] == decision.effect
    assert document["file"] == scenario.file


def test_color_only_adds_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario, sources = _scenario(CASES[0][0], 0, monkeypatch)
    decision = evaluate(scenario.situation, scenario.request)
    colored = render_text(scenario, decision, sources, color=True)
    assert "\x1b[" in colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == render_text(scenario, decision, sources)


def test_without_scenario_and_marker_on_failing_element(tmp_path: Path) -> None:
    """A decision alone renders; a near miss marks the failing element under its statement."""
    file = str(tmp_path / "kp.json")
    text = (
        '{"Version": "2012-10-17", "Statement": [\n'
        '  {"Sid": "AppUse", "Effect": "Allow",\n'
        '   "Principal": {"AWS": "arn:aws:iam::111122223333:role/AppRole"},\n'
        '   "Action": "kms:Encrypt", "Resource": "*"}]}\n'
    )
    sources = SourceSet()
    sources.add(file, text)
    ref = StatementRef(
        layer="key_policy", policy=file, sid="AppUse", index=0, span=Span(file=file, pointer="/Statement/0")
    )
    miss = TraceStep(
        layer="key_policy",
        outcome="no-match",
        reason="`Action` does not include `kms:Decrypt`",
        ref=ref,
        element="Action",
        span=ref.span,
    )
    decision = Decision(
        effect="IMPLICIT_DENY",
        reason="no resource-based policy allows `kms:Decrypt`",
        trace=(miss,),
        nearest=(miss,),
    )
    rendered = render_text(None, decision, sources)
    assert rendered.startswith("DENIED (implicit): no resource-based policy allows `kms:Decrypt`\n")
    assert "would have been allowed if:" in rendered
    lines = rendered.splitlines()
    action_line = next(i for i, line in enumerate(lines) if '"Action": "kms:Encrypt"' in line)
    marker = lines[action_line + 1]
    assert marker.strip().startswith("| ")
    column = lines[action_line].index('"kms:Encrypt"')
    assert marker[column : column + len('"kms:Encrypt"')] == "^" * len('"kms:Encrypt"')
    document = render_json(None, decision, sources, file)
    assert document["file"] == file
    assert document["nearest"][0]["element"] == "Action"
    assert (document["nearest"][0]["line"], document["nearest"][0]["column"]) == (4, 14)
