"""A key-policy statement whose Resource is not this key.

## What it flags
A `Resource` value in a key policy other than `"*"` that does not match this key's ARN: another key,
an alias ARN, another service's ARN. When the key's ARN is unknown, values that cannot name a key of
the owner account (alias ARNs, non-KMS ARNs, keys of other accounts) are reported.

## Why it is risky
A key policy only ever governs its own key; `"*"` means "this key". A statement naming something else
never matches, so the access it was meant to grant (or deny) silently does not exist.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, "Action": "kms:Decrypt",
 "Resource": "arn:aws:kms:us-east-1:111122223333:alias/app"}
```

## Use instead
`"Resource": "*"`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.conditions import ArnGlob
from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def _names_other(value: str, key_arn: str | None, owner: str | None) -> bool:
    if key_arn is not None:
        return not ArnGlob(value).match(key_arn)
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[2] not in ("kms", "*"):
        return True
    if parts[5].startswith("alias/"):
        return True
    return owner is not None and parts[4] not in ("", "*", owner) and "*" not in parts[4]


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not target.is_key_policy:
        return
    key = target.key
    key_arn = key.arn if key is not None and isinstance(key.arn, str) and key.arn.startswith("arn:") else None
    for facts in target.facts:
        for item in facts.statement.resource or ():
            value = item.value
            if not isinstance(value, str) or value == "*" or "${" in value:
                continue
            if _names_other(value, key_arn, target.trust.owner):
                yield target.report(
                    RULE,
                    f"`{value}` is not this key: a key policy governs only its own key, so this "
                    "statement never matches",
                    item.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS023",
    name="kp-resource-not-this-key",
    severity=Severity.MEDIUM,
    summary="key-policy Resource names something other than this key; the statement never matches",
    help='use `"Resource": "*"` in key policies',
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"resource-arn"}),
)
