"""A Deny statement that can never apply.

## What it flags
A `Deny` that matches no request: `NotPrincipal: "*"` (excludes everyone), `NotResource: "*"`
(excludes every resource), or a positive condition on a `kms:` key that KMS never sends for any of
the statement's actions (for example `kms:EncryptionContext:...` on a Deny of `kms:ScheduleKeyDeletion`):
the key is absent, so the condition is false and the Deny never takes effect.

## Why it is risky
A Deny is usually a guardrail someone relies on. One that never applies gives a false sense of
safety.

## Example
```json
{"Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*",
 "Condition": {"StringEquals": {"kms:GrantIsForAWSResource": "false"}}}
```

## Use instead
Use condition keys that the denied actions carry (see the KMS Service Authorization Reference), or a
negated operator when the intent is "deny unless".

## References
- https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html
- iam-policy-validator not_resource_deny_ineffective; IAM Access Analyzer "Deny with unsupported tag
 condition key"
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.condition_keys import key_info, supported_by
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts


def supported_by_any(facts: StatementFacts, key_lower: str) -> bool | None:
    """Whether some KMS action of the statement carries the condition key; None: not a known kms: key."""
    found = key_info(key_lower)
    if found is None or not key_lower.startswith("kms:"):
        return None
    return bool(supported_by(facts, found))


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        if not facts.deny:
            continue
        statement = facts.statement
        for principal in statement.not_principal or ():
            if principal.value == "*":
                yield target.report(
                    RULE,
                    "`NotPrincipal` `*` excludes every principal: this Deny never applies",
                    principal.span,
                    statement,
                )
        for item in statement.not_resource or ():
            if item.value == "*":
                yield target.report(
                    RULE,
                    "`NotResource` `*` excludes every resource: this Deny never applies",
                    item.span,
                    statement,
                )
        if not facts.kms_actions or any(not v.lower().startswith(("kms:", "*")) for v in facts.action_values):
            continue
        for condition in statement.conditions:
            op = condition.operator
            if (
                op is None
                or op.negated
                or op.if_exists
                or op.family == "Null"
                or op.qualifier == "ForAllValues"
            ):
                continue
            if supported_by_any(facts, condition.key_lower) is False:
                yield target.report(
                    RULE,
                    f"`{condition.key}` is never sent for the actions of this Deny, so the condition is "
                    "false "
                    "and the Deny never applies",
                    condition.span,
                    statement,
                )


RULE = PolicyRule(
    id="KMS022",
    name="kp-deny-ineffective",
    severity=Severity.MEDIUM,
    summary="Deny that can never apply (`NotPrincipal` `*`, `NotResource` `*`, a condition key never sent)",
    help="use condition keys the denied actions carry, or a negated operator for `deny unless`",
    check=check,
    needs=frozenset({"deny"}),
)
