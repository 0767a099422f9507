"""How far the Resource element of an identity policy reaches among KMS keys.

Identity policies name keys by ARN; `*` means every key in every account that trusts the caller's
account (reference §1.4, §2.4). Key policies are not judged here: their `Resource: "*"` means "this key".
"""

from __future__ import annotations

import re
from functools import cache

from kmspolicy.conditions import ArnGlob
from kmspolicy.model import Scalar, Span, Unknown
from kmspolicy.rules.statements import StatementFacts

# Two made-up keys in different accounts: a pattern that matches both reaches keys in any account.
_SOME_KEY = "arn:aws:kms:us-east-1:{account}:key/0f1e2d3c-kmspolicy-probe"
_ACCOUNTS = ("111111111111", "222222222222")


@cache
def _glob(pattern: str) -> ArnGlob:
    return ArnGlob(pattern)


def _matches(pattern: str, arn: str) -> bool:
    """`ArnGlob(pattern).match(arn)`; a pattern without wildcards matches only itself, and most
    Resource values name one key, so they are compared rather than compiled."""
    if "*" in pattern or "?" in pattern:
        return _glob(pattern).match(arn)
    return pattern == arn


def covers_all_keys(value: str) -> bool:
    """`*`, `arn:aws:kms:*:*:key/*`, `arn:aws:kms:*:111122223333:*` ...: every key of an account or more."""
    if value == "*":
        return True
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return False
    account = parts[4] if parts[4] and "*" not in parts[4] and "?" not in parts[4] else _ACCOUNTS[0]
    probe = _SOME_KEY.format(account=account).split(":", 5)
    probe[1], probe[3] = parts[1] if "*" not in parts[1] else "aws", parts[3] if "*" not in parts[3] else "x"
    return _matches(value, ":".join(probe))


def any_account(value: str) -> bool:
    """A KMS ARN pattern whose account field is a wildcard: keys of accounts you do not control."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] not in ("kms", "*"):
        return False
    first, second = (_SOME_KEY.format(account=a).split(":", 5) for a in _ACCOUNTS)
    for probe in (first, second):
        probe[1], probe[3] = (
            parts[1] if "*" not in parts[1] else "aws",
            parts[3] if "*" not in parts[3] else "x",
        )
        probe[5] = parts[5].replace("*", "x").replace("?", "x")
    return _matches(value, ":".join(first)) and _matches(value, ":".join(second))


def is_alias_arn(value: str) -> bool:
    parts = value.split(":", 5)
    return len(parts) == 6 and parts[2] == "kms" and parts[5].startswith("alias/")


_SUB_VARIABLE = re.compile(r"\$\{[^}]*\}")
# What stands for a variable while the ARN is split: its name may hold colons (`${AWS::Region}`).
_HOLE = "\0"


@cache
def _template_pattern(expr: str) -> tuple[str, str] | None:
    """For a CloudFormation `Fn::Sub` of an ARN whose variables all sit before the resource part
    (`arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/*`), the ARN pattern it stands for whatever
    the variables are (each one a `*`) and the template as written; None for anything else.

    Such a value names one account and Region at deployment, so it reaches as far as the same ARN
    with those written out; a variable in the resource part may name one key and is not judged.
    """
    if not (expr.startswith("Sub(") and expr.endswith(")")):
        return None
    written = expr[4:-1]
    parts = _SUB_VARIABLE.sub(_HOLE, written).split(":", 5)
    if len(parts) != 6 or _HOLE in parts[5]:
        return None
    return ":".join(parts).replace(_HOLE, "*"), written


def alias_arn(value: Scalar) -> str | None:
    """The value as shown to the user when it is an alias ARN: literal, or a CloudFormation `Fn::Sub`
    whose resource part is literally `alias/...` (`arn:aws:kms:${AWS::Region}:${AWS::AccountId}:alias/x`):
    whatever its variables become, it names an alias."""
    if isinstance(value, str):
        return value if is_alias_arn(value) else None
    expr = value.expr
    if not (expr.startswith("Sub(") and expr.endswith(")")):
        return None
    written = expr[4:-1]
    parts = _SUB_VARIABLE.sub(_HOLE, written).split(":", 5)
    return written if len(parts) == 6 and parts[2] == "kms" and parts[5].startswith("alias/") else None


def reaches_all_keys(value: Scalar) -> str | None:
    """The Resource value as shown to the user when it reaches every key of an account or more."""
    if isinstance(value, str):
        return value if covers_all_keys(value) else None
    if isinstance(value, Unknown):
        found = _template_pattern(value.expr)
        if found is not None and covers_all_keys(found[0]):
            return found[1]
    return None


def confined_by_deny(facts: tuple[StatementFacts, ...], actions: frozenset[str]) -> frozenset[str]:
    """The `actions` that an unconditional Deny of the policy takes away on every key but a few: a
    `NotResource` Deny whose listed resources do not reach every key, or a Deny on every key. Explicit
    deny wins (reference §1.6), so an Allow of those actions on `*` reaches the listed keys only."""
    confined: set[str] = set()
    for deny in facts:
        statement = deny.statement
        if not deny.deny or statement.conditions or statement.not_principal or deny.has_unknowns:
            continue
        if statement.not_resource is not None:
            if any(reaches_all_keys(item.value) for item in statement.not_resource):
                continue
        elif not any(reaches_all_keys(item.value) for item in statement.resource or ()):
            continue
        confined.update(actions & deny.kms_actions)
    return frozenset(confined)


def unscoped(facts: StatementFacts) -> tuple[str, Span] | None:
    """The Resource value that reaches every key and its span (or `NotResource`); None when scoped."""
    if facts.statement.not_resource is not None:
        return "NotResource", facts.element_span("NotResource")
    for item in facts.statement.resource or ():
        reach = reaches_all_keys(item.value)
        if reach is not None:
            return reach, item.span
    return None
