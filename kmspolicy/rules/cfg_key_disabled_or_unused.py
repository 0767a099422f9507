"""A disabled customer managed key.

## What it flags
A customer managed key that is disabled (`Enabled: false`, `KeyState: Disabled`).

## Why it is risky
A disabled key still costs money and still holds a policy and grants that someone may re-enable. A
key disabled by mistake breaks every workload that uses it; one disabled on purpose should usually
be scheduled for deletion after review.

## Example
```json
{"Type": "AWS::KMS::Key", "Properties": {"Enabled": false}}
```

## Use instead
Re-enable the key, or schedule its deletion after confirming (CloudTrail) that nothing uses it.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/enabling-keys.html
- checkov CKV_AWS_227; prowler kms_cmk_are_used
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import KeyRule, KeyTarget
from kmspolicy.rules.key_fields import key_field_span


def check(target: KeyTarget) -> Iterator[Finding]:
    key = target.key
    if key.key_manager == "CUSTOMER" and (
        key.key_state == "Disabled" or (not key.enabled and key.key_state == "Enabled")
    ):
        yield target.make(RULE, f"key `{key.key_id}` is disabled", key_field_span(target, "state"))


RULE = KeyRule(
    id="KMS071",
    name="cfg-key-disabled-or-unused",
    severity=Severity.LOW,
    summary="customer managed key disabled",
    help="re-enable the key, or schedule its deletion once nothing uses it",
    check=check,
)
