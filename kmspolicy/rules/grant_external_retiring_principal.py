"""A grant whose retiring principal is outside the trust zone.

## What it flags
A grant whose `RetiringPrincipal` belongs to an account that is neither the owner nor trusted.

## Why it is risky
The retiring principal can retire the grant at will: an outside party can break the workload that
depends on it, and its presence suggests the grant was set up for someone outside your control.

## Example
```json
{"GrantId": "g1", "GranteePrincipal": "arn:aws:iam::111122223333:role/App",
 "RetiringPrincipal": "arn:aws:iam::777788889999:root", "Operations": ["Decrypt"]}
```

## Use instead
Name a retiring principal in the owner account (or none, and revoke with `kms:RevokeGrant`).

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/grant-manage.html#grant-delete
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import GrantRule, GrantTarget
from kmspolicy.rules.grantees import account_of, field_span, is_aws_service_grant


def check(target: GrantTarget) -> Iterator[Finding]:
    grant = target.grant
    retiring = grant.retiring_principal
    if not isinstance(retiring, str) or is_aws_service_grant(grant):
        return
    account = account_of(retiring)
    if account is None or target.trust.trusts_account(account):
        return
    yield target.report(
        RULE,
        f"grant `{grant.grant_id}` can be retired by `{retiring}` in untrusted account `{account}`",
        field_span(grant, "RetiringPrincipal"),
    )


RULE = GrantRule(
    id="KMS031",
    name="grant-external-retiring-principal",
    severity=Severity.LOW,
    summary="grant whose retiring principal is outside the trust zone",
    help="recreate the grant with a retiring principal in the owner account",
    check=check,
)
