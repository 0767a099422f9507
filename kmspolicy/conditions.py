"""Matching semantics: wildcards, ARNs, every condition operator, policy variables.

Reference: /work/shared/reference/kms-authorization.md §2.3-§2.6 and §3. Everything here is compiled once
per policy element and then evaluated many times, so the compile step does the parsing (numbers, dates,
networks, base64, templates) and evaluation only compares.

The wildcard matcher never backtracks: a pattern is split on `*` into fixed-length segments, and since each
segment matches a fixed number of characters, taking the leftmost occurrence of every middle segment is
always right. Matching costs one `find` per segment, so a 10,000-character value against fifty `*` is a
few microseconds instead of the exponential blow-up of a backtracking regex.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from kmspolicy.grammar import Escape, GrammarError, Template, Text, Variable, parse_template
from kmspolicy.model import Condition, Scalar, Unknown

# Policy variables are substituted only under this language version (§2.1, §2.6); under 2008-10-17 or
# without `Version`, `${...}` is literal text.
VARIABLES_VERSION = "2012-10-17"

ContextValues = tuple[str, ...]

# --------------------------------------------------------------------------- wildcards

# A run of pattern text and whether its `*` / `?` are wildcards (False for `${*}` escapes and for the
# values of policy variables, which are substituted as literal text).
Piece = tuple[str, bool]


class _Segment:
    """A piece of pattern between two `*`: literal text, or text with `?` (fixed length either way)."""

    __slots__ = ("length", "literal", "regex")

    def __init__(self, chars: Sequence[str | None]) -> None:
        self.length = len(chars)
        if None in chars:
            self.literal: str | None = None
            self.regex: re.Pattern[str] | None = re.compile(
                "".join("." if c is None else re.escape(c) for c in chars), re.DOTALL
            )
        else:
            self.literal = "".join(c for c in chars if c is not None)
            self.regex = None

    def at(self, text: str, pos: int) -> bool:
        if self.literal is not None:
            return text.startswith(self.literal, pos)
        assert self.regex is not None
        return self.regex.match(text, pos) is not None

    def find(self, text: str, pos: int, end: int) -> int:
        if self.literal is not None:
            return text.find(self.literal, pos, end)
        assert self.regex is not None
        found = self.regex.search(text, pos, end)
        return -1 if found is None else found.start()


class Glob:
    """`*` (any run, including none) and `?` (exactly one character) wildcards, in linear time."""

    __slots__ = ("_fold", "_head", "_middle", "_min", "_star", "_tail", "pattern")

    def __init__(self, pattern: str, *, fold: bool = False) -> None:
        self._build(((pattern, True),), fold)

    @classmethod
    def from_pieces(cls, pieces: Iterable[Piece], *, fold: bool = False) -> Glob:
        glob = cls.__new__(cls)
        glob._build(tuple(pieces), fold)
        return glob

    def _build(self, pieces: tuple[Piece, ...], fold: bool) -> None:
        self.pattern = "".join(text for text, _ in pieces)
        self._fold = fold
        segments: list[_Segment] = []
        current: list[str | None] = []
        for text, active in pieces:
            for char in text.lower() if fold else text:
                if active and char == "*":
                    segments.append(_Segment(current))
                    current = []
                else:
                    current.append(None if active and char == "?" else char)
        segments.append(_Segment(current))
        self._star = len(segments) > 1
        self._head = segments[0]
        self._tail = segments[-1]
        self._middle = tuple(s for s in segments[1:-1] if s.length)
        self._min = sum(s.length for s in segments) if self._star else self._head.length

    def match(self, text: str) -> bool:
        if self._fold:
            text = text.lower()
        size = len(text)
        if not self._star:
            return size == self._min and self._head.at(text, 0)
        if size < self._min or not self._head.at(text, 0):
            return False
        end = size - self._tail.length
        if not self._tail.at(text, end):
            return False
        pos = self._head.length
        for segment in self._middle:
            found = segment.find(text, pos, end)
            if found < 0:
                return False
            pos = found + segment.length
        return True


def _split_pieces(pieces: Sequence[Piece], sep: str, maxsplit: int) -> list[list[Piece]]:
    """Split pattern pieces on `sep` (literal or not), at most `maxsplit` times."""
    parts: list[list[Piece]] = [[]]
    for text, active in pieces:
        chunks = text.split(sep, maxsplit - (len(parts) - 1)) if len(parts) <= maxsplit else [text]
        for i, chunk in enumerate(chunks):
            if i:
                parts.append([])
            if chunk:
                parts[-1].append((chunk, active))
    return parts


class ArnGlob:
    """ARN pattern matching as IAM does it for `Resource` and `ArnLike`: six `:`-separated segments, each
    globbed separately and case-sensitively; `*` in the resource segment spans `/` (and `:`) (§2.4).

    A pattern without `:` (such as `*`) is globbed against the whole value; any other pattern that is not
    six segments long matches nothing.
    """

    __slots__ = ("_segments", "pattern")

    def __init__(self, pattern: str) -> None:
        self._build(((pattern, True),))

    @classmethod
    def from_pieces(cls, pieces: Sequence[Piece]) -> ArnGlob:
        arn = cls.__new__(cls)
        arn._build(pieces)
        return arn

    def _build(self, pieces: Sequence[Piece]) -> None:
        self.pattern = "".join(text for text, _ in pieces)
        parts = _split_pieces(pieces, ":", 5)
        if len(parts) == 6:
            self._segments: tuple[Glob, ...] = tuple(Glob.from_pieces(p) for p in parts)
        elif len(parts) == 1:
            self._segments = (Glob.from_pieces(pieces),)
        else:
            self._segments = ()

    def match(self, value: str) -> bool:
        if len(self._segments) < 2:
            return bool(self._segments) and self._segments[0].match(value)
        parts = value.split(":", 5)
        if len(parts) != 6:
            return False
        return all(glob.match(part) for glob, part in zip(self._segments, parts, strict=True))


# --------------------------------------------------------------------------- request context


_UNSET: tuple[str, ...] = ("<unset>",)  # identity-compared: no request value is this object


class RequestContext:
    """The condition keys of one request, by lower-case name; each value is a tuple (one entry for
    single-valued keys). An empty tuple is the same as an absent key (§2.5 rule 4, empty sets).

    `derive` computes the keys AWS fills in (aws:PrincipalArn, kms:CallerAccount, ...) on first use, so a
    request pays only for the keys its policies look at.
    """

    __slots__ = ("_derive", "_values")

    def __init__(
        self,
        values: dict[str, ContextValues],
        derive: Callable[[str], ContextValues | None] | None = None,
    ) -> None:
        self._values: dict[str, ContextValues | None] = dict(values)
        self._derive = derive

    def get(self, key: str) -> ContextValues | None:
        """The values of `key` (lower-case), or None when the request has no such key."""
        # a sentinel rather than KeyError: most lookups of a request are misses (derived keys), and
        # raising costs more than the lookup
        found = self._values.get(key, _UNSET)
        if found is _UNSET:
            found = self._values[key] = self._derive(key) if self._derive is not None else None
        return found or None

    def single(self, key: str) -> str | None:
        """A single-valued key's value; multi-valued keys cannot be policy variables (§2.6)."""
        found = self.get(key)
        return found[0] if found is not None and len(found) == 1 else None


