"""The access graph against hand-built accounts with known answers, and against the evaluator itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmspolicy.evaluate import Target, evaluate
from kmspolicy.model import Account, Key, PolicyKind, Request, Situation
from kmspolicy.parse import parse_paths
from kmspolicy.review.cases import AccountCase, load_case, load_diff_case
from kmspolicy.review.diff import diff
from kmspolicy.review.graph import (
    ASSUME,
    PASS_ROLE,
    AccessGraph,
    _delegate_all,
    applicable,
    build_graph,
    situation_of,
    trust_targets,
)
from kmspolicy.review.questions import access, access_json, paths
from kmspolicy.review.report import render_access, render_paths, render_review

CASES_DIR = Path(__file__).parent / "review_cases"
CASES = sorted(CASES_DIR.glob("*.yaml"))
SAMPLE = Path(__file__).parents[1] / "samples" / "account"


def _built(path: Path) -> tuple[AccountCase, AccessGraph]:
    case = load_case(path)
    return case, build_graph(case.build(path.stem))


def _ref_names(refs: object) -> set[str]:
    return {r.grant_id or r.sid or "" for r in refs}  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_review_case(path: Path) -> None:
    case, graph = _built(path)
    assert case.expect or case.absent, "a case must say what to expect"
    for expected in case.expect:
        answers = access(
            graph, key=case.key_arn(expected.key), principal=expected.principal, action=expected.action
        )
        assert answers, f"{expected.principal} cannot {expected.action} on {expected.key}"
        reach = answers[0].principals[0]
        if expected.steps is not None:
            assert [s.kind for s in reach.path] == list(expected.steps)
        if expected.through:
            assert [s.target.rsplit("/", 1)[-1] for s in reach.path[:-1]] == list(expected.through)
        if expected.refs:
            assert _ref_names(reach.path[-1].refs) == set(expected.refs)
        if expected.method is not None:
            assert reach.path[-1].method == expected.method
        if expected.external is not None:
            assert reach.external is expected.external
        assert [s.caller for s in reach.path if s.caller] == ([expected.caller] if expected.caller else [])
    for absent in case.absent:
        node = graph.find_principal(absent.principal)
        if node is None:
            continue  # not even a node: it reaches nothing
        answers = access(
            graph, key=case.key_arn(absent.key), principal=absent.principal, action=absent.action
        )
        assert answers == [], f"{absent.principal} unexpectedly can {absent.action}: {access_json(answers)}"


def test_paths_explains_every_step_of_the_chain() -> None:
    _, graph = _built(CASES_DIR / "role_chain_three_hops.yaml")
    answer = paths(graph, "dev", "k1", "kms:Decrypt")
    assert answer.shortest is not None
    assert [s.kind for s in answer.shortest] == ["assume", "assume", "assume", "access"]
    for step in answer.shortest:
        assert step.reason
        assert step.refs
    assert answer.shortest[0].refs[0].layer == "trust"


@pytest.mark.parametrize(
    ("user", "action", "session"), [("alice", "kms:Decrypt", "alice"), ("bob", "kms:Encrypt", "bob")]
)
def test_paths_go_on_only_as_the_session_the_trust_forces(user: str, action: str, session: str) -> None:
    _, graph = _built(CASES_DIR / "each_caller_reaches_only_its_own_named_session.yaml")
    answer = paths(graph, user, "k1", action)
    assert answer.paths, f"{user} has no path to {action}"
    assert all(p[-1].caller == f"arn:aws:sts::111122223333:assumed-role/Ops/{session}" for p in answer.paths)
    assert paths(graph, "bob", "k1", "kms:Decrypt").paths == ()


def test_partner_access_is_cut_only_by_the_rcp() -> None:
    _, cut = _built(CASES_DIR / "partner_cut_by_rcp.yaml")
    _, open_ = _built(CASES_DIR / "partner_without_rcp.yaml")
    partner = "arn:aws:iam::444455556666:root"
    assert partner in cut.actors
    assert partner in open_.actors
    assert not any(u == partner for u, _, _ in cut.edges("access"))
    assert any(u == partner and d["external"] for u, _, d in open_.edges("access"))


def test_cross_account_assume_needs_the_trust_policy_and_the_callers_identity_policy() -> None:
    """Both partner roles are named in `Shared`'s trust policy; only `Ops` has an identity policy allowing
    `sts:AssumeRole`. The graph's edges are the evaluator's answers on the role itself, as a caller would
    ask it: the role as the situation's key, its trust policy as the resource policy, nothing moved."""
    case, graph = _built(CASES_DIR / "cross_account_assume_needs_both_sides.yaml")
    shared = f"arn:aws:iam::{case.account}:role/Shared"
    role = next(e for e in graph.account.principals if e.arn == shared)
    assert role.trust_policy is not None and role.trust_policy.kind is PolicyKind.TRUST
    decisions = {}
    for name in ("Ops", "Idle"):
        caller = next(e for e in graph.account.principals if e.name == name)
        decisions[name] = evaluate(
            Situation(
                key=Key(arn=shared, key_id="Shared", account=case.account),
                key_policy=role.trust_policy,
                identity_policies=caller.policies,
            ),
            Request(principal=caller.arn, action=ASSUME, resource=shared),
            trace=False,
        )
    ops, idle = decisions["Ops"], decisions["Idle"]
    assert ops.effect == "ALLOW"
    both = "the trust policy and an identity-based policy both allow cross-account `sts:AssumeRole`"
    assert ops.reason == both
    assert idle.effect == "IMPLICIT_DENY" and "identity" in idle.reason  # named, but its own side is silent

    edges = {source: data for source, target, data in graph.edges("assume") if target == shared}
    ops_arn, idle_arn = (f"arn:aws:iam::444455556666:role/{n}" for n in ("Ops", "Idle"))
    assert idle_arn not in edges
    assert edges[ops_arn]["reason"] == ops.reason
    assert edges[ops_arn]["refs"] == ops.determining
    assert {r.layer for r in edges[ops_arn]["refs"]} == {"trust", "identity"}  # type: ignore[attr-defined]
    assert edges[ops_arn]["external"] is True


