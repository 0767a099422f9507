"""How far the Resource element of an identity policy reaches among KMS keys.

Identity policies name keys by ARN; `*` means every key in every account that trusts the caller's
account (reference §1.4, §2.4). Key policies are not judged here: their `Resource: "*"` means "this key".
"""

from __future__ import annotations

from functools import cache

from kmspolicy.conditions import ArnGlob
from kmspolicy.model import Span
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


def unscoped(facts: StatementFacts) -> tuple[str, Span] | None:
    """The Resource value that reaches every key and its span (or `NotResource`); None when scoped."""
    if facts.statement.not_resource is not None:
        return "NotResource", facts.element_span("NotResource")
    for item in facts.statement.resource or ():
        if isinstance(item.value, str) and covers_all_keys(item.value):
            return item.value, item.span
    return None
