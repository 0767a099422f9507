"""A wildcard in an action name (`kms:Put*`, `kms:*Key*`, `kms:*`).

## What it flags
An `Allow` action pattern with `*` or `?`: partial wildcards everywhere, and full wildcards (`kms:*`,
`*`) in identity policies scoped to specific resources. One finding per statement, at its first
pattern, counting the others. Full wildcards on every key are KMS034 and
KMS041, `kms:*` for a named key-policy principal is KMS019, and the account principal's `kms:*`
(delegation to IAM) is never reported.

## Why it is risky
A pattern grants actions its author did not list, including future ones: `kms:Create*` includes
`kms:CreateGrant`; `kms:*Key*` includes `kms:ScheduleKeyDeletion`.

## Example
```json
{"Effect": "Allow", "Action": ["kms:Get*", "kms:Create*"],
 "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
```

## Use instead
List the actions (`kms:GetKeyPolicy`, `kms:CreateAlias`).

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
- checkov CKV_AWS_49/63; iam-policy-validator wildcard_action
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.resources import unscoped
from kmspolicy.rules.statements import all_kms_actions, is_account_root


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind not in (PolicyKind.IDENTITY, PolicyKind.KEY):
        return
    everything = all_kms_actions()
    for facts in target.facts:
        if not facts.allow:
            continue
        if (
            target.is_key_policy
            and facts.principals
            and all(
                p.type == "AWS" and isinstance(p.value, str) and is_account_root(p.value)
                for p in facts.principals
            )
        ):
            continue  # delegation to IAM: the identity policies carry the real grants
        patterns = []
        for item, covered in facts.item_actions:
            value = item.value
            if not isinstance(value, str) or ("*" not in value and "?" not in value):
                continue
            if not covered:
                continue  # matches no KMS action: KMS085, or another service's pattern
            if covered == everything and (target.is_key_policy or unscoped(facts) is not None):
                continue
            patterns.append((item, covered))
        if not patterns:
            continue
        # One finding per statement, at its first pattern: console policies list ten of them.
        first, covered = patterns[0]
        others = (
            f" and {len(patterns) - 1} more pattern{'s' if len(patterns) > 2 else ''}"
            if len(patterns) > 1
            else ""
        )
        total = len(frozenset().union(*(c for _, c in patterns)))
        verb = (
            "grants every KMS action it matches"
            if len(patterns) == 1
            else "grant every KMS action they match"
        )
        yield target.report(
            RULE,
            f"`{first.value}`{others} {verb} ({total} in all), including ones added later",
            first.span,
            facts.statement,
        )


RULE = PolicyRule(
    id="KMS089",
    name="syn-wildcard-action",
    severity=Severity.MEDIUM,
    summary="service or action wildcard (`kms:*`, `kms:Put*`)",
    help="list the actions explicitly",
    check=check,
    kinds=frozenset({PolicyKind.KEY, PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
