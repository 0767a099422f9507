"""The ARN, operator and policy-variable grammars, their error messages, and their fast paths."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lark import UnexpectedInput

from kmspolicy import grammar
from kmspolicy.grammar import (
    Escape,
    GrammarError,
    Template,
    Text,
    Variable,
    parse_arn,
    parse_operator,
    parse_template,
)

T = TypeVar("T")

# --------------------------------------------------------------------------- ARNs

VALID_ARNS = [
    (
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ("aws", "kms", "us-east-1", "111122223333", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ),
    ("arn:aws:iam::111122223333:root", ("aws", "iam", "", "111122223333", "root")),
    ("arn:aws:iam::111122223333:role/path/Name", ("aws", "iam", "", "111122223333", "role/path/Name")),
    ("arn:aws:s3:::bucket/*", ("aws", "s3", "", "", "bucket/*")),
    ("arn:aws-cn:kms:*:111122223333:alias/prod-?", ("aws-cn", "kms", "*", "111122223333", "alias/prod-?")),
    ("arn:aws:kms:us-west-2:111122223333:*", ("aws", "kms", "us-west-2", "111122223333", "*")),
    (
        "arn:aws:logs:us-east-1:111122223333:log-group:name:*",
        ("aws", "logs", "us-east-1", "111122223333", "log-group:name:*"),
    ),
    ("arn:*:kms:*:*:key/*", ("*", "kms", "*", "*", "key/*")),
]


@pytest.mark.parametrize(("text", "parts"), VALID_ARNS)
def test_valid_arn_parts(text: str, parts: tuple[str, ...]) -> None:
    arn = parse_arn(text)
    assert (arn.partition, arn.service, arn.region, arn.account, arn.resource) == parts
    assert str(arn) == text


@pytest.mark.parametrize(("text", "parts"), VALID_ARNS)
def test_grammar_builds_the_same_arn_as_the_fast_path(text: str, parts: tuple[str, ...]) -> None:
    assert grammar._parse("arn", text) == parse_arn(text)


INVALID_ARNS = [
    ("", "ARN is empty", 1),
    ("kms:Decrypt", "ARN must start with `arn:`, found `kms:Decrypt`", 1),
    ("ARN:aws:kms:r:a:key/x", "ARN must start with `arn:`, found `ARN:aws:kms:`", 1),
    ("arn:aws:kms:us-east-1:key/x", "ARN has 5 parts, expected 6", 28),
    ("arn:aws:kms", "ARN has 3 parts, expected 6", 12),
    ("arn::kms:r:a:key/x", "the partition part of ARN `arn::kms:r:a:key/x` is empty", 5),
    ("arn:aws::r:a:key/x", "the service part of ARN `arn:aws::r:a:key/x` is empty", 9),
    (
        "arn:aws:km*:r:a:key/x",
        "the service part of ARN `arn:aws:km*:r:a:key/x` cannot contain wildcards, found `km*`",
        11,
    ),
    ("arn:aws:kms:r:111122223333:", "the resource part of ARN `arn:aws:kms:r:111122223333:` is empty", 28),
    ("arn:aws:kms:us east:a:key/x", "ARN `arn:aws:kms:us east:a:key/x` contains whitespace at column 15", 15),
    ("arn:aws:kms:r:a:key/x ", "ARN `arn:aws:kms:r:a:key/x ` contains whitespace at column 22", 22),
]


@pytest.mark.parametrize(("text", "message", "column"), INVALID_ARNS)
def test_invalid_arn_message(text: str, message: str, column: int) -> None:
    with pytest.raises(GrammarError) as caught:
        parse_arn(text)
    assert (caught.value.message, caught.value.column) == (message, column)
    assert str(caught.value) == message


@given(st.text(alphabet="arn:aws*? /kmsx-1", max_size=30))
def test_arn_fast_path_accepts_exactly_what_the_grammar_accepts(text: str) -> None:
    try:
        grammar._parse("arn", text)
        by_grammar = True
    except UnexpectedInput:
        by_grammar = False
    assert (grammar._ARN_FAST.fullmatch(text) is not None) == by_grammar


def _outcome(parse: Callable[[str], T], text: str) -> T | GrammarError:
    """The parse result, or the GrammarError it raised; any other exception propagates."""
    try:
        return parse(text)
    except GrammarError as error:
        return error


@given(st.text(max_size=40))
def test_parse_arn_raises_only_grammar_errors(text: str) -> None:
    outcome = _outcome(parse_arn, text)
    if isinstance(outcome, GrammarError):
        assert outcome.message
        assert outcome.column is not None
        assert 1 <= outcome.column <= len(text) + 1
    else:
        assert str(outcome) == text


# --------------------------------------------------------------------------- operators

FAMILIES = {
    "String": [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
    ],
    "Numeric": [
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
    ],
    "Date": [
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
    ],
    "Bool": ["Bool"],
    "Binary": ["BinaryEquals"],
    "IpAddress": ["IpAddress", "NotIpAddress"],
    "Arn": ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
    "Null": ["Null"],
}
NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
}
OPERATOR_FORMS = [
    (family, base, qualifier, if_exists)
    for family, bases in FAMILIES.items()
    for base in bases
    for qualifier, if_exists in itertools.product((None, "ForAllValues", "ForAnyValue"), (False, True))
    if not (base == "Null" and if_exists)
]


@pytest.mark.parametrize(("family", "base", "qualifier", "if_exists"), OPERATOR_FORMS)
def test_every_operator_form(family: str, base: str, qualifier: str | None, if_exists: bool) -> None:
    text = f"{qualifier + ':' if qualifier else ''}{base}{'IfExists' if if_exists else ''}"
    operator = parse_operator(text)
    assert (operator.raw, operator.base, operator.family) == (text, base, family)
    assert (operator.qualifier, operator.if_exists, operator.negated) == (
        qualifier,
        if_exists,
        base in NEGATED,
    )


def test_suggestions_know_every_base_operator() -> None:
    assert set(grammar._base_operators()) == {base for bases in FAMILIES.values() for base in bases}


INVALID_OPERATORS = [
    ("StringEqual", "unknown condition operator `StringEqual`; did you mean `StringEquals`?"),
    (
        "stringEquals",
        "condition operator `stringEquals` is misspelt: operator names are case-sensitive;"
        " did you mean `StringEquals`?",
    ),
    (
        "forAnyValue:StringLike",
        "condition operator `forAnyValue:StringLike` is misspelt: operator names are case-sensitive;"
        " did you mean `ForAnyValue:StringLike`?",
    ),
    (
        "StringLikeIfexists",
        "condition operator `StringLikeIfexists` is misspelt: operator names are case-sensitive;"
        " did you mean `StringLikeIfExists`?",
    ),
    ("NullIfExists", "condition operator `Null` has no `IfExists` form, found `NullIfExists`"),
    (
        "ForAllValue:StringEquals",
        "unknown condition operator `ForAllValue:StringEquals`; did you mean `ForAllValues:StringEquals`?",
    ),
    ("ArnLikes", "unknown condition operator `ArnLikes`; did you mean `ArnLike`?"),
    ("Whatever", "unknown condition operator `Whatever`"),
    ("", "condition operator is empty"),
]


@pytest.mark.parametrize(("text", "message"), INVALID_OPERATORS)
def test_invalid_operator_message(text: str, message: str) -> None:
    with pytest.raises(GrammarError) as caught:
        parse_operator(text)
    assert caught.value.message == message
    assert caught.value.column is not None


@given(st.text(alphabet="ForAlValuesnyIfExistNumericBoolStringEquals:", max_size=30))
def test_parse_operator_raises_only_grammar_errors(text: str) -> None:
    outcome = _outcome(parse_operator, text)
    if isinstance(outcome, GrammarError):
        assert outcome.message
    else:
        assert outcome.raw == text


# --------------------------------------------------------------------------- policy variables

VALID_TEMPLATES = [
    ("plain text with * and ?", (Text(text="plain text with * and ?"),)),
    ("", (Text(text=""),)),
    ("${aws:username}", (Variable(name="aws:username"),)),
    (
        "home/${aws:username}/*",
        (Text(text="home/"), Variable(name="aws:username"), Text(text="/*")),
    ),
    (
        "${aws:PrincipalTag/team, 'company-wide'}",
        (Variable(name="aws:PrincipalTag/team", default="company-wide"),),
    ),
    ("${aws:PrincipalTag/team, ''}", (Variable(name="aws:PrincipalTag/team", default=""),)),
    (
        "a${*}b${?}${$}",
        (Text(text="a"), Escape(char="*"), Text(text="b"), Escape(char="?"), Escape(char="$")),
    ),
    ("cost $5 {x} $", (Text(text="cost $5 {x} $"),)),
]


@pytest.mark.parametrize(("text", "parts"), VALID_TEMPLATES)
def test_valid_template_parts(text: str, parts: tuple[object, ...]) -> None:
    template = parse_template(text)
    assert template.parts == parts
    assert template.has_variables == any(isinstance(part, Variable) for part in parts)


def test_escaped_star_is_not_wildcard_text() -> None:
    assert parse_template("${*}").parts != parse_template("*").parts


INVALID_TEMPLATES = [
    ("${aws:username", "policy variable `${aws:username` is missing its closing `}`", 1),
    ("home/${aws:username", "policy variable `${aws:username` is missing its closing `}`", 6),
    ("${}", "policy variable `${}` is empty", 1),
    ("${ aws:username}", "policy variable `${ aws:username}` contains a space", 3),
    ("${aws:username }", "policy variable `${aws:username }` contains a space", 15),
    (
        "${aws:PrincipalTag/team, company}",
        "the default of policy variable `${aws:PrincipalTag/team, company}` must be in single quotes:"
        " `${key, 'default'}`",
        26,
    ),
    (
        "${aws:PrincipalTag/team,'x'}",
        "the default of policy variable `${aws:PrincipalTag/team,'x'}` must follow a comma and one space:"
        " `${key, 'default'}`",
        24,
    ),
    ("${**}", "policy variable `${**}` contains `*`, which a variable name cannot hold", 3),
]


@pytest.mark.parametrize(("text", "message", "column"), INVALID_TEMPLATES)
def test_invalid_template_message(text: str, message: str, column: int) -> None:
    with pytest.raises(GrammarError) as caught:
        parse_template(text)
    assert (caught.value.message, caught.value.column) == (message, column)


def _render(template: Template) -> str:
    out = []
    for part in template.parts:
        if isinstance(part, Text):
            out.append(part.text)
        elif isinstance(part, Escape):
            out.append("${" + part.char + "}")
        else:
            default = f", '{part.default}'" if part.default is not None else ""
            out.append("${" + part.name + default + "}")
    return "".join(out)


@given(st.text(alphabet="${}*?' ,:/ab", max_size=30))
def test_templates_round_trip_or_raise_grammar_errors(text: str) -> None:
    outcome = _outcome(parse_template, text)
    if isinstance(outcome, GrammarError):
        assert "${" in text
        assert outcome.column is not None
    else:
        assert _render(outcome) == text
