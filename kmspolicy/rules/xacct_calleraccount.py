"""An account-pinning condition that names an untrusted external account.

## What it flags
A key-policy `Allow` whose `kms:CallerAccount`, `aws:PrincipalAccount` or `aws:SourceAccount`
condition (positive operator) lists an account id that is neither the owner nor a trusted account.
This is how `Principal: "*"` is shared with another account.

## Why it is risky
Every principal of the listed account whose IAM policies allow it can use the key. It is the same
exposure as naming the account in `Principal`, but easy to miss because the principal reads `*`.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"StringEquals": {"kms:CallerAccount": "777788889999"}}}
```

## Use instead
Remove the account, or declare it trusted when the sharing is intended.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
- IAM Access Analyzer (documented KMS example)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity, Span
from kmspolicy.parse.context import pointer_join
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

_KEYS = ("kms:calleraccount", "aws:principalaccount", "aws:sourceaccount")
_ACCOUNT = re.compile(r"^\d{12}$")


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not target.is_key_policy:
        return
    for facts in target.facts:
        if not facts.allow:
            continue
        for condition in facts.conditions_on(*_KEYS):
            if condition.operator is None or condition.operator.negated:
                continue
            outside = [
                (i, v)
                for i, v in enumerate(condition.values)
                if isinstance(v, str) and _ACCOUNT.match(v) and not target.trust.trusts_account(v)
            ]
            if outside:
                accounts = ", ".join(f"`{v}`" for _, v in outside)
                # several values are a list: point at the first untrusted one, not at the list
                span = condition.span
                if len(condition.values) > 1:
                    span = Span(file=span.file, pointer=pointer_join(span.pointer, outside[0][0]))
                yield target.report(
                    RULE,
                    f"`{condition.key}` allows account {accounts}, outside the owner and trusted accounts",
                    span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS014",
    name="xacct-calleraccount",
    severity=Severity.HIGH,
    summary="`kms:CallerAccount` / `aws:PrincipalAccount` / `aws:SourceAccount` names an untrusted account",
    help="remove the account, or add it to `trusted_accounts` if the sharing is intended",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"allow", "conditions"}),
)
