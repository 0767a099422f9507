"""An Allow to every AWS principal (`"*"`) that nothing pins to your accounts or organization.

## What it flags
A key-policy `Allow` statement whose principal is `"*"`, `{"AWS": "*"}` or a list containing `"*"`,
where no condition keeps callers from other accounts out. kmspolicy decides this with the evaluator:
it builds a request from a principal in an untrusted account and the statement still matches.
Statements whose conditions are weak in a recognisable way have their own rules (KMS002 to KMS006).
When outsiders can only verify signatures or read the public key (`kms:Verify`, `kms:GetPublicKey`,
`kms:DescribeKey`), the finding is low.

## Why it is risky
In a key policy, `"*"` means every principal of every AWS account. Any account whose IAM policies
allow the action can use the key: decrypt your data, or create grants when the statement lists
`kms:CreateGrant`.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
```

## Use instead
Name the principals, or keep `"*"` and pin the caller with `kms:CallerAccount`,
`aws:PrincipalAccount` or `aws:PrincipalOrgID` set to accounts or an organization you trust:
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}
```

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
- AWS Security Hub KMS.5; checkov CKV_AWS_33; prowler kms_key_not_publicly_accessible
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.exposure import describe_actions, exposed_statements, reduced_severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts, exposure, _ in exposed_statements(target, "unpinned"):
        qualifier = "no condition pins" if not facts.statement.conditions else "its conditions do not pin"
        yield target.report(
            RULE,
            f"principal `*` lets any AWS account use this key ({describe_actions(facts, exposure)}); "
            f"{qualifier} the caller to trusted accounts or an organization",
            facts.wildcard_principals[0].span,
            facts.statement,
            severity=reduced_severity(facts),
        )


RULE = PolicyRule(
    id="KMS001",
    name="kp-public-principal",
    severity=Severity.CRITICAL,
    summary="key policy allows `*` with no condition pinning the caller's account or organization",
    help=(
        "name the principals, or add `kms:CallerAccount` / `aws:PrincipalOrgID` conditions with "
        "trusted values"
    ),
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"wildcard-principal"}),
)
