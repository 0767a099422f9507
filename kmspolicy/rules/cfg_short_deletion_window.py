"""A deletion waiting period shorter than the configured minimum.

## What it flags
A key whose `PendingWindowInDays` (CloudFormation), `deletion_window_in_days` (Terraform) or
`PendingDeletionWindowInDays` is below the configured minimum (`deletion_window_min_days`,
default 30). KMS accepts 7 to 30 days.

## Why it is risky
The waiting period is the only time to notice and cancel an unwanted deletion. Seven days over a
holiday is not enough.

## Example
```json
{"Type": "AWS::KMS::Key", "Properties": {"PendingWindowInDays": 7}}
```

## Use instead
`PendingWindowInDays: 30`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html#deleting-keys-how-it-works
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import KeyRule, KeyTarget
from kmspolicy.rules.key_fields import key_field_span


def check(target: KeyTarget) -> Iterator[Finding]:
    key = target.key
    window = key.pending_window_days
    minimum = target.options.deletion_window_min_days
    if window is not None and window < minimum:
        yield target.make(
            RULE,
            f"key `{key.key_id}` has a {window}-day deletion window, below the configured {minimum} days",
            key_field_span(target, "deletion_window"),
        )


RULE = KeyRule(
    id="KMS070",
    name="cfg-short-deletion-window",
    severity=Severity.LOW,
    summary="deletion waiting period below the configured minimum (30 days)",
    help="set the deletion window to 30 days",
    check=check,
)