# --------------------------------------------------------------------------- policy variables


class Resolved:
    """A template with its variables substituted; `missing` names variables that had no value."""

    __slots__ = ("missing", "pieces")

    def __init__(self, pieces: list[Piece], missing: list[str]) -> None:
        self.pieces = pieces
        self.missing = missing

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.pieces)


def template_of(value: str, version: str | None) -> Template | None:
    """The parsed template of a policy string when it holds variables that this policy version expands.

    A malformed `${...}` was reported by the parser; here it stays literal text.
    """
    if version != VARIABLES_VERSION or "${" not in value:
        return None
    try:
        template = parse_template(value)
    except GrammarError:
        return None
    return template if template.has_variables or len(template.parts) > 1 else None


def resolve(template: Template, context: RequestContext) -> Resolved:
    pieces: list[Piece] = []
    missing: list[str] = []
    for part in template.parts:
        if isinstance(part, Text):
            pieces.append((part.text, True))
        elif isinstance(part, Escape):
            pieces.append((part.char, False))
        else:
            found = context.single(part.name.lower())
            if found is None:
                found = part.default
            if found is None:
                missing.append(part.name)
            else:
                pieces.append((found, False))
    return Resolved(pieces, missing)


# --------------------------------------------------------------------------- operators

Comparer = Callable[[str], bool]

_NEGATED_TO_POSITIVE = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnLike",
    "ArnNotLike": "ArnLike",
    "ArnEquals": "ArnLike",  # ArnEquals and ArnLike are the same operator (§2.5)
}

# Families whose values may hold policy variables (§2.6). Bool is conflicting in the docs (§9 q9); the
# variables page says no, and that is what we do.
_VARIABLE_FAMILIES = frozenset({"String", "Arn"})


