"""An Allow to `"*"` restricted only by negated condition operators.

## What it flags
A key-policy `Allow` to every principal whose conditions all use negated operators
(`StringNotEquals`, `ArnNotLike`, `NotIpAddress`, ...), so they only say who is excluded. The
evaluator confirms that a principal of an untrusted account still matches.

## Why it is risky
A negated condition is true for every value it does not list, and also when the key is absent. In an
`Allow`, "everyone except account X" is still everyone else.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "444455556666"}}}
```

## Use instead
Use the positive operator with the accounts that may use the key (`StringEquals` on
`kms:CallerAccount`), or move the negated condition into a `Deny` statement.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.exposure import exposed_statements, reduced_severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts, exposure, condition in exposed_statements(target, "negated-only"):
        assert condition is not None
        yield target.report(
            RULE,
            f"principal `*` restricted only by negated operators (`{condition.operator_raw}` on "
            f"`{condition.key}`): every account not listed, such as `{exposure.account}`, can use this key",
            condition.span,
            facts.statement,
            severity=reduced_severity(facts),
        )


RULE = PolicyRule(
    id="KMS005",
    name="cond-negated-only",
    severity=Severity.HIGH,
    summary="key policy allows `*` restricted only by negated condition operators",
    help="allow the trusted accounts with a positive operator, or turn the statement into a `Deny`",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"wildcard-principal", "conditions"}),
)
