"""A misspelt or non-existent KMS or global condition key.

## What it flags
A condition key with the `kms:` prefix that KMS does not define, and an `aws:` key that is not an AWS
global condition key: a misspelling (`aws:PrincipleOrgID`) or a name that does not exist
(`aws:PrincipalOrganizationID` for `aws:PrincipalOrgID`). The global keys are a short, documented
list, which the catalogue carries in full (the IAM page of global condition context keys); the
undocumented legacy `aws:SourceOwner`, which Amazon SNS still writes into default topic policies, is
accepted. Keys of other services (`s3:prefix`, `ec2:SourceInstanceArn`) are left alone.

## Why it is risky
An unknown key is absent from every request: a positive condition never matches, a negated one always
does. The restriction silently does nothing, or the access silently never works.

## Example
```json
"Condition": {"StringEquals": {"kms:CallerAcount": "111122223333"}}
```

## Use instead
The exact key name from the KMS and IAM documentation (names are case-insensitive, spelling is not).

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- https://github.com/awsdocs/iam-user-guide/issues/111 (`aws:SourceOwner` stays undocumented)
- IAM Access Analyzer "Invalid service condition key"; parliament UNKNOWN_CONDITION_FOR_ACTION
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import cache

from kmspolicy import catalog
from kmspolicy.model import Finding, Severity
from kmspolicy.rules.condition_keys import info
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


@cache
def _known() -> dict[str, str]:
    return {k.name.lower(): k.name for k in catalog.all_condition_keys()}


# Global keys that exist without being on the IAM list: AWS keeps `aws:SourceOwner` undocumented (it
# was replaced by `aws:SourceAccount`) yet Amazon SNS still writes it into default topic policies.
_UNLISTED_GLOBAL = frozenset({"aws:sourceowner"})


def _suggestion(key: str) -> str | None:
    known = _known()
    close = difflib.get_close_matches(key.lower(), list(known), n=1, cutoff=0.75)
    return known[close[0]] if close else None


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        for condition in facts.statement.conditions:
            lower = condition.key_lower
            if not lower.startswith(("kms:", "aws:")) or lower in _UNLISTED_GLOBAL:
                continue
            if info(condition) is not None:
                continue
            suggestion = _suggestion(condition.key)
            hint = f"; did you mean `{suggestion}`?" if suggestion else ""
            yield target.report(
                RULE,
                f"unknown condition key `{condition.key}`: it is never in a request, so the condition "
                f"{'always' if condition.operator and condition.operator.negated else 'never'} matches{hint}",
                condition.span,
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS054",
    name="cond-unknown-key",
    severity=Severity.ERROR,
    summary="misspelt or non-existent `kms:` or global condition key",
    help="use the exact key name from the KMS / IAM condition key documentation",
    check=check,
    needs=frozenset({"conditions"}),
)
