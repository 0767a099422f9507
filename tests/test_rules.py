"""Every case of every rule (`rules/<rule>.yaml`), plus the meta-checks that keep the rules documented."""

from __future__ import annotations

import pytest

from kmspolicy.rules import all_rules, get_rule
from kmspolicy.rules.cases import Case, load_cases, run_case
from kmspolicy.rules.framework import RuleInfo

SECTIONS = ("## What it flags", "## Why it is risky", "## Example", "## Use instead", "## References")


def _all_cases() -> list[tuple[RuleInfo, Case]]:
    out: list[tuple[RuleInfo, Case]] = []
    for rule in all_rules():
        cases = load_cases(rule.name)
        for case in cases.cases if cases else ():
            out.append((rule, case))
    return out


CASES = _all_cases()


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.name}:{c.name}" for r, c in CASES])
def test_case(rule: RuleInfo, case: Case) -> None:
    outcome = run_case(rule.id, case)
    got = [
        (f.span.pointer, pos, f.severity.value, f.message)
        for f, pos in zip(outcome.findings, outcome.positions, strict=True)
    ]
    assert len(outcome.findings) == len(case.expect), f"expected {len(case.expect)} finding(s), got {got}"
    remaining = list(zip(outcome.findings, outcome.positions, strict=True))
    for expected in case.expect:
        for i, (finding, position) in enumerate(remaining):
            if expected.pointer is not None and finding.span.pointer != expected.pointer:
                continue
            if expected.line is not None and (position is None or position[0] != expected.line):
                continue
            if expected.col is not None and (position is None or position[1] != expected.col):
                continue
            if expected.severity is not None and finding.severity.value != expected.severity:
                continue
            if expected.message is not None and expected.message not in finding.message:
                continue
            del remaining[i]
            break
        else:
            pytest.fail(f"no finding matches {expected}; got {got}")
    for finding in outcome.findings:
        assert finding.message
        assert not finding.message[0].isupper()
        assert not finding.message.endswith(".")
        assert finding.rule == rule.name


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.name)
def test_rule_has_cases_and_docs(rule: RuleInfo) -> None:
    cases = load_cases(rule.name)
    assert cases is not None, f"rules/{rule.name}.yaml is missing"
    assert get_rule(cases.rule) == rule, f"rules/{rule.name}.yaml names rule `{cases.rule}`"
    failing = [c for c in cases.cases if c.failing]
    passing = [c for c in cases.cases if not c.failing]
    assert len(failing) >= 2, f"{rule.name}: only {len(failing)} failing case(s)"
    assert len(passing) >= 2, f"{rule.name}: only {len(passing)} passing case(s)"
    assert len({c.name for c in cases.cases}) == len(cases.cases), "case names must be unique"
    for section in SECTIONS:
        assert section in rule.doc, f"{rule.name}: docstring lacks `{section}`"
    assert rule.summary
    assert rule.help


def test_ids_follow_the_catalogue() -> None:
    rules = all_rules()
    assert all(r.id.startswith("KMS") and len(r.id) == 6 and r.id[3:].isdigit() for r in rules)
    assert len({r.name for r in rules}) == len(rules)
    assert get_rule("kp-public-principal") is get_rule("kms001")


def test_guards_of_the_catalogue_are_cases() -> None:
    guards = {c.guard for _, c in CASES if c.guard}
    assert {
        "resource-star-in-key-policy",
        "owner-root-kms-star",
        "deny-wildcard-principal",
        "star-with-own-calleraccount",
        "star-with-trusted-org",
        "condition-key-case",
        "aws-service-grants",
        "resource-star-required",
        "separate-key-policy-resource",
        "rotation-only-rotatable",
    } <= guards


EXTERNAL_ROLE_POLICY = """{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::444455556666:role/App"}, "Action": "kms:Decrypt", "Resource": "*"}]}"""


def _owner_findings(**kwargs: object) -> list[tuple[str, str]]:
    from kmspolicy.config import LintConfig
    from kmspolicy.lint import lint
    from kmspolicy.model import InputKind, Key
    from kmspolicy.parse import parse_text

    parsed = parse_text(EXTERNAL_ROLE_POLICY, "kp.json", kind=InputKind.KEY_POLICY)
    document = parsed.documents[0]
    key_arn = kwargs.pop("key_arn", None)
    if key_arn is not None:
        key = Key(arn=str(key_arn), key_id="k1", policy=document.policies[0])
        document = document.model_copy(update={"policies": (), "keys": (key,)})
    findings = lint([document], config=LintConfig(select=("KMS013",)), account=kwargs.get("account"))  # type: ignore[arg-type]
    return [(f.severity.value, f.span.pointer) for f in findings]


def test_owner_from_the_key_arn_wins_over_the_account_option() -> None:
    arn = "arn:aws:kms:us-east-1:444455556666:key/k1"
    assert _owner_findings(key_arn=arn, account="111122223333") == []


def test_owner_from_the_account_option() -> None:
    assert _owner_findings(account="444455556666") == []
    assert _owner_findings(account="111122223333") == [("high", "/Statement/0/Principal/AWS")]


def test_unknown_owner_is_said_once_and_trusts_no_account() -> None:
    assert _owner_findings() == [("high", "/Statement/0/Principal/AWS"), ("info", "")]


def test_aws_managed_key_policies_are_not_linted() -> None:
    from kmspolicy.config import LintConfig
    from kmspolicy.lint import lint
    from kmspolicy.model import InputKind, Key
    from kmspolicy.parse import parse_text

    only_usage = """{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
      "Action": "kms:Decrypt", "Resource": "*",
      "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333",
                                     "kms:ViaService": "ec2.us-east-1.amazonaws.com"}}}]}"""
    document = parse_text(only_usage, "kp.json", kind=InputKind.KEY_POLICY).documents[0]
    arn = "arn:aws:kms:us-east-1:111122223333:key/k1"
    findings: dict[str, set[str]] = {}
    for manager in ("AWS", "CUSTOMER"):
        key = Key(arn=arn, key_id="k1", key_manager=manager, policy=document.policies[0])
        keyed = document.model_copy(update={"policies": (), "keys": (key,)})
        findings[manager] = {f.id for f in lint([keyed], config=LintConfig())}
    assert "KMS016" in findings["CUSTOMER"]
    assert not {f for f in findings["AWS"] if f != "KMS067"}


def test_generated_rule_reference_is_current() -> None:
    from pathlib import Path

    from kmspolicy.rules.docgen import render

    reference = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
    assert reference.read_text(encoding="utf-8") == render(), "run `python -m kmspolicy.rules.docgen`"


@pytest.mark.parametrize(
    ("index", "sid", "label"),
    [
        (0, None, "the 1st statement"),
        (1, None, "the 2nd statement"),
        (2, None, "the 3rd statement"),
        (10, None, "the 11th statement"),
        (11, None, "the 12th statement"),
        (12, None, "the 13th statement"),
        (20, None, "the 21st statement"),
        (111, None, "the 112th statement"),
        (3, "UseKeys", "statement `UseKeys`"),
    ],
)
def test_statements_are_named_by_sid_else_by_their_position(index: int, sid: str | None, label: str) -> None:
    from kmspolicy.model import Span, Statement
    from kmspolicy.rules.statements import statement_label

    assert statement_label(Statement(index=index, sid=sid, span=Span(file="p.json"))) == label
