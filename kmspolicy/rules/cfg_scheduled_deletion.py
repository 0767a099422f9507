"""A key scheduled for deletion.

## What it flags
A key in state `PendingDeletion` or `PendingReplicaDeletion`, or with a `DeletionDate`.

## Why it is risky
When the waiting period ends, the key material is destroyed and everything encrypted under the key
becomes unreadable for good. Deletions are often accidental or malicious (ransomware).

## Example
```json
{"KeyMetadata": {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "KeyState": "PendingDeletion",
 "DeletionDate": "2026-12-01T00:00:00Z"}}
```

## Use instead
If the deletion is not intended, `aws kms cancel-key-deletion` (then re-enable the key). Before
deleting, disable the key for a while and watch CloudTrail for use.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
- AWS Security Hub KMS.3
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import KeyRule, KeyTarget
from kmspolicy.rules.key_fields import key_field_span


def check(target: KeyTarget) -> Iterator[Finding]:
    key = target.key
    if key.key_state in ("PendingDeletion", "PendingReplicaDeletion") or key.deletion_date:
        when = f" on {key.deletion_date}" if key.deletion_date else ""
        yield target.make(
            RULE,
            f"key `{key.key_id}` is scheduled for deletion{when}; data encrypted under it will be "
            "unrecoverable",
            key_field_span(target, "state"),
        )


RULE = KeyRule(
    id="KMS069",
    name="cfg-scheduled-deletion",
    severity=Severity.HIGH,
    summary="key pending deletion",
    help="cancel the deletion if it is not intended (`aws kms cancel-key-deletion`)",
    check=check,
)
