"""An Allow naming an account, role or user outside the zone of trust.

## What it flags
A key-policy `Allow` whose `Principal` names an AWS principal of an account that is neither the key's
owner nor a configured trusted account. Trusted external accounts are reported at info level, as an
inventory of cross-account access. When the owner account cannot be determined, one info finding
says so (pass `--account`).

## Why it is risky
The named account (its administrators, when the account principal is named) can use the key for the
listed actions as soon as its own IAM policies allow it. Access outside the accounts you control is
how data leaves.

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::777788889999:root"}, "Action": "kms:Decrypt",
 "Resource": "*"}
```

## Use instead
Remove the principal, or declare the account trusted (`trusted_accounts` in `.kmspolicy.toml`,
`--trusted-account`) when the sharing is intended.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
- IAM Access Analyzer external access findings
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import principal_account


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not target.is_key_policy:
        return
    trust = target.trust
    for facts in target.facts:
        if not facts.allow or not facts.kms_actions:
            continue
        for principal, value in facts.principal_values("AWS"):
            account = principal_account(value)
            if account is None or account == trust.owner or "*" in account:
                continue
            if trust.trusts_account(account):
                yield target.report(
                    RULE,
                    f"principal `{principal.raw}` is in trusted external account `{account}`",
                    principal.span,
                    facts.statement,
                    severity=Severity.INFO,
                )
                continue
            owner = f"owner account `{trust.owner}`" if trust.owner else "the key's account (unknown)"
            yield target.report(
                RULE,
                f"principal `{principal.raw}` is in account `{account}`, outside {owner} and the "
                "trusted accounts",
                principal.span,
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS013",
    name="xacct-principal",
    severity=Severity.HIGH,
    summary="key policy allows a principal outside the owner and trusted accounts",
    help="remove the principal, or add its account to `trusted_accounts` if the sharing is intended",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"allow", "principal"}),
)
