"""A wildcard service principal: `{"Service": "*"}` or `*.amazonaws.com`.

## What it flags
A `Service` principal value that contains `*` or `?`.

## Why it is risky
It stands for every AWS service acting for every customer. IAM rejects partial wildcards in
principals; where such a statement is accepted it is public access through any service.

## Example
```json
{"Effect": "Allow", "Principal": {"Service": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
```

## Use instead
Name each service principal (`logs.us-east-1.amazonaws.com`) and pin `aws:SourceAccount`.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services
- IAM Access Analyzer error "Unsupported wildcard in principal"
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        if facts.deny:
            continue
        for principal, value in facts.principal_values("Service"):
            if "*" in value or "?" in value:
                yield target.report(
                    RULE,
                    f"service principal `{value}` has a wildcard: it stands for every AWS service",
                    principal.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS010",
    name="kp-service-principal-wildcard",
    severity=Severity.CRITICAL,
    summary='`{"Service": "*"}` or a wildcarded service principal name',
    help="name each service principal and add an `aws:SourceAccount` condition",
    check=check,
    needs=frozenset({"service-principal"}),
)
