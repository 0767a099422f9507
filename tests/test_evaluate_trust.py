"""Role trust policies as the resource policy of `sts:AssumeRole*` on the role.

The situation's `key` is the role (its ARN and account) and its `key_policy` the role's trust policy, read
with `PolicyKind.TRUST`: trust statements have no `Resource` and apply to their role, and assuming a role
is not limited to KMS's cross-account actions: a caller of another account needs the trust policy and its
own identity policies, as for a KMS key.
"""

from __future__ import annotations

from typing import Any

import pytest

from kmspolicy.evaluate import Evaluator, Subject, Target, evaluate_grid
from kmspolicy.model import DecisionEffect, Key, Policy, PolicyKind, Request, Situation
from kmspolicy.parse import read_policy_object

OWNER, PARTNER = "111122223333", "444455556666"
ROLE = f"arn:aws:iam::{OWNER}:role/Target"
DEV = f"arn:aws:iam::{OWNER}:user/dev"
APP_SESSION = f"arn:aws:sts::{OWNER}:assumed-role/App/s1"
PARTNER_USER = f"arn:aws:iam::{PARTNER}:user/ops"
OUTSIDER = "arn:aws:iam::777788889999:user/eve"


def _policy(statements: list[dict[str, Any]], kind: PolicyKind, name: str) -> Policy:
    return read_policy_object({"Version": "2012-10-17", "Statement": statements}, kind=kind, name=name)


def _trust(principal: object, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole", **extra}


TRUSTS: dict[str, list[dict[str, Any]]] = {
    "user": [_trust(DEV)],
    "account": [_trust(OWNER)],
    "role": [_trust(f"arn:aws:iam::{OWNER}:role/App")],
    "partner": [_trust(PARTNER, Condition={"StringEquals": {"sts:ExternalId": "x-123"}})],
    "everyone_but_dev": [
        _trust("*"),
        {"Effect": "Deny", "Principal": {"AWS": DEV}, "Action": "sts:AssumeRole"},
    ],
}
MAY_ASSUME = [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}]

CASES: list[tuple[str, str, str, bool, dict[str, str], DecisionEffect, str]] = [
    # (name, trust, caller, identity allows, context, effect, reason)
    ("named_user_needs_no_identity_policy", "user", DEV, False, {}, "ALLOW", "for the caller"),
    ("other_user_is_not_named", "user", OUTSIDER, True, {}, "IMPLICIT_DENY", "resource-based"),
    ("trusted_account_needs_an_identity_policy", "account", DEV, False, {}, "IMPLICIT_DENY", "identity"),
    ("trusted_account_with_identity_policy", "account", DEV, True, {}, "ALLOW", "delegates"),
    ("named_role_allows_its_sessions", "role", APP_SESSION, False, {}, "ALLOW", "caller's role"),
    ("partner_with_external_id", "partner", PARTNER_USER, True, {"sts:ExternalId": "x-123"}, "ALLOW", "both"),
    ("partner_without_external_id", "partner", PARTNER_USER, True, {}, "IMPLICIT_DENY", "resource-based"),
    (
        "partner_needs_its_identity_policy",
        "partner",
        PARTNER_USER,
        False,
        {"sts:ExternalId": "x-123"},
        "IMPLICIT_DENY",
        "identity",
    ),
    ("deny_in_trust_policy_wins", "everyone_but_dev", DEV, True, {}, "EXPLICIT_DENY", "explicit deny"),
    ("wildcard_trust_same_account", "everyone_but_dev", APP_SESSION, False, {}, "ALLOW", "for the caller"),
]


def _situation(trust: str, identity: bool) -> Situation:
    return Situation(
        key=Key(arn=ROLE, key_id="Target", account=OWNER),
        key_policy=_policy(TRUSTS[trust], PolicyKind.TRUST, f"trust-{trust}"),
        identity_policies=(_policy(MAY_ASSUME, PolicyKind.IDENTITY, "may-assume"),) if identity else (),
    )


@pytest.mark.parametrize(
    ("trust", "caller", "identity", "context", "effect", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_assume_role_by_trust_policy(
    trust: str, caller: str, identity: bool, context: dict[str, str], effect: DecisionEffect, reason: str
) -> None:
    evaluator = Evaluator(_situation(trust, identity))
    request = Request(principal=caller, action="sts:AssumeRole", resource=ROLE, context=context)
    traced = evaluator.evaluate(request)
    assert traced.effect == effect, traced.reason
    assert reason in traced.reason
    if effect == "ALLOW" and "identity" not in reason:
        assert "the trust policy" in traced.reason
    # the fast path, at a site seen before, decides the same
    for _ in range(3):
        fast = evaluator.evaluate(request, trace=False)
        assert (fast.effect, fast.reason, fast.determining) == (
            traced.effect,
            traced.reason,
            traced.determining,
        )


def test_trust_statement_applies_to_its_role_in_the_trace() -> None:
    # a user of the role's account: naming it in the trust policy would let it assume the role
    other = f"arn:aws:iam::{OWNER}:user/other"
    decision = Evaluator(_situation("user", False)).evaluate(
        Request(principal=other, action="sts:AssumeRole", resource=ROLE)
    )
    steps = [step for step in decision.trace if step.layer == "trust"]
    assert [(step.outcome, step.element) for step in steps] == [("no-match", "Principal")]
    assert decision.nearest and decision.nearest[0].element == "Principal"


def test_kms_actions_stay_limited_cross_account_under_a_trust_policy() -> None:
    # only sts:AssumeRole* leaves the KMS cross-account list
    decision = Evaluator(_situation("partner", True)).evaluate(
        Request(principal=PARTNER_USER, action="kms:PutKeyPolicy", resource=ROLE)
    )
    assert decision.effect == "IMPLICIT_DENY"
    assert "cannot be performed cross-account" in decision.reason


def test_grid_decides_trust_targets() -> None:
    # the review graph's use: every (caller, role) pair through evaluate_grid, no stand-in policy
    situation = _situation("partner", True)
    assert situation.key is not None and situation.key_policy is not None
    target = Target(key=situation.key, key_policy=situation.key_policy)
    may_assume = situation.identity_policies
    subjects = [Subject(principal=PARTNER_USER, identity_policies=may_assume), Subject(principal=OUTSIDER)]
    found = evaluate_grid(subjects, [target], ["sts:AssumeRole"], context={"sts:ExternalId": "x-123"})
    assert found[(0, 0, "sts:AssumeRole")].effect == "ALLOW"
    assert found[(1, 0, "sts:AssumeRole")].effect == "IMPLICIT_DENY"


def test_trust_policy_without_its_role_applies_to_nothing() -> None:
    # the situation's `key` is the role the trust policy belongs to; without it, nothing is trusted
    situation = _situation("user", False).model_copy(update={"key": None})
    decision = Evaluator(situation).evaluate(Request(principal=DEV, action="sts:AssumeRole", resource=ROLE))
    assert decision.effect == "IMPLICIT_DENY"
    step = next(step for step in decision.trace if step.layer == "trust")
    assert (step.element, step.reason) == (
        "Resource",
        "a trust policy statement applies to its role, the situation's `key`, only",
    )
