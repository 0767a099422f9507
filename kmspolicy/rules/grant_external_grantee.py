"""A grant whose grantee is outside the owner account and the trusted accounts.

## What it flags
A grant (from `aws kms list-grants`, a snapshot or IaC) whose `GranteePrincipal` belongs to an
account that is neither the key owner nor configured as trusted. Service principals are not reported.

## Why it is risky
A grant gives its grantee the listed operations without any IAM policy in the grantee's account and
without appearing in the key policy. Grants to other accounts are the quietest way a key is shared.

## Example
```json
{"KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "GrantId": "g1",
 "GranteePrincipal": "arn:aws:iam::777788889999:role/Reader", "Operations": ["Decrypt"]}
```

## Use instead
Revoke the grant (`aws kms revoke-grant`), or declare the account trusted when the sharing is intended.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
- IAM Access Analyzer (grants are analysed for external access)
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import GrantRule, GrantTarget
from kmspolicy.rules.grantees import account_of, field_span, is_aws_service_grant


def check(target: GrantTarget) -> Iterator[Finding]:
    grant = target.grant
    grantee = grant.grantee_principal
    if not isinstance(grantee, str) or is_aws_service_grant(grant):
        return
    account = account_of(grantee)
    if account is None or target.trust.trusts_account(account):
        return
    ops = ", ".join(f"`{o}`" for o in grant.operations) or "no operations"
    yield target.report(
        RULE,
        f"grant `{grant.grant_id}` gives {ops} to `{grantee}` in account `{account}`, outside the owner "
        "and trusted accounts",
        field_span(grant, "GranteePrincipal"),
    )


RULE = GrantRule(
    id="KMS028",
    name="grant-external-grantee",
    severity=Severity.HIGH,
    summary="grant to a principal outside the owner and trusted accounts",
    help="revoke the grant, or add the account to `trusted_accounts` if the sharing is intended",
    check=check,
)
