"""Key access gated on a tag the same principal may set.

## What it flags
An identity policy that allows KMS use under an `aws:ResourceTag/...` condition while the same
principal may `kms:TagResource`, `kms:UntagResource` or `kms:CreateKey` without limits on the tags
(`aws:RequestTag/...`, `aws:TagKeys`): in another statement of the policy, or in another policy of the
user or role that holds it (when the input declares the holder: a template, plan or snapshot).

Not reported when an explicit `Deny` of the same principal refuses the tagging action on every key:
without conditions (`"Action": "kms:*Tag*"`), or only when the request's `aws:TagKeys` include the
gating tag key (`ForAnyValue:StringEquals`, `...IgnoreCase` or `StringLike`), which every change of
that tag sends.

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

from kmspolicy.conditions import Glob
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


def _blocks(deny: StatementFacts, gate: Condition) -> bool:
    """Whether every condition of the Deny holds whenever a request adds, changes or removes the tag
    the gate reads: `aws:TagKeys` then lists it (reference §4)."""
    tag = gate.key.split("/", 1)[1]
    for condition in deny.statement.conditions:
        op = condition.operator
        if (
            condition.key_lower != "aws:tagkeys"
            or op is None
            or op.negated
            or op.if_exists
            or op.qualifier == "ForAllValues"
            or op.base not in ("StringEquals", "StringEqualsIgnoreCase", "StringLike")
        ):
            return False
        values = [v for v in condition.values if isinstance(v, str)]
        if op.base == "StringEqualsIgnoreCase":
            matched = any(v.lower() == tag.lower() for v in values)
        elif op.base == "StringLike":
            matched = any(Glob(v).match(tag) for v in values)
        else:
            matched = tag in values
        if not matched:
            return False
    return True


def check(target: PolicyTarget) -> Iterator[Finding]:
    yield from escalations(target, RULE, _gate, _CHANGERS, ("aws:tagkeys",), "tags", blocks=_blocks)


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
