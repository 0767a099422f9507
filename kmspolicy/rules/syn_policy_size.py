"""A policy larger than AWS accepts.

## What it flags
A key policy over 32,768 bytes, and an identity policy over 6,144 characters (the managed-policy
quota; whitespace does not count). Sizes are measured on the policy written compactly, so a pretty
printed file is not penalised for its indentation.

## Why it is risky
`PutKeyPolicy` fails with `LimitExceededException` (key policies) and IAM rejects oversized policies;
the deployment breaks, often at the worst moment, when one more principal is added.

## Example
A key policy that lists hundreds of role ARNs one by one.

## Use instead
Grant to the account principal and delegate through IAM, use `aws:PrincipalArn` patterns or
`aws:PrincipalOrgPaths` instead of long principal lists, or split identity policies.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from kmspolicy.model import Finding, Item, Policy, PolicyKind, Principal, Severity, Statement
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

LIMITS: dict[PolicyKind, int] = {PolicyKind.KEY: 32_768, PolicyKind.IDENTITY: 6_144}


def _values(items: tuple[Item, ...] | None) -> list[str] | None:
    return None if items is None else [str(i.value) for i in items]


def _principals(items: tuple[Principal, ...] | None) -> dict[str, list[str]] | None:
    if items is None:
        return None
    out: dict[str, list[str]] = {}
    for p in items:
        out.setdefault(p.type, []).append(str(p.raw))
    return out


def _statement(statement: Statement) -> dict[str, object]:
    conditions: dict[str, dict[str, list[str]]] = {}
    for c in statement.conditions:
        conditions.setdefault(c.operator_raw, {})[c.key] = [str(v) for v in c.values]
    fields = {
        "Sid": statement.sid,
        "Effect": statement.effect,
        "Principal": _principals(statement.principal),
        "NotPrincipal": _principals(statement.not_principal),
        "Action": _values(statement.action),
        "NotAction": _values(statement.not_action),
        "Resource": _values(statement.resource),
        "NotResource": _values(statement.not_resource),
        "Condition": conditions or None,
    }
    return {k: v for k, v in fields.items() if v is not None}


def compact_size(policy: Policy) -> int:
    document = {
        "Version": policy.version,
        "Id": policy.id,
        "Statement": [_statement(s) for s in policy.statements],
    }
    return len(json.dumps(document, separators=(",", ":")).encode())


def _could_exceed(policy: Policy, limit: int) -> bool:
    """A cheap upper bound (every value at most 200 characters), so most policies skip serialising."""
    values = 0
    for s in policy.statements:
        for items in (s.action, s.not_action, s.resource, s.not_resource, s.principal, s.not_principal):
            values += len(items or ())
        values += sum(1 + len(c.values) for c in s.conditions)
    return values * 200 + len(policy.statements) * 120 > limit


def check(target: PolicyTarget) -> Iterator[Finding]:
    limit = LIMITS.get(target.policy.kind)
    if limit is None or not _could_exceed(target.policy, limit):
        return
    size = compact_size(target.policy)
    if size > limit:
        yield target.report(
            RULE,
            f"the policy is {size:,} bytes written compactly, over the {limit:,}-byte limit for this "
            "policy type",
            target.policy.span,
            None,
        )


RULE = PolicyRule(
    id="KMS093",
    name="syn-policy-size",
    severity=Severity.ERROR,
    summary="key policy over 32 KB, or identity policy over the IAM quota",
    help="delegate to the account principal, use ARN patterns in conditions, or split the policy",
    check=check,
)
