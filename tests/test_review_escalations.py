"""Escalations that need no key policy change: `iam:CreatePolicyVersion` on a customer managed policy in
force on the caller (or on a role it can assume), alias changes that satisfy `kms:ResourceAliases` /
`kms:RequestAlias` conditions, tag changes and grants (to the caller or a role it can assume), each
replayed against the evaluator; and the managed policy ARNs the snapshot reader keeps for them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kmspolicy.evaluate import Target, evaluate
from kmspolicy.model import Account, Grant, GrantConstraints, Request, Span
from kmspolicy.parse import parse_paths
from kmspolicy.review.cases import load_case
from kmspolicy.review.graph import (
    IAM_TAGS_ROLE,
    IAM_TAGS_USER,
    KEY_TAG_WRITES,
    AccessGraph,
    build_graph,
    situation_of,
)
from kmspolicy.review.questions import access

SAMPLES = Path(__file__).parents[1] / "samples"
CASES = Path(__file__).parent / "review_cases"


def _account(path: Path) -> Account:
    account = parse_paths([str(path)]).documents[0].account
    assert account is not None
    return account


def _policies(account: Account, name: str) -> dict[str, str | None]:
    entity = next(e for e in account.principals if e.name == name)
    return {p.name: p.arn for p in entity.policies}


def test_snapshot_keeps_managed_policy_arns() -> None:
    account = _account(SAMPLES / "account-escalations")
    assert _policies(account, "AppRole") == {"AppRuntime": "arn:aws:iam::111122223333:policy/AppRuntime"}
    assert _policies(account, "Ops") == {
        "policy-versions": None,  # inline: nothing to version
        "AWSKeyManagementServicePowerUser": "arn:aws:iam::aws:policy/AWSKeyManagementServicePowerUser",
    }
    # a user's group policies come with their ARN too
    developers = _policies(_account(SAMPLES / "account"), "dev-ana")
    assert developers.get("DeveloperAccess") == "arn:aws:iam::111122223333:policy/DeveloperAccess"


def _escalations(graph: AccessGraph, principal: str, key: str) -> dict[str, set[str]]:
    node = graph.find_principal(principal)
    arn = graph.find_key(key)
    found: dict[str, set[str]] = {}
    for source, target, data in graph.edges("escalate"):
        if source == node and target == arn:
            found.setdefault(str(data["method"]), set()).add(str(data["action"]))
    return found


def test_sample_snapshot_escalations() -> None:
    graph = build_graph(_account(SAMPLES / "account-escalations"))
    assert "kms:Decrypt" in _escalations(graph, "AppRole", "alias/orders")["iam:CreatePolicyVersion"]
    assert "kms:Decrypt" in _escalations(graph, "Analyst", "alias/orders")["kms:CreateAlias"]
    # the key that already carries an `alias/analytics-*` alias needs no change
    direct = access(graph, key="alias/analytics-exports", principal="Analyst", action="kms:Decrypt")
    assert [s.kind for s in direct[0].principals[0].path] == ["access"]
    # only an AWS managed policy is in force on Ops: no policy version to write
    assert "iam:CreatePolicyVersion" not in _escalations(graph, "Ops", "alias/orders")


def test_request_alias_is_direct_access_only_where_the_alias_points() -> None:
    case = load_case(CASES / "alias_change_escalation.yaml")
    graph = build_graph(case.build("alias_change_escalation"))
    mover = graph.find_principal("Mover")
    k2, k3 = case.key_arn("k2"), case.key_arn("k3")
    at_k3 = graph.graph.get_edge_data(mover, k3, key="access:kms:Decrypt")
    assert at_k3 is not None
    assert at_k3["conditions"] == {"kms:requestalias": "alias/mover-data"}
    assert not graph.graph.has_edge(mover, k2, key="access:kms:Decrypt")
    assert "kms:Decrypt" in _escalations(graph, "Mover", "k2")["kms:UpdateAlias"]


def test_alias_escalations_hold_once_the_alias_points_at_the_key() -> None:
    """Every alias escalation, replayed: with the alias added to the key, the evaluator allows the access
    (by key ARN, or by naming the alias when the edge records `kms:RequestAlias`)."""
    case = load_case(CASES / "alias_change_escalation.yaml")
    graph = build_graph(case.build("alias_change_escalation"))
    checked = 0
    for source, arn, data in graph.edges("escalate"):
        if data["method"] not in ("kms:CreateAlias", "kms:UpdateAlias"):
            continue
        name = str(data["via"]).split("`")[1]
        key = graph.keys[arn]
        changed = Target(key=key.model_copy(update={"aliases": (*key.aliases, name)}), grants=key.grants)
        actor = graph.actors[source]
        # naming the alias in the request is what sets kms:RequestAlias (the edge records it as context)
        context = {k: v for k, v in dict(data["conditions"]).items() if k.lower() != "kms:requestalias"}  # type: ignore[call-overload]
        by_alias = len(context) < len(data["conditions"])  # type: ignore[arg-type]
        resource = f"arn:aws:kms:{key.region}:{key.account}:{name}" if by_alias else arn
        request = Request(
            principal=actor.subject.principal, action=str(data["action"]), resource=resource, context=context
        )
        assert evaluate(situation_of(actor.subject, changed), request, trace=False).effect == "ALLOW"
        # and it was not held before the change
        assert not graph.graph.has_edge(source, arn, key=f"access:{data['action']}")
        checked += 1
    assert checked >= 3


def test_sample_snapshot_set_default_policy_version() -> None:
    """`oncall` may make an older version of `SupportAccess` (its group's policy) the default again."""
    account = _account(SAMPLES / "account-escalations")
    support = next(p for p in next(e for e in account.principals if e.name == "oncall").policies)
    assert [v.name for v in support.other_versions] == ["SupportAccess v2", "SupportAccess v1"]
    graph = build_graph(account)
    assert _escalations(graph, "oncall", "alias/orders") == {"iam:SetDefaultPolicyVersion": {"kms:Decrypt"}}
    # v2 names the orders key only; v1 allows nothing the default does not
    assert _escalations(graph, "oncall", "alias/analytics-exports") == {}
    oncall = graph.find_principal("oncall")
    orders = graph.find_key("alias/orders")
    edges = graph.graph.get_edge_data(oncall, orders)
    (edge,) = (e for e in edges.values() if e["kind"] == "escalate")
    assert edge["via"] == (
        "`SupportAccess v2` made the default version of `arn:aws:iam::111122223333:policy/SupportAccess`,"
        " in force on `oncall`"
    )
    assert {(r.policy, r.sid) for r in edge["refs"]} >= {
        ("SupportAccess", "RollBack"),
        ("SupportAccess v2", "IncidentDecrypt"),
    }


def test_set_default_version_escalations_hold_once_the_version_is_the_default() -> None:
    """Every `iam:SetDefaultPolicyVersion` escalation, replayed: with the named version in force instead
    of the default on the entity it names, the evaluator allows the access, which it did not before."""
    case = load_case(CASES / "set_default_policy_version_escalation.yaml")
    account = case.build("set_default_policy_version_escalation")
    graph = build_graph(account)
    versions = {v.name: (p, v) for e in account.principals for p in e.policies for v in p.other_versions}
    checked = 0
    for source, arn, data in graph.edges("escalate"):
        if data["method"] != "iam:SetDefaultPolicyVersion":
            continue
        via = str(data["via"])
        default, version = versions[via.split("`")[1]]
        holder = graph.actors[graph.find_principal(via.split("`")[-2]) or ""]
        policies = tuple(version if p is default else p for p in holder.subject.identity_policies)
        subject = replace(holder.subject, identity_policies=policies)
        request = Request(principal=holder.subject.principal, action=str(data["action"]), resource=arn)
        assert evaluate(situation_of(subject, graph.targets[arn]), request, trace=False).effect == "ALLOW"
        assert not graph.graph.has_edge(source, arn, key=f"access:{data['action']}")
        checked += 1
    assert checked >= 5


def _retagged(tags: dict[str, str], tag: str, value: object) -> dict[str, str]:
    kept = {k: v for k, v in tags.items() if k.lower() != tag.lower()}
    return kept if value is None else {**kept, tag: str(value)}


_TAG_CASES = [
    CASES / "abac_tag_escalation.yaml",
    CASES / "principal_untag_lifts_a_deny.yaml",
    CASES / "tag_a_role_it_can_assume.yaml",
    *sorted((CASES / "adversarial").glob("abac_*.yaml")),
]


@pytest.mark.parametrize("path", _TAG_CASES, ids=[p.stem for p in _TAG_CASES])
def test_tag_escalations_hold_once_the_tags_change(path: Path) -> None:
    """Every escalation by a tag change, replayed: the edge's conditions are the tagging request's
    (`aws:TagKeys`, and `aws:RequestTag/<tag>` unless it removes the tag); with the key's tags (or the
    tagged principal's) changed so, the evaluator allows the access that was not held before."""
    case = load_case(path)
    graph = build_graph(case.build(path.stem))
    checked = 0
    for source, arn, data in graph.edges("escalate"):
        method = str(data["method"])
        if method not in (*KEY_TAG_WRITES, *IAM_TAGS_ROLE, *IAM_TAGS_USER):
            continue
        conditions = dict(data["conditions"])  # type: ignore[call-overload]
        (tag,) = conditions["aws:TagKeys"]
        value = conditions.get(f"aws:RequestTag/{tag}")
        assert (value is None) == ("Untag" in method)

        key = graph.keys[arn]
        target = graph.targets[arn]
        if method in KEY_TAG_WRITES:
            holder = graph.actors[source]
            target = Target(
                key=key.model_copy(update={"tags": _retagged(key.tags, tag, value)}), grants=key.grants
            )
            subject = holder.subject
        else:
            # the tagged principal is the writer itself or a role it can assume
            holder = graph.actors[graph.find_principal(str(data["via"]).split("`")[-2]) or ""]
            assert holder.node == source or graph.graph.has_edge(source, holder.node, key="assume")
            subject = replace(
                holder.subject,
                caller_tags=tuple(sorted(_retagged(dict(holder.subject.caller_tags), tag, value).items())),
            )
        request = holder.request(str(data["action"]), arn)
        assert evaluate(situation_of(subject, target), request, trace=False).effect == "ALLOW"
        assert not graph.graph.has_edge(source, arn, key=f"access:{data['action']}")
        checked += 1
    assert checked >= 1


_GRANT_CASES = [
    CASES / "create_grant_escalation_to_an_action_asked_later.yaml",
    *(
        CASES / f"{stem}.yaml"
        for stem in (
            "adversarial2/create_grant_constraint_type_required",
            "adversarial2/create_grant_to_a_role_it_can_become",
            "adversarial/create_grant_restricted",
            "adversarial/external_create_grant_escalation",
            "adversarial/partner_role_create_grant_escalation",
        )
    ),
]


@pytest.mark.parametrize("path", _GRANT_CASES, ids=[p.stem for p in _GRANT_CASES])
def test_grant_escalations_hold_once_the_grant_exists(path: Path) -> None:
    """Every `kms:CreateGrant` escalation, replayed: the source may create the grant its conditions describe
    (grantee, operation, and the constraint `kms:GrantConstraintType` asks for, on the encryption context the
    conditions carry), and with that grant on the key the grantee (the source, or a role it can assume)
    performs the action, which the source did not hold."""
    case = load_case(path)
    graph = build_graph(case.build(path.stem))
    access(graph, action="kms:DescribeKey")  # an action decided on demand has its escalations too
    checked = 0
    for source, arn, data in graph.edges("escalate"):
        if data["method"] != "kms:CreateGrant":
            continue
        conditions = dict(data["conditions"])  # type: ignore[call-overload]
        actor = graph.actors[source]
        enabling = actor.request("kms:CreateGrant", arn, conditions)
        assert evaluate(graph.situation(source, arn), enabling, trace=False).effect == "ALLOW"
        grantee = next(
            a for a in graph.actors.values() if a.principal_arn == conditions["kms:GranteePrincipal"]
        )
        assert grantee is actor or graph.graph.has_edge(source, grantee.node, key="assume")
        context = {k: v for k, v in conditions.items() if k.lower().startswith("kms:encryptioncontext:")}
        pairs = {k.split(":", 2)[2]: str(v) for k, v in context.items()}
        kind = {k.lower(): v for k, v in conditions.items()}.get("kms:grantconstrainttype")
        constraints = None
        if kind is not None:
            field = (
                "encryption_context_subset"
                if kind == "EncryptionContextSubset"
                else "encryption_context_equals"
            )
            constraints = GrantConstraints(**{field: pairs})
        (operation,) = conditions["kms:GrantOperations"]
        key = graph.keys[arn]
        grant = Grant(
            key_id=key.key_id,
            grant_id="replayed",
            grantee_principal=grantee.principal_arn,
            operations=(operation,),
            constraints=constraints,
            span=Span(file="replayed", pointer=""),
        )
        target = Target(key=key, grants=(*key.grants, grant), rcps=graph.targets[arn].rcps)
        request = grantee.request(str(data["action"]), arn, context)
        assert evaluate(situation_of(grantee.subject, target), request, trace=False).effect == "ALLOW"
        assert not graph.graph.has_edge(source, arn, key=f"access:{data['action']}")
        checked += 1
    assert checked
