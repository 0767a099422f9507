"""A principal that cannot use the key yet can give itself access: by rewriting the key policy or by
creating a grant to itself.

## What it flags
Principals that the evaluator allows `kms:PutKeyPolicy` or `kms:CreateGrant` on the key, and that
the evaluator then allows a usage action (Decrypt, Encrypt, GenerateDataKey, ReEncryptFrom, Sign,
GenerateMac) they did not have before, once the key policy names them or a grant to them exists.
One finding per principal and method, at the statement that allows the method.

A grant to itself is a CreateGrant the principal makes directly: a CreateGrant that only a call an AWS
service makes on its behalf satisfies (`kms:GrantIsForAWSResource` true, `kms:ViaService`,
`aws:CalledVia`) is not an escalation, since direct calls never carry those keys (reference §3.1, W36).

## Why it is risky
Separating key administrators from key users is the point of most key policies. An administrator
who can put a new policy, or anyone who can create grants without constraints, is a key user in
waiting; no existing tool follows these KMS-specific escalation paths.

## Example
```json
{"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/KeyAdmin"},
 "Action": ["kms:PutKeyPolicy", "kms:DescribeKey"], "Resource": "*"}
```

## Use instead
Give `kms:PutKeyPolicy` only to a break-glass role, constrain `kms:CreateGrant` with
`kms:GrantIsForAWSResource`, `kms:GranteePrincipal` or `kms:GrantOperations`, and deny usage actions
to administrators explicitly.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-administrators
- https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.review.questions import Step
from kmspolicy.rules.eff_graph import key_graph, label, step_span
from kmspolicy.rules.framework import KeyRule, KeyTarget

METHODS = ("kms:PutKeyPolicy", "kms:CreateGrant")
USAGE = frozenset(
    {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:Sign", "kms:GenerateMac"}
)


def check(target: KeyTarget) -> Iterator[Finding]:
    found = key_graph(target)
    if found is None:
        return
    graph, key = found
    gained: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for source, _, data in graph.graph.in_edges(key, data=True):
        if data["kind"] == "escalate" and data["method"] in METHODS and data["action"] in USAGE:
            gained[(source, str(data["method"]))].append(
                Step(
                    source=source,
                    target=key,
                    kind="escalate",
                    action=str(data["action"]),
                    reason=str(data["reason"]),
                    refs=data["refs"],
                    method=str(data["method"]),
                )
            )
    for (source, method), steps in sorted(gained.items()):
        actions = ", ".join(f"`{s.action}`" for s in sorted(steps, key=lambda s: s.action))
        span, ref = step_span(target, steps[0])
        yield target.make(
            RULE,
            f"`{label(graph, source)}` cannot use this key but can give itself {actions} with `{method}`",
            span,
            statement=ref,
        )


RULE = KeyRule(
    id="KMS062",
    name="eff-self-escalation-key-policy",
    severity=Severity.HIGH,
    summary="a principal can give itself use of the key through PutKeyPolicy or CreateGrant",
    help="keep policy changes with a break-glass role and constrain CreateGrant",
    check=check,
)
