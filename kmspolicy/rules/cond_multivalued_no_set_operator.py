"""A plain operator on a multi-valued condition key.

## What it flags
An operator without `ForAllValues:` / `ForAnyValue:` on a multi-valued key
(`kms:EncryptionContextKeys`, `kms:GrantOperations`, `kms:ResourceAliases`, `aws:TagKeys`,
`aws:PrincipalOrgPaths`, `aws:CalledVia`). `Null` is fine.

## Why it is risky
How a plain operator compares a set with the policy values is not documented; in practice it behaves
like neither "all of" nor "any of" reliably. The condition does not mean what it seems to.

## Example
```json
"Condition": {"StringEquals": {"kms:GrantOperations": ["Encrypt", "Decrypt"]}}
```

## Use instead
Say which you mean: `ForAllValues:StringEquals` (every value in the list, with a `Null` guard) or
`ForAnyValue:StringEquals` (at least one).

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
- iam-policy-validator set_operator_validation
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
            if op is None or op.qualifier is not None or op.family == "Null":
                continue
            key = info(condition)
            if key is not None and key.multi_valued:
                yield target.report(
                    RULE,
                    f"`{condition.key}` holds several values; `{condition.operator_raw}` without "
                    "`ForAllValues:` or "
                    "`ForAnyValue:` does not say whether all or any must match",
                    condition.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS049",
    name="cond-multivalued-no-set-operator",
    severity=Severity.MEDIUM,
    summary="plain operator on a multi-valued key (missing `ForAllValues`/`ForAnyValue`)",
    help="prefix the operator with `ForAllValues:` or `ForAnyValue:`",
    check=check,
    needs=frozenset({"conditions"}),
)
