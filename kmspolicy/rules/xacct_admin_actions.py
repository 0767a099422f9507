"""Key-administration actions granted to an external or public principal.

## What it flags
A key-policy `Allow` that gives `kms:PutKeyPolicy`, `kms:CreateGrant`, `kms:ScheduleKeyDeletion`,
`kms:DisableKey`, `kms:UpdateKeyDescription` (or any pattern covering them, such as `kms:*`) to a
principal of an untrusted account, or to `*` when the evaluator finds the statement reachable from an
untrusted account. `kms:CreateGrant` and `kms:RevokeGrant` that the statement's conditions limit to AWS
resources (`"Bool": {"kms:GrantIsForAWSResource": "true"}`, the console default for external key users)
are not administration: only an AWS service acting for the principal's own resources can call them.
When the owner account is unknown, named principals are not judged (any of them may be in the owner
account); `xacct-principal` (KMS013) lists them and asks for the owner. Actions that a `Deny` of the same
policy refuses to the named principal whatever else it sends (a Deny decided by who the caller is)
are not counted: a matching Deny wins.

## Why it is risky
Whoever administers a key controls it: an outsider with `kms:CreateGrant` can mint itself any
permission through grants (grants work cross-account); the other administrative actions work only
from the owner account, so their presence shows the statement was written without thinking about who
it names, and they become live the moment the principal is moved into your account.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::777788889999:role/Ops"}, "Action": "kms:*",
 "Resource": "*"}
```

## Use instead
Give external principals only the usage actions they need (`kms:Decrypt`, `kms:DescribeKey`) and
keep administration in the owner account.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
- https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.condition_keys import actions_carrying
from kmspolicy.rules.exposure import refused_to
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.grant_authority import for_aws_resources_only
from kmspolicy.rules.statements import StatementFacts, principal_account

ADMIN_ACTIONS = frozenset(
    {
        "kms:PutKeyPolicy",
        "kms:CreateGrant",
        "kms:ScheduleKeyDeletion",
        "kms:DisableKey",
        "kms:UpdateKeyDescription",
        "kms:CancelKeyDeletion",
        "kms:DeleteImportedKeyMaterial",
        "kms:DisableKeyRotation",
        "kms:RevokeGrant",
    }
)


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not target.is_key_policy:
        return
    for facts in target.facts:
        if not facts.allow:
            continue
        if facts.kms_actions.isdisjoint(ADMIN_ACTIONS):
            continue
        administration = _administration(facts)
        item, _ = facts.first_item_covering(administration)
        granted = facts.kms_actions & administration  # every entry's, not only the first one's
        if not granted:
            continue
        found = _outsider(target, facts)
        if found is None:
            continue
        who, arn = found
        if arn is not None:
            # a Deny of the same policy that refuses them to this principal wins (§1.6)
            denies = [f for f in target.facts if f.deny]
            granted = frozenset(
                a for a in granted if not refused_to(arn, a, target.policy, denies, target.key, target.trust)
            )
            if not granted:
                continue
        names = ", ".join(f"`{a}`" for a in sorted(granted)[:3]) + (" ..." if len(granted) > 3 else "")
        yield target.report(
            RULE,
            f"{who} receives key-administration actions ({names})",
            item.span if item is not None else facts.action_span(min(granted)),
            facts.statement,
        )


def _administration(facts: StatementFacts) -> frozenset[str]:
    """The administrative actions the statement can give.

    Grant operations limited to AWS services acting for the principal's own resources (the console's
    "Allow attachment of persistent resources" for external key users) administer nothing: the
    principal cannot call them itself, so it cannot grant itself or anyone else an operation.
    """
    if for_aws_resources_only(facts):
        return ADMIN_ACTIONS - actions_carrying("kms:grantisforawsresource")
    return ADMIN_ACTIONS


def _outsider(target: PolicyTarget, facts: StatementFacts) -> tuple[str, str | None] | None:
    """Who outside the zone of trust the statement names, and the named principal's ARN (None for `*`,
    which the exposure probe has already weighed against the policy's Denies)."""
    if facts.wildcard_principals and target.exposure(facts) is not None:
        return "principal `*` (any account)", None
    if target.trust.owner is None:
        return None  # any named account may be the owner; KMS013 names them and asks for `--account`
    for principal, value in facts.principal_values("AWS"):
        account = principal_account(value)
        if account is not None and "*" not in account and not target.trust.trusts_account(account):
            return f"external principal `{principal.raw}`", value
    return None


RULE = PolicyRule(
    id="KMS015",
    name="xacct-admin-actions",
    severity=Severity.CRITICAL,
    summary="external or public principal receives key-administration actions",
    help="give external principals only usage actions; keep administration in the owner account",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"allow", "principal"}),
)