def _decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def parse_date(text: str) -> Decimal | None:
    """Seconds since the epoch from W3C ISO-8601 text or from epoch seconds (§2.5 Date operators)."""
    text = text.strip()
    # a `:` never parses as a number, and the failed attempt raises: skip it for ISO times
    number = _decimal(text) if ":" not in text else None
    if number is not None:
        return number
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Decimal(str(moment.timestamp()))


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


_ORDER: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _ordered(base: str, prefix: str, value: str, parse: Callable[[str], Decimal | None]) -> Comparer | None:
    bound = parse(value)
    order = _ORDER.get(base[len(prefix) :])
    if bound is None or order is None:
        return None

    def compare(request: str) -> bool:
        got = parse(request)
        return got is not None and order(got, bound)

    return compare


def _comparer(base: str, value: str, pieces: Sequence[Piece] | None = None) -> Comparer | None:
    """The positive test of one policy value, or None when the value can never match."""
    if base == "StringEquals":
        text = value if pieces is None else "".join(t for t, _ in pieces)
        return text.__eq__
    if base == "StringEqualsIgnoreCase":
        folded = (value if pieces is None else "".join(t for t, _ in pieces)).casefold()
        return lambda request: request.casefold() == folded
    if base == "StringLike":
        return (Glob(value) if pieces is None else Glob.from_pieces(pieces)).match
    if base == "ArnLike":
        return (ArnGlob(value) if pieces is None else ArnGlob.from_pieces(pieces)).match
    if base.startswith("Numeric"):
        return _ordered(base, "Numeric", value, _decimal)
    if base.startswith("Date"):
        return _ordered(base, "Date", value, parse_date)
    if base == "Bool":
        # Only `true` / `false` mean anything; any other value never matches (§9 q27).
        wanted = value.lower()
        if wanted not in ("true", "false"):
            return None
        return lambda request: request.lower() == wanted
    if base == "BinaryEquals":
        wanted_bytes = _binary(value)
        if wanted_bytes is None:
            return None
        return lambda request: _binary(request) == wanted_bytes
    if base == "IpAddress":
        try:
            network = ipaddress.ip_network(value.strip(), strict=False)  # bare address = /32 or /128
        except ValueError:
            return None

        def in_network(request: str) -> bool:
            try:
                address = ipaddress.ip_address(request.strip())
            except ValueError:
                return False
            return address.version == network.version and address in network

        return in_network
    return None


def _show(values: Sequence[Scalar]) -> str:
    shown = [f"`{v.expr}`" if isinstance(v, Unknown) else f"`{v}`" for v in values[:4]]
    if len(values) > 4:
        shown.append(f"and {len(values) - 4} more")
    return ", ".join(shown) if shown else "no values"


class _Value:
    """One policy value of a condition: a fixed comparer, a template resolved per request, or nothing."""

    __slots__ = ("comparer", "raw", "template")

    def __init__(self, raw: Scalar, comparer: Comparer | None, template: Template | None) -> None:
        self.raw = raw
        self.comparer = comparer
        self.template = template


