"""An identity policy allows KMS actions on this key, but the key policy does not let IAM policies count.

## What it flags
An IAM user's or role's identity-policy statement that names this key in `Resource` and matches a
request for an action (by the evaluator's own statement matching), while the evaluator denies that
request because no key-policy statement allows it: the key policy neither names the principal nor
delegates the action to the account. The permission is dead; it explains an `AccessDeniedException`.
One finding per statement and key, listing the actions.

## Why it is risky
Nothing is exposed, but the policy says something that is not true: reviewers and auditors read it as
access that exists, and engineers chase the AccessDenied it causes.

## Example
A role policy allowing `kms:Decrypt` on `arn:aws:kms:us-east-1:111122223333:key/k1`, where the key
policy of `k1` names only `KeyAdmin` and has no `arn:aws:iam::111122223333:root` statement.

## Use instead
Add the account principal statement to the key policy (IAM delegation), name the role in the key
policy, or remove the dead permission.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
- https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.evaluate import evaluate, statement_matches
from kmspolicy.model import Finding, Request, Severity, StatementRef
from kmspolicy.rules.eff_graph import key_graph, label
from kmspolicy.rules.framework import KeyRule, KeyTarget

_NO_KEY_POLICY = "no resource-based policy allows"


def check(target: KeyTarget) -> Iterator[Finding]:
    found = key_graph(target)
    if found is None:
        return
    graph, key = found
    for actor in graph.actors.values():
        if actor.hypothetical or actor.kind not in ("user", "role"):
            continue
        situation = graph.situation(actor.node, key)
        for policy in actor.subject.identity_policies:
            for statement in policy.statements:
                if statement.effect != "Allow" or not any(
                    isinstance(i.value, str) and i.value != "*" for i in statement.resource or ()
                ):
                    continue  # only statements that name keys: `*` is meant for whatever keys allow it
                dead = []
                for action in graph.actions:
                    request = Request(principal=actor.subject.principal, action=action, resource=key)
                    if not statement_matches(statement, policy, request, situation).matched:
                        continue
                    decision = evaluate(situation, request, trace=False)
                    if decision.effect == "IMPLICIT_DENY" and decision.reason.startswith(_NO_KEY_POLICY):
                        dead.append(action)
                if dead:
                    ref = StatementRef.trusted(
                        layer="identity",
                        policy=policy.name,
                        sid=statement.sid,
                        index=statement.index,
                        span=statement.span,
                    )
                    shown = ", ".join(f"`{a}`" for a in dead)
                    yield target.make(
                        RULE,
                        f"`{label(graph, actor.node)}` is allowed {shown} on key `{label(graph, key)}`"
                        " by this"
                        " statement, but the key policy does not let IAM policies grant it",
                        statement.span,
                        statement=ref,
                    )


RULE = KeyRule(
    id="KMS065",
    name="eff-iam-grant-ineffective",
    severity=Severity.INFO,
    summary="an identity policy allows KMS actions on a key whose key policy does not delegate to IAM",
    help="add the account principal statement to the key policy, name the principal there, or drop it",
    check=check,
)
