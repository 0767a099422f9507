"""A Resource value that is not a valid ARN, or not the ARN of a KMS key or alias.

## What it flags
A `Resource`/`NotResource` entry (other than `*`) that is not a well-formed ARN: missing fields,
an unknown partition, a bare key id or alias name. The parser reports it while reading.

Also, in an identity policy, the ARN of another service (`arn:aws:s3:::my-bucket/*`) in a
statement whose actions are all KMS actions: KMS authorizes its actions against key and alias ARNs
only, so that entry allows or denies nothing.

## Why it is risky
Key ids, alias names and other services' ARNs are not KMS resources: the statement never matches
the key it was meant for, and AWS may reject the policy.

## Example
```json
{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "1234abcd-12ab-34cd-56ef-1234567890ab"}
```

## Use instead
The key ARN: `arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html
- IAM Access Analyzer "Invalid ARN", "Unsupported resource ARN in policy"
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from kmspolicy.conditions import Glob
from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.parse.context import SYN_RESOURCE_ARN
from kmspolicy.rules.condition_keys import kms_only
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        if not facts.kms_actions or not kms_only(facts):
            continue
        statement = facts.statement
        for item in (*(statement.resource or ()), *(statement.not_resource or ())):
            if isinstance(item.value, str) and _other_service(item.value):
                actions = sorted(facts.kms_actions)
                shown = f"`{actions[0]}`" + (f" and {len(actions) - 1} more" if len(actions) > 1 else "")
                yield target.report(
                    RULE,
                    f"resource `{item.value}` is not a KMS key or alias ARN: {shown} never applies to it",
                    item.span,
                    statement,
                )


@lru_cache(maxsize=4096)
def _other_service(value: str) -> bool:
    """An ARN of another service (one whose service field cannot be `kms`).

    Malformed values, and KMS ARNs of a type other than key or alias, are the parser's to report.
    """
    parts = value.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and "${" not in parts[2] and not Glob(parts[2]).match("kms")


RULE = PolicyRule(
    id=SYN_RESOURCE_ARN[0],
    name=SYN_RESOURCE_ARN[1],
    severity=Severity.MEDIUM,
    summary="malformed Resource ARN, or one that is not a KMS key or alias, for KMS actions",
    help="name keys by their full ARN",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION}),
    needs=frozenset({"resource-arn"}),
)
