"""An identity policy that allows `kms:CreateGrant` on every key, not only for AWS resources.

## What it flags
An identity-policy `Allow` covering `kms:CreateGrant` on resources that reach every key, without
`"Bool": {"kms:GrantIsForAWSResource": "true"}`.

## Why it is risky
`CreateGrant` lets the caller mint a grant for itself with `Decrypt` on any key that delegates to its
account: a privilege escalation from "may attach encrypted volumes" to "may read all data".

## Example
```json
{"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": "*"}
```

## Use instead
```json
{"Effect": "Allow", "Action": "kms:CreateGrant",
 "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-...",
 "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}
```

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html
- primeharbor sensitive_iam_actions; parliament PERMISSIONS_MANAGEMENT_ACTIONS
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.grant_authority import CREATE_GRANT, for_aws_resources_only
from kmspolicy.rules.iam_unscoped_actions import unscoped_grants


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts, _, reach in unscoped_grants(target, frozenset({CREATE_GRANT})):
        if for_aws_resources_only(facts):
            continue
        yield target.report(
            RULE,
            f"`{CREATE_GRANT}` allowed on every key (`{reach}`) without `kms:GrantIsForAWSResource`: "
            "the caller can grant itself `Decrypt` on any key that trusts its account",
            facts.action_span(CREATE_GRANT),
            facts.statement,
        )


RULE = PolicyRule(
    id="KMS036",
    name="iam-creategrant-privesc",
    severity=Severity.HIGH,
    summary="identity policy allows `kms:CreateGrant` on unscoped keys without `kms:GrantIsForAWSResource`",
    help='scope to key ARNs and add `"Bool": {"kms:GrantIsForAWSResource": "true"}`',
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
