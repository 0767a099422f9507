"""Key access gated on a tag the same principal may set.

## What it flags
An identity policy that allows KMS use under an `aws:ResourceTag/...` condition and, in another
statement, allows `kms:TagResource`, `kms:UntagResource` or `kms:CreateKey` without limiting the
tags (`aws:RequestTag/...`, `aws:TagKeys`).

## Why it is risky
Attribute-based access control only holds while the attribute is controlled. A principal that can tag
keys can tag any key with the value the gate expects and then decrypt with it.

## Example
```json
[{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}},
 {"Effect": "Allow", "Action": "kms:TagResource", "Resource": "*"}]
```

## Use instead
Deny tag changes on the gating tag key (`aws:TagKeys`), or give tagging to a separate role.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/abac.html
- https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Condition, Finding, PolicyKind, Severity
from kmspolicy.rules.attribute_escalation import escalations
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts

_CHANGERS = frozenset({"kms:TagResource", "kms:UntagResource", "kms:CreateKey"})


def _gate(facts: StatementFacts) -> Condition | None:
    found = [
        c for c in facts.conditions_with_prefix("aws:resourcetag/") if c.operator and not c.operator.negated
    ]
    return found[0] if found else None


def check(target: PolicyTarget) -> Iterator[Finding]:
    yield from escalations(target, RULE, _gate, _CHANGERS, ("aws:tagkeys",), "tags")


RULE = PolicyRule(
    id="KMS042",
    name="iam-abac-tag-escalation",
    severity=Severity.HIGH,
    summary="key access gated on `aws:ResourceTag` while the principal may tag keys",
    help="restrict tagging with `aws:TagKeys`/`aws:RequestTag`, or give it to another role",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow", "condition:aws:resourcetag/"}),
)
