"""A Deny with NotPrincipal whose exemption misses the role session or the account.

## What it flags
A `Deny` + `NotPrincipal` statement that lists a role or user to exempt, where the evaluator still
applies the Deny to that principal's own requests: a role's sessions are matched as
account, role and session, so the list must name the account, the role and the assumed-role
session ARN; a user needs the account and the user.

`NotPrincipal` has no wildcard for sessions: listing `assumed-role/Admin/s1` exempts that session
only, and every other session of `Admin` stays denied, by design (the break-glass pattern). So the
callers checked are the ones the list names: each listed session, each listed user, and, for a role
listed without any session of it, its sessions at large (none of which can be exempt). A role
listed with its sessions and the account is complete.

A listed user or role that the input shows with a permissions boundary (a snapshot, template or plan
that declares it) is never exempt, whatever else the list names: a `Deny` with `NotPrincipal`
always applies to a principal with a permissions boundary. That the boundary is attached is enough;
its document need not be in the input.

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

import re
from collections.abc import Iterator

from kmspolicy.model import Finding, IamEntity, Policy, PolicyKind, Request, Severity, Situation, Span
from kmspolicy.rules.exposure import probe_key, satisfying_context
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import principal_account


def _callers(values: list[str]) -> dict[str, str]:
    """For each listed value that names a caller to exempt, the caller request's principal to probe.

    Sessions and users are probed as themselves. A role is probed through a session only when the list
    names none of its sessions: then no session of it is exempt, whatever its name, so the name probed
    does not change the answer. A role listed with sessions is covered by probing those sessions.
    """
    sessions: set[tuple[str, str]] = set()
    for value in values:
        parts = value.split(":", 5)
        if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
            role_name = parts[5].split("/")[1] if parts[5].count("/") >= 2 else ""
            sessions.add((parts[4], role_name))
    callers: dict[str, str] = {}
    for value in values:
        parts = value.split(":", 5)
        if len(parts) != 6 or not parts[4]:
            continue
        service, account, resource = parts[2], parts[4], parts[5]
        if service == "iam" and resource.startswith("role/"):
            name = resource.rsplit("/", 1)[-1]
            if (account, name) not in sessions:
                # the session ARN drops the role's path
                callers[value] = f"arn:aws:sts::{account}:assumed-role/{name}/{_ANY_SESSION}"
        elif (service == "iam" and resource.startswith("user/")) or (
            service == "sts" and resource.startswith("assumed-role/")
        ):
            callers[value] = value
    return callers


_ANY_SESSION = "any-session"


def _boundaries(target: PolicyTarget) -> dict[tuple[str, str], tuple[str, Policy]]:
    """The account and permissions boundary of each user and role the input declares, by (type, name).

    A boundary whose document the input lacks stands in as an empty one: the evaluator applies a
    `NotPrincipal` Deny to any principal with a boundary, whatever the boundary says.
    """
    document = target.document
    entities: tuple[IamEntity, ...] = (
        *document.principals,
        *(document.account.principals if document.account is not None else ()),
    )
    return {
        (e.type, e.name): (
            e.account,
            e.permission_boundary
            or Policy.trusted(
                kind=PolicyKind.BOUNDARY,
                name=e.permission_boundary_arn or "",
                span=e.span or Span(file=document.file),
            ),
        )
        for e in entities
        if e.permission_boundary_arn is not None or e.permission_boundary is not None
    }


def _boundary_of(caller: str, boundaries: dict[tuple[str, str], tuple[str, Policy]]) -> Policy | None:
    """The boundary of the user or role a probed caller is (a template may not know its account)."""
    account, resource = caller.split(":", 5)[4:]
    if resource.startswith("assumed-role/"):
        holder = ("role", resource.split("/")[1])
    else:
        holder = ("user", resource.rsplit("/", 1)[-1])
    found = boundaries.get(holder)
    return found[1] if found is not None and found[0] in (account, "") else None


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not target.is_key_policy:
        return
    from kmspolicy.evaluate import statement_matches

    key = probe_key(target.key, target.trust)
    situation = Situation.trusted(key=key, key_policy=target.policy)
    boundaries = _boundaries(target)
    for facts in target.facts:
        if not facts.deny or facts.statement.not_principal is None or not facts.kms_actions:
            continue
        action = min(facts.kms_actions)
        context = satisfying_context(facts.statement)
        listed = [
            p
            for p in facts.statement.not_principal
            if p.type == "AWS" and isinstance(p.value, str) and principal_account(p.value) is not None
        ]
        listed_values = [str(p.value) for p in listed]
        callers = _callers(listed_values)
        for principal in listed:
            caller = callers.get(str(principal.value))
            if caller is None:
                continue
            request = Request.trusted(principal=caller, action=action, resource=str(key.arn), context=context)
            boundary = _boundary_of(caller, boundaries) if boundaries else None
            if boundary is not None:
                bounded = situation.model_copy(update={"permission_boundary": boundary})
                if statement_matches(facts.statement, target.policy, request, bounded).matched:
                    holder = "role" if ":assumed-role/" in caller else "user"
                    message = (
                        f"`{principal.raw}` is listed to be exempt, but its {holder} has a permissions "
                        "boundary, and a `NotPrincipal` Deny always applies to such a principal: use "
                        "`aws:PrincipalArn`"
                    )
                    yield target.report(RULE, message, principal.span, facts.statement)
                    continue
            if statement_matches(facts.statement, target.policy, request, situation).matched:
                message = _message(principal.raw, caller, listed_values)
                yield target.report(RULE, message, principal.span, facts.statement)


def _message(raw: object, caller: str, listed: list[str]) -> str:
    account, resource = caller.split(":", 5)[4:]
    any_session = caller.endswith(f"/{_ANY_SESSION}")
    missing = ["its session ARNs"] if any_session else []
    if resource.startswith("assumed-role/") and not any_session:
        role = re.compile(rf"^arn:[^:]+:iam::{account}:role/(?:.*/)?{re.escape(resource.split('/')[1])}$")
        if not any(role.match(v) for v in listed):
            missing.append("its role")
    root = re.compile(rf"^arn:[^:]+:iam::{account}:root$")
    if not any(v == account or root.match(v) for v in listed):
        missing.append("the account")
    fix = f"list {' and '.join(missing)} too" if missing else "list every level it is matched at"
    if any_session:
        denied = f"every session `{caller.rsplit('/', 1)[0]}/...`, as no session of it is listed"
    else:
        denied = f"`{caller}`"
    return (
        f"`{raw}` is listed to be exempt, but the Deny still applies to {denied}: {fix}, or use "
        "`aws:PrincipalArn`"
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
