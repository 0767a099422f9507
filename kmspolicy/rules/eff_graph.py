"""The access graph as the effective-access rules (catalogue section G) see it: one graph per document,
built with the lint run's zone of trust, and the key node of the key being checked.

Not a rule itself (it declares no `RULE`); the `eff_*` rule modules share it so that the graph of an
account is built once per lint run, not once per rule and key.
"""

from __future__ import annotations

from collections.abc import Sequence

from kmspolicy.model import Span, StatementRef
from kmspolicy.review.graph import DEFAULT_ACTIONS, AccessGraph, graph_for
from kmspolicy.review.questions import Step
from kmspolicy.rules.framework import KeyTarget

DECRYPT = "kms:Decrypt"


def key_graph(
    target: KeyTarget, *, org_policies: bool = True, extra_actions: Sequence[str] = ()
) -> tuple[AccessGraph, str] | None:
    """The graph of the target's document and the node of its key; None when the key is not in it."""
    actions = (*DEFAULT_ACTIONS, *(a for a in extra_actions if a not in DEFAULT_ACTIONS))
    graph = graph_for(
        target.document,
        trusted_accounts=target.trust.accounts,
        trusted_orgs=target.trust.orgs,
        org_policies=org_policies,
        actions=actions,
    )
    node = graph.find_key(target.key.key_id)
    return None if node is None else (graph, node)


def label(graph: AccessGraph, node: str) -> str:
    return str(graph.graph.nodes[node].get("label", node))


def first_ref(refs: tuple[StatementRef, ...], prefer: str | None = None) -> StatementRef | None:
    """The first determining statement or grant that has a position in the input, one of layer
    `prefer` if there is one."""
    placed = [r for r in refs if r.span is not None and not r.span.file.startswith("<")]
    return next((r for r in placed if r.layer == prefer), placed[0] if placed else None)


def step_span(target: KeyTarget, step: Step, prefer: str | None = None) -> tuple[Span, StatementRef | None]:
    """Where a finding about this step points: its justifying statement or grant (one of layer
    `prefer` if there is one), else the key."""
    ref = first_ref(step.refs, prefer)
    if ref is not None and ref.span is not None:
        return ref.span, ref
    return key_span(target), None


def key_span(target: KeyTarget) -> Span:
    key = target.key
    if key.span is not None:
        return key.span
    if key.policy is not None:
        return key.policy.span
    return Span(file=target.document.file, pointer="")
