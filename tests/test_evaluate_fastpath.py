"""The no-trace fast path against the traced path, on generated worlds (tests/differential/strategies.py).

Without a trace, an evaluator decides through a per-(principal, action, resource) residual: the statements
that can apply, their conditions' results for a request that sets no key they read, and a decision per
combination of results (built at a site's second request; the tests make it before they check). One
evaluator is kept per world and sees many requests that share the caller, action and resource but not the
context, so those shortcuts are exercised across requests; each decision must equal the traced decision
of a new evaluator, which tests every statement afresh.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmspolicy.evaluate import Evaluator
from kmspolicy.model import Request
from kmspolicy.parse.source import SourceSet
from kmspolicy.scenario import Scenario, load_scenarios
from tests.differential.oracle import Document, load
from tests.differential.strategies import RandomDraw, scenario_document, scenario_documents


def _variants(request: Request, donors: list[dict[str, Any]]) -> list[Request]:
    """The request with other contexts: none, each key left out, keys in other case, other worlds' values
    for the same keys and other worlds' whole contexts, with and without grant tokens."""
    own = dict(request.context)
    contexts: list[dict[str, Any]] = [own, {}]
    contexts += [{k: v for k, v in own.items() if k != left_out} for left_out in own]
    contexts.append({k.upper(): v for k, v in own.items()})
    for donor in donors:
        contexts.append({**own, **{k: v for k, v in donor.items() if k.lower() in map(str.lower, own)}})
        contexts.append(donor)
        contexts.append({**own, **donor})
    found = []
    for context in contexts:
        values = {k: v if isinstance(v, str) else tuple(v) for k, v in context.items()}
        found.append(request.model_copy(update={"context": values}))
        if request.grant_tokens:
            found.append(request.model_copy(update={"context": values, "grant_tokens": ()}))
    return found


def _check(scenario: Scenario, donors: list[dict[str, Any]]) -> None:
    shared = Evaluator(scenario.situation)
    for _ in range(2):  # the first request at a site is decided directly, the next by its residual
        shared.evaluate(scenario.request.model_copy(update={"context": {}}), trace=False)
    for request in _variants(scenario.request, donors):
        fast = shared.evaluate(request, trace=False)
        traced = Evaluator(scenario.situation).evaluate(request)
        assert (fast.effect, fast.reason, fast.determining) == (
            traced.effect,
            traced.reason,
            traced.determining,
        ), request
        # the shared evaluator's traced decision (memoised from the second time) is the fresh one too
        assert shared.evaluate(request) == traced


def _contexts(documents: list[Document]) -> list[dict[str, Any]]:
    return [d["request"].get("context", {}) for d in documents]


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario_documents(), st.lists(scenario_documents(), min_size=1, max_size=3))
def test_fast_path_agrees_with_the_trace(
    tmp_path_factory: pytest.TempPathFactory, document: Document, donors: list[Document]
) -> None:
    path = tmp_path_factory.getbasetemp() / "fastpath_case.json"
    _check(load(document, path), _contexts(donors))


@pytest.mark.parametrize("seed", range(4))
def test_fast_path_agrees_with_the_trace_seeded(tmp_path: Path, seed: int) -> None:
    for i in range(60):
        documents = [scenario_document(RandomDraw(random.Random(f"fast:{seed}:{i}:{d}"))) for d in range(4)]
        _check(load(documents[0], tmp_path / "case.json"), _contexts(documents[1:]))


