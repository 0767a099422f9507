"""Properties of the public-exposure rules (KMS001-KMS006), of the NotPrincipal completeness rule
(KMS021) and of the service-prefix check of KMS085, beyond their named cases in `rules/`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmspolicy.config import LintConfig
from kmspolicy.lint import lint
from kmspolicy.model import Finding, InputKind
from kmspolicy.parse import parse_text

OWNER = "111122223333"
TRUSTED_ORG = "o-a1b2c3d4e5"
CAUSE_RULES = {"KMS002", "KMS003", "KMS004", "KMS005", "KMS006"}


def _lint(statements: list[dict[str, Any]], trusted_orgs: frozenset[str] = frozenset()) -> list[Finding]:
    text = json.dumps({"Version": "2012-10-17", "Statement": statements})
    parsed = parse_text(text, "p.json", kind=InputKind.KEY_POLICY, account=OWNER)
    return lint(parsed.documents, config=LintConfig(trusted_orgs=trusted_orgs), account=OWNER)


def _star(condition: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    return {**statement, "Condition": condition} if condition else statement


@pytest.mark.parametrize(
    ("condition", "trusted_orgs", "public"),
    [
        ({}, {TRUSTED_ORG}, True),
        ({"StringEquals": {"kms:CallerAccount": OWNER}}, {TRUSTED_ORG}, False),
        ({"StringEquals": {"aws:PrincipalOrgID": TRUSTED_ORG}}, {TRUSTED_ORG}, False),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}}, {TRUSTED_ORG}, True),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}}, set(), False),
        ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-zzzzzzzzzz/r-ab12/*"}}, {TRUSTED_ORG}, True),
        ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{TRUSTED_ORG}/*"}}, {TRUSTED_ORG}, False),
        ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}, {TRUSTED_ORG}, True),
        ({"StringNotEquals": {"kms:CallerAccount": "777788889999"}}, {TRUSTED_ORG}, True),
        ({"StringEqualsIfExists": {"aws:PrincipalOrgID": TRUSTED_ORG}}, {TRUSTED_ORG}, True),
        ({"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}, {TRUSTED_ORG}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, {TRUSTED_ORG}, True),
    ],
)
def test_every_public_statement_is_kp_public_principal_with_at_most_one_cause(
    condition: dict[str, Any], trusted_orgs: set[str], public: bool
) -> None:
    findings = _lint([_star(condition)], frozenset(trusted_orgs))
    assert [f.id for f in findings if f.id == "KMS001"] == (["KMS001"] if public else [])
    assert len([f.id for f in findings if f.id in CAUSE_RULES]) <= (1 if public else 0)


_CONDITIONS = st.sampled_from(
    [
        ("StringEquals", "kms:CallerAccount", OWNER),
        ("StringEquals", "aws:PrincipalOrgID", TRUSTED_ORG),
        ("StringEquals", "aws:PrincipalOrgID", "o-zzzzzzzzzz"),
        ("StringEqualsIfExists", "aws:PrincipalOrgID", TRUSTED_ORG),
        ("StringNotEquals", "aws:PrincipalAccount", "777788889999"),
        ("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/x"),
        ("StringEquals", "kms:ViaService", "s3.us-east-1.amazonaws.com"),
        ("StringEquals", "kms:EncryptionContext:app", "orders"),
        ("Bool", "aws:SecureTransport", "true"),
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_CONDITIONS, max_size=3, unique_by=lambda c: c[1]), st.booleans())
def test_a_cause_rule_never_reports_without_kp_public_principal(
    conditions: list[tuple[str, str, str]], orgs_configured: bool
) -> None:
    condition: dict[str, dict[str, str]] = {}
    for operator, key, value in conditions:
        condition.setdefault(operator, {})[key] = value
    trusted = frozenset({TRUSTED_ORG}) if orgs_configured else frozenset()
    findings = _lint([_star(condition)], trusted)
    public = {f.statement.index for f in findings if f.id == "KMS001" and f.statement is not None}
    # KMS004 also judges wildcards by their written values, which need not be an exposure
    explained = {
        f.statement.index for f in findings if f.id in CAUSE_RULES - {"KMS004"} and f.statement is not None
    }
    assert explained <= public


_SESSION_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789=,.@-", min_size=2, max_size=20)


def _deny_not_principal(values: list[str]) -> list[Finding]:
    deny = {"Effect": "Deny", "NotPrincipal": {"AWS": values}, "Action": "kms:PutKeyPolicy", "Resource": "*"}
    return [f for f in _lint([deny]) if f.id == "KMS021"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SESSION_NAMES)
def test_notprincipal_verdict_does_not_depend_on_the_session_name(session: str) -> None:
    role = f"arn:aws:iam::{OWNER}:role/Admin"
    listed = f"arn:aws:sts::{OWNER}:assumed-role/Admin/{session}"
    assert _deny_not_principal([role, listed, OWNER]) == []
    missing_account = _deny_not_principal([role, listed])
    assert [f.span.pointer for f in missing_account] == ["/Statement/0/NotPrincipal/AWS/1"]


@pytest.mark.parametrize(
    ("action", "flagged"),
    [
        ("kmss:Decrypt", True),
        ("km:Decrypt", True),
        ("ksm:Decrypt", True),
        ("kns:Decrypt", True),
        ("kms-:Decrypt", True),
        ("-kms:Decrypt", True),
        ("KMSS:Decrypt", True),
        ("s3:GetObject", False),
        ("dms:DescribeEndpoints", False),
        ("fms:GetPolicy", False),
        ("sms:GetServers", False),
        ("sms-voice:SendVoiceMessage", False),
        ("route53-recovery-control-config:ListClusters", False),
        ("k*:Decrypt", False),
    ],
)
def test_service_prefix(action: str, flagged: bool) -> None:
    text = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
    )
    parsed = parse_text(text, "p.json", kind=InputKind.IDENTITY_POLICY)
    found = [f for f in lint(parsed.documents, config=LintConfig()) if f.id == "KMS085"]
    assert bool(found) is flagged, [f.message for f in found]
