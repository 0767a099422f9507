"""An Allow statement with `NotPrincipal`.

## What it flags
Any `Allow` statement that uses `NotPrincipal` instead of `Principal`.

## Why it is risky
`Allow` + `NotPrincipal` grants the statement to every principal of every account except the listed
ones. AWS no longer supports it in `Allow` statements; where it is still accepted it is public access
in disguise.

## Example
```json
{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/Intern"},
 "Action": "kms:Decrypt", "Resource": "*"}
```

## Use instead
Name who is allowed in `Principal`. To exclude someone, add a `Deny` with `Principal: "*"` and an
`ArnEquals` condition on `aws:PrincipalArn`.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
- IAM Access Analyzer "Allow with NotPrincipal"; parliament NOTPRINCIPAL_WITH_ALLOW
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        if facts.allow and facts.statement.not_principal is not None:
            yield target.report(
                RULE,
                "`Allow` with `NotPrincipal` grants this statement to every principal of every account "
                "except the ones listed",
                facts.element_span("NotPrincipal"),
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS007",
    name="kp-allow-notprincipal",
    severity=Severity.CRITICAL,
    summary="`Allow` combined with `NotPrincipal`",
    help="name the allowed principals in `Principal`; exclude others with a `Deny` on `aws:PrincipalArn`",
    check=check,
    needs=frozenset({"allow", "not-principal"}),
)
