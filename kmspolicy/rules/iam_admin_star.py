"""An identity policy that allows every action on every resource.

## What it flags
An identity-policy `Allow` with `"Action": "*"` and `"Resource": "*"`.

## Why it is risky
Administrator access includes every KMS permission on every key that delegates to the account:
decrypt all data, rewrite key policies, schedule key deletion.

## Example
```json
{"Effect": "Allow", "Action": "*", "Resource": "*"}
```

## Use instead
Grant administrators only what their job needs; keep full access behind a break-glass role with MFA.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
- checkov CKV_AWS_1/62; prowler iam_*_no_administrative_privileges
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind is not PolicyKind.IDENTITY:
        return
    for facts in target.facts:
        if facts.allow and facts.grants_all_of_aws:
            item = next(i for i, _ in facts.item_actions if i.value in ("*", "*:*"))
            yield target.report(
                RULE,
                "`*` on `*` allows every action on every resource, all of KMS included",
                item.span,
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS041",
    name="iam-admin-star",
    severity=Severity.CRITICAL,
    summary="identity policy allows `*` actions on `*` resources",
    help="grant only the actions and resources the principal needs",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow"}),
)
