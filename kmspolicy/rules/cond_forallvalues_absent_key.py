"""`ForAllValues` on a multi-valued key that may be absent, with no existence check.

## What it flags
An `Allow` statement with a `ForAllValues:` operator on a multi-valued key that requests may lack
(`kms:EncryptionContextKeys`, `aws:PrincipalOrgPaths`, `kms:ResourceAliases`, `aws:TagKeys`,
`aws:CalledVia`, ...), when the same statement has neither `"Null": {key: "false"}` nor a
`ForAnyValue:` condition on that key. A condition that requires one member of the set also requires
the set: `StringEquals kms:EncryptionContext:tenant` beside `ForAllValues:StringEquals
kms:EncryptionContextKeys [tenant]` is the "require exactly" pattern, not reported (as is
`aws:RequestTag/<k>` beside `aws:TagKeys`).

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

from kmspolicy.model import Condition, Finding, Severity
from kmspolicy.rules.condition_keys import info
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

# CreateGrant always carries at least one operation, so this set is never empty.
_NEVER_EMPTY = frozenset({"kms:grantoperations"})
# A set key and the prefix of the keys that name its members: a request that has
# `kms:EncryptionContext:tenant` has `tenant` among its `kms:EncryptionContextKeys` (§3.2).
_MEMBERS = {"kms:encryptioncontextkeys": "kms:encryptioncontext:", "aws:tagkeys": "aws:requesttag/"}


def _requires_presence(condition: Condition) -> bool:
    """Whether the condition is false when its key is absent (§2.5 rule 4)."""
    op = condition.operator
    if op is None or op.if_exists:
        return False
    if op.family == "Null":
        return any(isinstance(v, str) and v.lower() == "false" for v in condition.values)
    return not op.negated and op.qualifier != "ForAllValues"


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
            members = _MEMBERS.get(condition.key_lower)
            if members is not None and not guarded:
                guarded = any(_requires_presence(c) for c in facts.conditions_with_prefix(members))
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