# A world whose conditions read the keys AWS derives from other keys or from the situation: the residual
# must re-test them when the request sets what they come from.
K1 = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DERIVED_WORLD: dict[str, Any] = {
    "key": {"Arn": K1, "Tags": {"env": "prod"}, "Aliases": ["alias/app"]},
    "key_policy": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Delegate",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": ["kms:DescribeKey", "kms:Encrypt"],
                "Resource": "*",
            },
            {
                "Sid": "Via",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "kms:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:ViaAWSService": "true"}},
            },
            {
                "Sid": "Tagged",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}},
            },
            {
                "Sid": "Window",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
                "Action": "kms:*",
                "Resource": "*",
                "Condition": {
                    "NumericLessThan": {"aws:EpochTime": "1780000000"},
                    "ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "app"},
                },
            },
        ],
    },
    "identity_policies": [
        {
            "name": "scoped",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "kms:Encrypt",
                        "Resource": "arn:aws:kms:*:111122223333:key/${kms:EncryptionContext:app}*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt", "kms:DescribeKey"],
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {
                                "aws:ResourceTag/env": "prod",
                                "kms:CallerAccount": "111122223333",
                            },
                            "ForAllValues:StringLike": {"kms:ResourceAliases": "alias/a*"},
                        },
                    },
                ],
            },
        }
    ],
}
CONTEXT_KEYS = (
    "kms:ViaService",
    "aws:ViaAWSService",
    "aws:CurrentTime",
    "aws:EpochTime",
    "kms:EncryptionContext:app",
    "kms:EncryptionContextKeys",
    "aws:ResourceTag/env",
    "kms:ResourceAliases",
    "kms:CallerAccount",
    "aws:PrincipalAccount",
    "aws:SourceIp",
)
VALUES = (
    "s3.us-east-1.amazonaws.com",
    "true",
    "false",
    "prod",
    "dev",
    "alias/app",
    "app",
    "1234abcd",
    "111122223333",
    "444455556666",
    "2026-01-01T00:00:00Z",
    "2027-01-01T00:00:00Z",
    "1700000000",
    "1790000000",
)
contexts = st.dictionaries(
    st.sampled_from(CONTEXT_KEYS).flatmap(lambda k: st.sampled_from((k, k.lower(), k.upper()))),
    st.one_of(st.sampled_from(VALUES), st.lists(st.sampled_from(VALUES), max_size=2)),
    max_size=5,
)


@settings(max_examples=100, derandomize=True, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                (
                    "arn:aws:sts::111122223333:assumed-role/App/s",
                    "arn:aws:iam::111122223333:user/dev",
                    "arn:aws:sts::444455556666:assumed-role/Partner/s",
                )
            ),
            st.sampled_from(("kms:Decrypt", "kms:Encrypt", "kms:DescribeKey")),
            contexts,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_fast_path_rederives_keys_that_come_from_the_request(
    tmp_path_factory: pytest.TempPathFactory, requests: list[tuple[str, str, dict[str, Any]]]
) -> None:
    path = tmp_path_factory.getbasetemp() / "fastpath_derived.json"
    world = load({**DERIVED_WORLD, "request": {"principal": "111122223333", "action": "kms:Decrypt"}}, path)
    shared = Evaluator(world.situation)
    for principal, action, _ in requests:
        for _ in range(2):  # the first request at a site is decided directly, the next by its residual
            shared.evaluate(Request(principal=principal, action=action, resource=K1), trace=False)
    for principal, action, context in requests:
        values = {k: v if isinstance(v, str) else tuple(v) for k, v in context.items()}
        request = Request(principal=principal, action=action, resource=K1, context=values)
        fast = shared.evaluate(request, trace=False)
        traced = Evaluator(world.situation).evaluate(request)
        assert (fast.effect, fast.reason, fast.determining) == (
            traced.effect,
            traced.reason,
            traced.determining,
        ), request


SCENARIOS = Path(__file__).parent / "scenarios"
FILES = sorted(path for path in SCENARIOS.rglob("*") if path.suffix in (".yaml", ".yml", ".json"))


def test_fast_path_agrees_with_the_trace_on_every_scenario_file() -> None:
    # the scenario files cover every rule of the decision procedure; each request is decided at a site
    # that has its residual already, with and without its context
    disagreeing = []
    for path in FILES:
        scenarios, _ = load_scenarios(path, SourceSet())
        for scenario in scenarios:
            evaluator = Evaluator(scenario.situation)
            for request in (scenario.request.model_copy(update={"context": {}}), scenario.request):
                for _ in range(2):
                    fast = evaluator.evaluate(request, trace=False)
                traced = Evaluator(scenario.situation).evaluate(request)
                if (fast.effect, fast.reason, fast.determining) != (
                    traced.effect,
                    traced.reason,
                    traced.determining,
                ):
                    disagreeing.append(f"{path.relative_to(SCENARIOS)}: {scenario.name}")
    assert FILES and not disagreeing, disagreeing


