"""Access gated on an attribute the same principal may change: shared by KMS042 (tags) and KMS043 (aliases).

A statement that allows KMS use only when the key carries some tag (or alias) is a gate; a statement
that lets the same principal set tags (or aliases) without restricting which hands it the key. The
principal is the holder of the policy: the gate and the change may sit in two policies of one user or
role (a template, plan or snapshot says which policies each holds). An explicit `Deny` of the change
in any of them wins (reference §1.6): one without conditions on every key, or one whose conditions
the rule recognises as matching every change of the gating attribute (`blocks`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from kmspolicy.model import Condition, Finding, IamEntity, Policy, PolicyKind, StatementRef
from kmspolicy.rules.framework import LAYERS, PolicyRule, PolicyTarget
from kmspolicy.rules.resources import reaches_all_keys
from kmspolicy.rules.statements import StatementFacts, statement_label

Gate = Callable[[StatementFacts], Condition | None]


def escalations(
    target: PolicyTarget,
    rule: PolicyRule,
    gate: Gate,
    changers: frozenset[str],
    limits: tuple[str, ...],
    what: str,
    reaches: Callable[[StatementFacts, Condition], bool] | None = None,
    blocks: Callable[[StatementFacts, Condition], bool] | None = None,
) -> Iterator[Finding]:
    """`reaches(changer, gate)`: whether the changing statement can set a value the gate accepts
    (None: any changer can). `blocks(deny, gate)`: whether a Deny with conditions refuses every change
    of the value the gate reads (None: only Denies without conditions count)."""
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    gated = [(f, c) for f in target.facts if f.allow and f.kms_actions and (c := gate(f)) is not None]
    if not gated:
        return
    holders = _holders(target)
    # Denies of the holder's other policies apply to this policy's changers only when one principal
    # holds it: a managed policy attached to several is judged with its own Denies.
    own_denies = [f for f in target.facts if f.deny]
    if len(holders) == 1:
        own_denies += _denies(_others(target, holders[0]))
    for facts in target.facts:
        found = _escalation(facts, gated, changers, limits, reaches, blocks, own_denies)
        if found is not None:
            yield _finding(target, rule, what, facts, None, *found)
    reported: set[tuple[int, int]] = set()
    for holder in holders:
        others = _others(target, holder)
        if any(_gated(policy, gate) for policy in _before(holder, target.policy)):
            continue  # the first gated policy of the holder reports its other policies' changers
        denies = [*(f for f in target.facts if f.deny), *_denies(others)]
        for policy in others:
            if _gated(policy, gate):
                continue  # it reports its own changers against its own gate
            for statement in policy.statements:
                if (id(policy), statement.index) in reported:
                    continue
                facts = StatementFacts(statement)
                found = _escalation(facts, gated, changers, limits, reaches, blocks, denies)
                if found is not None:
                    reported.add((id(policy), statement.index))
                    yield _finding(target, rule, what, facts, policy, *found)


def _escalation(
    facts: StatementFacts,
    gated: list[tuple[StatementFacts, Condition]],
    changers: frozenset[str],
    limits: tuple[str, ...],
    reaches: Callable[[StatementFacts, Condition], bool] | None,
    blocks: Callable[[StatementFacts, Condition], bool] | None,
    denies: Sequence[StatementFacts],
) -> tuple[frozenset[str], StatementFacts, Condition] | None:
    """The changing actions the statement leaves open and the gate they defeat, or None."""
    if not facts.allow:
        return None
    granted = facts.kms_actions & changers
    if not granted or facts.conditions_on(*limits):
        return None
    for gate_facts, condition in gated:
        if reaches is not None and not reaches(facts, condition):
            continue
        open_actions = frozenset(a for a in granted if not _denied(a, condition, denies, blocks))
        if open_actions:
            return open_actions, gate_facts, condition
    return None


def _denied(
    action: str,
    gate: Condition,
    denies: Sequence[StatementFacts],
    blocks: Callable[[StatementFacts, Condition], bool] | None,
) -> bool:
    for deny in denies:
        statement = deny.statement
        if not deny.covers(action) or statement.not_principal is not None or statement.not_resource:
            continue
        if not any(reaches_all_keys(item.value) for item in statement.resource or ()):
            continue
        if not statement.conditions or (blocks is not None and blocks(deny, gate)):
            return True
    return False


def _finding(
    target: PolicyTarget,
    rule: PolicyRule,
    what: str,
    facts: StatementFacts,
    policy: Policy | None,
    granted: frozenset[str],
    gate_facts: StatementFacts,
    condition: Condition,
) -> Finding:
    item, _ = facts.first_item_covering(granted)
    span = item.span if item is not None else facts.element_span("NotAction")
    names = [f"`{a}`" for a in sorted(granted)]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    where = statement_label(gate_facts.statement)
    if policy is not None:
        where += f" of policy `{target.policy.name}`"
    message = (
        f"{listed} {'lets' if len(names) == 1 else 'let'} the principal change the {what} that "
        f"`{condition.key}` in {where} relies on, and so give itself access"
    )
    if policy is None:
        return target.report(rule, message, span, facts.statement)
    statement = facts.statement
    ref = StatementRef.trusted(
        layer=LAYERS[policy.kind],
        policy=policy.name,
        sid=statement.sid,
        index=statement.index,
        span=statement.span,
    )
    return target.make(rule, message, span, statement=ref)


def _holders(target: PolicyTarget) -> list[IamEntity]:
    """The users and roles of the input that hold the policy."""
    document = target.document
    entities = (*document.principals, *(document.account.principals if document.account else ()))
    policy = target.policy
    return [e for e in entities if e.type != "group" and any(p is policy for p in e.policies)]


def _others(target: PolicyTarget, holder: IamEntity) -> list[Policy]:
    return [p for p in holder.policies if p is not target.policy and p.kind is PolicyKind.IDENTITY]


def _before(holder: IamEntity, policy: Policy) -> list[Policy]:
    index = next(i for i, p in enumerate(holder.policies) if p is policy)
    return [p for p in holder.policies[:index] if p.kind is PolicyKind.IDENTITY]


def _gated(policy: Policy, gate: Gate) -> bool:
    return any(s.effect == "Allow" and gate(StatementFacts(s)) is not None for s in policy.statements)


def _denies(policies: Sequence[Policy]) -> list[StatementFacts]:
    return [StatementFacts(s) for policy in policies for s in policy.statements if s.effect == "Deny"]
