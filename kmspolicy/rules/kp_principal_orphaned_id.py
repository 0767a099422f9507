"""A principal shown as a unique id (`AROA...`, `AIDA...`): the IAM entity was deleted.

## What it flags
An `AWS` principal value that is an IAM unique id rather than an ARN.

## Why it is risky
IAM stores the unique id of a named role or user; when that entity is deleted, the policy shows the
id. A role re-created with the same name has a new id and is silently not trusted, which breaks
access; and the stale entry hides who the statement was for.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "AROAEXAMPLEID1234567"}, "Action": "kms:Decrypt", "Resource": "*"}
```

## Use instead
Remove the entry, or name the current role ARN again. Use `aws:PrincipalArn` conditions where access
must survive re-creation.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

_UNIQUE_ID = re.compile(r"^A(IDA|ROA|IPA|GPA|NPA|NVA|SIA|KIA)[A-Z0-9]{12,}$")


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        for principal in (*facts.principals, *(facts.statement.not_principal or ())):
            if principal.type == "AWS" and isinstance(principal.raw, str) and _UNIQUE_ID.match(principal.raw):
                yield target.report(
                    RULE,
                    f"principal `{principal.raw}` is an IAM unique id: the role or user it named was deleted",
                    principal.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS024",
    name="kp-principal-orphaned-id",
    severity=Severity.MEDIUM,
    summary="principal shown as a unique id (`AROA...`/`AIDA...`) of a deleted IAM entity",
    help="remove the entry or name the current role/user ARN",
    check=check,
    needs=frozenset({"principal"}),
)
