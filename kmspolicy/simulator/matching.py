"""Literal matching for the reference authoriser: wildcards, ARNs, policy variables, conditions.

Written from reference §2.3-§2.6 for clarity, one rule per function. Request context keys arrive as a
`Context`: lower-cased key -> value (a string, or a tuple for multivalued keys).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from kmspolicy.model import Condition, Operator

ContextValue = str | tuple[str, ...]
Context = dict[str, ContextValue]

# One pattern character: (text, is_wildcard). Substituted variables and `${*}` escapes are literal.
Token = tuple[str, bool]

MODERN_VERSION = "2012-10-17"


# --------------------------------------------------------------------------- wildcards


@lru_cache(maxsize=4096)
def literal_tokens(text: str) -> tuple[Token, ...]:
    return tuple((c, False) for c in text)


@lru_cache(maxsize=4096)
def wildcard_tokens(text: str) -> tuple[Token, ...]:
    """`*` is any run of characters and `?` exactly one (§2.3, §2.4)."""
    return tuple((c, c in "*?") for c in text)


@lru_cache(maxsize=4096)
def _compiled(tokens: tuple[Token, ...], ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for text, wild in tokens:
        if wild:
            parts.append(".*" if text == "*" else ".")
        else:
            parts.append(re.escape(text))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(tokens: tuple[Token, ...], text: str, *, ignore_case: bool = False) -> bool:
    return _compiled(tokens, ignore_case).fullmatch(text) is not None


@lru_cache(maxsize=4096)
def action_matches(pattern: str, action: str) -> bool:
    """Action names are case-insensitive and take `*` and `?` anywhere (§2.3)."""
    return glob_match(wildcard_tokens(pattern), action, ignore_case=True)


def split_arn(text: str) -> list[str] | None:
    """The six ARN segments (`arn`, partition, service, region, account, resource), or None."""
    parts = text.split(":", 5)
    return parts if len(parts) == 6 else None


def arn_like(pattern: tuple[Token, ...], arn: str) -> bool:
    """Segment-by-segment glob, case-sensitive; `*` in the resource segment also spans `/` (§2.4, §2.5)."""
    target = split_arn(arn)
    if target is None:
        return False
    segments = _arn_segments(pattern)
    if segments is None:
        return False
    return all(glob_match(seg, part) for seg, part in zip(segments, target, strict=True))


@lru_cache(maxsize=4096)
def _arn_segments(pattern: tuple[Token, ...]) -> tuple[tuple[Token, ...], ...] | None:
    """The six segment patterns of an ARN pattern (cached: a policy's patterns recur on every request)."""
    segments: list[list[Token]] = [[]]
    for token in pattern:
        if token == (":", False) and len(segments) < 6:
            segments.append([])
        else:
            segments[-1].append(token)
    if len(segments) != 6:
        return None
    return tuple(tuple(seg) for seg in segments)


@lru_cache(maxsize=4096)
def arn_matches(pattern: str, arn: str) -> bool:
    """`arn_like` for a pattern written without policy variables (a pure function of two strings)."""
    return arn_like(wildcard_tokens(pattern), arn)


# --------------------------------------------------------------------------- policy variables


def substitute(value: str, context: Context, *, enabled: bool, wild: bool) -> tuple[Token, ...] | None:
    """Replace `${key}` / `${key, 'default'}` / `${*}` `${?}` `${$}` (§2.6).

    `wild` says whether the surrounding operator treats `*`/`?` as wildcards. Returns None when a
    variable has no value and no default: positive operators then do not match that value, negated
    ones do, and a Resource containing it matches nothing. Without Version 2012-10-17 the text is literal.
    """
    plain = wildcard_tokens if wild else literal_tokens
    if not enabled or "${" not in value:
        return plain(value)
    out: list[Token] = []
    rest = value
    while "${" in rest:
        before, _, after = rest.partition("${")
        out.extend(plain(before))
        inner, closed, rest = after.partition("}")
        if not closed:
            out.extend(plain("${" + inner))
            rest = ""
            break
        if inner in ("*", "?", "$"):
            out.extend(literal_tokens(inner))
            continue
        resolved = _variable_value(inner, context)
        if resolved is None:
            return None
        out.extend(literal_tokens(resolved))
    out.extend(plain(rest))
    return tuple(out)


def _variable_value(inner: str, context: Context) -> str | None:
    key, default = inner, None
    if "," in inner:
        key, _, tail = inner.partition(",")
        tail = tail.strip()
        if len(tail) >= 2 and tail[0] == tail[-1] == "'":
            default = tail[1:-1]
    found = context.get(key.strip().lower())
    if isinstance(found, str):
        return found
    return default  # absent or multivalued: only single-valued keys can be variables


def resource_matches(pattern: str, resource: str, context: Context, *, variables: bool) -> bool:
    """An identity-policy Resource entry against a key or alias ARN (§2.4, §2.6)."""
    if pattern == "*":
        return True
    head, sep, tail = _split_resource_part(pattern)
    if not variables or "${" not in tail:
        return arn_matches(pattern, resource)
    tail_tokens = substitute(tail, context, enabled=variables, wild=True)
    if tail_tokens is None:
        return False
    return arn_like(wildcard_tokens(head + sep) + tail_tokens, resource)


def _split_resource_part(pattern: str) -> tuple[str, str, str]:
    """Variables are allowed only after the fifth colon: (first five segments, `:`, resource part)."""
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return "", "", pattern
    return ":".join(parts[:5]), ":", parts[5]


# --------------------------------------------------------------------------- conditions


def condition_holds(condition: Condition, context: Context, *, variables: bool) -> bool:
    """One (operator, key, values) triple against the request context (§2.5 rules 2-5)."""
    op = condition.operator
    if op is None:
        return False  # an invalid operator name never matches
    found = context.get(condition.key_lower)
    present = None if found is None or found == () else (found,) if isinstance(found, str) else found
    values = _text_values(condition.values)
    if op.base == "Null":
        return any(_null_holds(v, present is not None) for v in values)
    if present is None:
        if op.if_exists or op.qualifier == "ForAllValues":
            return True
        if op.qualifier == "ForAnyValue":
            return False
        return op.negated
    if op.qualifier == "ForAllValues":
        return all(_one_value_holds(op, r, values, context, variables) for r in present)
    if op.qualifier == "ForAnyValue":
        return any(_one_value_holds(op, r, values, context, variables) for r in present)
    # a multivalued key without a set operator is undocumented (§9 q12): read as ForAnyValue, some
    # request value must satisfy the operator (negated or not), the convention kmspolicy's evaluator
    # documents, so that the two sides differ only where the reference decides
    return any(_one_value_holds(op, r, values, context, variables) for r in present)


@lru_cache(maxsize=4096)
def _text_values(values: tuple[object, ...]) -> tuple[str, ...]:
    """The policy values that are text: an Unknown (undeployed) value matches nothing."""
    return tuple(v for v in values if isinstance(v, str))


def _null_holds(policy_value: str, present: bool) -> bool:
    if policy_value.lower() == "true":
        return not present
    if policy_value.lower() == "false":
        return present
    return False


def _one_value_holds(
    op: Operator, request_value: str, policy_values: tuple[str, ...], context: Context, variables: bool
) -> bool:
    """Positive operator: the request value equals one policy value; negated: it equals none (§2.5 rule 2)."""
    matched = any(_compare(op, request_value, p, context, variables) for p in policy_values)
    return not matched if op.negated else matched


def _compare(op: Operator, request_value: str, policy_value: str, context: Context, variables: bool) -> bool:
    """The positive form of the operator for one pair of values."""
    base = op.base
    if op.family == "String":
        wild = base in ("StringLike", "StringNotLike")
        if not wild and (not variables or "${" not in policy_value):
            text = policy_value  # no variable to substitute: compare the value as written
            if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
                return text.lower() == request_value.lower()
            return text == request_value
        tokens = substitute(policy_value, context, enabled=variables, wild=wild)
        if tokens is None:
            return False
        if wild:
            return glob_match(tokens, request_value)
        text = "".join(t for t, _ in tokens)
        if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
            return text.lower() == request_value.lower()
        return text == request_value
    if op.family == "Arn":
        tokens = substitute(policy_value, context, enabled=variables, wild=True)
        return tokens is not None and arn_like(tokens, request_value)
    if op.family == "Numeric":
        return _numeric(base, request_value, policy_value)
    if op.family == "Date":
        return _date(base, request_value, policy_value)
    if op.family == "Bool":
        return policy_value.lower() in ("true", "false") and request_value.lower() == policy_value.lower()
    if op.family == "Binary":
        return _binary(request_value) is not None and _binary(request_value) == _binary(policy_value)
    if op.family == "IpAddress":
        return _ip_in(request_value, policy_value)
    return False


def _ordered(base: str, left: Decimal | float, right: Decimal | float) -> bool:
    suffix = base.removeprefix("Numeric").removeprefix("Date")
    if suffix in ("Equals", "NotEquals"):
        return left == right
    if suffix == "LessThan":
        return left < right
    if suffix == "LessThanEquals":
        return left <= right
    if suffix == "GreaterThan":
        return left > right
    if suffix == "GreaterThanEquals":
        return left >= right
    return False


def _numeric(base: str, request_value: str, policy_value: str) -> bool:
    try:
        return _ordered(base, Decimal(request_value), Decimal(policy_value))
    except InvalidOperation:
        return False


def epoch_seconds(text: str) -> float | None:
    """W3C ISO-8601 or epoch seconds (§2.5 Date operators)."""
    try:
        return float(Decimal(text))
    except InvalidOperation:
        pass
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.timestamp()


def _date(base: str, request_value: str, policy_value: str) -> bool:
    left, right = epoch_seconds(request_value), epoch_seconds(policy_value)
    if left is None or right is None:
        return False
    return _ordered(base, left, right)


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _ip_in(request_value: str, policy_value: str) -> bool:
    try:
        return ipaddress.ip_address(request_value) in ipaddress.ip_network(policy_value, strict=False)
    except ValueError:
        return False