def test_sample_account_chain_and_grant() -> None:
    account = parse_paths([str(SAMPLE)]).documents[0].account
    assert account is not None
    graph = build_graph(account)
    answer = access(graph, key="alias/app-data", action="kms:Decrypt")[0]
    by_name = {r.principal.rsplit("/", 1)[-1]: r for r in answer.principals}
    assert [s.target.rsplit("/", 1)[-1] for s in by_name["CiDeployer"].path[:-1]] == [
        "DeployRole",
        "DataRole",
    ]
    assert by_name["Analyst"].path[-1].refs[0].layer == "grant"
    assert by_name["Analyst"].conditions  # the grant's encryption-context constraint
    assert "arn:aws:iam::444455556666:root" not in by_name


# --------------------------------------------------------------------------- every edge is the evaluator's


def _edge_agrees(graph: AccessGraph) -> None:
    for source, key, data in graph.edges("access"):
        situation = graph.situation(source, key)
        context = dict(data["conditions"])  # type: ignore[call-overload]
        request = graph.request(source, str(data["action"]), key, context, data["caller"])  # type: ignore[arg-type]
        decision = evaluate(situation, request, trace=False)
        assert decision.effect == "ALLOW", (source, key, data)
        assert decision.determining == data["refs"]
    roles = trust_targets(graph.account)
    for source, role, data in graph.edges("assume"):
        actor = graph.actors[source]
        situation = situation_of(actor.subject, roles[role])
        context = dict(data["conditions"])  # type: ignore[call-overload]
        request = actor.request(ASSUME, role, context, data["caller"])  # type: ignore[arg-type]
        decision = evaluate(situation, request, trace=False)
        assert decision.effect == "ALLOW", (source, role, data)
        assert (decision.reason, decision.determining) == (data["reason"], data["refs"])
    for source, role, data in graph.edges("pass"):
        # the service the role is passed to becomes it, and the principal may pass it to that service
        assert graph.graph.has_edge(data["via"], role, key="assume"), (source, role, data)
        actor = graph.actors[source]
        account = str(actor.account)
        target = Target(
            key=Key(arn=role, key_id=role.rsplit("/", 1)[-1], account=account),
            key_policy=_delegate_all(account),
        )
        request = actor.request(PASS_ROLE, role, {"iam:PassedToService": str(data["via"])})
        decision = evaluate(situation_of(actor.subject, target), request, trace=False)
        assert decision.effect == "ALLOW", (source, role, data)
        placed = tuple(r for r in decision.determining if r.span is None or not r.span.file.startswith("<"))
        assert data["refs"][: len(placed)] == placed  # type: ignore[index]


