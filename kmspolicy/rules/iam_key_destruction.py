"""An identity policy that lets a principal destroy or disable every key.

## What it flags
An identity-policy `Allow` covering `kms:ScheduleKeyDeletion`, `kms:DisableKey`,
`kms:DeleteImportedKeyMaterial` or `kms:DisableKeyRotation` on resources that reach every key.

## Why it is risky
Deleting or disabling a key makes everything encrypted under it unreadable: a ransomware and
sabotage path. On every key it is the whole account's data.

## Example
```json
{"Effect": "Allow", "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"], "Resource": "*"}
```

## Use instead
Scope these actions to specific keys, for a break-glass role with MFA; add a Deny guard with
`kms:ScheduleKeyDeletionPendingWindowInDays`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-adding-permission.html
- cloudsplaining InfrastructureModification; iam-policy-validator sensitive_action
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.iam_unscoped_actions import report_unscoped

ACTIONS = frozenset(
    {"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DeleteImportedKeyMaterial", "kms:DisableKeyRotation"}
)


def check(target: PolicyTarget) -> Iterator[Finding]:
    yield from report_unscoped(target, RULE, ACTIONS, "the principal can make data under any key unreadable")


RULE = PolicyRule(
    id="KMS037",
    name="iam-key-destruction",
    severity=Severity.MEDIUM,
    summary="identity policy allows key deletion / disabling on unscoped keys",
    help="scope destructive actions to specific keys for a break-glass role",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
