"""A KMS condition key that none of the statement's actions carries.

## What it flags
A `kms:` condition key (other than those KMS022 reports for Deny statements) in a statement whose
KMS actions never send it: `kms:GrantIsForAWSResource` on `kms:Decrypt`, `kms:EncryptionContext:*`
on `kms:CreateKey`, `kms:ViaService` on `kms:ListKeys`.

## Why it is risky
The key is absent from every request the statement covers. A positive condition is then false and an
`Allow` never matches: the permission its author meant to give does not exist. A negated one is
always true and restricts nothing.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, "Action": "kms:Decrypt",
 "Resource": "*",
 "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}
```

## Use instead
Pick the condition keys that the Service Authorization Reference lists for the actions, or split the
statement by action.

## References
- https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html
- IAM Access Analyzer "Unsupported action for condition key"; parliament UNKNOWN_CONDITION_FOR_ACTION
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.condition_keys import info, kms_only, supported_by
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        if not facts.kms_actions or not kms_only(facts):
            continue
        for condition in facts.statement.conditions:
            op = condition.operator
            if op is None or not condition.key_lower.startswith("kms:"):
                continue
            if facts.deny and not op.negated and not op.if_exists and op.family != "Null":
                continue  # a Deny that then never applies is KMS022's
            key = info(condition)
            if key is None or supported_by(facts, key):
                continue
            actions = sorted(facts.kms_actions)
            shown = ", ".join(f"`{a}`" for a in actions[:2]) + (" ..." if len(actions) > 2 else "")
            yield target.report(
                RULE,
                f"`{condition.key}` is never sent for {shown}, so this condition "
                + ("is always true" if op.negated or op.if_exists else "is never true"),
                condition.span,
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS053",
    name="cond-key-not-for-action",
    severity=Severity.MEDIUM,
    summary="KMS condition key that none of the statement's actions carries",
    help="use condition keys the actions support, or split the statement by action",
    check=check,
    needs=frozenset({"conditions"}),
)