_EVERY_CASE = [*CASES, *sorted(CASES_DIR.glob("adversarial*/*.yaml"))]


@pytest.mark.parametrize("path", _EVERY_CASE, ids=[f"{p.parent.name}/{p.stem}" for p in _EVERY_CASE])
def test_every_edge_agrees_with_the_evaluator(path: Path) -> None:
    _edge_agrees(_built(path)[1])


# --------------------------------------------------------------------------- how roles call


def test_a_role_calls_as_a_session_of_it_and_a_user_as_itself() -> None:
    """§1.3, §2.2: a role's requests are made by a session of it; a session ARN drops the role's path, so a
    role with a path sends its ARN as `aws:PrincipalArn`, as AWS sets it."""
    _, graph = _built(CASES_DIR / "role_path_is_the_principal_arn.yaml")
    pathed = graph.actors["arn:aws:iam::111122223333:role/service-role/Batch"]
    assert pathed.subject.principal == "arn:aws:sts::111122223333:assumed-role/Batch/kmspolicy-session"
    assert pathed.sent == (("aws:PrincipalArn", "arn:aws:iam::111122223333:role/service-role/Batch"),)
    assert pathed.principal_arn == "arn:aws:iam::111122223333:role/service-role/Batch"
    plain = graph.actors["arn:aws:iam::111122223333:role/Batch2"]
    assert plain.sent == ()
    assert plain.principal_arn == "arn:aws:iam::111122223333:role/Batch2"
    _, users = _built(CASES_DIR / "principal_untag_lifts_a_deny.yaml")
    carol = users.actors["arn:aws:iam::111122223333:user/carol"]
    assert carol.subject.principal == carol.node
    assert carol.sent == ()


def test_a_step_made_as_one_session_says_so_in_every_rendering() -> None:
    case, graph = _built(CASES_DIR / "notprincipal_spares_a_listed_session.yaml")
    session = "arn:aws:sts::111122223333:assumed-role/Ops/break-glass"
    answers = access(graph, key=case.key_arn("k1"), principal="Ops", action="kms:Decrypt")
    assert f"directly as {session}" in render_access(graph, answers, "text")
    assert access_json(answers)[0]["principals"][0]["path"][0]["caller"] == session  # type: ignore[index]
    explained = render_paths(graph, paths(graph, "Ops", "k1", "kms:Decrypt"))
    assert f"as {session} can kms:Decrypt on" in explained


def test_diff_witness_of_a_named_session_is_made_as_that_session() -> None:
    case = load_diff_case(CASES_DIR / "diff" / "key_policy_names_a_role_session.yaml")
    old, new = case.old.build("old"), case.new.build("new")
    (change,) = diff(old, new).changes
    assert change.witness.principal == "arn:aws:sts::111122223333:assumed-role/Dev/build"
    (back,) = diff(new, old).changes
    assert back.removed and back.witness.principal == change.witness.principal


# --------------------------------------------------------------------------- which actions are answered


def test_an_action_outside_the_built_set_is_decided_when_asked() -> None:
    """Any action on a key can be asked (the usual set is decided up front, the rest on demand); an action
    that takes no key, or is not KMS's, is a usage error rather than `nobody`."""
    case, graph = _built(CASES_DIR / "adversarial2" / "actions_outside_the_usual_set.yaml")
    assert "kms:DescribeKey" not in graph.actions
    (answer,) = access(graph, key=case.key_arn("k1"), action="kms:describekey")
    assert answer.action == "kms:DescribeKey" and "kms:DescribeKey" in graph.actions
    assert {r.principal.rsplit("/", 1)[-1] for r in answer.principals} >= {"Admin", "Reader", "Holder"}
    _edge_agrees(graph)
    for action in ("kms:CreateKey", "s3:GetObject", "kms:NoSuchAction"):
        with pytest.raises(KeyError, match="not an action on a KMS key"):
            access(graph, action=action)


