"""A grant that lets its grantee create further grants.

## What it flags
A grant whose operations include `CreateGrant`, for a grantee that is not an AWS service acting for
its own resources.

## Why it is risky
The grantee can re-delegate: create child grants (for the same operations) for any principal,
including other accounts, without any policy change you would review.

## Example
```json
{"GrantId": "g1", "GranteePrincipal": "arn:aws:iam::111122223333:role/Batch", "Operations": ["Decrypt",
 "CreateGrant"]}
```

## Use instead
Create grants with only the operations the grantee calls; let the key policy, not a grant, decide
who may create grants.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/create-grant-overview.html
- mondoo cnspec kms-grants-no-create-grant (and its false positive on service grants, #3698)
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import GrantRule, GrantTarget
from kmspolicy.rules.grantees import field_span, is_aws_service_grant


def check(target: GrantTarget) -> Iterator[Finding]:
    grant = target.grant
    if "CreateGrant" not in grant.operations or is_aws_service_grant(grant):
        return
    index = grant.operations.index("CreateGrant")
    yield target.report(
        RULE,
        f"grant `{grant.grant_id}` lets `{grant.grantee_principal}` create further grants (re-delegation)",
        field_span(grant, "Operations", index),
    )


RULE = GrantRule(
    id="KMS029",
    name="grant-allows-creategrant",
    severity=Severity.MEDIUM,
    summary="grant whose operations include `CreateGrant` (re-delegation) for a non-service grantee",
    help="recreate the grant without `CreateGrant`",
    check=check,
)
