"""A principal can perform an action from the organisation's deny-list on the key.

## What it flags
Every principal the input describes, every other account and `*`, that the evaluator allows (directly,
through roles it can assume, or by an escalation) an action from the deny-list: the lint
configuration's `denied_actions` (findings High). Without one, the deny-list is
`kms:ScheduleKeyDeletion` and `kms:PutKeyPolicy`, the two irreversible or self-granting actions, and
findings are Info. The owner account's root user is not reported (what the account principal is
given is the delegation to IAM). Principals of the owner account that the input only names (so that
their own IAM policies are unknown) are reported only when they need none: when the key policy or a
grant names them for the action (§1.3), not when the access would rest on IAM policies the input
does not show. One finding per principal and action, at the statement or grant that allows it.

## Why it is risky
Organisations keep a short list of actions that only a break-glass role may hold. Who really holds
them depends on key policies, IAM policies, SCPs and role chains together, not on one document.

## Example
```json
{"Sid": "Ops", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Ops"},
 "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}
```

## Use instead
Remove the action from the principal, deny it with an SCP except for the break-glass role, or list
the principal as an exception in the deny-list policy.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-checks-validating-policies.html#access-analyzer-checks-access-not-granted
- https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-adding-permission.html
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kmspolicy.model import Finding, Severity
from kmspolicy.review.questions import Step, who_can
from kmspolicy.rules.eff_graph import key_graph, label, step_span
from kmspolicy.rules.framework import KeyRule, KeyTarget

DEFAULT_DENIED = ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion")


def check(target: KeyTarget) -> Iterator[Finding]:
    configured = target.options.denied_actions
    denied = tuple(configured) if configured is not None else DEFAULT_DENIED
    found = key_graph(target, extra_actions=denied)
    if found is None:
        return
    graph, key = found
    severity = RULE.severity if configured is not None else Severity.INFO
    for action in denied:
        for reach in who_can(graph, key, action).principals:
            actor = graph.actors.get(reach.principal)
            if actor is None:
                continue
            if actor.kind == "root" and not actor.external:
                continue  # the owner's root user holds what the account principal is given: the delegation
            if (
                actor.hypothetical
                and not actor.external
                and (actor.kind not in ("role", "user") or _rests_on_iam(reach.path))
            ):
                continue  # its IAM policies are not in the input: the access is assumed, not shown
            span, ref = step_span(target, reach.path[-1])
            via = (
                " through " + " -> ".join(f"`{label(graph, s.target)}`" for s in reach.path[:-1])
                if len(reach.path) > 1
                else ""
            )
            yield target.make(
                RULE,
                f"`{label(graph, reach.principal)}` can perform denied action `{action}` on this key{via}",
                span,
                statement=ref,
                severity=severity,
            )


def _rests_on_iam(path: Sequence[Step]) -> bool:
    """Whether some step of the path is allowed by an identity policy (for a principal the input only
    names, the stand-in policy that allows it everything)."""
    return any(ref.layer == "identity" for step in path for ref in step.refs)


RULE = KeyRule(
    id="KMS064",
    name="eff-access-not-granted",
    severity=Severity.HIGH,
    summary="a principal can perform an action from the deny-list on the key",
    help="take the action away from the principal, or deny it with an SCP except for break-glass",
    check=check,
)
