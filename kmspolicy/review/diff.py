"""What a change grants: every access NEW allows that OLD does not (and what it takes away).

Both inputs (snapshots, bare policies, templates, plans) become accounts (`graph.account_of`). The
universe is the union of what they mention: their principals, the accounts and services their
policies and grants name, one hypothetical principal in the organisation, one in any other account;
their keys, and the roles with trust policies; the KMS actions their statements and grants cover
(`sts:AssumeRole` for roles). For each (principal, key or role, action) the evaluator decides the
request under both versions, first with the plain context, then with every witness context built from
the condition values of both versions, SCPs and RCPs included (so a loosened `StringLike`, a dropped
`aws:PrincipalOrgID` or an RCP that admits one more VPC endpoint is found with values that satisfy NEW
and not OLD); the stand-ins for other accounts are also placed in the organisations the conditions
name or match, the trusted ones and the account's own excepted, and at the places in them that
`aws:PrincipalOrgPaths` conditions name or match (`witness.StandIn`: `Principal: *` with
`StringLike aws:PrincipalOrgID o-*` is new access, witnessed by a principal in `o-kmspolicyx`; with
`ForAnyValue:StringLike aws:PrincipalOrgPaths o-*/*`, by one at `o-kmspolicyx/kmspolicyx`). A change
carries its witness: a concrete request that NEW allows and OLD denies (or the reverse, `removed=True`).
A role's requests are made as a session of it, and also as each session of it that either version names
by its session ARN, an account stand-in's also as the account's root user where a grant names the
account (`graph.named_callers`): the witness is made as that principal.

When both inputs are accounts (snapshots, not single policies or templates), the change also covers
transitive access: every principal that reaches a key action in one version's access graph, through
roles it can assume or an escalation, and not at all in the other's. Such a change carries its `path`
(each step an edge of the graph, so an evaluator decision); its witness is the path's last request, and
its sides say which version has the path.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence

from kmspolicy.catalog import action as action_info
from kmspolicy.catalog import expand_actions
from kmspolicy.evaluate import evaluate
from kmspolicy.model import (
    Account,
    ContextValue,
    Decision,
    Document,
    Frozen,
    Grant,
    InputKind,
    Key,
    Policy,
    Request,
    Situation,
    StatementRef,
)
from kmspolicy.review.graph import (
    ASSUME,
    AccessGraph,
    Actor,
    account_of,
    actors_of,
    applicable,
    build_graph,
    level_policies,
    named_callers,
    named_on,
    situation_of,
    trust_targets,
)
from kmspolicy.review.questions import Reach, Step, who_can
from kmspolicy.review.witness import StandIn, witness_contexts

_WITNESS_LIMIT = 512


class Side(Frozen):
    effect: str
    reason: str
    refs: tuple[StatementRef, ...] = ()


class Change(Frozen):
    principal: str
    resource: str
    action: str
    removed: bool
    external: bool
    witness: Request
    new: Side
    old: Side
    path: tuple[Step, ...] = ()  # a transitive change: the path in the version that has it


class DiffResult(Frozen):
    changes: tuple[Change, ...]

    @property
    def added(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.removed)

    @property
    def removed(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.removed)


def _side(decision: Decision | None) -> Side:
    if decision is None:
        return Side(effect="IMPLICIT_DENY", reason="the principal or resource does not exist in this version")
    return Side(effect=decision.effect, reason=decision.reason, refs=decision.determining)


class _Version:
    """One input: its callers and its targets (keys with their actions, roles with `sts:AssumeRole`)."""

    def __init__(self, account: Account, trusted: frozenset[str], orgs: frozenset[str]) -> None:
        self.account = account
        self.actors, self.targets = actors_of(account, trusted_accounts=trusted, trusted_orgs=orgs)
        self.keys = {arn: t.key for arn, t in self.targets.items()}
        self.roles = trust_targets(account)
        self._situations: dict[tuple[str, str], Situation] = {}

    def decide(
        self,
        node: str,
        resource: str,
        action: str,
        context: dict[str, ContextValue],
        caller: str | None = None,
    ) -> Decision | None:
        actor = self.actors.get(node)
        if actor is None:
            return None
        role = self.roles.get(resource)
        situation = self._situations.get((node, resource))
        if situation is None:
            target = role or self.targets.get(resource)
            if target is None:
                return None
            situation = situation_of(actor.subject, target)
            self._situations[(node, resource)] = situation
        return evaluate(situation, actor.request(action, resource, context, caller), trace=False)

    def callers(self, actor: Actor, resource: str) -> tuple[str, ...]:
        """The principals of `actor`'s node that this version's `resource` names one by one (a session of
        a role, an account's root user: `graph.named_callers`)."""
        target = self.roles.get(resource) or self.targets.get(resource)
        return () if target is None else named_callers(actor, named_on(target, self.account.account_id))

    def policies_for(self, node: str, resource: str) -> list[Policy | None]:
        """Every policy that decides `node` calling on `resource`, the SCPs and RCPs included: a condition
        that only an organisation policy writes (a Deny unless `aws:SourceVpce` is ...) decides too."""
        actor = self.actors.get(node)
        target = self.targets.get(resource) or self.roles.get(resource)
        found: list[Policy | None] = []
        if target is not None:
            found.extend((target.key_policy or target.key.policy, *level_policies(target.rcps)))
        if actor is not None:
            subject = actor.subject
            found.extend(
                (*subject.identity_policies, subject.permission_boundary, *level_policies(subject.scps))
            )
        return found

    def aliases_of(self, resource: str) -> tuple[str, ...]:
        target = self.targets.get(resource)
        return target.key.aliases if target is not None else ()

    def grants_for(self, resource: str) -> tuple[Grant, ...]:
        target = self.targets.get(resource)
        return target.grants if target is not None else ()


def _actions_of(policies: Iterable[Policy | None], keys: Iterable[Key]) -> set[str]:
    """The KMS key actions the statements and grants cover (NotAction covers every other one)."""
    every = {a for a in expand_actions("kms:*") if (info := action_info(a)) is not None and not info.key_less}
    found: set[str] = set()
    for policy in policies:
        for statement in policy.statements if policy is not None else ():
            if statement.not_action is not None:
                found |= every
            for item in statement.action or ():
                if isinstance(item.value, str):
                    found |= expand_actions(item.value) & every
    for key in keys:
        for grant in key.grants:
            found |= {f"kms:{op}" for op in grant.operations} & every
    return found


def _all_policies(account: Account) -> Iterator[Policy | None]:
    for key in account.keys:
        yield key.policy
    for entity in account.principals:
        yield from entity.policies
        yield entity.permission_boundary


def diff(
    old: Account | Document,
    new: Account | Document,
    *,
    account: str | None = None,
    actions: Sequence[str] | None = None,
    trusted_accounts: Iterable[str] = (),
    trusted_orgs: Iterable[str] = (),
    transitive: bool | None = None,
) -> DiffResult:
    """Every access NEW allows that OLD does not (`removed=False`), and every one it takes away.

    `transitive` adds the principals that newly reach (or no longer reach) a key action through roles
    or escalations; by default it is on when both inputs are accounts or snapshots.
    """
    new_account = account_of(new, account=account)
    old_account = account_of(old, account=account or new_account.account_id)
    trusted = frozenset(trusted_accounts)
    orgs = frozenset(trusted_orgs)
    versions = (_Version(old_account, trusted, orgs), _Version(new_account, trusted, orgs))
    old_v, new_v = versions
    for one, other in ((old_v, new_v), (new_v, old_v)):
        # a hypothetical principal (another account, `*`, one named but not described) exists in both
        for node, actor in one.actors.items():
            if actor.hypothetical and node not in other.actors:
                other.actors[node] = actor
    wanted = (
        set(actions)
        if actions is not None
        else (
            _actions_of(_all_policies(old_account), old_account.keys)
            | _actions_of(_all_policies(new_account), new_account.keys)
        )
    )
    # a stand-in for other accounts may be in any organisation but the trusted ones and the account's own
    own_orgs = {a.org_id for a in (old_account, new_account) if a.org_id}
    stand_in = StandIn(orgs | own_orgs)
    nodes = sorted(set(old_v.actors) | set(new_v.actors))
    keys = {**old_v.keys, **new_v.keys}
    resources = [(arn, sorted(a for a in wanted if applicable(key, a))) for arn, key in sorted(keys.items())]
    resources += [(arn, [ASSUME]) for arn in sorted(set(old_v.roles) | set(new_v.roles))]
    changes: list[Change] = []
    for node in nodes:
        actor = new_v.actors.get(node) or old_v.actors[node]
        for resource, acts in resources:
            if node == resource:
                continue
            policies = [*old_v.policies_for(node, resource), *new_v.policies_for(node, resource)]
            grants = [*old_v.grants_for(resource), *new_v.grants_for(resource)]
            # a request names in kms:RequestAlias an alias of the key (in either version), nothing else
            aliases = [a.split(":", 5)[-1] for v in versions for a in v.aliases_of(resource)]
            contexts = witness_contexts(
                policies,
                grants,
                limit=_WITNESS_LIMIT,
                only={"kms:requestalias": aliases},
                stand_in=stand_in if actor.org_unknown else None,
            )
            for act in acts:
                changes.extend(_compare(actor, resource, act, contexts, old_v, new_v))
    if transitive is None:
        transitive = _described(old) and _described(new)
    if transitive:
        graphs = tuple(
            build_graph(
                a,
                actions=sorted(wanted | set(ENABLING_ACTIONS)),
                trusted_accounts=trusted,
                trusted_orgs=orgs,
            )
            for a in (old_account, new_account)
        )
        changes.extend(_transitive(graphs[0], graphs[1], sorted(wanted), changes))
    return DiffResult(changes=tuple(changes))


# escalations go through these: the graphs decide them whether or not the policies name them
ENABLING_ACTIONS = ("kms:CreateGrant", "kms:PutKeyPolicy", "kms:TagResource")


def _described(source: Account | Document) -> bool:
    """An account, or a snapshot: an input that describes principals and roles, not one policy."""
    return isinstance(source, Account) or source.kind is InputKind.SNAPSHOT


def _transitive(
    old: AccessGraph, new: AccessGraph, actions: Sequence[str], direct: Sequence[Change]
) -> Iterator[Change]:
    """Principals that reach a key action by a path (roles, escalations) in one graph and not at all in the
    other; a one-step direct access is `_compare`'s, and what it reported is not repeated."""
    seen = {(c.principal, c.resource, c.action, c.removed) for c in direct}
    for arn in sorted(set(old.keys) | set(new.keys)):
        for action in actions:
            before, now = (
                {r.principal: r for r in who_can(g, arn, action).principals} if arn in g.keys else {}
                for g in (old, new)
            )
            for removed, graph, here, there in ((False, new, now, before), (True, old, before, now)):
                for node, reach in sorted(here.items()):
                    direct_step = len(reach.path) == 1 and reach.path[0].kind == "access"
                    if node in there or direct_step or (node, arn, action, removed) in seen:
                        continue
                    yield _path_change(graph, reach, arn, action, removed)


def _path_change(graph: AccessGraph, reach: Reach, arn: str, action: str, removed: bool) -> Change:
    last = reach.path[-1]
    witness = graph.request(last.source, action, arn, dict(last.conditions), last.caller)
    has = Side(effect="ALLOW", reason=last.reason, refs=last.refs)
    version = "old" if not removed else "new"
    how = "directly, through roles or by an escalation"
    lacks = Side(
        effect="IMPLICIT_DENY", reason=f"no path to `{action}` on this key in the {version} version, {how}"
    )
    return Change(
        principal=reach.principal,
        resource=arn,
        action=action,
        removed=removed,
        external=reach.external,
        witness=witness,
        new=lacks if removed else has,
        old=has if removed else lacks,
        path=reach.path,
    )


def _compare(
    actor: Actor,
    resource: str,
    act: str,
    contexts: list[dict[str, ContextValue]],
    old_v: _Version,
    new_v: _Version,
) -> Iterator[Change]:
    found_added = found_removed = False
    # the node's own caller first, then the principals of it that either version names one by one
    named = dict.fromkeys((*old_v.callers(actor, resource), *new_v.callers(actor, resource)))
    for caller, context in itertools.product((None, *named), contexts):
        new_d = new_v.decide(actor.node, resource, act, context, caller)
        old_d = old_v.decide(actor.node, resource, act, context, caller)
        now = new_d is not None and new_d.effect == "ALLOW"
        before = old_d is not None and old_d.effect == "ALLOW"
        if now == before:
            continue
        if (now and found_added) or (before and found_removed):
            continue
        witness = actor.request(act, resource, context, caller)
        yield Change(
            principal=actor.node,
            resource=resource,
            action=act,
            removed=before,
            external=actor.external,
            witness=witness,
            new=_side(new_d),
            old=_side(old_d),
        )
        found_added = found_added or now
        found_removed = found_removed or before
        if found_added and found_removed:
            return


def diff_json(result: DiffResult) -> dict[str, object]:
    return {
        "added": [c.model_dump(mode="json", exclude_none=True) for c in result.added],
        "removed": [c.model_dump(mode="json", exclude_none=True) for c in result.removed],
    }


__all__ = ["ENABLING_ACTIONS", "Change", "DiffResult", "Side", "diff", "diff_json"]
