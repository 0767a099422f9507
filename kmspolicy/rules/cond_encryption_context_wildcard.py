"""An encryption-context condition whose only value is `*`.

## What it flags
A `kms:EncryptionContext:<k>` or `kms:EncryptionContextKeys` condition with a positive `...Like`
operator whose values are all `*` (or `?*`).

## Why it is risky
It reads like a restriction on the context value but only requires the pair to exist with any value:
every caller that sends `<k>` with anything passes.

## Example
```json
"Condition": {"StringLike": {"kms:EncryptionContext:tenant": "*"}}
```

## Use instead
Pin the value (`"StringEquals": {"kms:EncryptionContext:tenant": "${aws:PrincipalTag/tenant}"}`), or
say what you mean with `"Null": {"kms:EncryptionContext:tenant": "false"}`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

_ANYTHING = frozenset({"*", "?*", "*?"})


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        # `kms:EncryptionContext:<key>` and `kms:EncryptionContextKeys`, the prefix both share.
        for condition in facts.conditions_with_prefix("kms:encryptioncontext"):
            op = condition.operator
            if op is None or op.negated or not op.base.endswith("Like") or not condition.values:
                continue
            if all(isinstance(v, str) and v in _ANYTHING for v in condition.values):
                what = (
                    "some encryption context"
                    if condition.key_lower == "kms:encryptioncontextkeys"
                    else "the pair to exist"
                )
                yield target.report(
                    RULE,
                    f"`{condition.key}` matched against `*` accepts any value; it only requires {what}",
                    condition.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS059",
    name="cond-encryption-context-wildcard",
    severity=Severity.LOW,
    summary="encryption-context condition whose value is only `*`",
    help="pin the context value, or use `Null: false` to require the key",
    check=check,
    needs=frozenset({"conditions"}),
)
