"""A tag condition key that the statement's KMS actions do not support.

## What it flags
`aws:ResourceTag/...`, `aws:RequestTag/...` or `aws:TagKeys` in a statement whose KMS actions do not
carry that key (for example `aws:RequestTag/...` on `kms:Decrypt`), and `aws:ResourceTag/...` in a key
policy, where KMS does not support it at all.

## Why it is risky
The key is absent from the request, so a positive condition is false (an `Allow` never matches, a
`Deny` never applies) and a negated one is always true. Tag-based guardrails written this way do
nothing.

## Example
```json
{"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"StringNotEquals": {"aws:RequestTag/env": "prod"}}}
```

## Use instead
`aws:ResourceTag/<k>` for actions on existing keys (in IAM policies); `aws:RequestTag/<k>` and
`aws:TagKeys` for `kms:CreateKey` and `kms:TagResource`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html
- IAM Access Analyzer "Deny with unsupported tag condition key for service"
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.condition_keys import info, kms_only, supported_by
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import CONDITION

_TAG_PREFIXES = ("aws:resourcetag/", "aws:requesttag/")
# The policy features of those keys: a policy without any has nothing to report.
_TESTED = frozenset({*(CONDITION + prefix for prefix in _TAG_PREFIXES), CONDITION + "aws:tagkeys"})


def check(target: PolicyTarget) -> Iterator[Finding]:
    if _TESTED.isdisjoint(target.features):
        return
    for facts in target.facts:
        if not facts.kms_actions:
            continue
        for condition in facts.statement.conditions:
            lower = condition.key_lower
            if not (lower.startswith(_TAG_PREFIXES) or lower == "aws:tagkeys"):
                continue
            if target.is_key_policy and lower.startswith("aws:resourcetag/"):
                yield target.report(
                    RULE,
                    f"`{condition.key}` is not supported in key policies; KMS evaluates resource tags "
                    "only in IAM policies",
                    condition.span,
                    facts.statement,
                )
                continue
            key = info(condition)
            if key is None or not kms_only(facts) or supported_by(facts, key):
                continue
            yield target.report(
                RULE,
                f"none of this statement's KMS actions carries `{condition.key}`, so the condition "
                "never sees it",
                condition.span,
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS052",
    name="cond-unsupported-tag-key",
    severity=Severity.MEDIUM,
    summary="tag condition key that the statement's KMS actions do not support",
    help=(
        "use `aws:ResourceTag` for existing keys (IAM policies) and "
        "`aws:RequestTag`/`aws:TagKeys` for tagging"
    ),
    check=check,
    needs=frozenset({"conditions"}),
)
