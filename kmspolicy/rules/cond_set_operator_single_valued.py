"""`ForAllValues` / `ForAnyValue` on a single-valued condition key.

## What it flags
A set operator (`ForAllValues:` or `ForAnyValue:`) on a key that holds one value, such as
`kms:EncryptionContext:<k>`, `kms:CallerAccount`, `aws:PrincipalOrgID` or `aws:RequestTag/<k>`.

## Why it is risky
Set operators treat a single-valued key as a set of zero or one element. `ForAllValues` then matches
requests without the key (KMS rejects it for encryption-context and request-tag keys with
`OverlyPermissiveCondition`); `ForAnyValue` with a negated operator lets through values meant to be
forbidden.

## Example
```json
"Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContext:tenant": ["t-17", "t-18"]}}
```

## Use instead
Drop the set operator: `"StringEquals": {"kms:EncryptionContext:tenant": ["t-17", "t-18"]}`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
- IAM Access Analyzer "ForAllValues with single valued key"; parliament SINGLE_VALUE_CONDITION_TOO_PERMISSIVE
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.condition_keys import info
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        for condition in facts.statement.conditions:
            op = condition.operator
            if op is None or op.qualifier is None:
                continue
            key = info(condition)
            if key is not None and not key.multi_valued:
                yield target.report(
                    RULE,
                    f"`{op.qualifier}` on single-valued key `{condition.key}`: it matches as a set of "
                    "zero or "
                    "one value"
                    + (", so requests without the key match too" if op.qualifier == "ForAllValues" else ""),
                    condition.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS048",
    name="cond-set-operator-single-valued",
    severity=Severity.MEDIUM,
    summary="`ForAllValues`/`ForAnyValue` used with a single-valued key",
    help="remove the set operator prefix",
    check=check,
    needs=frozenset({"set-operator"}),
)
