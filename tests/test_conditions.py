"""Condition operators, wildcards and policy variables (reference §2.4-§2.6, §3.2)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmspolicy.conditions import ArnGlob, CompiledCondition, Glob, RequestContext
from kmspolicy.grammar import parse_operator
from kmspolicy.model import Condition, Span, Unknown

V2012 = "2012-10-17"


def cond(operator: str, key: str, *values: str | Unknown) -> Condition:
    try:
        op = parse_operator(operator)
    except ValueError:
        op = None
    return Condition(
        operator=op, operator_raw=operator, key=key, key_lower=key.lower(), values=values, span=Span(file="t")
    )


def holds(
    condition: Condition, context: dict[str, str | tuple[str, ...]], version: str | None = V2012
) -> bool:
    values = {k.lower(): (v,) if isinstance(v, str) else v for k, v in context.items()}
    result, reason = CompiledCondition(condition, version).evaluate(RequestContext(values))
    assert reason.startswith("condition `")
    return result


# (operator, key, policy values, request context, expected)
CASES: list[tuple[str, str, tuple[str, ...], dict[str, str | tuple[str, ...]], bool]] = [
    # String family: case-sensitive values, OR over values, NOR for negated operators (§2.5 rule 2)
    (
        "StringEquals",
        "kms:ViaService",
        ("s3.us-east-1.amazonaws.com",),
        {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
        True,
    ),
    (
        "StringEquals",
        "kms:ViaService",
        ("s3.us-east-1.amazonaws.com",),
        {"kms:ViaService": "S3.us-east-1.amazonaws.com"},
        False,
    ),
    ("StringEquals", "kms:ViaService", ("a", "b"), {"kms:ViaService": "b"}, True),
    ("StringEquals", "kms:ViaService", ("a",), {}, False),
    (
        "StringNotEquals",
        "kms:CallerAccount",
        ("111122223333", "444455556666"),
        {"kms:CallerAccount": "444455556666"},
        False,
    ),
    (
        "StringNotEquals",
        "kms:CallerAccount",
        ("111122223333", "444455556666"),
        {"kms:CallerAccount": "777788889999"},
        True,
    ),
    ("StringNotEquals", "kms:CallerAccount", ("111122223333",), {}, True),
    (
        "StringEqualsIgnoreCase",
        "kms:RecipientAttestation:ImageSha384",
        ("ABCD",),
        {"kms:RecipientAttestation:ImageSha384": "abcd"},
        True,
    ),
    ("StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", ("Red",), {"aws:PrincipalTag/team": "red"}, False),
    ("StringLike", "kms:RequestAlias", ("alias/app-*",), {"kms:RequestAlias": "alias/app-data"}, True),
    ("StringLike", "kms:RequestAlias", ("alias/app-?",), {"kms:RequestAlias": "alias/app-data"}, False),
    (
        "StringLike",
        "aws:PrincipalArn",
        ("arn:aws:iam::*:role/*",),
        {"aws:PrincipalArn": "arn:aws:iam::1:role/a/b"},
        True,
    ),
    ("StringNotLike", "kms:RequestAlias", ("alias/app-*",), {"kms:RequestAlias": "alias/other"}, True),
    # condition key names, including the embedded part, are case-insensitive (§2.5 rule 3)
    (
        "StringEquals",
        "KMS:EncryptionContext:project",
        ("alpha",),
        {"kms:encryptioncontext:PROJECT": "alpha"},
        True,
    ),
    # IfExists: missing key is true, present key as the base operator
    ("StringEqualsIfExists", "kms:ViaService", ("s3.us-east-1.amazonaws.com",), {}, True),
    (
        "StringEqualsIfExists",
        "kms:ViaService",
        ("s3.us-east-1.amazonaws.com",),
        {"kms:ViaService": "lambda.x"},
        False,
    ),
    ("StringNotEqualsIfExists", "aws:SourceVpce", ("vpce-1",), {}, True),
    ("StringNotEqualsIfExists", "aws:SourceVpce", ("vpce-1",), {"aws:SourceVpce": "vpce-1"}, False),
    # Numeric
    (
        "NumericLessThanEquals",
        "kms:ScheduleKeyDeletionPendingWindowInDays",
        ("7",),
        {"kms:ScheduleKeyDeletionPendingWindowInDays": "7"},
        True,
    ),
    (
        "NumericLessThan",
        "kms:ScheduleKeyDeletionPendingWindowInDays",
        ("7",),
        {"kms:ScheduleKeyDeletionPendingWindowInDays": "7"},
        False,
    ),
    ("NumericGreaterThan", "aws:MultiFactorAuthAge", ("3600",), {"aws:MultiFactorAuthAge": "3600.5"}, True),
    ("NumericEquals", "kms:RotationPeriodInDays", ("365",), {"kms:RotationPeriodInDays": "365.0"}, True),
    ("NumericNotEquals", "kms:RotationPeriodInDays", ("365",), {"kms:RotationPeriodInDays": "90"}, True),
    ("NumericEquals", "kms:RotationPeriodInDays", ("abc",), {"kms:RotationPeriodInDays": "365"}, False),
    ("NumericEquals", "kms:RotationPeriodInDays", ("365",), {"kms:RotationPeriodInDays": "x"}, False),
    ("NumericGreaterThanEquals", "kms:RotationPeriodInDays", ("90",), {}, False),
    # Date: ISO-8601 and epoch seconds, mixed freely
    (
        "DateLessThan",
        "aws:CurrentTime",
        ("2026-06-01T00:00:00Z",),
        {"aws:CurrentTime": "2026-01-01T00:00:00Z"},
        True,
    ),
    (
        "DateGreaterThan",
        "aws:CurrentTime",
        ("2026-06-01",),
        {"aws:CurrentTime": "2026-01-01T00:00:00Z"},
        False,
    ),
    ("DateEquals", "aws:EpochTime", ("2026-01-01T00:00:00Z",), {"aws:EpochTime": "1767225600"}, True),
    (
        "DateLessThanEquals",
        "kms:ValidTo",
        ("1767225600",),
        {"kms:ValidTo": "2026-01-01T00:00:00+00:00"},
        True,
    ),
    (
        "DateNotEquals",
        "aws:CurrentTime",
        ("2026-01-01T00:00:00Z",),
        {"aws:CurrentTime": "2026-01-01T01:00:00+01:00"},
        False,
    ),
    # Bool: only true/false mean anything (§9 q27)
    ("Bool", "kms:GrantIsForAWSResource", ("true",), {"kms:GrantIsForAWSResource": "true"}, True),
    ("Bool", "kms:GrantIsForAWSResource", ("true",), {}, False),
    ("Bool", "aws:SecureTransport", ("TRUE",), {"aws:SecureTransport": "true"}, True),
    ("Bool", "aws:SecureTransport", ("yes",), {"aws:SecureTransport": "yes"}, False),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", ("false",), {}, True),
    # Binary
    ("BinaryEquals", "aws:x", ("aGVsbG8=",), {"aws:x": "aGVsbG8="}, True),
    ("BinaryEquals", "aws:x", ("aGVsbG8=",), {"aws:x": "d29ybGQ="}, False),
    ("BinaryEquals", "aws:x", ("not base64!",), {"aws:x": "not base64!"}, False),
    # IpAddress: CIDR, bare address = /32 or /128, IPv6, version mismatch
    ("IpAddress", "aws:SourceIp", ("203.0.113.0/24",), {"aws:SourceIp": "203.0.113.7"}, True),
    ("IpAddress", "aws:SourceIp", ("203.0.113.7",), {"aws:SourceIp": "203.0.113.7"}, True),
    ("IpAddress", "aws:SourceIp", ("203.0.113.7",), {"aws:SourceIp": "203.0.113.8"}, False),
    ("IpAddress", "aws:SourceIp", ("2001:db8::/32",), {"aws:SourceIp": "2001:db8:1::5"}, True),
    ("IpAddress", "aws:SourceIp", ("2001:db8::1",), {"aws:SourceIp": "2001:db8::2"}, False),
    ("IpAddress", "aws:SourceIp", ("0.0.0.0/0",), {"aws:SourceIp": "2001:db8::2"}, False),
    (
        "NotIpAddress",
        "aws:SourceIp",
        ("203.0.113.0/24", "198.51.100.0/24"),
        {"aws:SourceIp": "192.0.2.1"},
        True,
    ),
    (
        "NotIpAddress",
        "aws:SourceIp",
        ("203.0.113.0/24", "198.51.100.0/24"),
        {"aws:SourceIp": "198.51.100.1"},
        False,
    ),
    ("NotIpAddress", "aws:SourceIp", ("203.0.113.0/24",), {}, True),
    # Arn: per-segment, `*` does not cross `:` except in the resource segment
    (
        "ArnLike",
        "aws:PrincipalArn",
        ("arn:aws:iam::*:role/Admin*",),
        {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/AdminX"},
        True,
    ),
    (
        "ArnLike",
        "aws:SourceArn",
        ("arn:aws:s3:::bucket/*",),
        {"aws:SourceArn": "arn:aws:s3:::bucket/a:b/c"},
        True,
    ),
    ("ArnLike", "aws:SourceArn", ("arn:aws:*",), {"aws:SourceArn": "arn:aws:s3:::bucket"}, False),
    ("StringLike", "aws:SourceArn", ("arn:aws:*",), {"aws:SourceArn": "arn:aws:s3:::bucket"}, True),
    (
        "ArnEquals",
        "aws:PrincipalArn",
        ("arn:aws:iam::111122223333:role/BreakGlass",),
        {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/breakglass"},
        False,
    ),
    (
        "ArnNotEquals",
        "aws:PrincipalArn",
        ("arn:aws:iam::111122223333:role/BreakGlass",),
        {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/KeyAdmin"},
        True,
    ),
    (
        "ArnNotLike",
        "aws:PrincipalArn",
        ("arn:aws:iam::*:role/*",),
        {"aws:PrincipalArn": "arn:aws:iam::1:role/x"},
        False,
    ),
    ("ArnLike", "aws:SourceArn", ("arn:aws:s3:::b",), {"aws:SourceArn": "not-an-arn"}, False),
    # Null tests presence; an empty set counts as absent
    ("Null", "kms:EncryptionContextKeys", ("false",), {}, False),
    ("Null", "kms:EncryptionContextKeys", ("false",), {"kms:EncryptionContextKeys": ("Tenant",)}, True),
    ("Null", "kms:EncryptionContextKeys", ("true",), {"kms:EncryptionContextKeys": ()}, True),
    ("Null", "kms:EncryptionContextKeys", ("maybe",), {}, False),
    # set operators (§2.5 table): ForAllValues vacuous on empty, ForAnyValue false on empty
    ("ForAllValues:StringEquals", "kms:EncryptionContextKeys", ("Project",), {}, True),
    (
        "ForAllValues:StringEquals",
        "kms:EncryptionContextKeys",
        ("Project",),
        {"kms:EncryptionContextKeys": ("Project", "Env")},
        False,
    ),
    (
        "ForAllValues:StringEquals",
        "kms:GrantOperations",
        ("Decrypt", "DescribeKey"),
        {"kms:GrantOperations": ("Decrypt",)},
        True,
    ),
    ("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ("Project",), {}, False),
    (
        "ForAnyValue:StringEquals",
        "kms:EncryptionContextKeys",
        ("Project",),
        {"kms:EncryptionContextKeys": ("Project", "Env")},
        True,
    ),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ("a", "b"), {"aws:TagKeys": ("a", "c")}, True),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ("a", "b"), {"aws:TagKeys": ("a", "b")}, False),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ("a", "b"), {"aws:TagKeys": ("c", "d")}, True),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ("a", "b"), {"aws:TagKeys": ("c", "a")}, False),
    ("ForAnyValue:StringLikeIfExists", "aws:TagKeys", ("x*",), {}, True),
    # an invalid operator is never satisfied
    ("StringEqualz", "kms:ViaService", ("a",), {"kms:ViaService": "a"}, False),
]


@pytest.mark.parametrize(("operator", "key", "values", "context", "expected"), CASES)
def test_operator(
    operator: str,
    key: str,
    values: tuple[str, ...],
    context: dict[str, str | tuple[str, ...]],
    expected: bool,
) -> None:
    assert holds(cond(operator, key, *values), context) is expected


# (value, context, version, expected) for `StringEquals kms:EncryptionContext:user`, §2.6
VARIABLE_CASES: list[tuple[str, dict[str, str | tuple[str, ...]], str | None, bool]] = [
    ("${aws:username}", {"kms:EncryptionContext:user": "ana", "aws:username": "ana"}, V2012, True),
    ("${AWS:UserName}", {"kms:EncryptionContext:user": "ana", "aws:username": "ana"}, V2012, True),
    ("${aws:username}", {"kms:EncryptionContext:user": "bob", "aws:username": "ana"}, V2012, False),
    # missing variable: the value matches nothing
    ("${aws:username}", {"kms:EncryptionContext:user": "${aws:username}"}, V2012, False),
    # default value
    ("${aws:PrincipalTag/team, 'shared'}", {"kms:EncryptionContext:user": "shared"}, V2012, True),
    # old or missing Version: literal text
    (
        "${aws:username}",
        {"kms:EncryptionContext:user": "${aws:username}", "aws:username": "ana"},
        "2008-10-17",
        True,
    ),
    ("${aws:username}", {"kms:EncryptionContext:user": "ana", "aws:username": "ana"}, None, False),
    # escapes are literal characters
    ("a${$}b", {"kms:EncryptionContext:user": "a$b"}, V2012, True),
]


@pytest.mark.parametrize(("value", "context", "version", "expected"), VARIABLE_CASES)
def test_policy_variables(
    value: str, context: dict[str, str | tuple[str, ...]], version: str | None, expected: bool
) -> None:
    assert holds(cond("StringEquals", "kms:EncryptionContext:user", value), context, version) is expected


def test_missing_variable_makes_negated_operator_match() -> None:
    condition = cond("StringNotEquals", "kms:EncryptionContext:user", "${aws:username}")
    assert holds(condition, {"kms:EncryptionContext:user": "ana"})


def test_escaped_wildcard_is_literal_in_like() -> None:
    condition = cond("StringLike", "kms:RequestAlias", "alias/${*}")
    assert holds(condition, {"kms:RequestAlias": "alias/*"})
    assert not holds(condition, {"kms:RequestAlias": "alias/x"})


def test_variable_value_is_literal_in_like() -> None:
    condition = cond("StringLike", "aws:SourceArn", "${aws:PrincipalTag/prefix}x")
    assert holds(condition, {"aws:SourceArn": "a*x", "aws:PrincipalTag/prefix": "a*"})
    assert not holds(condition, {"aws:SourceArn": "abcx", "aws:PrincipalTag/prefix": "a*"})


def test_unknown_value_matches_nothing_and_says_so() -> None:
    condition = cond("StringEquals", "kms:ViaService", Unknown(expr="${var.service}"))
    compiled = CompiledCondition(condition, V2012)
    result, reason = compiled.evaluate(RequestContext({"kms:viaservice": ("${var.service}",)}))
    assert result is False
    assert "unknown before deployment" in reason


def test_reason_names_the_missing_key() -> None:
    condition = cond("StringEquals", "kms:ViaService", "s3.us-east-1.amazonaws.com")
    _, reason = CompiledCondition(condition, V2012).evaluate(RequestContext({}))
    assert reason.startswith(
        "condition `kms:ViaService` StringEquals `s3.us-east-1.amazonaws.com`:"
        " request has no `kms:ViaService`"
    )


# --------------------------------------------------------------------------- wildcard matcher


def oracle(pattern: str, text: str, *, fold: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL | (re.IGNORECASE if fold else 0)) is not None


ALPHABET = st.sampled_from("ab*?:/")


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, max_size=12), st.text(st.sampled_from("ab:/*?"), max_size=14))
def test_glob_agrees_with_regex_oracle(pattern: str, text: str) -> None:
    assert Glob(pattern).match(text) is oracle(pattern, text)


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("aB*?"), max_size=10), st.text(st.sampled_from("Ab"), max_size=10))
def test_folded_glob_agrees_with_case_insensitive_oracle(pattern: str, text: str) -> None:
    assert Glob(pattern, fold=True).match(text) is oracle(pattern, text, fold=True)


def test_glob_is_linear_on_adversarial_input() -> None:
    # would take exponential time in a backtracking regex; here it simply completes
    text = "a" * 10_000
    assert not Glob("*a" * 50 + "b").match(text)
    assert Glob("*a" * 50).match(text)
    assert not Glob("*?" * 50 + "b").match(text)


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("arn:aws:kms:us-east-1:111122223333:key/*", "arn:aws:kms:us-east-1:111122223333:key/abc", True),
        ("arn:aws:kms:*:111122223333:key/mrk-*", "arn:aws:kms:eu-west-1:111122223333:key/mrk-1", True),
        ("arn:aws:kms:*:111122223333:*", "arn:aws:kms:us-east-1:111122223333:alias/x", True),
        ("arn:aws:kms:us-east-1:111122223333:key/*", "arn:aws:kms:us-east-1:444455556666:key/abc", False),
        ("arn:aws:kms:us-east-1:*", "arn:aws:kms:us-east-1:111122223333:key/abc", False),
        ("arn:aws:kms:us-east-1:111122223333:key/ABC", "arn:aws:kms:us-east-1:111122223333:key/abc", False),
        ("arn:aws:kms:us-east-?:111122223333:key/a", "arn:aws:kms:us-east-1:111122223333:key/a", True),
    ],
)
def test_arn_glob(pattern: str, arn: str, expected: bool) -> None:
    assert ArnGlob(pattern).match(arn) is expected
