"""Invariants of the evaluator over generated situations (STYLE.md practice 9)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kmspolicy.evaluate import Evaluator, evaluate, statement_matches
from kmspolicy.model import Decision, Grant, Key, Policy, PolicyKind, Request, Situation, Span
from kmspolicy.parse import read_policy_object
from kmspolicy.simulator.authorize import authorize

K1 = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
K2 = "arn:aws:kms:us-east-1:111122223333:key/9f8e7d6c-5b4a-3210-fedc-ba9876543210"
CALLERS = [
    "arn:aws:sts::111122223333:assumed-role/AppRole/s1",
    "arn:aws:sts::111122223333:assumed-role/Analyst/s1",
    "arn:aws:iam::111122223333:user/dev-ana",
    "arn:aws:iam::111122223333:root",
    "arn:aws:sts::444455556666:assumed-role/PartnerRole/s1",
]
PRINCIPALS = [
    "*",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::111122223333:role/AppRole",
    "arn:aws:sts::111122223333:assumed-role/AppRole/s1",
    "arn:aws:iam::111122223333:user/dev-ana",
    "arn:aws:iam::444455556666:root",
]
ACTIONS = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:DescribeKey",
    "kms:ScheduleKeyDeletion",
    "kms:CreateGrant",
    "kms:RetireGrant",
]
PATTERNS = ["kms:*", "kms:Decrypt", "kms:Encrypt", "kms:Describe*", "kms:ScheduleKeyDeletion", "kms:*Grant*"]
RESOURCES = ["*", K1, K2, "arn:aws:kms:*:111122223333:key/*"]
CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    {"StringNotEquals": {"kms:CallerAccount": "111122223333"}},
    {"StringEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    {"Null": {"kms:EncryptionContextKeys": "false"}},
    {"StringEquals": {"kms:RequestAlias": "alias/app"}},
]
ALIAS = "arn:aws:kms:us-east-1:111122223333:alias/app"
CONTEXTS: list[dict[str, str]] = [
    {},
    {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
    {"kms:EncryptionContext:Project": "alpha"},
]
SPAN = Span(file="generated")


@st.composite
def statements(draw: st.DrawFn, *, key_policy: bool) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    if key_policy:
        statement["Principal"] = {"AWS": draw(st.sampled_from(PRINCIPALS))}
    element = "NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"
    statement[element] = draw(st.sampled_from(PATTERNS))
    statement["Resource"] = "*" if key_policy else draw(st.sampled_from(RESOURCES))
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        statement["Condition"] = condition
    return statement


def policy(raw: list[dict[str, Any]], kind: PolicyKind, name: str) -> Policy:
    numbered = [{"Sid": f"{name}{i}", **s} for i, s in enumerate(raw)]
    return read_policy_object({"Version": "2012-10-17", "Statement": numbered}, kind=kind, name=name)


grants = st.lists(
    st.builds(
        lambda grantee, ops, n: Grant(
            key_id=K1, grant_id=f"g{n}", grantee_principal=grantee, operations=tuple(ops), span=SPAN
        ),
        st.sampled_from(PRINCIPALS[1:]),
        st.lists(
            st.sampled_from(["Decrypt", "Encrypt", "DescribeKey", "RetireGrant"]), min_size=1, max_size=3
        ),
        st.integers(0, 1000),
    ),
    max_size=2,
    unique_by=lambda g: g.grant_id,
)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[Situation, Request]:
    situation = Situation(
        key=Key(arn=K1, key_id="1234abcd-12ab-34cd-56ef-1234567890ab", account="111122223333"),
        key_policy=policy(draw(st.lists(statements(key_policy=True), max_size=4)), PolicyKind.KEY, "kp"),
        identity_policies=(
            policy(draw(st.lists(statements(key_policy=False), max_size=3)), PolicyKind.IDENTITY, "iam"),
        ),
        grants=tuple(draw(grants)),
    )
    grant_id = situation.grants[0].grant_id if situation.grants else None
    request = Request(
        principal=draw(st.sampled_from(CALLERS)),
        action=draw(st.sampled_from(ACTIONS)),
        resource=K1,
        context=draw(st.sampled_from(CONTEXTS)),
        grant_id=grant_id,
    )
    return situation, request


def add(situation: Situation, statement: dict[str, Any], *, to_key_policy: bool) -> Situation:
    if to_key_policy:
        assert situation.key_policy is not None
        extra = policy([statement], PolicyKind.KEY, "extra").statements
        return situation.model_copy(
            update={
                "key_policy": situation.key_policy.model_copy(
                    update={"statements": situation.key_policy.statements + extra}
                )
            }
        )
    iam = situation.identity_policies[0]
    extra = policy([statement], PolicyKind.IDENTITY, "extra").statements
    return situation.model_copy(
        update={"identity_policies": (iam.model_copy(update={"statements": iam.statements + extra}),)}
    )


def decide(situation: Situation, request: Request) -> Decision:
    decision = evaluate(situation, request, trace=False)
    traced = evaluate(situation, request)
    assert (traced.effect, traced.reason, traced.determining) == (
        decision.effect,
        decision.reason,
        decision.determining,
    )
    return decision


SETTINGS = settings(max_examples=150, deadline=None)


@SETTINGS
@given(worlds())
def test_explicit_deny_wins(world: tuple[Situation, Request]) -> None:
    situation, request = world
    denied = add(situation, {"Effect": "Deny", "Action": "*", "Resource": "*"}, to_key_policy=False)
    assert decide(denied, request).effect == "EXPLICIT_DENY"


@SETTINGS
@given(st.sampled_from(CALLERS[:3] + CALLERS[4:]), st.sampled_from(ACTIONS), st.sampled_from(CONTEXTS))
def test_default_deny(principal: str, action: str, context: dict[str, str]) -> None:
    situation = Situation(key=Key(arn=K1, key_id="k", account="111122223333"))
    decision = decide(situation, Request(principal=principal, action=action, resource=K1, context=context))
    assert decision.effect == "IMPLICIT_DENY"


@SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_statement_order_and_duplicates_do_not_matter(world: tuple[Situation, Request], rnd: Any) -> None:
    situation, request = world
    before = decide(situation, request)
    assert situation.key_policy is not None
    kp = list(situation.key_policy.statements)
    iam = list(situation.identity_policies[0].statements)
    rnd.shuffle(kp)
    rnd.shuffle(iam)
    kp += kp[: rnd.randint(0, len(kp))]
    iam += iam[: rnd.randint(0, len(iam))]
    shuffled = situation.model_copy(
        update={
            "key_policy": situation.key_policy.model_copy(update={"statements": tuple(kp)}),
            "identity_policies": (
                situation.identity_policies[0].model_copy(update={"statements": tuple(iam)}),
            ),
        }
    )
    after = decide(shuffled, request)
    assert after.effect == before.effect
    assert set(after.determining) == set(before.determining)


@SETTINGS
@given(worlds(), statements(key_policy=True), statements(key_policy=False), st.booleans())
def test_adding_a_deny_never_grants(
    world: tuple[Situation, Request], kp: dict[str, Any], iam: dict[str, Any], to_key_policy: bool
) -> None:
    situation, request = world
    statement = {**(kp if to_key_policy else iam), "Effect": "Deny"}
    before = decide(situation, request)
    after = decide(add(situation, statement, to_key_policy=to_key_policy), request)
    if before.effect != "ALLOW":
        assert after.effect != "ALLOW"


@SETTINGS
@given(worlds(), statements(key_policy=True), statements(key_policy=False), st.booleans())
def test_adding_an_allow_never_revokes(
    world: tuple[Situation, Request], kp: dict[str, Any], iam: dict[str, Any], to_key_policy: bool
) -> None:
    situation, request = world
    statement = {**(kp if to_key_policy else iam), "Effect": "Allow"}
    before = decide(situation, request)
    after = decide(add(situation, statement, to_key_policy=to_key_policy), request)
    if before.effect == "ALLOW":
        assert after.effect == "ALLOW"
    if before.effect == "EXPLICIT_DENY":
        assert after.effect == "EXPLICIT_DENY"


@SETTINGS
@given(
    worlds(),
    st.lists(
        st.sampled_from(
            [*CONTEXTS, {"aws:SourceIp": "10.0.0.1"}, {"kms:EncryptionContext:project": "alpha"}]
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_memoised_decisions_equal_fresh_ones(
    world: tuple[Situation, Request], contexts: list[dict[str, str]]
) -> None:
    # the evaluator shares decisions between requests that differ only in what no statement reads
    situation, request = world
    shared = Evaluator(situation)
    for i, context in enumerate(contexts):
        varied = request.model_copy(update={"context": context, "resource": ALIAS if i % 2 else K1})
        for trace in (False, True):
            memoised = shared.evaluate(varied, trace=trace)
            fresh = Evaluator(situation).evaluate(varied, trace=trace)
            assert memoised == fresh


@SETTINGS
@given(worlds())
def test_trace_agrees_with_statement_matches(world: tuple[Situation, Request]) -> None:
    # the trace reuses per-(action, caller, resource) results; the probing API recomputes every element
    situation, request = world
    policies = {"key_policy": situation.key_policy, "identity": situation.identity_policies[0]}
    decision = evaluate(situation, request)
    for step in decision.trace:
        if step.ref is None or step.layer not in policies:
            continue
        policy = policies[step.layer]
        assert policy is not None
        statement = next(s for s in policy.statements if s.index == step.ref.index)
        probe = statement_matches(statement, policy, request, situation)
        assert probe.matched == (step.outcome == "match")
        assert (probe.failed_element, probe.reason) == (step.element, step.reason)


@SETTINGS
@given(worlds())
def test_agrees_with_the_simulator_authoriser(world: tuple[Situation, Request]) -> None:
    # differential test (STYLE practice 8) against the literal transcription of §1.10 in the simulator.
    # kms:EncryptionContextKeys is given explicitly: the authoriser does not derive it from the
    # kms:EncryptionContext:* entries, which the evaluator does.
    situation, request = world
    pairs = [k.split(":", 2)[2] for k in request.context if k.lower().startswith("kms:encryptioncontext:")]
    if pairs:
        request = request.model_copy(
            update={"context": {**request.context, "kms:EncryptionContextKeys": tuple(pairs)}}
        )
    mine = evaluate(situation, request, trace=False)
    reference = authorize(situation, request)
    assert mine.effect == reference.effect, (mine.reason, reference.reason)
    assert set(mine.determining) == set(reference.determining)
