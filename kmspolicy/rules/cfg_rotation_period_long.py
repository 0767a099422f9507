"""A rotation period longer than the configured maximum.

## What it flags
A key with automatic rotation on whose `RotationPeriodInDays` exceeds the configured maximum
(`rotation_period_max_days`, default 365).

## Why it is risky
KMS allows periods up to 2560 days (seven years). A long period gives most of the exposure of no
rotation while looking compliant.

## Example
```json
{"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true, "RotationPeriodInDays": 2000}}
```

## Use instead
A period within your policy, typically 365 days or less.

## References
- https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import KeyRule, KeyTarget
from kmspolicy.rules.key_fields import key_field_span


def check(target: KeyTarget) -> Iterator[Finding]:
    key = target.key
    limit = target.options.rotation_period_max_days
    period = key.rotation_period_days
    if key.rotation_enabled and period is not None and period > limit:
        yield target.make(
            RULE,
            f"key `{key.key_id}` rotates every {period} days, more than the configured {limit}",
            key_field_span(target, "rotation_period"),
        )


RULE = KeyRule(
    id="KMS068",
    name="cfg-rotation-period-long",
    severity=Severity.LOW,
    summary="custom rotation period above the configured threshold",
    help="shorten `RotationPeriodInDays` to the configured maximum or less",
    check=check,
)
