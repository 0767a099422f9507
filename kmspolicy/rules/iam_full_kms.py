"""An identity policy that allows all of KMS on every key.

## What it flags
An identity-policy `Allow` whose actions cover every KMS permission (`kms:*`, `kms:*` spelled with
other wildcards, or `NotAction` that leaves KMS in) on resources that reach every key. `*` on `*`
(all of AWS) is KMS041. Not reported when unconditional `Deny` statements of the same policy refuse
every KMS permission on every key but a few (`"NotResource": "<key ARN>"`): explicit deny wins.

## Why it is risky
The principal can decrypt, re-key, schedule deletion of and rewrite the policy of every key that
delegates to its account, and use keys of other accounts that trust it.

## Example
```json
{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
```

## Use instead
Separate administrators (management actions on specific keys) from users (crypto actions on
specific keys).

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html
- prowler iam_policy_no_full_access_to_kms; cloudsplaining ServiceWildcard
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.resources import confined_by_deny, unscoped
from kmspolicy.rules.statements import all_kms_actions


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    everything = all_kms_actions()
    for facts in target.facts:
        if not facts.allow or facts.kms_actions != everything or facts.grants_all_of_aws:
            continue
        reach = unscoped(facts)
        if reach is None:
            continue
        if "deny" in target.features and confined_by_deny(target.facts, everything) == everything:
            continue  # explicit deny wins: the Allow reaches only the keys the Denies leave
        item, _ = facts.first_item_covering(everything)
        span = item.span if item is not None else facts.element_span("NotAction")
        yield target.report(
            RULE,
            f"every KMS permission is allowed on every key (`{reach[0]}`)",
            span,
            facts.statement,
        )


RULE = PolicyRule(
    id="KMS034",
    name="iam-full-kms",
    severity=Severity.HIGH,
    summary="identity policy allows `kms:*` (or NotAction leaving KMS) on all keys",
    help="split administration and usage, each on specific keys",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
