"""An identity policy that lets a principal destroy or disable every key.

## What it flags
An identity-policy `Allow` covering `kms:ScheduleKeyDeletion`, `kms:DisableKey`,
`kms:DeleteImportedKeyMaterial` or `kms:DisableKeyRotation` on resources that reach every key.

## Why it is risky
Deleting or disabling a key (or deleting its imported material) makes everything encrypted under it
unreadable: a ransomware and sabotage path. On every key it is the whole account's data. Turning
rotation off loses no data, but weakens every key at once and is rarely anyone's job.

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


_ROTATION = "kms:DisableKeyRotation"


def _consequence(granted: frozenset[str]) -> str:
    if granted - {_ROTATION}:
        return "the principal can make data under any key unreadable"
    return "the principal can turn off automatic rotation of any key"


def check(target: PolicyTarget) -> Iterator[Finding]:
    yield from report_unscoped(target, RULE, ACTIONS, _consequence)


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
