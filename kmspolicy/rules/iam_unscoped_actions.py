"""Identity-policy statements that allow chosen KMS actions on every key: shared by KMS035-KMS037."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kmspolicy.model import Finding, PolicyKind
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.resources import unscoped
from kmspolicy.rules.statements import StatementFacts, all_kms_actions


def unscoped_grants(
    target: PolicyTarget, actions: frozenset[str]
) -> Iterator[tuple[StatementFacts, frozenset[str], str]]:
    """Allow statements of an identity policy giving some of `actions` on every key.

    Statements that give all of KMS (KMS034) or all of AWS (KMS041) are left to those rules.
    """
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    everything = all_kms_actions()
    for facts in target.facts:
        if not facts.allow or facts.kms_actions == everything or facts.grants_all_of_aws:
            continue
        granted = facts.kms_actions & actions
        if not granted:
            continue
        reach = unscoped(facts)
        if reach is not None:
            yield facts, granted, reach[0]


def report_unscoped(
    target: PolicyTarget,
    rule: PolicyRule,
    actions: frozenset[str],
    what: str | Callable[[frozenset[str]], str],
) -> Iterator[Finding]:
    """One finding per statement; `what` says what the granted actions let the principal do."""
    for facts, granted, reach in unscoped_grants(target, actions):
        item, _ = facts.first_item_covering(granted)
        span = item.span if item is not None else facts.element_span("NotAction")
        names = ", ".join(f"`{a}`" for a in sorted(granted))
        said = what if isinstance(what, str) else what(granted)
        yield target.report(rule, f"{names} allowed on every key (`{reach}`): {said}", span, facts.statement)
