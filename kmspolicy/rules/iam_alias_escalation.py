"""Key access gated on an alias the same principal may create or move.

## What it flags
An identity policy that allows KMS use under a `kms:ResourceAliases` or `kms:RequestAlias` condition
and, in another statement, allows `kms:CreateAlias` or `kms:UpdateAlias` on an alias that condition
accepts. Alias operations need the permission on the alias itself, so alias management limited to
other names (`alias/sandbox-*` while the gate is `alias/prod-app`) cannot open the gate.

## Why it is risky
A principal that can point an alias at any key can give itself access to every key: create the alias
the gate expects on the key it wants, then use it.

## Example
```json
[{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/app"}}},
 {"Effect": "Allow", "Action": ["kms:CreateAlias", "kms:UpdateAlias"], "Resource": "*"}]
```

## Use instead
Give alias management to a separate administrator role, scoped to specific alias ARNs.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/abac.html
- https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from kmspolicy.model import Condition, Finding, PolicyKind, Severity
from kmspolicy.rules.attribute_escalation import escalations
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts

_CHANGERS = frozenset({"kms:CreateAlias", "kms:UpdateAlias"})


def _gate(facts: StatementFacts) -> Condition | None:
    found = [
        c
        for c in facts.conditions_on("kms:resourcealiases", "kms:requestalias")
        if c.operator and not c.operator.negated
    ]
    return found[0] if found else None


def _reaches(changer: StatementFacts, gate: Condition) -> bool:
    """Whether the changing statement's Resource covers an alias the gate accepts (§1.9: CreateAlias
    and UpdateAlias need the action on the alias). A value not known before deployment, `NotResource`
    or a gate value that is not plain text may reach any alias."""
    statement = changer.statement
    if statement.not_resource is not None or statement.resource is None:
        return True
    wanted = [v for v in gate.values if isinstance(v, str) and "${" not in v]
    if len(wanted) != len(gate.values):
        return True  # a policy variable may name any alias
    for item in statement.resource:
        if not isinstance(item.value, str):
            return True
        names = _alias_names(item.value)
        if names is not None and any(_globs_overlap(names, alias) for alias in wanted):
            return True
    return False


def _alias_names(resource: str) -> str | None:
    """The alias names a Resource value covers, as a pattern (`alias/sandbox-*`); None for none."""
    if resource == "*":
        return "*"
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts[5]


@lru_cache(maxsize=1024)
def _globs_overlap(first: str, second: str) -> bool:
    """Whether some text matches both wildcard patterns (`*` any run, `?` one character)."""
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(first) and j == len(second):
            return True
        a = first[i] if i < len(first) else None
        b = second[j] if j < len(second) else None
        if a == "*":
            todo.append((i + 1, j))  # the star matches nothing more
        if b == "*":
            todo.append((i, j + 1))
        if a is None or b is None:
            continue
        # one character that both patterns accept here; a star stays where it is to take more
        if a == "*" or b == "*" or a == "?" or b == "?" or a == b:
            todo.append((i if a == "*" else i + 1, j if b == "*" else j + 1))
    return False


def check(target: PolicyTarget) -> Iterator[Finding]:
    yield from escalations(target, RULE, _gate, _CHANGERS, (), "aliases", _reaches)


RULE = PolicyRule(
    id="KMS043",
    name="iam-alias-escalation",
    severity=Severity.HIGH,
    summary=(
        "key access gated on `kms:ResourceAliases`/`kms:RequestAlias` while the principal may manage aliases"
    ),
    help="give alias management to a separate role, scoped to specific alias ARNs",
    check=check,
    kinds=frozenset({PolicyKind.IDENTITY}),
    needs=frozenset({"allow", "conditions"}),
)
