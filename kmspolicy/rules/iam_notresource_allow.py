"""An identity-policy Allow with NotResource that still covers KMS keys.

## What it flags
An identity-policy `Allow` on KMS actions with `NotResource`, where the excluded resources do not
cover every key of every account. Excluding every key of one account
(`arn:aws:kms:*:111122223333:key/*`) still leaves the keys of every other account.

## Why it is risky
`NotResource` allows every resource except the listed ones, in every account, including keys that
do not exist yet. Meant as "everything but the audit key", it grants use of every other key.

## Example
```json
{"Effect": "Allow", "Action": "kms:Decrypt", "NotResource": "arn:aws:kms:us-east-1:111122223333:key/audit"}
```

## Use instead
List the keys in `Resource`; use `NotResource` only in `Deny` statements.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
- parliament NOTRESOURCE_WITH_ALLOW
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.resources import any_account, covers_all_keys


def _every_key(value: str) -> bool:
    """Every key of every account: an Allow that excludes it leaves no key."""
    return value == "*" or (covers_all_keys(value) and any_account(value))


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    for facts in target.facts:
        excluded = facts.statement.not_resource
        if not facts.allow or excluded is None or not facts.kms_actions:
            continue
        if any(isinstance(i.value, str) and _every_key(i.value) for i in excluded):
            continue
        yield target.report(
            RULE,
            "`Allow` with `NotResource` covers every key not listed, in every account",
            facts.element_span("NotResource"),
            facts.statement,
        )


RULE = PolicyRule(
    id="KMS040",
    name="iam-notresource-allow",
    severity=Severity.MEDIUM,
    summary="`Allow` with `NotResource` covering KMS keys",
    help="list the keys in `Resource`; use `NotResource` only with `Deny`",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow", "not-resource"}),
)