def test_actions_a_key_refuses_are_left_out_or_said_so() -> None:
    """`kms:Sign` on a symmetric encryption key: not listed by default, and `not applicable` when asked."""
    _, graph = _built(CASES_DIR / "adversarial2" / "key_usage_limits_actions.yaml")
    symmetric = next(arn for arn, k in graph.keys.items() if k.key_usage == "ENCRYPT_DECRYPT")
    listed = {(a.key, a.action) for a in access(graph)}
    assert (symmetric, "kms:Sign") not in listed and (symmetric, "kms:Decrypt") in listed
    (answer,) = access(graph, key=symmetric, action="kms:Sign")
    assert not answer.applicable and answer.principals == ()
    assert "not applicable: KMS refuses `kms:Sign` on a key of usage `ENCRYPT_DECRYPT`" in render_access(
        graph, [answer]
    )


def test_a_principal_that_reaches_nothing_still_gets_an_answer() -> None:
    case, graph = _built(CASES_DIR / "adversarial2" / "actions_outside_the_usual_set.yaml")
    answers = access(graph, key=case.key_arn("k1"), principal="Nobody", action="kms:DescribeKey")
    assert answers == []
    said = render_access(graph, answers, "text", principal="Nobody")
    assert said == "`Nobody` cannot perform the actions asked about on the keys asked about\n"
    assert render_access(graph, answers, "markdown").strip()


def test_a_stand_in_admitted_by_a_caller_account_condition_says_which_account() -> None:
    case, graph = _built(CASES_DIR / "account_pinned_by_a_condition_is_a_principal.yaml")
    answers = access(graph, key=case.key_arn("k1"), principal="*", action="kms:Decrypt")
    assert "directly as a principal of account `444455556666`" in render_access(graph, answers)
    assert paths(graph, "444455556666", "k1", "kms:Decrypt").shortest is not None


def test_a_role_passed_to_a_service_is_said_with_the_service() -> None:
    case, graph = _built(CASES_DIR / "pass_role_to_a_service_reaches_its_key.yaml")
    answers = access(graph, key=case.key_arn("k1"), principal="deployer", action="kms:Decrypt")
    assert "deployer: via Data (passed to lambda.amazonaws.com)" in render_access(graph, answers)
    explained = render_paths(graph, paths(graph, "runner", "k1", "kms:Decrypt"))
    assert "runner can pass Tasks" in explained
    assert (
        "to ecs-tasks.amazonaws.com, which runs code as it after ecs:RegisterTaskDefinition + ecs:RunTask"
        in (explained)
    )
    step = answers[0].principals[0].path[0]
    # the PassRole statement first: what a finding about the step points at
    assert [r.sid for r in step.refs][:1] == ["PassData"]
    assert {r.sid for r in step.refs} >= {"PassData", "Functions"}


def test_a_boundary_without_its_document_is_noted_in_the_review() -> None:
    _, graph = _built(CASES_DIR / "boundary_document_missing_still_a_boundary.yaml")
    note = (
        "the permissions boundary `arn:aws:iam::111122223333:policy/missing-boundary` of `listed` is attached"
        " but its document is not in the input"
    )
    assert note in render_review(graph, [], "text")
    assert note in render_review(graph, [], "markdown")
    assert note in render_review(graph, [], "html")
    assert note in render_access(graph, access(graph, key="k1", action="kms:Decrypt"))
    assert note in render_access(graph, [], "markdown", principal="listed")
    assert any(n.startswith(note) for n in json.loads(render_review(graph, [], "json"))["notes"])
    # an account whose boundaries are all known says nothing of them
    _, plain = _built(CASES_DIR / "pass_role_to_a_service_reaches_its_key.yaml")
    assert "notes" not in render_review(plain, [], "text")
    assert "notes" not in render_access(plain, access(plain, key="k1", action="kms:Decrypt"))
    assert "notes" not in json.loads(render_review(plain, [], "json"))


