"""An identity-pinning condition whose value has a wildcard, so callers of any account match.

## What it flags
A key-policy `Allow` to `"*"` pinned by `kms:CallerAccount`, `aws:PrincipalAccount`,
`aws:PrincipalOrgID`/`OrgPaths`, `aws:SourceAccount`, `aws:PrincipalArn` or `aws:SourceArn` with a
`*` or `?` that leaves the account or organization open, such as
`"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Deploy"}`. The evaluator confirms that a role
of that name in an untrusted account matches.

## Why it is risky
Role and user names are chosen freely by every account. `arn:aws:iam::*:role/Deploy` is met by a role
called `Deploy` in an attacker's account, so the condition pins nothing.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Deploy"}}}
```

## Use instead
Put the account in the pattern (`arn:aws:iam::111122223333:role/Deploy`), or add an
`aws:PrincipalOrgID` condition with your organization.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html (sensitive keys)
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.exposure import exposed_statements, reduced_severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts, exposure, condition in exposed_statements(target, "wildcard-identity"):
        assert condition is not None
        values = ", ".join(f"`{v}`" for v in condition.values if isinstance(v, str))
        yield target.report(
            RULE,
            f"`{condition.key}` compared with {values}: the wildcard lets a principal in any account match "
            f"(for example account `{exposure.account}`)",
            condition.span,
            facts.statement,
            severity=reduced_severity(facts),
        )


RULE = PolicyRule(
    id="KMS004",
    name="cond-wildcard-identity-value",
    severity=Severity.CRITICAL,
    summary="identity-pinning condition value with a wildcard in the account or organization part",
    help="spell out the account id (or add an `aws:PrincipalOrgID` condition) instead of a wildcard",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"wildcard-principal", "conditions"}),
)
