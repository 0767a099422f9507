"""A `Null` condition used with `IfExists`, a set operator, or a value other than `true`/`false`.

## What it flags
`Null` with a set-operator prefix (`ForAllValues:Null`), with an `IfExists` suffix, or with a value
that is not `true` or `false`.

## Why it is risky
`Null` already tests whether the key exists: `"true"` means absent, `"false"` means present. `IfExists`
and set operators make no sense on it, and AWS rejects `NullIfExists`; any other value never matches.

## Example
```json
"Condition": {"Null": {"kms:EncryptionContextKeys": "no"}}
```

## Use instead
```json
"Condition": {"Null": {"kms:EncryptionContextKeys": "false"}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
- IAM Access Analyzer "Null with if exists", "Null with qualifier"
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        for condition in facts.statement.conditions:
            op = condition.operator
            if op is None or op.family != "Null":
                continue
            bad = [v for v in condition.values if isinstance(v, str) and v.lower() not in ("true", "false")]
            if op.if_exists or op.qualifier is not None:
                message = (
                    f"`{condition.operator_raw}`: `Null` already tests presence; drop the prefix or suffix"
                )
            elif bad:
                message = f"`Null` takes `true` (absent) or `false` (present), found `{bad[0]}`"
            else:
                continue
            yield target.report(RULE, message, condition.span, facts.statement)


RULE = PolicyRule(
    id="KMS057",
    name="cond-null-misuse",
    severity=Severity.ERROR,
    summary="`Null` combined with `IfExists`, a set operator, or a non-Boolean value",
    help='use plain `Null` with `"true"` (absent) or `"false"` (present)',
    check=check,
    needs=frozenset({"null-operator"}),
)
