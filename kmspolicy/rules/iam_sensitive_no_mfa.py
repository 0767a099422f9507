"""Destructive or administrative KMS actions allowed without MFA.

## What it flags
An identity-policy `Allow` for `kms:PutKeyPolicy`, `kms:ScheduleKeyDeletion`, `kms:DisableKey`,
`kms:DeleteImportedKeyMaterial`, `kms:DisableKeyRotation` or `kms:CreateGrant` without an
`aws:MultiFactorAuthPresent` / `aws:MultiFactorAuthAge` condition that requires MFA. An `...IfExists`
form does not: long-term access keys carry no MFA keys, so `BoolIfExists` lets them in.

Policies that only AWS services use are not reported: when the input shows every holder of the
policy, and each is a role whose trust policy lets only service principals (`lambda.amazonaws.com`)
assume it, no person calls with it and no MFA can ever be present.

## Why it is risky
These actions are rarely needed and hard to undo. Stolen long-term credentials or a phished session
without MFA should not be enough to destroy keys or rewrite who may use them.

## Example
```json
{"Effect": "Allow", "Action": ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"],
 "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
```

## Use instead
```json
"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
- iam-policy-validator sensitive_action, mfa_condition_check
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Condition, Finding, IamEntity, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import all_kms_actions

SENSITIVE = frozenset(
    {
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "kms:DisableKey",
        "kms:DeleteImportedKeyMaterial",
        "kms:DisableKeyRotation",
        "kms:CreateGrant",
    }
)


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    everything = all_kms_actions()
    for facts in target.facts:
        if not facts.allow or facts.kms_actions == everything:
            continue
        granted = facts.kms_actions & SENSITIVE
        if not granted:
            continue
        mfa = facts.conditions_on("aws:multifactorauthpresent", "aws:multifactorauthage")
        if any(_requires_mfa(c) for c in mfa):
            continue
        if _services_only(target):
            return
        item, _ = facts.first_item_covering(granted)
        span = item.span if item is not None else facts.element_span("NotAction")
        actions = ", ".join(f"`{a}`" for a in sorted(granted))
        message = (
            f"{actions} allowed with `{mfa[0].operator_raw}` on `{mfa[0].key}`, which holds without MFA"
            " (long-term credentials carry no MFA keys)"
            if mfa
            else f"{actions} allowed without an MFA condition"
        )
        yield target.report(RULE, message, span, facts.statement)


def _services_only(target: PolicyTarget) -> bool:
    """Whether the input shows the policy's holders and they are all roles only services assume."""
    document = target.document
    entities = (*document.principals, *(document.account.principals if document.account else ()))
    holders = [e for e in entities if any(p is target.policy for p in e.policies)]
    return bool(holders) and all(_service_role(e) for e in holders)


def _service_role(entity: IamEntity) -> bool:
    trust = entity.trust_policy
    if entity.type != "role" or trust is None:
        return False
    allows = [s for s in trust.statements if s.effect == "Allow"]
    return bool(allows) and all(
        s.not_principal is None and bool(s.principal) and all(p.type == "Service" for p in s.principal or ())
        for s in allows
    )


def _requires_mfa(condition: Condition) -> bool:
    """Whether the condition fails for a caller without MFA. Long-term credentials carry neither MFA
    key, so `...IfExists` lets them in (§3.2); `aws:MultiFactorAuthAge` is present only after MFA."""
    op = condition.operator
    if op is None or op.if_exists or op.negated or op.qualifier is not None:
        return False
    values = [v.lower() for v in condition.values if isinstance(v, str)]
    if condition.key_lower == "aws:multifactorauthpresent":
        return op.family == "Bool" and bool(values) and all(v == "true" for v in values)
    if op.family == "Null":
        return bool(values) and all(v == "false" for v in values)
    return op.family == "Numeric"


RULE = PolicyRule(
    id="KMS045",
    name="iam-sensitive-no-mfa",
    severity=Severity.LOW,
    summary="destructive or administrative KMS actions allowed without MFA",
    help='add `"Bool": {"aws:MultiFactorAuthPresent": "true"}`',
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
