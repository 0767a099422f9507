"""An identity policy that lets a principal rewrite key policies or revoke grants on every key.

## What it flags
An identity-policy `Allow` covering `kms:PutKeyPolicy`, `kms:RevokeGrant` or `kms:RetireGrant` on
resources that reach every key.

## Why it is risky
`kms:PutKeyPolicy` is permission management: whoever has it on a key can give anyone, themselves
included, any access to it. On every key of the account it is key-level administrator rights over all
data. Revoking grants on every key breaks every service that depends on them.

## Example
```json
{"Effect": "Allow", "Action": ["kms:PutKeyPolicy", "kms:GetKeyPolicy"], "Resource": "*"}
```

## Use instead
Give `kms:PutKeyPolicy` on the specific keys a team administers, to an administrator role with MFA.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html
- parliament PERMISSIONS_MANAGEMENT_ACTIONS; cloudsplaining ResourceExposure
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.iam_unscoped_actions import report_unscoped

ACTIONS = frozenset({"kms:PutKeyPolicy", "kms:RevokeGrant", "kms:RetireGrant"})


def check(target: PolicyTarget) -> Iterator[Finding]:
    yield from report_unscoped(target, RULE, ACTIONS, "the principal can change who may use any key")


RULE = PolicyRule(
    id="KMS035",
    name="iam-key-policy-write",
    severity=Severity.HIGH,
    summary="identity policy allows `kms:PutKeyPolicy` (or grant revocation) on unscoped keys",
    help="scope permission-management actions to specific key ARNs",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
