"""A key without the tags the configuration requires.

## What it flags
A customer managed key missing one of the configured `required_tags` (none are required unless
configured).

## Why it is risky
Tags name the owner, data classification and cost center; tag-based access control (ABAC) and
inventory both depend on them. An untagged key is one nobody can account for.

## Example
```json
{"Type": "AWS::KMS::Key", "Properties": {"Tags": [{"Key": "team", "Value": "payments"}]}}
```
with `required_tags = ["team", "data-classification"]`.

## Use instead
Add the required tags.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/tagging-keys.html
- AWS Config kms-key-tagged
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import KeyRule, KeyTarget
from kmspolicy.rules.key_fields import key_field_span


def check(target: KeyTarget) -> Iterator[Finding]:
    key = target.key
    required = target.options.required_tags
    if not required or key.key_manager != "CUSTOMER":
        return
    present = {k.lower() for k in key.tags}
    missing = [t for t in required if t.lower() not in present]
    if missing:
        yield target.make(
            RULE,
            f"key `{key.key_id}` lacks required tag{'s' if len(missing) > 1 else ''} "
            + ", ".join(f"`{t}`" for t in missing),
            key_field_span(target, "tags"),
        )


RULE = KeyRule(
    id="KMS073",
    name="cfg-untagged",
    severity=Severity.INFO,
    summary="key lacks required tags",
    help="add the tags listed in `required_tags`",
    check=check,
)
