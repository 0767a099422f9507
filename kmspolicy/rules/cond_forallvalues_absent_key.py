"""`ForAllValues` on a multi-valued key that may be absent, with no existence check.

## What it flags
An `Allow` statement with a `ForAllValues:` operator on a multi-valued key that requests may lack
(`kms:EncryptionContextKeys`, `aws:PrincipalOrgPaths`, `kms:ResourceAliases`, `aws:TagKeys`,
`aws:CalledVia`, ...), when the same statement has neither `"Null": {key: "false"}` nor a
`ForAnyValue:` condition on that key.

## Why it is risky
`ForAllValues` is true for an empty or missing set. A statement meant to allow only requests whose
encryption context uses approved keys also allows requests with no encryption context at all.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, "Action": "kms:Decrypt",
 "Resource": "*",
 "Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant"]}}}
```

## Use instead
Add `"Null": {"kms:EncryptionContextKeys": "false"}` beside it.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context-keys
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.condition_keys import info
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

# CreateGrant always carries at least one operation, so this set is never empty.
_NEVER_EMPTY = frozenset({"kms:grantoperations"})


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        if not facts.allow:
            continue
        for condition in facts.statement.conditions:
            op = condition.operator
            if op is None or op.qualifier != "ForAllValues" or condition.key_lower in _NEVER_EMPTY:
                continue
            key = info(condition)
            if key is None or not key.multi_valued:
                continue
            guarded = any(
                other.operator is not None
                and (
                    (
                        other.operator.family == "Null"
                        and any(isinstance(v, str) and v.lower() == "false" for v in other.values)
                    )
                    or other.operator.qualifier == "ForAnyValue"
                )
                for other in facts.conditions_on(condition.key_lower)
            )
            if not guarded:
                yield target.report(
                    RULE,
                    f"`{condition.operator_raw}` on `{condition.key}` is also true when the request has no "
                    f'`{condition.key}` at all; add `"Null": {{"{condition.key}": "false"}}`',
                    condition.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS047",
    name="cond-forallvalues-absent-key",
    severity=Severity.MEDIUM,
    summary="`ForAllValues` on a multi-valued key that may be absent, without a `Null: false` guard",
    help='add `"Null": {"<key>": "false"}` to the same statement',
    check=check,
    needs=frozenset({"allow", "set-operator"}),
)
