"""Access gated on an attribute the same principal may change: shared by KMS042 (tags) and KMS043 (aliases).

A statement that allows KMS use only when the key carries some tag (or alias) is a gate; a statement of
the same policy that lets the principal set tags (or aliases) without restricting which hands it the key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kmspolicy.model import Condition, Finding, PolicyKind
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts


def escalations(
    target: PolicyTarget,
    rule: PolicyRule,
    gate: Callable[[StatementFacts], Condition | None],
    changers: frozenset[str],
    limits: tuple[str, ...],
    what: str,
) -> Iterator[Finding]:
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    gated = [(f, c) for f in target.facts if f.allow and f.kms_actions and (c := gate(f)) is not None]
    if not gated:
        return
    gate_facts, condition = gated[0]
    for facts in target.facts:
        if not facts.allow:
            continue
        granted = facts.kms_actions & changers
        if not granted or facts.conditions_on(*limits):
            continue
        item, _ = facts.first_item_covering(granted)
        span = item.span if item is not None else facts.element_span("NotAction")
        names = ", ".join(f"`{a}`" for a in sorted(granted))
        yield target.report(
            rule,
            f"{names} lets the principal change the {what} that `{condition.key}` in statement "
            f"{gate_facts.statement.sid or gate_facts.statement.index} relies on, and so give itself access",
            span,
            facts.statement,
        )
