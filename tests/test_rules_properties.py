"""Properties of the rules and the lint driver: no rule raises on any policy the parser accepts, the
driver turns a rule bug into a finding, and the public-access rules follow the evaluator's semantics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmspolicy.config import LintConfig
from kmspolicy.lint import lint
from kmspolicy.model import Finding, InputKind, Severity
from kmspolicy.parse import parse_text
from kmspolicy.rules import framework

ACCOUNTS = ["111122223333", "444455556666", "777788889999"]
PRINCIPALS = [
    "*",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::444455556666:role/Partner",
    "arn:aws:iam::111122223333:role/*",
    "arn:aws:sts::111122223333:assumed-role/Admin/s1",
    "AROAEXAMPLEID1234567",
    "777788889999",
    "",
]
SERVICES = ["cloudtrail.amazonaws.com", "*", "logs.us-east-1.amazonaws.com", "s3.amazonaws.com"]
ACTIONS = [
    "*",
    "kms:*",
    "kms:Decrypt",
    "kms:Encrypt*",
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:Decrypts",
    "kms:?et*",
    "s3:GetObject",
    "Decrypt",
    "KMS:describekey",
]
RESOURCES = [
    "*",
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:*:*:key/*",
    "arn:aws:kms:us-east-1:111122223333:alias/app",
    "arn:aws:kms:us-east-1:111122223333:key/${aws:PrincipalTag/k}",
    "not-an-arn",
]
OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringEqualsIfExists",
    "ArnLike",
    "ArnNotLike",
    "Bool",
    "Null",
    "NumericLessThan",
    "DateGreaterThan",
    "IpAddress",
    "NotIpAddress",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringLike",
    "ForAnyValue:Null",
    "StringEqual",
]
KEYS = [
    "kms:CallerAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalArn",
    "aws:SourceAccount",
    "aws:SourceArn",
    "kms:ViaService",
    "kms:EncryptionContext:tenant",
    "kms:EncryptionContextKeys",
    "kms:GrantIsForAWSResource",
    "kms:GrantOperations",
    "aws:SourceIp",
    "aws:VpcSourceIp",
    "aws:ResourceTag/team",
    "kms:RecipientAttestation:PCR0",
    "kms:CallerAcount",
    "aws:CurrentTime",
]
VALUES = [
    "111122223333",
    "*",
    "arn:aws:iam::*:role/x",
    "o-a1b2c3d4e5",
    "true",
    "maybe",
    "10.0.0.0/8",
    "s3.amazonaws.com",
    "2030-01-01T00:00:00Z",
    "${aws:username}",
    "${broken",
    "30",
]


def _one_or_many(values: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(values), st.lists(st.sampled_from(values), min_size=0, max_size=3))


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny", "allow"]))}
    if draw(st.booleans()):
        statement["Sid"] = draw(st.sampled_from(["A", "A", "Use the key", ""]))
    principal = draw(st.sampled_from(["Principal", "NotPrincipal", None]))
    if principal is not None:
        statement[principal] = draw(
            st.one_of(
                st.just("*"),
                st.fixed_dictionaries({"AWS": _one_or_many(PRINCIPALS)}),
                st.fixed_dictionaries({"Service": _one_or_many(SERVICES)}),
            )
        )
    statement[draw(st.sampled_from(["Action", "NotAction"]))] = draw(_one_or_many(ACTIONS))
    statement[draw(st.sampled_from(["Resource", "NotResource"]))] = draw(_one_or_many(RESOURCES))
    conditions = draw(
        st.dictionaries(
            st.sampled_from(OPERATORS),
            st.dictionaries(st.sampled_from(KEYS), _one_or_many(VALUES), max_size=3),
            max_size=3,
        )
    )
    if conditions:
        statement["Condition"] = conditions
    return statement


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    policy: dict[str, Any] = {"Statement": draw(st.lists(statements(), min_size=0, max_size=4))}
    version = draw(st.sampled_from(["2012-10-17", "2008-10-17", None, "2020-01-01"]))
    if version is not None:
        policy["Version"] = version
    return policy


def _bugs(findings: list[Finding]) -> list[str]:
    return [
        f.message
        for f in findings
        if f.severity is Severity.ERROR and "please report this as a bug" in f.message
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policies(),
    st.sampled_from([InputKind.KEY_POLICY, InputKind.IDENTITY_POLICY]),
    st.sampled_from([None, *ACCOUNTS]),
)
def test_no_rule_raises_on_parsed_policies(
    policy: dict[str, Any], kind: InputKind, account: str | None
) -> None:
    parsed = parse_text(json.dumps(policy), "generated.json", kind=kind, account=account)
    config = LintConfig(
        trusted_accounts=frozenset({"444455556666"}), trusted_orgs=frozenset({"o-a1b2c3d4e5"})
    )
    findings = lint(parsed.documents, config=config, account=account)
    assert _bugs(findings) == []
    for finding in findings:
        assert finding.message
        assert not finding.message[0].isupper()


GRANT = st.fixed_dictionaries(
    {
        "KeyId": st.sampled_from(["arn:aws:kms:us-east-1:111122223333:key/k1", "k1"]),
        "GrantId": st.just("g1"),
        "GranteePrincipal": st.sampled_from([*PRINCIPALS, *SERVICES]),
        "Operations": st.lists(st.sampled_from(["Decrypt", "Encrypt", "CreateGrant", "Sign"]), max_size=3),
    },
    optional={
        "RetiringPrincipal": st.sampled_from(PRINCIPALS),
        "CreationDate": st.sampled_from(["2019-01-01T00:00:00Z", "not a date", 1546300800]),
        "Constraints": st.sampled_from([{}, {"EncryptionContextSubset": {"aws:ebs:id": "vol-1"}}]),
    },
)


@settings(max_examples=60, deadline=None)
@given(st.lists(GRANT, max_size=3))
def test_no_grant_rule_raises(grants: list[dict[str, Any]]) -> None:
    parsed = parse_text(json.dumps({"Grants": grants}), "grants.json", kind=InputKind.LIST_GRANTS)
    assert _bugs(lint(parsed.documents, config=LintConfig())) == []


def test_a_crashing_rule_becomes_an_error_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(target: framework.PolicyTarget) -> Iterator[Finding]:
        raise ValueError("boom")

    broken = framework.PolicyRule(
        id="KMS999", name="broken-rule", severity=Severity.LOW, summary="s", help="h", check=explode
    )
    monkeypatch.setattr("kmspolicy.lint.all_rules", lambda: (broken,))
    parsed = parse_text('{"Version": "2012-10-17", "Statement": []}', "p.json", kind=InputKind.KEY_POLICY)
    findings = lint(parsed.documents, config=LintConfig())
    assert [(f.id, f.severity) for f in findings] == [("KMS999", Severity.ERROR)]
    assert "`broken-rule`" in findings[0].message


STAR_STATEMENT: dict[str, Any] = {
    "Effect": "Allow",
    "Principal": "*",
    "Action": "kms:Decrypt",
    "Resource": "*",
}


@pytest.mark.parametrize(
    ("condition", "public"),
    [
        ({}, True),
        ({"StringEquals": {"kms:CallerAccount": "111122223333"}}, False),
        ({"StringEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}}, False),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, False),
        ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}, False),
        ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}, True),
        ({"StringNotEquals": {"kms:CallerAccount": "777788889999"}}, True),
        ({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, True),
        ({"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}, True),
        ({"Bool": {"aws:SecureTransport": "true"}, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, True),
    ],
)
def test_public_means_reachable_from_an_untrusted_account(condition: dict[str, Any], public: bool) -> None:
    statement = {**STAR_STATEMENT, **({"Condition": condition} if condition else {})}
    text = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    parsed = parse_text(text, "p.json", kind=InputKind.KEY_POLICY, account="111122223333")
    config = LintConfig(trusted_orgs=frozenset({"o-a1b2c3d4e5"}))
    findings = lint(parsed.documents, config=config, account="111122223333")
    # kp-public-principal (KMS001) reports every public statement; at most one of KMS002-006 says why
    reported = [f.id for f in findings if f.id == "KMS001"]
    causes = [f.id for f in findings if f.id in {"KMS002", "KMS003", "KMS004", "KMS005", "KMS006"}]
    assert len(reported) == (1 if public else 0), reported
    assert len(causes) <= len(reported), causes


def _skipped_rules_report_nothing(text: str, kind: InputKind | None, account: str | None) -> None:
    """Every rule whose `needs` a policy lacks would have reported nothing on it: the driver's
    pre-filter never hides a finding."""
    from kmspolicy.rules import all_rules
    from kmspolicy.rules.framework import Options, PolicyRule, PolicyTarget, Trust

    parsed = parse_text(text, "needs.json", kind=kind, account=account)
    trust = Trust(owner=account, accounts=frozenset({"444455556666"}), orgs=frozenset({"o-a1b2c3d4e5"}))
    for document in parsed.documents:
        policies = [*document.policies, *(k.policy for k in document.keys if k.policy is not None)]
        for policy in policies:
            target = PolicyTarget(document, trust, Options(), policy)
            for rule in all_rules():
                if isinstance(rule, PolicyRule) and not rule.needs <= target.features:
                    assert list(rule.run(target)) == [], f"{rule.name} needs {sorted(rule.needs)}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policies(),
    st.sampled_from([InputKind.KEY_POLICY, InputKind.IDENTITY_POLICY]),
    st.sampled_from([None, *ACCOUNTS]),
)
def test_rules_skipped_for_missing_needs_report_nothing(
    policy: dict[str, Any], kind: InputKind, account: str | None
) -> None:
    _skipped_rules_report_nothing(json.dumps(policy), kind, account)


def test_rules_skipped_for_missing_needs_report_nothing_on_rule_cases() -> None:
    from kmspolicy.rules import all_rules
    from kmspolicy.rules.cases import load_cases

    checked = 0
    for rule in all_rules():
        for case in found.cases if (found := load_cases(rule.name)) else ():
            _skipped_rules_report_nothing(case.input, case.kind, case.account)
            checked += 1
    assert checked > 350


def test_needs_name_known_features() -> None:
    from kmspolicy.rules import all_rules
    from kmspolicy.rules.framework import PolicyRule
    from kmspolicy.rules.statements import CONDITION, FEATURES

    for rule in all_rules():
        if isinstance(rule, PolicyRule):
            unknown = {n for n in rule.needs if n not in FEATURES and not n.startswith(CONDITION)}
            assert not unknown, f"{rule.name} needs unknown features {sorted(unknown)}"
            assert all(n == n.lower() for n in rule.needs), rule.name
