"""A principal ARN with a wildcard segment, such as `arn:aws:iam::*:root` or `...:role/*`.

## What it flags
An `AWS` or `Service` principal value other than the whole-principal `"*"` that contains `*` or `?`.

## Why it is risky
IAM does not allow partial wildcards in `Principal`: the key policy is rejected at deploy time
(`MalformedPolicyDocumentException`). Some scanners read `arn:aws:iam::*:root` as public, others as
harmless; neither is what the author meant, which is usually "every role of this account" or "these
accounts".

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/*"}, "Action": "kms:Decrypt",
 "Resource": "*"}
```

## Use instead
Use `"Principal": "*"` with an `ArnLike` condition on `aws:PrincipalArn`
(`arn:aws:iam::111122223333:role/*`), or name the account principal and delegate through IAM.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
- IAM Access Analyzer error "Unsupported wildcard in principal"
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        for principal in (*facts.principals, *(facts.statement.not_principal or ())):
            value = principal.raw
            if principal.type != "AWS" or not isinstance(value, str) or value == "*":
                continue
            if "*" in value or "?" in value:
                yield target.report(
                    RULE,
                    f"principal `{value}` has a wildcard inside the ARN; AWS rejects the policy "
                    "(only the whole principal may be `*`)",
                    principal.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS008",
    name="kp-principal-wildcard-arn",
    severity=Severity.ERROR,
    summary="principal ARN with a wildcard segment, rejected by IAM",
    help='use `"Principal": "*"` with an `ArnLike` condition on `aws:PrincipalArn`',
    check=check,
    needs=frozenset({"principal"}),
)
