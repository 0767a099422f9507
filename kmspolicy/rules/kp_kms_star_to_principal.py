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

import re
from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Principal, Severity, Unknown
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts, all_kms_actions, is_account_root

# A template value that can only be one role, user or session: an ARN spelt by `Fn::Sub`/`Fn::Join`
# with a principal path, the `Arn` attribute of a template resource (an account has none), or a
# Terraform role or user ARN known after apply. A bare `Ref` may be an account id and is not judged.
_NAMED_TEMPLATE_VALUE = re.compile(
    r"^(?:(?:Sub|Join)\(arn:(?:\$\{[^}]*\}|[^:]*):(?:iam|sts)::(?:\$\{[^}]*\}|[^:]*):"
    r"(?:role|user|assumed-role|federated-user)/"
    r"|GetAtt\([^.()]+\.Arn\)$"
    r"|(?:\S+\.)?aws_iam_(?:role|user)\.\S+\.arn )"
)


def named_principals(facts: StatementFacts) -> list[tuple[Principal, str]]:
    """The statement's principals that are one role, user, session or service (not `*`, not an
    account), each with its text: the value, or a template expression not known before deployment."""
    named = []
    for p in facts.principals:
        value = p.value
        if isinstance(value, Unknown):
            if p.type == "AWS" and _NAMED_TEMPLATE_VALUE.match(value.expr):
                named.append((p, value.expr))
        elif value != "*" and not (p.type == "AWS" and is_account_root(value)):
            named.append((p, value))
    return named


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
        named = [text for _, text in named_principals(facts)]
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
