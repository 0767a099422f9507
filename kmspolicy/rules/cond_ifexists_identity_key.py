"""An `...IfExists` operator on an identity key in an Allow to `"*"`.

## What it flags
A key-policy `Allow` to every principal that pins identity with an `IfExists` operator, such as
`StringEqualsIfExists` on `aws:PrincipalOrgID`. The evaluator confirms that a principal of an
untrusted account for which the key is absent (no organization) matches.

## Why it is risky
`IfExists` makes the condition true when the key is missing. `aws:PrincipalOrgID` is missing for every
account outside any organization, so the pin lets exactly those callers in.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
```

## Use instead
Drop `IfExists` (`StringEquals`), so that a caller without the key does not match.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
- iam-policy-validator ifexists_condition_check
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.exposure import exposed_statements, reduced_severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts, exposure, condition in exposed_statements(target, "ifexists-identity"):
        assert condition is not None
        outside = "outside any organization" if exposure.org is None else "of an untrusted organization"
        yield target.report(
            RULE,
            f"`{condition.operator_raw}` on `{condition.key}` passes when the key is absent: a principal "
            f"{outside} in account `{exposure.account}` can use this key",
            condition.span,
            facts.statement,
            severity=reduced_severity(facts),
        )


RULE = PolicyRule(
    id="KMS006",
    name="cond-ifexists-identity-key",
    severity=Severity.HIGH,
    summary="`...IfExists` operator on an identity key in an Allow to `*`",
    help="remove `IfExists` so that callers without the key do not match",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"wildcard-principal", "conditions"}),
)
