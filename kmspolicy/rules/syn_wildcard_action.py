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
from functools import lru_cache

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.resources import unscoped
from kmspolicy.rules.statements import all_kms_actions, expand_written, is_account_root


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind not in (PolicyKind.IDENTITY, PolicyKind.KEY):
        return
    everything = all_kms_actions()
    key_policy = target.is_key_policy
    for facts in target.facts:
        if not facts.allow:
            continue
        if (
            key_policy
            and facts.principals
            and all(
                p.type == "AWS" and isinstance(p.value, str) and is_account_root(p.value)
                for p in facts.principals
            )
        ):
            continue  # delegation to IAM: the identity policies carry the real grants
        written = facts.written_actions
        # `kms:*` itself is left to the rules on full access where the statement reaches every key.
        skip_all_of_kms = key_policy or (
            everything in expand_written(written)[0] and unscoped(facts) is not None
        )
        found = _first_pattern(written, skip_all_of_kms)
        if found is not None:
            index, message = found
            yield target.report(RULE, message, facts.item_actions[index][0].span, facts.statement)


@lru_cache(maxsize=4096)
def _first_pattern(written: tuple[str | None, ...], skip_all_of_kms: bool) -> tuple[int, str] | None:
    """The entry to report for an Action list, with the message; worked out once per list."""
    everything = all_kms_actions()
    patterns: list[tuple[int, str, frozenset[str]]] = []
    for index, (value, covered) in enumerate(zip(written, expand_written(written)[0], strict=True)):
        if value is None or ("*" not in value and "?" not in value):
            continue
        if not covered:
            continue  # matches no KMS action: KMS085, or another service's pattern
        if covered == everything and skip_all_of_kms:
            continue
        patterns.append((index, value, covered))
    if not patterns:
        return None
    # One finding per statement, at its first pattern: console policies list ten of them.
    index, first, _ = patterns[0]
    others = (
        f" and {len(patterns) - 1} more pattern{'s' if len(patterns) > 2 else ''}"
        if len(patterns) > 1
        else ""
    )
    total = len(frozenset().union(*(c for _, _, c in patterns)))
    verb = "grants every KMS action it matches" if len(patterns) == 1 else "grant every KMS action they match"
    return index, f"`{first}`{others} {verb} ({total} in all), including ones added later"


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
