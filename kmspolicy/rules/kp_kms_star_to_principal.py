"""`kms:*` given to a specific principal other than the account.

## What it flags
A key-policy `Allow` with `kms:*` (or `*`) whose principals include a role, user, session or service
principal. The account principal of the owner (IAM delegation) and `"*"` (public-access rules) are
not reported here. A role or user written as a template value not known before deployment counts:
CloudFormation `Fn::Sub`/`Fn::Join` of a role or user ARN, `Fn::GetAtt <Resource>.Arn`, a Terraform
role or user `arn` known after apply.

## Why it is risky
`kms:*` includes administration (`kms:PutKeyPolicy`, `kms:ScheduleKeyDeletion`, `kms:CreateGrant`)
and every cryptographic operation, including future ones. One compromised role then owns the key and
its data. Least privilege asks for the actions the principal needs.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, "Action": "kms:*",
 "Resource": "*"}
```

## Use instead
List the actions: `kms:Encrypt`, `kms:Decrypt`, `kms:GenerateDataKey*` for users of the key; the
console's administrator list for administrators.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
- KICS 7ebc9038 (and its false positive on the account principal, #6844)
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import all_kms_actions


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not target.is_key_policy:
        return
    everything = all_kms_actions()
    for facts in target.facts:
        if not facts.allow:
            continue
        star = next((item for item, acts in facts.item_actions if acts == everything), None)
        if star is None:
            continue
        named = [text for _, text in facts.named_principals()]
        if named:
            who = ", ".join(f"`{v}`" for v in named[:2]) + (" ..." if len(named) > 2 else "")
            yield target.report(
                RULE,
                f"`{star.value}` gives {who} every KMS permission, administration included",
                star.span,
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS019",
    name="kp-kms-star-to-principal",
    severity=Severity.HIGH,
    summary="`kms:*` to a specific non-account principal",
    help="list only the actions the principal needs",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"allow", "principal"}),
)
