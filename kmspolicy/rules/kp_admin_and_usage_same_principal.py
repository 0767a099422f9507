"""One principal both administers the key and decrypts with it.

## What it flags
A role or user that the key policy gives both administrative actions (`kms:PutKeyPolicy`,
`kms:ScheduleKeyDeletion`, or `kms:CreateGrant` not limited to AWS resources) and `kms:Decrypt`,
across all its statements. Principals that get `kms:*` in one item are left to KMS019.

## Why it is risky
Separation of duties: whoever can read the data should not also be able to change who can read it,
or destroy the key. A single compromised role can decrypt, cover its tracks by editing the policy, or
hold the data to ransom by scheduling deletion.

## Example
```json
[{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Ops"},
 "Action": ["kms:PutKeyPolicy", "kms:Decrypt"], "Resource": "*"}]
```

## Use instead
Give administration to an administrator role and usage to application roles.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-administrators
- https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Principal, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.grant_authority import CREATE_GRANT, for_aws_resources_only
from kmspolicy.rules.statements import all_kms_actions

_ADMIN = frozenset({"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"})


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not target.is_key_policy:
        return
    everything = all_kms_actions()
    admin: dict[str, set[str]] = {}
    decrypt: dict[str, Principal] = {}
    star: set[str] = set()
    refs = {}
    for facts in target.facts:
        if not facts.allow:
            continue
        # Principals that can hold both roles: not `*`, and not an account (its root only delegates).
        named = facts.named_principals("AWS")
        if not named:
            continue
        unlimited_grants = facts.covers(CREATE_GRANT) and not for_aws_resources_only(facts)
        granted = set(facts.kms_actions & _ADMIN) | ({CREATE_GRANT} if unlimited_grants else set())
        all_of_kms = any(acts == everything for _, acts in facts.item_actions)
        decrypts = facts.covers("kms:Decrypt")
        for principal, value in named:
            if all_of_kms:
                star.add(value)
            admin.setdefault(value, set()).update(granted)
            if decrypts and value not in decrypt:
                decrypt[value] = principal
                refs[value] = facts.statement
    for value, principal in decrypt.items():
        if value in star or not admin.get(value):
            continue
        names = ", ".join(f"`{a}`" for a in sorted(admin[value]))
        yield target.report(
            RULE,
            f"`{principal.raw}` can both decrypt and administer this key ({names})",
            principal.span,
            refs[value],
        )


RULE = PolicyRule(
    id="KMS020",
    name="kp-admin-and-usage-same-principal",
    severity=Severity.MEDIUM,
    summary="same principal holds key administration and `kms:Decrypt` (no separation of duties)",
    help="split administration and usage between different roles",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"allow", "principal"}),
)
