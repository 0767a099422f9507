"""An identity-policy Resource that reaches keys in any account.

## What it flags
A `Resource` value of an identity-policy `Allow` on KMS actions whose account field is a wildcard,
such as `arn:aws:kms:*:*:key/*` or `arn:aws:kms:us-east-1:*:key/*`.

## Why it is risky
The principal may use keys in accounts you do not control as soon as their key policies let it: data
can be re-encrypted under an attacker's key (ransomware) or exfiltrated by encrypting it for another
account.

## Example
```json
{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"], "Resource": "arn:aws:kms:*:*:key/*"}
```

## Use instead
Put your account ids in the ARN (`arn:aws:kms:*:111122223333:key/*`), or add an
`aws:ResourceAccount` condition.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.resources import any_account


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    for facts in target.facts:
        if not facts.allow or not facts.kms_actions or facts.conditions_on("aws:resourceaccount"):
            continue
        for item in facts.statement.resource or ():
            if isinstance(item.value, str) and any_account(item.value):
                yield target.report(
                    RULE,
                    f"`{item.value}` matches keys in every account, including accounts you do not control",
                    item.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS038",
    name="iam-any-account-keys",
    severity=Severity.MEDIUM,
    summary="identity-policy resource pattern with a wildcard account (`arn:aws:kms:*:*:key/*`)",
    help="put your account ids in the key ARN pattern, or add an `aws:ResourceAccount` condition",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow", "resource-arn"}),
)
