"""`diff` over transitive access (role chains, escalations) and with witnesses that only an SCP or RCP
condition names: hand-built account pairs under tests/review_cases/diff/, every reported change checked
against the evaluator, step by step for a path."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmspolicy.evaluate import evaluate
from kmspolicy.model import Account, Request
from kmspolicy.parse import parse_paths
from kmspolicy.review.cases import DiffCase, DiffExpect, load_diff_case
from kmspolicy.review.diff import ENABLING_ACTIONS, Change, DiffResult, diff
from kmspolicy.review.graph import (
    ASSUME,
    AccessGraph,
    actors_of,
    build_graph,
    situation_of,
    trust_targets,
)
from kmspolicy.review.questions import Step, who_can

CASES = sorted((Path(__file__).parent / "review_cases" / "diff").glob("*.yaml"))


def _matching(result: DiffResult, case: DiffCase, expected: DiffExpect) -> list[Change]:
    resource = case.resource_arn(expected.resource)
    return [
        c
        for c in result.changes
        if c.principal.rsplit("/", 1)[-1] == expected.principal
        and c.resource == resource
        and c.action == expected.action
        and c.removed == expected.removed
    ]


def _step_holds(graph: AccessGraph, step: Step) -> bool:
    """The step is the evaluator's: an access or assume step is re-decided, an escalation is the graph's
    edge (whose enabling call and gained access the evaluator decided when the graph was built)."""
    if step.kind == "escalate":
        return bool(
            graph.graph.has_edge(
                step.source, step.target, key=f"escalate:{step.action}:{step.method}:{step.via}"
            )
        )
    if step.kind == "access":
        request = graph.request(step.source, step.action, step.target, dict(step.conditions))
        return evaluate(graph.situation(step.source, step.target), request, trace=False).effect == "ALLOW"
    actor = graph.actors[step.source]
    target = trust_targets(graph.account)[step.target]
    request = Request(
        principal=actor.subject.principal, action=ASSUME, resource=step.target, context=dict(step.conditions)
    )
    return evaluate(situation_of(actor.subject, target), request, trace=False).effect == "ALLOW"


def _direct_effect(account: Account, other: Account, change: Change) -> str:
    actors, targets = actors_of(account)
    actor = actors.get(change.principal) or actors_of(other)[0].get(change.principal)
    if actor is None:
        return "IMPLICIT_DENY"
    if change.resource in targets:
        target = targets[change.resource]
    else:
        roles = trust_targets(account)
        if change.resource not in roles:
            return "IMPLICIT_DENY"
        target = roles[change.resource]
    return evaluate(situation_of(actor.subject, target), change.witness, trace=False).effect


def _check(change: Change, old: Account, new: Account) -> None:
    has, lacks = (old, new) if change.removed else (new, old)
    if not change.path:
        assert _direct_effect(has, lacks, change) == "ALLOW"
        assert _direct_effect(lacks, has, change) != "ALLOW"
        return
    actions = (change.action, *ENABLING_ACTIONS)
    graph, other = (build_graph(a, actions=actions) for a in (has, lacks))
    assert change.path[0].source == change.principal
    assert change.path[-1].target == change.resource
    for step in change.path:
        assert _step_holds(graph, step), step
    reached = who_can(other, change.resource, change.action) if change.resource in other.keys else None
    assert reached is None or change.principal not in {r.principal for r in reached.principals}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_diff_case(path: Path) -> None:
    case = load_diff_case(path)
    assert case.expect, "a diff case must say what to expect"
    old, new = case.old.build(f"{path.stem}-old"), case.new.build(f"{path.stem}-new")
    result = diff(old, new)
    for expected in case.expect:
        found = _matching(result, case, expected)
        assert found, f"no change {expected}"
        change = found[0]
        if expected.steps is None:
            assert change.path == ()
        else:
            assert [s.kind for s in change.path] == list(expected.steps)
        if expected.method is not None:
            assert change.path[-1].method == expected.method
        context = {k.lower(): v for k, v in change.witness.context.items()}
        for name, value in expected.witness.items():
            assert context.get(name.lower()) == value, change.witness
    for absent in case.absent:
        assert not _matching(result, case, absent), absent
    for change in result.changes:
        _check(change, old, new)


def test_a_closed_role_chain_is_removed_transitive_access() -> None:
    case = load_diff_case(CASES[0].parent / "role_chain_opened_by_new_trust.yaml")
    old, new = case.old.build("old"), case.new.build("new")
    result = diff(new, old)  # the reverse change: the chain closes, and Hop2 trusts BreakGlass again
    assert {c.principal.rsplit("/", 1)[-1] for c in result.added if c.path} == {"BreakGlass"}
    gone = {(c.principal.rsplit("/", 1)[-1], tuple(s.kind for s in c.path)) for c in result.removed if c.path}
    assert ("dev", ("assume", "assume", "access")) in gone
    for change in result.changes:
        _check(change, new, old)


def test_policies_and_templates_are_compared_directly_only() -> None:
    case = load_diff_case(CASES[0].parent / "role_chain_opened_by_new_trust.yaml")
    old, new = case.old.build("old"), case.new.build("new")
    assert not [c for c in diff(old, new, transitive=False).changes if c.path]


def test_the_graph_takes_witness_values_from_an_rcp_too() -> None:
    """Only the RCP names `aws:SourceVpce`: without its values the graph would find no access at all."""
    case = load_diff_case(CASES[0].parent / "rcp_admits_another_endpoint.yaml")
    graph = build_graph(case.new.build("new"))
    app = graph.find_principal("App")
    edge = graph.graph.get_edge_data(app, case.new.key_arn("k1"), key="access:kms:Decrypt")
    assert edge is not None
    assert edge["conditions"] == {"aws:sourcevpce": "vpce-1111"}
    request = graph.request(str(app), "kms:Decrypt", case.new.key_arn("k1"), {})
    assert evaluate(graph.situation(str(app), case.new.key_arn("k1")), request, trace=False).effect != "ALLOW"


def test_sample_snapshots_diff() -> None:
    """`samples/account-escalations-v2` opens a role to `Analyst` and closes `AppRole`'s policy versions."""
    samples = Path(__file__).parents[1] / "samples"
    old, new = (
        parse_paths([str(samples / name)]).documents[0]
        for name in ("account-escalations", "account-escalations-v2")
    )
    result = diff(old, new)
    orders = "arn:aws:kms:us-east-1:111122223333:key/1111aaaa-22bb-33cc-44dd-555555eeeeee"
    added = {(c.principal.rsplit("/", 1)[-1], c.resource, c.action): c for c in result.added}
    opened = added[("Analyst", orders, "kms:Encrypt")]
    assert [(s.kind, s.target.rsplit("/", 1)[-1]) for s in opened.path] == [
        ("assume", "AppRole"),
        ("access", "1111aaaa-22bb-33cc-44dd-555555eeeeee"),
    ]
    removed = {(c.principal.rsplit("/", 1)[-1], c.resource, c.action): c for c in result.removed}
    closed = removed[("AppRole", orders, "kms:Decrypt")]
    assert closed.path[-1].method == "iam:CreatePolicyVersion"
    assert closed.old.effect == "ALLOW"
    assert closed.new.effect == "IMPLICIT_DENY"