@pytest.mark.parametrize("trace", [False, True])
def test_shared_evaluator_reads_the_new_grants_constraint_type(tmp_path: Path, trace: bool) -> None:
    # a grant's CreateGrant reads kms:GrantConstraintType (no statement does): requests that differ only
    # there once shared a memoised decision
    grant = {
        "GrantId": "g1",
        "GranteePrincipal": "arn:aws:iam::111122223333:role/App",
        "Operations": ["CreateGrant", "Decrypt"],
        "Constraints": {"EncryptionContextEquals": {"app": "web"}},
    }
    world = {
        "key": {"Arn": K1},
        "grants": [grant],
        "request": {"principal": "111122223333", "action": "kms:Decrypt"},
    }
    shared = Evaluator(load(world, tmp_path / "grant.json").situation)
    found = []
    for constraint in ("EncryptionContextEquals", "EncryptionContextSubset", "EncryptionContextEquals"):
        context = {
            "kms:EncryptionContext:app": "web",
            "kms:GrantOperations": ("Decrypt",),
            "kms:GrantConstraintType": constraint,
        }
        request = Request(
            principal="arn:aws:sts::111122223333:assumed-role/App/s",
            action="kms:CreateGrant",
            resource=K1,
            context=context,
        )
        found.append(shared.evaluate(request, trace=trace).effect)
    # a grant with EncryptionContextEquals can only make children as strict (§1.5)
    assert found == ["ALLOW", "IMPLICIT_DENY", "ALLOW"]


@pytest.mark.parametrize("trace", [False, True])
def test_shared_evaluator_reads_the_source_arn_of_constrained_grants(tmp_path: Path, trace: bool) -> None:
    # a grant's SourceArn constraint reads aws:SourceArn, and its CreateGrant the new grant's
    # kms:GrantConstraintSourceArn (no statement reads either): requests that differ only there must not
    # share a memoised decision (§1.5 best reading)
    source = "arn:aws:logs:us-east-1:111122223333:log-group:app"
    grant = {
        "GrantId": "g1",
        "GranteePrincipal": "logs.us-east-1.amazonaws.com",
        "Operations": ["CreateGrant", "Decrypt"],
        "Constraints": {"SourceArn": source},
    }
    world = {
        "key": {"Arn": K1},
        "grants": [grant],
        "request": {"principal": "111122223333", "action": "kms:Decrypt"},
    }
    shared = Evaluator(load(world, tmp_path / "grant.json").situation)
    found = []
    for action, context in [
        ("kms:Decrypt", {"aws:SourceArn": source}),
        ("kms:Decrypt", {"aws:SourceArn": source + "-2"}),
        ("kms:Decrypt", {"aws:SourceArn": source}),
        ("kms:Decrypt", {"aws:SourceArn": source + "-2"}),
        ("kms:CreateGrant", {"aws:SourceArn": source, "kms:GrantConstraintSourceArn": source}),
        ("kms:CreateGrant", {"aws:SourceArn": source, "kms:GrantConstraintSourceArn": source + "-2"}),
        ("kms:CreateGrant", {"aws:SourceArn": source, "kms:GrantConstraintSourceArn": source}),
        ("kms:CreateGrant", {"aws:SourceArn": source, "kms:GrantConstraintSourceArn": source + "-2"}),
    ]:
        context["kms:GrantOperations"] = "Decrypt"
        request = Request(
            principal="logs.us-east-1.amazonaws.com", action=action, resource=K1, context=context
        )
        found.append(shared.evaluate(request, trace=trace).effect)
    assert found == ["ALLOW", "IMPLICIT_DENY"] * 4
