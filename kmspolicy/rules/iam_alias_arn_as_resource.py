"""An alias ARN used as Resource for key-usage actions: it authorizes nothing.

## What it flags
An identity-policy `Allow` for cryptographic or key-usage actions (`kms:Encrypt`, `kms:Decrypt`,
`kms:GenerateDataKey*`, `kms:DescribeKey`, ...) whose `Resource` lists an alias ARN
(`arn:aws:kms:...:alias/name`), also when a CloudFormation `Fn::Sub` spells it with variables for
the Region or account (`!Sub "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:alias/name"`).

## Why it is risky
An alias ARN in `Resource` refers to the alias itself, which only alias-management actions use. KMS
authorizes key usage against the key behind the alias, so the statement allows nothing and the
access its author expected does not exist.

## Example
```json
{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"],
 "Resource": "arn:aws:kms:us-east-1:111122223333:alias/app"}
```

## Use instead
Name the key ARN, or keep `Resource` on keys and add `"StringEquals": {"kms:RequestAlias": "alias/app"}`
(or `kms:ResourceAliases`).

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html
- https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy import catalog
from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.resources import alias_arn


def _key_only(action: str) -> bool:
    info = catalog.action(action)
    return info is not None and info.resource_types == ("key",)


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    for facts in target.facts:
        if not facts.allow:
            continue
        usage = sorted(a for a in facts.kms_actions if _key_only(a))
        if not usage:
            continue
        for item in facts.statement.resource or ():
            shown = alias_arn(item.value)
            if shown is not None:
                yield target.report(
                    RULE,
                    f"alias ARN `{shown}` does not authorize `{usage[0]}`"
                    + (f" or the other {len(usage) - 1} key actions" if len(usage) > 1 else "")
                    + ": KMS checks the key behind the alias",
                    item.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS044",
    name="iam-alias-arn-as-resource",
    severity=Severity.ERROR,
    summary="alias ARN used as Resource for key-usage actions; it authorizes nothing",
    help="use the key ARN, or a `kms:RequestAlias` / `kms:ResourceAliases` condition",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow", "resource-arn"}),
)
