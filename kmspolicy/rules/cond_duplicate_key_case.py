"""The same condition key twice in one operator block, spelt with different case.

## What it flags
Two keys under the same operator that differ only in case, such as `kms:CallerAccount` and
`kms:calleraccount`.

## Why it is risky
Condition key names are case-insensitive, so the two entries are the same key. AWS rejects the
policy ("Duplicate keys with different case"); tools that compare case-sensitively read two
different conditions.

## Example
```json
"Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:calleraccount": "444455556666"}}
```

## Use instead
One entry with all values: `"kms:CallerAccount": ["111122223333", "444455556666"]`.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
- IAM Access Analyzer error "Duplicate keys with different case"
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        if len(facts.condition_keys) == len(facts.statement.conditions):
            continue  # every key tested once: no spelling can repeat another
        seen: dict[tuple[str, str], str] = {}
        for condition in facts.statement.conditions:
            slot = (condition.operator_raw, condition.key_lower)
            first = seen.setdefault(slot, condition.key)
            if first != condition.key:
                yield target.report(
                    RULE,
                    f"`{condition.key}` repeats `{first}` under `{condition.operator_raw}`: condition "
                    "keys are "
                    "case-insensitive, and AWS rejects the duplicate",
                    condition.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS050",
    name="cond-duplicate-key-case",
    severity=Severity.ERROR,
    summary="same condition key twice with different case in one operator block",
    help="merge the entries into one key with all the values",
    check=check,
    needs=frozenset({"conditions"}),
)