class CompiledCondition:
    """One (operator, key, values) triple, ready to test against many requests."""

    __slots__ = (
        "_any_template",
        "_base",
        "_equals",
        "_fixed",
        "_for_all",
        "_for_any",
        "_if_exists",
        "_negated",
        "_null",
        "_valid",
        "_values",
        "condition",
        "key",
    )

    def __init__(self, condition: Condition, version: str | None) -> None:
        self.condition = condition
        self.key = condition.key_lower
        op = condition.operator
        self._base = "" if op is None else _NEGATED_TO_POSITIVE.get(op.base, op.base)
        # the operator's parts, copied out of the model for the hot path
        self._valid = op is not None
        self._if_exists = op is not None and op.if_exists
        self._negated = op is not None and op.negated
        self._for_all = op is not None and op.qualifier == "ForAllValues"
        self._for_any = op is not None and op.qualifier == "ForAnyValue"
        self._null: frozenset[bool] = frozenset()
        self._equals: frozenset[str] | None = None
        values: list[_Value] = []
        if op is not None and op.family == "Null":
            self._null = frozenset(
                v.lower() == "true" for v in condition.values if isinstance(v, str) and v.lower() in _BOOLS
            )
        elif op is not None:
            for raw in condition.values:
                template = (
                    template_of(raw, version)
                    if isinstance(raw, str) and op.family in _VARIABLE_FAMILIES
                    else None
                )
                comparer = _comparer(self._base, raw) if isinstance(raw, str) and template is None else None
                values.append(_Value(raw, comparer, template))
            if self._base == "StringEquals" and all(
                isinstance(v.raw, str) and v.template is None for v in values
            ):
                # The most common condition by far: one set lookup instead of a comparer per value.
                self._equals = frozenset(v.raw for v in values if isinstance(v.raw, str))
        self._values = tuple(values)
        self._any_template = any(v.template is not None for v in values)
        self._fixed = (
            None if self._any_template else tuple(v.comparer for v in values if v.comparer is not None)
        )

    def reads(self) -> frozenset[str]:
        """The lower-case context keys this condition looks at, its own and its variables'."""
        keys = {self.key}
        for value in self._values:
            if value.template is not None:
                keys.update(p.name.lower() for p in value.template.parts if isinstance(p, Variable))
        return frozenset(keys)

    # -- evaluation

    def _comparers(self, context: RequestContext) -> Sequence[Comparer]:
        if self._fixed is not None:
            return self._fixed
        found: list[Comparer] = []
        for value in self._values:
            if value.template is not None:
                resolved = resolve(value.template, context)
                if resolved.missing:
                    continue  # a missing variable makes this value match nothing (§2.6)
                comparer = _comparer(self._base, resolved.text, resolved.pieces)
            else:
                comparer = value.comparer
            if comparer is not None:
                found.append(comparer)
        return found

    def holds(self, context: RequestContext) -> bool:
        """Whether the condition is satisfied by the request."""
        if not self._valid:
            return False
        present = context.get(self.key)
        if self._base == "Null":
            return (present is None and True in self._null) or (present is not None and False in self._null)
        negated = self._negated
        if present is None:
            # §2.5 rule 4 and the set-operator table: IfExists and ForAllValues are true on a missing key,
            # ForAnyValue is false, a plain negated operator is true and a positive one false.
            if self._if_exists or self._for_all:
                return True
            return False if self._for_any else negated
        equals = self._equals
        if equals is not None:
            if len(present) == 1:
                return (present[0] in equals) != negated
            hits = [(r in equals) != negated for r in present]
        else:
            comparers = self._comparers(context)
            if len(present) == 1 and len(comparers) == 1:
                return comparers[0](present[0]) != negated
            hits = [any(compare(r) for compare in comparers) != negated for r in present]
        # ForAnyValue, and also a multi-valued key used without a set operator (undocumented, §9 q12):
        # some request value must satisfy the operator.
        return all(hits) if self._for_all else any(hits)

    def evaluate(self, context: RequestContext) -> tuple[bool, str]:
        """`holds()` and a one-line reason for the trace."""
        result = self.holds(context)
        return result, self.reason(context, result)

    def reason(self, context: RequestContext, result: bool) -> str:
        """Why `holds()` gave `result`; built only when a trace is wanted."""
        cond = self.condition
        op = cond.operator
        head = f"condition `{cond.key}` {cond.operator_raw} {_show(cond.values)}"
        if op is None:
            return f"{head}: `{cond.operator_raw}` is not a valid operator, so the condition never holds"
        present = context.get(self.key)
        notes = self._notes(context)
        if op.family == "Null":
            if not self._null:
                return f"{head}: `Null` takes `true` or `false`, so the condition never holds"
            state = "has no" if present is None else "has"
            return f"{head}: request {state} `{cond.key}`{notes}"
        if present is None:
            if op.if_exists:
                why = "IfExists"
            elif op.qualifier is not None:
                why = f"{op.qualifier} over an empty set"
            else:
                why = "negated operator" if op.negated else "positive operator"
            return f"{head}: request has no `{cond.key}` ({why} is {str(result).lower()}){notes}"
        shown = ", ".join(f"`{v}`" for v in present[:4]) + (", ..." if len(present) > 4 else "")
        verdict = "satisfies" if result else "does not satisfy"
        return f"{head}: request value {shown} {verdict} it{notes}"

    def _notes(self, context: RequestContext) -> str:
        notes: list[str] = []
        for value in self._values:
            if isinstance(value.raw, Unknown):
                notes.append(f"`{value.raw.expr}` is unknown before deployment and matches nothing")
            elif value.template is not None:
                missing = resolve(value.template, context).missing
                notes.extend(f"policy variable `${{{name}}}` has no value" for name in missing)
            elif value.comparer is None and self._equals is None:
                notes.append(f"`{value.raw}` is not a valid value for this operator and matches nothing")
        return "; " + "; ".join(notes) if notes else ""


_BOOLS = ("true", "false")


__all__ = [
    "VARIABLES_VERSION",
    "ArnGlob",
    "CompiledCondition",
    "ContextValues",
    "Glob",
    "Piece",
    "RequestContext",
    "Resolved",
    "parse_date",
    "resolve",
    "template_of",
]
