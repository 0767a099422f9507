"""A condition operator or value that does not fit the key's type.

## What it flags
An operator of the wrong family for the key (`NumericEquals` on a string key, `ArnLike` on an account
id, `StringEquals` on a Boolean key), a value that is not of the operator's type (a `Bool` value other
than `true`/`false`, several Booleans, a number or date that does not parse, an invalid CIDR), and a
wildcard in a value of an `...Equals` operator, where it is taken literally.

An `Arn...` operator on a key whose value is free text (an encryption context or tag value) is not
reported when every value is an ARN: the text is then an ARN, compared field by field, as in the
CloudWatch Logs key policy (`ArnLike` on `kms:EncryptionContext:aws:logs:arn`).

## Why it is risky
A mismatched condition compares nothing meaningful: it is usually never true (the `Allow` does not
work) or, negated, always true (the restriction does not restrict).

## Example
```json
"Condition": {"StringEquals": {"kms:EncryptionContext:app": "billing-*"},
 "Bool": {"aws:SecureTransport": ["true", "false"]}}
```

## Use instead
The operator family of the key's type (String, ARN, Numeric, Date, Bool, IP), values of that type,
and a `...Like` operator for wildcards.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- IAM Access Analyzer "Data type mismatch"; parliament MISMATCHED_TYPE
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

from kmspolicy.catalog import ConditionKeyInfo
from kmspolicy.conditions import parse_date
from kmspolicy.model import Condition, Finding, Operator, Scalar, Severity
from kmspolicy.rules.condition_keys import info
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

# Operator families each key type accepts (Null fits every key).
_FITS: dict[str, frozenset[str]] = {
    "String": frozenset({"String"}),
    "ARN": frozenset({"Arn", "String"}),
    "Numeric": frozenset({"Numeric"}),
    "Date": frozenset({"Date", "Numeric"}),
    "Bool": frozenset({"Bool"}),
    "IP": frozenset({"IpAddress"}),
    "Binary": frozenset({"Binary"}),
}


def _number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


# Answers by what `problem` reads (operator, key as written, values): policies repeat conditions.
_ANSWERS: dict[tuple[str, str, tuple[Scalar, ...]], str | None] = {}


def _date(text: str) -> bool:
    return parse_date(text) is not None


# Operator families whose values must parse, with what they must be.
_VALUE_CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "Numeric": (_number, "a number"),
    "Date": (_date, "a date"),
    "IpAddress": (_cidr, "an IP address or CIDR range"),
}


def problem(condition: Condition) -> str | None:
    op = condition.operator
    if op is None or op.family == "Null":
        return None
    cache_key = (condition.operator_raw, condition.key, condition.values)
    try:
        return _ANSWERS[cache_key]
    except KeyError:
        pass
    if len(_ANSWERS) > 4096:
        _ANSWERS.clear()
    found = _ANSWERS[cache_key] = _problem(condition, op)
    return found


def _problem(condition: Condition, op: Operator) -> str | None:
    key = info(condition)
    if key is not None and op.family not in _FITS[key.type] and not _arn_text(key, op, condition.values):
        return f"`{condition.operator_raw}` does not fit `{condition.key}`, a {key.type} key"
    literals = [v for v in condition.values if isinstance(v, str) and "${" not in v]
    if op.family == "Bool":
        bad = [v for v in literals if v.lower() not in ("true", "false")]
        if bad:
            return f"`{bad[0]}` is not a Boolean; `Bool` takes `true` or `false`"
        if len(literals) > 1:
            return "several Boolean values in one condition; one of `true` or `false` is enough"
    if op.family in _VALUE_CHECKS:
        valid, what = _VALUE_CHECKS[op.family]
        bad = [v for v in literals if not valid(v)]
        if bad:
            return f"`{bad[0]}` is not {what}"
    if op.family in ("String", "Arn") and not op.base.endswith("Like"):
        wild = [v for v in literals if "*" in v or "?" in v]
        if wild:
            return (
                f"`{wild[0]}` has a wildcard, but `{op.base}` compares it literally; use a `...Like` operator"
            )
    return None


# Keys whose values are whatever the caller or the resource's owner wrote.
_FREE_TEXT = ("kms:encryptioncontext:", "aws:resourcetag/", "aws:requesttag/", "aws:principaltag/")


def _arn_text(key: ConditionKeyInfo, op: Operator, values: tuple[Scalar, ...]) -> bool:
    """An `Arn...` operator with ARN values on a free-text key (`kms:EncryptionContext:<k>`,
    `aws:ResourceTag/<k>`): the key's value can be that ARN, and is matched as one (§2.5)."""
    return (
        op.family == "Arn"
        and key.name.lower().startswith(_FREE_TEXT)
        and bool(values)
        and all(not isinstance(v, str) or v.startswith("arn:") for v in values)
    )


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        for condition in facts.statement.conditions:
            found = problem(condition)
            if found is not None:
                yield target.report(RULE, found, condition.span, facts.statement)


RULE = PolicyRule(
    id="KMS055",
    name="cond-type-mismatch",
    severity=Severity.LOW,
    summary="condition operator or value that does not fit the key's type",
    help="use the operator family of the key's type, values of that type, and `...Like` for wildcards",
    check=check,
    needs=frozenset({"conditions"}),
)
