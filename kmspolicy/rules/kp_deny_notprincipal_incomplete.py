"""A Deny with NotPrincipal whose exemption misses the role session or the account.

## What it flags
A `Deny` + `NotPrincipal` statement that lists a role or user to exempt, where the evaluator still
applies the Deny to that principal's own requests: a role's sessions are matched as
account, role and session, so the list must name the account, the role and the assumed-role
session ARN; a user needs the account and the user.

## Why it is risky
The administrator the statement meant to exempt is denied too, often the only principal allowed to
change the key policy: a self-inflicted lockout.

## Example
```json
{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}, "Action": "kms:*",
 "Resource": "*"}
```

## Use instead
Use `"Principal": "*"` with `"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin"}`,
which matches the role and all its sessions.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Request, Severity, Situation
from kmspolicy.rules.exposure import probe_key, satisfying_context
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import principal_account


def _caller(value: str) -> str | None:
    parts = value.split(":", 5)
    if len(parts) != 6 or not parts[4]:
        return None
    if parts[2] == "iam" and parts[5].startswith("role/"):
        return f"arn:aws:sts::{parts[4]}:assumed-role/{parts[5].rsplit('/', 1)[-1]}/admin-session"
    if parts[2] == "iam" and parts[5].startswith("user/"):
        return value
    if parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        return value
    return None


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not target.is_key_policy:
        return
    from kmspolicy.evaluate import statement_matches

    key = probe_key(target.key, target.trust)
    situation = Situation.trusted(key=key, key_policy=target.policy)
    for facts in target.facts:
        if not facts.deny or facts.statement.not_principal is None or not facts.kms_actions:
            continue
        action = min(facts.kms_actions)
        context = satisfying_context(facts.statement)
        for principal in facts.statement.not_principal:
            value = principal.value
            if principal.type != "AWS" or not isinstance(value, str) or principal_account(value) is None:
                continue
            caller = _caller(value)
            if caller is None:
                continue
            request = Request.trusted(principal=caller, action=action, resource=str(key.arn), context=context)
            if statement_matches(facts.statement, target.policy, request, situation).matched:
                yield target.report(
                    RULE,
                    f"`{principal.raw}` is listed to be exempt, but the Deny still applies to `{caller}`: "
                    "list the account and the session too, or use `aws:PrincipalArn`",
                    principal.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS021",
    name="kp-deny-notprincipal-incomplete",
    severity=Severity.HIGH,
    summary=(
        "Deny + NotPrincipal exempts a role or user without its session or account; the exempted is denied"
    ),
    help='use `"Principal": "*"` with an `ArnNotEquals` condition on `aws:PrincipalArn`',
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"deny", "not-principal"}),
)
