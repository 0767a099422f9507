"""`diff`: hand cases where conditions decide, witnesses checked by the evaluator, and a differential test
against brute force over a finite universe of principals, actions and context values."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmspolicy.evaluate import evaluate
from kmspolicy.model import Document, InputKind, Request
from kmspolicy.parse import parse_paths, parse_text
from kmspolicy.review.diff import Change, diff, diff_json
from kmspolicy.review.graph import account_of, actors_of, situation_of

OWNER = "111122223333"
ROOT = {
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
    "Action": ["kms:Describe*", "kms:Put*"],
    "Resource": "*",
}
SAMPLE = Path(__file__).parents[1] / "samples" / "account"


def _policy(*statements: dict[str, Any]) -> Document:
    text = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return parse_text(text, "policy.json", kind=InputKind.KEY_POLICY).documents[0]


def _decide(document: Document, other: Document, request: Request) -> str:
    actors, targets = actors_of(account_of(document, account=OWNER))
    hypothetical = actors_of(account_of(other, account=OWNER))[0]
    actor = next((a for a in actors.values() if a.subject.principal == request.principal), None)
    if actor is None:
        actor = next(
            (a for a in hypothetical.values() if a.subject.principal == request.principal and a.hypothetical),
            None,
        )
    if actor is None:
        return "IMPLICIT_DENY"  # the principal does not exist in this version
    return evaluate(situation_of(actor.subject, targets[request.resource]), request, trace=False).effect


def _check_witness(old: Document, new: Document, change: Change) -> None:
    now, before = _decide(new, old, change.witness), _decide(old, new, change.witness)
    if change.removed:
        assert before == "ALLOW"
        assert now != "ALLOW"
    else:
        assert now == "ALLOW"
        assert before != "ALLOW"


def test_adding_an_org_condition_to_a_public_statement_removes_access() -> None:
    public = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    old = _policy(ROOT, public)
    new = _policy(ROOT, {**public, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}})
    result = diff(old, new)
    assert not result.added
    removed = {(c.principal, c.action) for c in result.removed}
    assert ("*", "kms:Decrypt") in removed
    for change in result.changes:
        _check_witness(old, new, change)


def test_loosening_string_equals_to_string_like_adds_access_with_a_telling_witness() -> None:
    role = {"AWS": f"arn:aws:iam::{OWNER}:role/App"}
    old = _policy(
        ROOT,
        {
            "Effect": "Allow",
            "Principal": role,
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:app": "orders"}},
        },
    )
    new = _policy(
        ROOT,
        {
            "Effect": "Allow",
            "Principal": role,
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringLike": {"kms:EncryptionContext:app": "orders*"}},
        },
    )
    result = diff(old, new)
    assert [(c.principal.rsplit("/", 1)[-1], c.action) for c in result.added] == [("App", "kms:Decrypt")]
    assert not result.removed
    witness = result.added[0].witness.context
    assert witness["kms:encryptioncontext:app"] != "orders"
    _check_witness(old, new, result.added[0])
    assert diff_json(result)["added"]


def test_identical_inputs_have_no_changes() -> None:
    policy = _policy(
        ROOT,
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": OWNER}},
        },
    )
    assert diff(policy, policy).changes == ()


def test_snapshot_diff_finds_a_new_partner_statement() -> None:
    account = parse_paths([str(SAMPLE)]).documents[0].account
    assert account is not None
    key = next(k for k in account.keys if "alias/backup-eu" in k.aliases)
    assert key.policy is not None
    partner = _policy(
        {
            "Sid": "NewPartner",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::777788889999:root"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    ).policies[0]
    widened = key.policy.model_copy(update={"statements": (*key.policy.statements, partner.statements[0])})
    keys = tuple(k.model_copy(update={"policy": widened}) if k is key else k for k in account.keys)
    new = account.model_copy(update={"keys": keys})
    wanted = ("arn:aws:iam::777788889999:root", str(key.arn), "kms:Decrypt")
    # the sample's RCP denies KMS to identities outside the organisation: the statement grants nothing
    assert wanted not in {(c.principal, c.resource, c.action) for c in diff(account, new).added}
    # without the RCP the same statement is new external access
    open_old, open_new = (a.model_copy(update={"rcps": ()}) for a in (account, new))
    result = diff(open_old, open_new)
    found = [c for c in result.added if (c.principal, c.resource, c.action) == wanted]
    assert found
    assert found[0].external
    assert found[0].old.effect != "ALLOW"


# ------------------------------------------------------------------ differential: diff vs brute force

_PRINCIPAL_POOL = [
    f"arn:aws:iam::{OWNER}:role/A",
    f"arn:aws:iam::{OWNER}:root",
    "arn:aws:iam::444455556666:root",
    "*",
]
_ACTION_POOL = ["kms:Decrypt", "kms:Encrypt", "kms:Decrypt*", "kms:*"]
_CONDITION_POOL: list[dict[str, Any]] = [
    {},
    {"StringEquals": {"kms:EncryptionContext:app": "orders"}},
    {"StringLike": {"kms:EncryptionContext:app": "orders*"}},
    {"StringNotEquals": {"kms:EncryptionContext:app": "orders"}},
    {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    {"StringLike": {"kms:ViaService": "s3.*"}},
    {"StringEquals": {"kms:CallerAccount": OWNER}},
]
# every value a caller could send for the two controlled keys, as equivalence classes of the pool
_UNIVERSE = {
    "kms:EncryptionContext:app": [None, "orders", "orders-2024", "billing"],
    "kms:ViaService": [
        None,
        "s3.us-east-1.amazonaws.com",
        "s3.eu-west-1.amazonaws.com",
        "ec2.us-east-1.amazonaws.com",
    ],
}
_ACTIONS = ["kms:Decrypt", "kms:Encrypt"]


@st.composite
def _statement(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        "Principal": {"AWS": draw(st.sampled_from(_PRINCIPAL_POOL))},
        "Action": draw(st.sampled_from(_ACTION_POOL)),
        "Resource": "*",
        "Condition": draw(st.sampled_from(_CONDITION_POOL)),
    }


def _brute(old: Document, new: Document) -> set[tuple[str, str, bool]]:
    expected: set[tuple[str, str, bool]] = set()
    accounts = [account_of(d, account=OWNER) for d in (old, new)]
    worlds = [actors_of(a) for a in accounts]
    for (one, _), (other, _) in ((worlds[0], worlds[1]), (worlds[1], worlds[0])):
        other.update({n: a for n, a in one.items() if a.hypothetical and n not in other})
    key = str(accounts[1].keys[0].arn)
    nodes = set(worlds[0][0]) | set(worlds[1][0])
    names = list(_UNIVERSE)
    for node in nodes:
        for action in _ACTIONS:
            for combo in itertools.product(*_UNIVERSE.values()):
                context = {k: v for k, v in zip(names, combo, strict=True) if v is not None}
                effects = []
                for actors, targets in worlds:
                    actor = actors.get(node)
                    if actor is None:
                        effects.append(False)
                        continue
                    request = Request(
                        principal=actor.subject.principal, action=action, resource=key, context=context
                    )
                    decision = evaluate(situation_of(actor.subject, targets[key]), request, trace=False)
                    effects.append(decision.effect == "ALLOW")
                before, now = effects
                if now != before:
                    expected.add((node, action, before))
    return expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_statement(), min_size=1, max_size=3), st.lists(_statement(), min_size=1, max_size=3))
def test_diff_agrees_with_brute_force(
    old_statements: list[dict[str, Any]], new_statements: list[dict[str, Any]]
) -> None:
    old, new = _policy(*old_statements), _policy(*new_statements)
    result = diff(old, new, account=OWNER, actions=_ACTIONS)
    got = {(c.principal, c.action, c.removed) for c in result.changes}
    assert got == _brute(old, new)
    for change in result.changes:
        _check_witness(old, new, change)
