"""`kms:CreateGrant` allowed without `kms:GrantIsForAWSResource`.

## What it flags
An `Allow` covering `kms:CreateGrant` with no `"Bool": {"kms:GrantIsForAWSResource": "true"}`
condition: in key policies for named principals (the account principal only delegates to IAM and is
left to the IAM policies); in identity policies for statements scoped to specific keys (unscoped
ones are KMS036). Statements allowing all of KMS are left to KMS019, KMS034 and KMS041.

## Why it is risky
A principal that may call `CreateGrant` directly can create a grant for itself, or for anyone, with
any grant operation, `Decrypt` included: a permission-escalation path that bypasses the key policy.
Services that attach encrypted resources (EBS, RDS) only need grants created on your behalf.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
 "Action": ["kms:CreateGrant", "kms:ListGrants"], "Resource": "*"}
```

## Use instead
```json
"Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}
```

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
- https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.grant_authority import CREATE_GRANT as ACTION
from kmspolicy.rules.grant_authority import for_aws_resources_only, grants_to_named_principals
from kmspolicy.rules.resources import unscoped
from kmspolicy.rules.statements import all_kms_actions


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
        if not target.is_key_policy and unscoped(facts) is not None:
            continue
        yield target.report(
            RULE,
            "`kms:CreateGrant` is allowed without `kms:GrantIsForAWSResource`: the caller can grant "
            "itself (or anyone) any operation on the key",
            facts.action_span(ACTION),
            facts.statement,
        )


RULE = PolicyRule(
    id="KMS026",
    name="kp-creategrant-not-for-aws-resource",
    severity=Severity.MEDIUM,
    summary="`kms:CreateGrant` allowed without `kms:GrantIsForAWSResource: true`",
    help='add `"Bool": {"kms:GrantIsForAWSResource": "true"}`',
    check=check,
    kinds=frozenset({PolicyKind.KEY, PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