_PRINCIPALS = st.sampled_from(
    [
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::111122223333:role/A",
        "arn:aws:iam::111122223333:role/B",
        "arn:aws:iam::444455556666:root",
        "*",
    ]
)
_ACTIONS = st.sampled_from(["kms:Decrypt", "kms:Encrypt", "kms:*", "kms:PutKeyPolicy", "kms:CreateGrant"])
_CONDITIONS = st.sampled_from(
    [
        {},
        {"StringEquals": {"kms:EncryptionContext:app": "orders"}},
        {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    ]
)


@st.composite
def _accounts(draw: st.DrawFn) -> Account:
    statements = [
        {
            "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
            "Principal": {"AWS": draw(_PRINCIPALS)},
            "Action": draw(_ACTIONS),
            "Resource": "*",
            "Condition": draw(_CONDITIONS),
        }
        for _ in range(draw(st.integers(1, 4)))
    ]
    identity: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": draw(_ACTIONS), "Resource": "*", "Condition": draw(_CONDITIONS)}
        ],
    }
    if draw(st.booleans()):
        identity["Statement"].append({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})

    def trust_of(principal: str) -> dict[str, object]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": principal},
                    "Action": "sts:AssumeRole",
                    "Condition": draw(_CONDITIONS),
                }
            ],
        }

    trust, trust_c = trust_of(draw(_PRINCIPALS)), trust_of(draw(_PRINCIPALS))
    case = AccountCase.model_validate(
        {
            "account": "111122223333",
            "org": "o-a1b2c3d4e5",
            "principals": [
                {"type": "role", "name": "A", "policies": [identity]},
                {"type": "role", "name": "B", "trust": trust},
                {"type": "role", "name": "C", "trust": trust_c},
            ],
            "keys": [{"id": "k1", "policy": {"Version": "2012-10-17", "Statement": statements}}],
        }
    )
    return case.build("generated")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_accounts())
def test_property_every_edge_is_an_evaluator_allow(account: Account) -> None:
    graph = build_graph(account, escalation=False)
    _edge_agrees(graph)
    # and the plain context is never denied where the graph recorded no conditions
    key: Key = account.keys[0]
    for node in graph.actors:
        for action in graph.actions:
            decision = evaluate(
                graph.situation(node, str(key.arn)),
                graph.request(node, action, str(key.arn), {}),
                trace=False,
            )
            if decision.effect == "ALLOW" and applicable(key, action):
                assert graph.graph.has_edge(node, str(key.arn), key=f"access:{action}")
        for role, target in trust_targets(account).items():
            actor = graph.actors[node]
            request = Request(principal=actor.subject.principal, action=ASSUME, resource=role)
            decision = evaluate(situation_of(actor.subject, target), request, trace=False)
            # AWS refuses sts:AssumeRole with root-user credentials
            if decision.effect == "ALLOW" and node != role and actor.kind != "root":
                assert graph.graph.has_edge(node, role, key="assume")


# ------------------------------------------------------------------ section G rules on a whole snapshot


def test_section_g_rules_on_the_sample_snapshot() -> None:
    """The rules whose inputs need a snapshot (SCPs and RCPs cannot be written in a rule case yet)."""
    from kmspolicy.config import LintConfig
    from kmspolicy.lint import lint

    parsed = parse_paths([str(SAMPLE)])
    config = LintConfig(select=frozenset({f"KMS06{i}" for i in range(7)}))
    found = {
        (f.rule, f.span.file.split("/kms/")[-1], f.span.pointer, f.message.split("`")[1])
        for f in lint(parsed.documents, config=config)
    }
    partner_policy = "us-east-1/0987dcba-09fe-87dc-65ba-ab0987654321/key-policy.json"
    assert ("eff-scp-rcp-blocks-intended", partner_policy, "/Policy/Statement/2", "PartnerIngest") in found
    assert (
        "eff-scp-rcp-blocks-intended",
        partner_policy,
        "/Policy/Statement/2",
        "any principal in 444455556666",
    ) in found
    # reported where the chain starts: the first role's trust statement, which lets CiDeployer in
    assert any(
        rule == "eff-transitive-access"
        and file.endswith("/iam.json")
        and pointer == "/RoleDetailList/5/AssumeRolePolicyDocument/Statement/0"
        and who == "CiDeployer"
        for rule, file, pointer, who in found
    )
    # the RCP keeps the partner out, so nobody outside the zone of trust decrypts
    assert not any(rule == "eff-who-can-decrypt-exceeds-allowlist" for rule, *_ in found)
