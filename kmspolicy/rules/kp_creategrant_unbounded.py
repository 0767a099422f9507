"""`kms:CreateGrant` allowed without limits on what the grants may contain.

## What it flags
An `Allow` covering `kms:CreateGrant` (key policy, named principals; or identity policy) with no
condition on `kms:GrantOperations`, `kms:GranteePrincipal` or `kms:RetiringPrincipal`, and not
limited to grants for AWS resources (`kms:GrantIsForAWSResource`). Statements allowing all of KMS
are left to KMS019, KMS034 and KMS041.

## Why it is risky
A grantor can create grants for operations it cannot call itself, `Decrypt` included, and hand them
to any principal, even in other accounts.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Broker"},
 "Action": "kms:CreateGrant", "Resource": "*"}
```

## Use instead
```json
"Condition": {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Encrypt", "GenerateDataKey"]},
              "StringLike": {"kms:GranteePrincipal": "arn:aws:iam::111122223333:role/app-*"}}
```

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.grant_authority import CREATE_GRANT as ACTION
from kmspolicy.rules.grant_authority import for_aws_resources_only, grants_to_named_principals
from kmspolicy.rules.statements import all_kms_actions

_LIMITS = ("kms:grantoperations", "kms:granteeprincipal", "kms:retiringprincipal")


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind not in (PolicyKind.KEY, PolicyKind.IDENTITY):
        return
    everything = all_kms_actions()
    for facts in target.facts:
        if not facts.allow or not facts.covers(ACTION) or for_aws_resources_only(facts):
            continue
        if facts.kms_actions == everything:
            continue  # all of KMS: KMS019, KMS034 or KMS041 report the statement
        if target.is_key_policy and not grants_to_named_principals(facts):
            continue
        if facts.conditions_on(*_LIMITS):
            continue
        yield target.report(
            RULE,
            "`kms:CreateGrant` is allowed with no `kms:GrantOperations`, `kms:GranteePrincipal` or "
            "`kms:RetiringPrincipal` condition: grants may carry any operation for any grantee",
            facts.action_span(ACTION),
            facts.statement,
        )


RULE = PolicyRule(
    id="KMS027",
    name="kp-creategrant-unbounded",
    severity=Severity.LOW,
    summary="`kms:CreateGrant` allowed without `kms:GrantOperations` / `kms:GranteePrincipal` limits",
    help="limit grants with `kms:GrantOperations` and `kms:GranteePrincipal` conditions",
    check=check,
    kinds=frozenset({PolicyKind.KEY, PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
