"""`kms:CallerAccount` in an identity policy, where it restricts nothing.

## What it flags
A condition on `kms:CallerAccount` in an identity policy.

## Why it is risky
In an identity policy the caller is always the policy's own principal, so `kms:CallerAccount` is
always its own account. The author usually meant to restrict which account's keys may be used:
that is `aws:ResourceAccount`. The intended restriction is missing.

## Example
```json
{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}
```

## Use instead
```json
"Condition": {"StringEquals": {"aws:ResourceAccount": "111122223333"}}
```

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    for facts in target.facts:
        for condition in facts.conditions_on("kms:calleraccount"):
            yield target.report(
                RULE,
                f"`{condition.key}` in an identity policy is always the caller's own account; "
                "`aws:ResourceAccount` restricts whose keys may be used",
                condition.span,
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS046",
    name="cond-calleraccount-noop-in-identity",
    severity=Severity.INFO,
    summary="`kms:CallerAccount` in an identity policy restricts nothing",
    help="use `aws:ResourceAccount` to restrict whose keys may be used",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"condition:kms:calleraccount"}),
)
