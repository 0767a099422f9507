"""A grant whose grantee no longer exists, or that is older than the configured maximum age.

## What it flags
A grant whose grantee is shown as an IAM unique id (`AROA...`, `AIDA...`: the role or user was
deleted). With an account snapshot: a grant whose grantee is an IAM role or user of the owner account
that the snapshot does not contain (deleted), or a session of such a role
(`arn:aws:sts::<account>:assumed-role/<name>/<session>`, matched by role name). With
`grant_max_age_days` configured: a grant created longer ago than that (`CreationDate` as ISO 8601 or
epoch seconds). Grants AWS services create for their own resources are not reported.

## Why it is risky
Grants never expire. A grant for a deleted role springs back to life when someone re-creates a role
with that name; old grants outlive the purpose they were created for.

## Example
```json
{"GrantId": "g1", "GranteePrincipal": "arn:aws:iam::111122223333:role/Deleted", "Operations": ["Decrypt"],
 "CreationDate": "2019-01-01T00:00:00Z"}
```

## Use instead
Retire grants when their job ends; review long-lived grants periodically.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/grant-manage.html
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import GrantRule, GrantTarget
from kmspolicy.rules.grantees import account_of, field_span, is_aws_service_grant

# Epoch seconds, as boto3-based tools write `CreationDate`.
_EPOCH = re.compile(r"\d+(\.\d*)?")
# What ListGrants shows for a grantee role (`AROA...`) or user (`AIDA...`) that was deleted (§2.2).
_DELETED_ENTITY_ID = re.compile(r"^A(ROA|IDA)[A-Z0-9]{12,}$")


def _age_days(created: str, now: str | None) -> int | None:
    try:
        start = (
            datetime.datetime.fromtimestamp(float(created), datetime.UTC)
            if _EPOCH.fullmatch(created)
            else datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
        )
        end = (
            datetime.datetime.fromisoformat(now.replace("Z", "+00:00"))
            if now
            else datetime.datetime.now(datetime.UTC)
        )
    except ValueError:
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=datetime.UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=datetime.UTC)
    return (end - start).days


def check(target: GrantTarget) -> Iterator[Finding]:
    grant = target.grant
    grantee = grant.grantee_principal
    if not isinstance(grantee, str) or is_aws_service_grant(grant):
        return
    if _DELETED_ENTITY_ID.match(grantee):
        yield target.report(
            RULE,
            f"grant `{grant.grant_id}` names `{grantee}`, an IAM unique id: the role or user it named was "
            "deleted",
            field_span(grant, "GranteePrincipal"),
        )
        return
    snapshot = target.document.account
    if snapshot is not None and snapshot.principals and account_of(grantee) == snapshot.account_id:
        known = {p.arn for p in snapshot.principals}
        missing = None
        if (":role/" in grantee or ":user/" in grantee) and grantee not in known:
            missing = f"`{grantee}`, which the account snapshot does not contain (deleted)"
        elif ":assumed-role/" in grantee:
            # a session ARN names the role without its path: match by name (§2.2)
            role = grantee.split(":assumed-role/", 1)[1].split("/", 1)[0]
            if not any(p.type == "role" and p.name == role for p in snapshot.principals):
                missing = (
                    f"`{grantee}`, a session of role `{role}`, which the account snapshot does not contain "
                    "(deleted): no session of it can call"
                )
        if missing is not None:
            yield target.report(
                RULE, f"grant `{grant.grant_id}` names {missing}", field_span(grant, "GranteePrincipal")
            )
            return
    limit = target.options.grant_max_age_days
    if limit is not None and grant.creation_date:
        age = _age_days(grant.creation_date, target.options.now)
        if age is not None and age > limit:
            yield target.report(
                RULE,
                f"grant `{grant.grant_id}` is {age} days old, more than the configured {limit}",
                field_span(grant, "CreationDate"),
            )


RULE = GrantRule(
    id="KMS032",
    name="grant-orphaned-or-stale",
    severity=Severity.LOW,
    summary="grant for a grantee that no longer exists, or older than the configured maximum age",
    help="retire or revoke the grant",
    check=check,
)
