"""Key access gated on an alias the same principal may create or move.

## What it flags
An identity policy that allows KMS use under a `kms:ResourceAliases` or `kms:RequestAlias` condition
and, in another statement, allows `kms:CreateAlias` or `kms:UpdateAlias`.

## Why it is risky
A principal that can point an alias at any key can give itself access to every key: create the alias
the gate expects on the key it wants, then use it.

## Example
```json
[{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/app"}}},
 {"Effect": "Allow", "Action": ["kms:CreateAlias", "kms:UpdateAlias"], "Resource": "*"}]
```

## Use instead
Give alias management to a separate administrator role, scoped to specific alias ARNs.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/abac.html
- https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Condition, Finding, PolicyKind, Severity
from kmspolicy.rules.attribute_escalation import escalations
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts

_CHANGERS = frozenset({"kms:CreateAlias", "kms:UpdateAlias"})


def _gate(facts: StatementFacts) -> Condition | None:
    found = [
        c
        for c in facts.conditions_on("kms:resourcealiases", "kms:requestalias")
        if c.operator and not c.operator.negated
    ]
    return found[0] if found else None


def check(target: PolicyTarget) -> Iterator[Finding]:
    yield from escalations(target, RULE, _gate, _CHANGERS, (), "aliases")


RULE = PolicyRule(
    id="KMS043",
    name="iam-alias-escalation",
    severity=Severity.HIGH,
    summary=(
        "key access gated on `kms:ResourceAliases`/`kms:RequestAlias` while the principal may manage aliases"
    ),
    help="give alias management to a separate role, scoped to specific alias ARNs",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow", "conditions"}),
)
