"""Principals outside the allow-list can decrypt with this key, once everything is taken into account.

## What it flags
Every principal that can run `kms:Decrypt` with the key, directly or through roles it can assume or
access it can obtain (key policy, IAM policies, grants, permissions boundaries, SCPs and RCPs, all
decided by the evaluator), that the decrypt allow-list does not cover. One finding per principal,
at the statement or grant that lets it in.

The allow-list is the lint configuration's `decrypt_allowlist` (ARN patterns with `*`, account ids,
`*` for anyone). Without one, the allow-list is the zone of trust: the owner account, the trusted
accounts and organisations, and AWS service principals.

With a configured allow-list, reaching Decrypt by assuming an allow-listed role is that role's access:
the request is the role's session, so a principal of the zone of trust (an AWS service named in the
role's trust policy, a user of the account) that can decrypt only through allow-listed roles is not
reported; which principals may assume the role is eff-transitive-access's concern. A principal
outside the zone of trust is reported whichever role it goes through: the allow-list says who may
decrypt, not who outside may become them. A path through a role that is not on the allow-list is
reported for that role and for whoever reaches the key through it.

## Why it is risky
Decrypt is the permission that turns stored ciphertext into data. Reviewing statements one by one
misses access that only the combination gives: a partner account named in the key policy, an
`AWS: *` statement with a weak condition, a grant to an outside role.

## Example
```json
{"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
 "Action": "kms:Decrypt", "Resource": "*"}
```

## Use instead
Name only the principals that must decrypt, pin outside callers with `kms:EncryptionContext:*`
conditions or an RCP, and list the intended ones in `decrypt_allowlist`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-custom-policy-checks.html
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kmspolicy.conditions import ArnGlob
from kmspolicy.model import Finding, Severity
from kmspolicy.review.questions import who_can
from kmspolicy.rules.eff_graph import DECRYPT, key_graph, label, step_span
from kmspolicy.rules.framework import KeyRule, KeyTarget


def _allowed(node: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        if pattern == node or (pattern.isdigit() and f"::{pattern}:" in node):
            return True
        if pattern.startswith("arn:") and node.startswith("arn:") and ArnGlob(pattern).match(node):
            return True
    return False


def check(target: KeyTarget) -> Iterator[Finding]:
    found = key_graph(target)
    if found is None:
        return
    graph, key = found
    patterns = target.options.decrypt_allowlist
    everyone = who_can(graph, key, DECRYPT).principals
    if patterns is None:
        # without a configured allow-list, the zone of trust is the allow-list
        outside = [r for r in everyone if r.external]
    else:
        listed = patterns

        def unlisted(node: str) -> bool:
            return not _allowed(node, listed)

        own = {r.principal: r for r in who_can(graph, key, DECRYPT, through=unlisted).principals}
        outside = [
            own.get(r.principal, r)
            for r in everyone
            if unlisted(r.principal) and (r.principal in own or r.external)
        ]
    beyond = "is not on the allow-list" if patterns is not None else "is outside the zone of trust"
    for reach in outside:
        span, ref = step_span(target, reach.path[-1])
        yield target.make(
            RULE,
            f"`{label(graph, reach.principal)}` can decrypt with this key and {beyond}",
            span,
            statement=ref,
        )


RULE = KeyRule(
    id="KMS060",
    name="eff-who-can-decrypt-exceeds-allowlist",
    severity=Severity.HIGH,
    summary="principals outside the decrypt allow-list can decrypt with the key",
    help="remove their access, or add them to `decrypt_allowlist` if they are intended",
    check=check,
)
