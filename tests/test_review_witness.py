"""Witness contexts that only some callers may send: the organisation of a stand-in for other accounts
(`witness.StandIn`), and the keys only an AWS service's call carries, kept out of a principal's
CreateGrant to itself (`witness.SERVICE_ONLY`, W36)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmspolicy.conditions import Glob
from kmspolicy.evaluate import evaluate
from kmspolicy.model import Condition, ContextValue, Document, InputKind, Request
from kmspolicy.parse import parse_text
from kmspolicy.review.cases import load_case
from kmspolicy.review.diff import diff
from kmspolicy.review.graph import build_graph
from kmspolicy.review.questions import who_can
from kmspolicy.review.witness import SERVICE_ONLY, StandIn, conditions_of, contexts_from, direct

OWNER = "111122223333"
CASES = Path(__file__).parent / "review_cases"
ROOT = {
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
    "Action": "kms:*",
    "Resource": "*",
}
TRUSTED = "o-a1b2c3d4e5"


def _policy(*statements: dict[str, Any]) -> Document:
    text = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return parse_text(text, "policy.json", kind=InputKind.KEY_POLICY).documents[0]


def _org_conditions(operator: str, *values: str, key: str = "aws:PrincipalOrgID") -> list[Condition]:
    return conditions_of(_policy(_org_statement(operator, list(values), key)).policies)


def _org_statement(operator: str, value: str | list[str], key: str = "aws:PrincipalOrgID") -> dict[str, Any]:
    return {
        "Sid": "Org",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {operator: {key: value}},
    }


@pytest.mark.parametrize(
    ("operator", "values", "excluded", "expected"),
    [
        # a pattern is filled with an id it matches; an id nobody names is always offered
        ("StringLike", ("o-*",), (TRUSTED,), ["o-kmspolicyx"]),
        ("StringLike", ("o-ab?d*",), (), ["o-abxdkmspolicyx", "o-kmspolicyx"]),
        # a literal id is taken only when the zone of trust names some organisation, and never a trusted one
        ("StringEquals", ("o-zz9yy8xx7w",), (TRUSTED,), ["o-zz9yy8xx7w", "o-kmspolicyx"]),
        ("StringEquals", ("o-zz9yy8xx7w",), (), ["o-kmspolicyx"]),
        ("StringEquals", (TRUSTED,), (TRUSTED,), ["o-kmspolicyx"]),
        ("StringEqualsIgnoreCase", ("O-A1B2C3D4E5",), (TRUSTED,), ["o-kmspolicyx"]),
    ],
)
def test_stand_in_organisations(
    operator: str, values: tuple[str, ...], excluded: tuple[str, ...], expected: list[str]
) -> None:
    assert StandIn(frozenset(excluded)).orgs(_org_conditions(operator, *values)) == expected


@given(
    pattern=st.text(alphabet="o-abc12*?", min_size=1, max_size=12),
    excluded=st.frozensets(st.text(alphabet="o-abc12kmspolicyx", min_size=1, max_size=14), max_size=3),
)
def test_stand_in_organisations_match_their_pattern_and_avoid_the_excluded(
    pattern: str, excluded: frozenset[str]
) -> None:
    found = StandIn(excluded).orgs(_org_conditions("StringLike", pattern))
    assert not {o.lower() for o in found} & {o.lower() for o in excluded}
    filled = [o for o in found if o != "o-kmspolicyx"]
    assert all(Glob(pattern).match(o) for o in filled)


PATHS = "aws:PrincipalOrgPaths"
NO_ORG_ROOT = "o-kmspolicyx/r-kmspolicyx/"


@pytest.mark.parametrize(
    ("values", "excluded", "expected"),
    [
        # a pattern's organisation is filled with an id, the rest of it with a place; the root of an
        # organisation nobody names is always offered
        (("o-*/*",), (TRUSTED,), ["o-kmspolicyx/kmspolicyx", NO_ORG_ROOT]),
        (("*/ou-ab12-*/",), (), ["o-kmspolicyx/ou-ab12-kmspolicyx/", NO_ORG_ROOT]),
        # a literal organisation as for aws:PrincipalOrgID: only when some organisation is trusted, never
        # a trusted one
        (("o-zz9yy8xx7w/r-ab12/*",), (TRUSTED,), ["o-zz9yy8xx7w/r-ab12/kmspolicyx", NO_ORG_ROOT]),
        (("o-zz9yy8xx7w/r-ab12/*",), (), [NO_ORG_ROOT]),
        ((f"{TRUSTED}/*",), (TRUSTED,), [NO_ORG_ROOT]),
        (("o-kmspolicyx/*",), ("o-kmspolicyx",), []),
    ],
)
def test_stand_in_organisation_paths(
    values: tuple[str, ...], excluded: tuple[str, ...], expected: list[str]
) -> None:
    found = StandIn(frozenset(excluded)).paths(_org_conditions("ForAnyValue:StringLike", *values, key=PATHS))
    assert found == expected


@given(
    pattern=st.text(alphabet="o-ab12/*?", min_size=1, max_size=14),
    excluded=st.frozensets(st.text(alphabet="o-ab12kmspolicyx", min_size=1, max_size=14), max_size=3),
)
def test_stand_in_paths_match_their_pattern_and_start_in_an_organisation_not_excluded(
    pattern: str, excluded: frozenset[str]
) -> None:
    found = StandIn(excluded).paths(_org_conditions("ForAnyValue:StringLike", pattern, key=PATHS))
    for path in found:
        org = path.split("/", 1)[0]
        assert org.startswith("o-") and org.lower() not in {o.lower() for o in excluded}
    assert all(Glob(pattern).match(p) for p in found if p != NO_ORG_ROOT)


def test_stand_in_witness_is_in_the_organisation_its_path_starts_with() -> None:
    # the product pairs every org id with every path: the paths decide which organisation the caller is in
    conditions = _org_conditions("StringLike", "o-ab*") + _org_conditions(
        "ForAnyValue:StringLike", "o-*/r-ab12/*", key=PATHS
    )
    contexts = contexts_from(conditions, stand_in=StandIn(frozenset({TRUSTED})))
    with_path = [c for c in contexts if PATHS.lower() in c]
    assert with_path
    for context in with_path:
        paths = context[PATHS.lower()]
        assert isinstance(paths, tuple) and len(paths) == 1
        assert context["aws:principalorgid"] == paths[0].split("/", 1)[0]
    assert {"aws:principalorgid": "o-abkmspolicyx"} in contexts  # an organisation without a path still


@pytest.mark.parametrize(
    ("value", "gains"),
    [("o-*/*", True), ("o-zz9yy8xx7w/r-ab12/*", True), (f"{TRUSTED}/*", False)],
)
def test_org_path_pattern_is_reached_by_the_stand_in_at_a_matching_place(value: str, gains: bool) -> None:
    document = _policy(ROOT, _org_statement("ForAnyValue:StringLike", value, PATHS))
    graph = build_graph(document, trusted_orgs=[TRUSTED])
    arn = next(iter(graph.keys))
    reach = {r.principal: r for r in who_can(graph, arn, "kms:Decrypt").principals}.get("*")
    added = [c for c in diff(_policy(ROOT), document, trusted_orgs=[TRUSTED]).added if c.principal == "*"]
    assert (reach is not None) is gains
    assert bool(added) is gains
    if reach is None:
        return
    context = reach.path[-1].conditions
    paths = context["aws:principalorgpaths"]
    assert isinstance(paths, tuple) and len(paths) == 1
    assert Glob(value).match(paths[0]) and context["aws:principalorgid"] == paths[0].split("/", 1)[0]
    request = graph.request("*", "kms:Decrypt", arn, context)
    assert evaluate(graph.situation("*", arn), request, trace=False).effect == "ALLOW"
    assert added[0].witness.context == context


def test_direct_keeps_only_what_a_caller_can_send_itself() -> None:
    contexts: list[dict[str, ContextValue]] = [
        {},
        {"kms:ViaService": "ec2.us-east-1.amazonaws.com"},
        {"kms:GrantIsForAWSResource": "true"},
        {"aws:CalledVia": ("dynamodb.amazonaws.com",)},
        {"aws:MultiFactorAuthPresent": "true"},
    ]
    assert direct(contexts) == [{}, {"aws:MultiFactorAuthPresent": "true"}]


def test_any_org_pattern_is_reached_by_the_stand_in_in_a_matching_org() -> None:
    document = _policy(ROOT, _org_statement("StringLike", "o-*"))
    graph = build_graph(document, trusted_orgs=[TRUSTED])
    arn = next(iter(graph.keys))
    reach = {r.principal: r for r in who_can(graph, arn, "kms:Decrypt").principals}["*"]
    assert reach.external
    assert reach.path[-1].conditions == {"aws:principalorgid": "o-kmspolicyx"}
    # the witness stands by itself: the evaluator allows it
    request = graph.request("*", "kms:Decrypt", arn, reach.path[-1].conditions)
    assert evaluate(graph.situation("*", arn), request, trace=False).effect == "ALLOW"


@pytest.mark.parametrize(
    ("operator", "value", "trusted", "gains"),
    [
        ("StringLike", "o-*", (), True),
        ("StringEquals", "o-zz9yy8xx7w", (TRUSTED,), True),
        ("StringEquals", TRUSTED, (TRUSTED,), False),
        ("StringEquals", TRUSTED, (), False),  # nothing says it is not the owner's own organisation
    ],
)
def test_diff_of_a_public_statement_pinned_to_organisations(
    operator: str, value: str, trusted: tuple[str, ...], gains: bool
) -> None:
    old = _policy(ROOT)
    new = _policy(ROOT, _org_statement(operator, value))
    added = [c for c in diff(old, new, trusted_orgs=trusted).added if c.principal == "*"]
    assert bool(added) is gains
    for change in added:
        org = change.witness.context["aws:principalorgid"]
        assert isinstance(org, str) and org not in trusted and Glob(value).match(org)


def test_self_grant_witness_is_a_direct_call() -> None:
    case = load_case(CASES / "create_grant_for_aws_resources_is_no_self_escalation.yaml")
    graph = build_graph(case.build("case"))
    arn = case.key_arn("k1")
    ops = graph.find_principal("Ops")
    assert ops is not None
    escalations = [
        data for source, target, data in graph.edges("escalate") if source == ops and target == arn
    ]
    assert escalations
    for data in escalations:
        context = data["conditions"]
        assert isinstance(context, dict)
        assert not {k.lower() for k in context} & SERVICE_ONLY
        assert context["aws:multifactorauthpresent"] == "true"
        request = Request(
            principal=graph.actors[ops].subject.principal,
            action="kms:CreateGrant",
            resource=arn,
            context=context,
        )
        assert evaluate(graph.situation(ops, arn), request, trace=False).effect == "ALLOW"


def test_who_can_through_stops_at_the_roles_that_fail() -> None:
    case = load_case(CASES / "role_chain_three_hops.yaml")
    graph = build_graph(case.build("case"))
    arn = case.key_arn("k1")
    everyone = {r.principal for r in who_can(graph, arn, "kms:Decrypt").principals}
    hop3 = next(n for n in everyone if n.endswith("role/Hop3"))
    fenced = {r.principal for r in who_can(graph, arn, "kms:Decrypt", through=lambda n: n != hop3).principals}
    # Hop3 still decrypts itself; whoever reaches the key only through it does not
    assert hop3 in fenced
    assert fenced < everyone
    assert not any(n.endswith("user/dev") for n in fenced)
