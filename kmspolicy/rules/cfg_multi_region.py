"""A multi-Region key.

## What it flags
A key created as multi-Region (primary or replica).

## Why it is risky
Every replica shares the key material but has its own key policy and grants, which are never
synchronized: access can drift between Regions, and a copy of the key exists wherever a replica is.

## Example
```json
{"Type": "AWS::KMS::Key", "Properties": {"MultiRegion": true}}
```

## Use instead
Single-Region keys unless cross-Region decryption is required; when it is, review every replica's
policy together.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html
- prowler kms_cmk_not_multi_region
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import KeyRule, KeyTarget
from kmspolicy.rules.key_fields import key_field_span


def check(target: KeyTarget) -> Iterator[Finding]:
    key = target.key
    if key.multi_region:
        kind = f" ({key.multi_region_key_type.lower()})" if key.multi_region_key_type else ""
        yield target.make(
            RULE,
            f"key `{key.key_id}` is multi-Region{kind}: each replica has its own policy and grants",
            key_field_span(target, "multi_region"),
        )


RULE = KeyRule(
    id="KMS072",
    name="cfg-multi-region",
    severity=Severity.INFO,
    summary="multi-Region key (replicas widen the blast radius)",
    help="prefer single-Region keys; review all replicas' policies together",
    check=check,
)
