"""Readers that turn decoded JSON/YAML values into policies, grants and keys.

The input is what a loader produced: dicts, lists, strings, numbers, booleans and None, where any string
may instead be an `Unknown` placeholder (a CloudFormation or Terraform value not known before
deployment). Everything wrong is reported through the `ReadContext` with the JSON pointer of the element
at fault, and whatever could be read is still returned: a policy with a bad `Effect` keeps its actions,
so the rules can say more about it.

This is the hot path of every run (benchmarks/bench_parse.py). The most numerous nodes are built with
their positional `at()` and the rest with `trusted()`; nothing is re-validated. Valid input takes the
shortest way: element names are checked with one set comparison, the checks on action, resource and
principal strings are remembered per string, and pointers are interned and looked up rather than
built per node (they repeat across a corpus). Building the nodes is still much of the time.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from sys import intern
from typing import Any, TypeVar

from kmspolicy.grammar import GrammarError, Template, Variable, parse_arn, parse_operator, parse_template
from kmspolicy.model import (
    Arn,
    Condition,
    Effect,
    Grant,
    GrantConstraints,
    Item,
    Key,
    KeyManager,
    Operator,
    Policy,
    PolicyKind,
    Principal,
    PrincipalType,
    Scalar,
    Severity,
    Statement,
    Unknown,
    new_condition,
    new_item,
    new_principal,
    new_span,
    trusted_node,
)
from kmspolicy.parse.context import (
    COND_UNKNOWN_OPERATOR,
    SYN_EMPTY,
    SYN_PRINCIPAL_FORMAT,
    SYN_RESOURCE_ARN,
    SYN_STRUCTURE,
    SYN_VARIABLE,
    ReadContext,
    pointer_join,
)

_POLICY_ELEMENTS = ("Version", "Id", "Statement")
_POLICY_ELEMENT_SET = frozenset(_POLICY_ELEMENTS)
_STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_STATEMENT_ELEMENT_SET = frozenset(_STATEMENT_ELEMENTS)
_LOWER_STATEMENT_ELEMENTS = {element.lower(): element for element in _STATEMENT_ELEMENTS}
_PRINCIPAL_TYPES: tuple[PrincipalType, ...] = ("AWS", "Service", "Federated", "CanonicalUser")
# Resource-based policies name whom they apply to; the others apply to their holder and must not.
_NEEDS_PRINCIPAL = frozenset({PolicyKind.KEY, PolicyKind.TRUST, PolicyKind.RCP})
_KIND_NAMES = {
    PolicyKind.KEY: "a key policy",
    PolicyKind.IDENTITY: "an identity policy",
    PolicyKind.TRUST: "a trust policy",
    PolicyKind.BOUNDARY: "a permissions boundary",
    PolicyKind.SESSION: "a session policy",
    PolicyKind.SCP: "a service control policy",
    PolicyKind.RCP: "a resource control policy",
}
# Operator families whose values cannot hold policy variables (reference §2.6; Bool is disputed).
_NO_VARIABLES = frozenset({"Numeric", "Date", "Binary", "IpAddress", "Null"})
_VARIABLES_VERSION = "2012-10-17"


def describe(value: object) -> str:
    """What a JSON value is, in the words of the JSON text rather than of Python."""
    if isinstance(value, Unknown):
        return "a value not known before deployment"
    if isinstance(value, str):
        return f"the string `{value}`" if len(value) <= 60 else "a string"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, int | float | Decimal):
        return f"the number `{value}`"
    if value is None:
        return "`null`"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime.date):
        return f"the date `{value.isoformat()}`"
    return "a value of an unsupported type"


def _suggest(name: str, known: tuple[str, ...]) -> str:
    """`; did you mean `X`?` for a near miss (element names are case-sensitive), else nothing."""
    by_case = {k.lower(): k for k in known}
    close = by_case.get(name.lower()) or next(iter(difflib.get_close_matches(name, known, n=1)), None)
    return f"; did you mean `{close}`?" if close else ""


def _source_name(ctx: ReadContext, pointer: str) -> str:
    """`file` for a whole file, `file#/pointer` for something inside one (a policy in a listing)."""
    return f"{ctx.file}#{pointer}" if pointer else ctx.file


def _unresolved(ctx: ReadContext, pointer: str, what: str) -> None:
    ctx.notes.append(f"{what} at `{pointer}` is not known before deployment; it was read as absent")


def _not_an_object(value: object, ctx: ReadContext, pointer: str, what: str) -> None:
    """A placeholder is only unknown, not wrong; anything else in place of an object is an error."""
    if isinstance(value, Unknown):
        _unresolved(ctx, pointer, what)
    else:
        ctx.report(SYN_STRUCTURE, f"{what} must be an object, found {describe(value)}", pointer)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _remember(memo: dict[_K, _V], key: _K, value: _V) -> _V:
    """Store `value` in one of the reader's memos, emptying it first when it has grown too big: they
    hold what repeats across a corpus, and a corpus that does not repeat must not grow them unbounded."""
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


_MEMO_LIMIT = 65536


def _child(pointer: str, key: str) -> str:
    """`pointer` extended by the key `key` (escaped as RFC 6901 says), interned; see `_children`."""
    child = _CHILD.get((pointer, key))
    if child is None:
        child = _remember(_CHILD, (pointer, key), intern(pointer_join(pointer, key)))
    return child


def _entries(value: object, ctx: ReadContext, pointer: str, element: str) -> Iterable[tuple[object, str]]:
    """The entries of an element that takes a string or an array of strings, with their pointers."""
    if type(value) is not list:
        return ((value, pointer),)
    if not value:
        ctx.report(SYN_EMPTY, f"empty array for `{element}`", pointer, severity=Severity.INFO)
    return zip(value, _children(pointer, len(value)), strict=True)


def _children(pointer: str, count: int) -> tuple[str, ...]:
    """`pointer/0` ... `pointer/count-1`, interned.

    The same few thousand pointers recur in every file of a corpus: one copy of each keeps about
    25 MB less alive per 10,000 documents, and looking them up is cheaper than building them.
    """
    children = _CHILDREN.get((pointer, count))
    if children is None:
        made = tuple(intern(f"{pointer}/{index}") for index in range(count))
        children = _remember(_CHILDREN, (pointer, count), made)
    return children


def _element_pointers(statement: str) -> dict[str, str]:
    """The pointers of a statement's elements, by element name, once made remembered in
    `_ELEMENT_POINTERS` (where the statement reader looks first); see `_children`."""
    made = {element: intern(f"{statement}/{element}") for element in _STATEMENT_ELEMENTS}
    return _remember(_ELEMENT_POINTERS, statement, made)


_CHILD: dict[tuple[str, str], str] = {}
_ELEMENT_POINTERS: dict[str, dict[str, str]] = {}
_CHILDREN: dict[tuple[str, int], tuple[str, ...]] = {}


# A problem found in a string on its own, whatever its position: (rule, message, severity, help).
_Problem = tuple[tuple[str, str], str, Severity, str]


def _report_all(ctx: ReadContext, problems: tuple[_Problem, ...], pointer: str) -> None:
    for rule, message, severity, help in problems:
        ctx.report(rule, message, pointer, severity=severity, help=help)


# --------------------------------------------------------------------------- policies


@dataclass
class _PolicyReading:
    """What the statement readers need to know about the policy around them."""

    ctx: ReadContext
    kind: PolicyKind
    variables: bool  # `${...}` is substituted only under Version 2012-10-17
    needs_principal: bool  # every statement must name its principals (resource-based policies)
    document: dict[str, Any]
    partition: str | None = None

    def default_partition(self) -> str:
        """The partition of the first ARN in the policy: bare account ids become root ARNs in it."""
        if self.partition is None:
            self.partition = next(_partitions(self.document), "aws")
        return self.partition


def _partitions(value: object) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith("arn:") and value.count(":") >= 5:
            yield value.split(":", 2)[1]
    elif isinstance(value, dict):
        for entry in value.values():
            yield from _partitions(entry)
    elif isinstance(value, list):
        for entry in value:
            yield from _partitions(entry)


def read_policy(
    obj: object, ctx: ReadContext, pointer: str, *, kind: PolicyKind | None, name: str | None = None
) -> Policy | None:
    """Read one policy document; `kind=None` decides between key and identity policy and notes why."""
    if not isinstance(obj, dict):
        _not_an_object(obj, ctx, pointer, "a policy")
        return None
    if not obj.keys() <= _POLICY_ELEMENT_SET:
        _report_unknown_policy_elements(obj, ctx, pointer)
    version = _optional_string(obj, "Version", ctx, pointer)
    policy_id = _optional_string(obj, "Id", ctx, pointer)
    raw_statements = _statement_list(obj, ctx, pointer, f"{pointer}/Statement")
    if kind is None:
        kind = _guess_kind(raw_statements, ctx, pointer)
    reading = _PolicyReading(
        ctx=ctx,
        kind=kind,
        variables=version == _VARIABLES_VERSION,
        needs_principal=kind in _NEEDS_PRINCIPAL,
        document=obj,
    )
    statements = []
    for index, (raw, statement_pointer) in enumerate(raw_statements):
        statement = _read_statement(raw, reading, statement_pointer, index)
        if statement is not None:
            statements.append(statement)
    return Policy.trusted(
        kind=kind,
        name=name if name is not None else _source_name(ctx, pointer),
        version=version,
        id=policy_id,
        statements=tuple(statements),
        span=new_span(ctx.file, pointer),
    )


def _report_unknown_policy_elements(obj: dict[str, Any], ctx: ReadContext, pointer: str) -> None:
    for element in obj:
        if element not in _POLICY_ELEMENT_SET:
            ctx.report(
                SYN_STRUCTURE,
                f"unknown policy element `{element}`{_suggest(element, _POLICY_ELEMENTS)}",
                pointer_join(pointer, element),
                help="a policy has only `Version`, `Id` and `Statement`; element names are case-sensitive",
            )


def _optional_string(obj: dict[str, Any], element: str, ctx: ReadContext, pointer: str) -> str | None:
    if element not in obj:
        return None
    value = obj[element]
    if type(value) is str:
        return value
    return _string(value, ctx, pointer_join(pointer, element), element)


def _string(value: object, ctx: ReadContext, pointer: str, element: str) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        _unresolved(ctx, pointer, f"`{element}`")
    else:
        ctx.report(SYN_STRUCTURE, f"element `{element}` must be a string, found {describe(value)}", pointer)
    return None


def _statement_list(
    obj: dict[str, Any], ctx: ReadContext, pointer: str, statements_pointer: str
) -> Sequence[tuple[object, str]]:
    if "Statement" not in obj:
        ctx.report(SYN_STRUCTURE, "policy has no `Statement`", pointer)
        return ()
    value = obj["Statement"]
    if isinstance(value, dict):
        return ((value, statements_pointer),)
    if isinstance(value, list):
        return list(_entries(value, ctx, statements_pointer, "Statement"))
    if isinstance(value, Unknown):
        _unresolved(ctx, statements_pointer, "`Statement`")
    else:
        ctx.report(
            SYN_STRUCTURE,
            f"element `Statement` must be an object or an array of objects, found {describe(value)}",
            statements_pointer,
        )
    return ()


def _guess_kind(statements: Sequence[tuple[object, str]], ctx: ReadContext, pointer: str) -> PolicyKind:
    where = f"`{_source_name(ctx, pointer)}`"
    for index, (raw, _) in enumerate(statements):
        if isinstance(raw, dict):
            element = next((e for e in ("Principal", "NotPrincipal") if e in raw), None)
            if element is not None:
                ctx.notes.append(f"read {where} as a key policy because statement {index} has `{element}`")
                return PolicyKind.KEY
    ctx.notes.append(
        f"read {where} as an identity policy because no statement has `Principal` or `NotPrincipal`"
    )
    return PolicyKind.IDENTITY


def _read_statement(raw: object, reading: _PolicyReading, pointer: str, index: int) -> Statement | None:
    ctx = reading.ctx
    if not isinstance(raw, dict):
        _not_an_object(raw, ctx, pointer, "a statement")
        return None
    shape = (tuple(raw), reading.kind)
    fields_set = _SOUND_SHAPES.get(shape)
    if fields_set is None:
        fields_set = _check_elements(raw, reading, pointer, shape)
    fields: dict[str, Any] = {**_STATEMENT_DEFAULTS, "index": index, "span": new_span(ctx.file, pointer)}
    pointers = _ELEMENT_POINTERS.get(pointer) or _element_pointers(pointer)
    for element, value in raw.items():
        known = _STATEMENT_READERS.get(element)
        if known is not None:
            field, read = known
            fields[field] = read(value, reading, pointers[element], element)
    return trusted_node(Statement, fields, fields_set)


_STATEMENT_DEFAULTS = Statement.trusted_defaults()


def _check_elements(
    raw: dict[str, Any], reading: _PolicyReading, pointer: str, shape: tuple[tuple[str, ...], PolicyKind]
) -> set[str]:
    """The checks on which elements a statement has, and the statement's set fields. Both depend only
    on the element names, in order, and the policy kind: a corpus has a few dozen such shapes, and one
    found sound is not checked again."""
    ctx = reading.ctx
    fields_set = {"index", "span"} | {_STATEMENT_READERS[e][0] for e in raw if e in _STATEMENT_READERS}
    reported = len(ctx.findings)
    misspelt = (
        _NONE if raw.keys() <= _STATEMENT_ELEMENT_SET else _unknown_statement_elements(raw, ctx, pointer)
    )
    if "Effect" not in raw and "Effect" not in misspelt:
        ctx.report(
            SYN_STRUCTURE, "statement has no `Effect`", pointer, help='add `"Effect": "Allow"` or `"Deny"`'
        )
    _check_combinations(raw, reading, pointer, misspelt)
    if len(ctx.findings) == reported:
        _remember(_SOUND_SHAPES, shape, fields_set)
    return fields_set


_SOUND_SHAPES: dict[tuple[tuple[str, ...], PolicyKind], set[str]] = {}


_NONE: frozenset[str] = frozenset()


def _unknown_statement_elements(raw: dict[str, Any], ctx: ReadContext, pointer: str) -> frozenset[str]:
    """Report the elements that are not statement elements; the known ones they misspell."""
    misspelt: set[str] = set()
    for element in raw:
        if element not in _STATEMENT_ELEMENT_SET:
            suggestion = _suggest(element, _STATEMENT_ELEMENTS)
            if element.lower() in _LOWER_STATEMENT_ELEMENTS:
                misspelt.add(_LOWER_STATEMENT_ELEMENTS[element.lower()])
            ctx.report(
                SYN_STRUCTURE,
                f"unknown statement element `{element}`{suggestion}",
                pointer_join(pointer, element),
                help="element names are case-sensitive",
            )
    return frozenset(misspelt)


def _read_sid(value: object, reading: _PolicyReading, pointer: str, element: str) -> str | None:
    return value if type(value) is str else _string(value, reading.ctx, pointer, element)


def _read_effect(value: object, reading: _PolicyReading, pointer: str, element: str) -> Effect | None:
    if value == "Allow" or value == "Deny":
        return value
    ctx = reading.ctx
    if isinstance(value, Unknown):
        _unresolved(ctx, pointer, "`Effect`")
    else:
        found = f"`{value}`" if isinstance(value, str) else describe(value)
        ctx.report(SYN_STRUCTURE, f"element `Effect` must be `Allow` or `Deny`, found {found}", pointer)
    return None


def _check_combinations(
    raw: dict[str, Any], reading: _PolicyReading, pointer: str, misspelt: frozenset[str]
) -> None:
    """Exactly one of each pair, and Principal where the policy kind needs it (and nowhere else)."""
    ctx = reading.ctx
    pairs: tuple[tuple[str, str], ...] = (("Action", "NotAction"), ("Resource", "NotResource"))
    if reading.kind is PolicyKind.TRUST:
        # A trust policy is about the role it is attached to: IAM rejects `Resource` there
        # ("Has prohibited field Resource"), so its absence is the norm, not a problem.
        pairs = pairs[:1]
        for element in ("Resource", "NotResource"):
            if element in raw:
                ctx.report(
                    SYN_STRUCTURE,
                    f"a role trust policy cannot have `{element}`; it always applies to its role",
                    pointer_join(pointer, element),
                )
    for positive, negative in pairs:
        if positive in raw:
            if negative in raw:
                ctx.report(
                    SYN_STRUCTURE,
                    f"statement has both `{positive}` and `{negative}`; use only one",
                    pointer_join(pointer, negative),
                )
        elif negative not in raw and not misspelt & {positive, negative}:
            key_policy = reading.kind is PolicyKind.KEY
            ctx.report(
                SYN_STRUCTURE,
                f"statement has neither `{positive}` nor `{negative}`"
                + ("; in a key policy such a statement has no effect" if key_policy else ""),
                pointer,
                severity=Severity.MEDIUM if key_policy else Severity.ERROR,
            )
    principal = "Principal" in raw
    not_principal = "NotPrincipal" in raw
    if principal and not_principal:
        ctx.report(
            SYN_STRUCTURE,
            "statement has both `Principal` and `NotPrincipal`; use only one",
            pointer_join(pointer, "NotPrincipal"),
        )
    if reading.needs_principal:
        if not principal and not not_principal and not misspelt & {"Principal", "NotPrincipal"}:
            ctx.report(
                SYN_PRINCIPAL_FORMAT,
                f"statement has no `Principal`; every statement of {_KIND_NAMES[reading.kind]} needs one",
                pointer,
            )
    elif principal or not_principal:
        for element in ("Principal", "NotPrincipal"):
            if element in raw:
                ctx.report(
                    SYN_PRINCIPAL_FORMAT,
                    f"element `{element}` is not allowed in {_KIND_NAMES[reading.kind]}",
                    pointer_join(pointer, element),
                    help="only resource-based policies such as key policies name principals",
                )


# --------------------------------------------------------------------------- Principal


def _read_principals(
    value: object, reading: _PolicyReading, pointer: str, element: str
) -> tuple[Principal, ...] | None:
    ctx = reading.ctx
    if value == "*" or isinstance(value, Unknown):
        return (new_principal("AWS", value, value, ctx.file, pointer),)
    if not isinstance(value, dict):
        # a string other than `*` is a malformed principal; any other JSON type is not a principal at all
        ctx.report(
            SYN_PRINCIPAL_FORMAT if isinstance(value, str) else SYN_STRUCTURE,
            f'element `{element}` must be `*` or an object such as `{{"AWS": ...}}`, found {describe(value)}',
            pointer,
        )
        return None
    if not value:
        ctx.report(SYN_EMPTY, f"empty object for `{element}`", pointer, severity=Severity.INFO)
    principals = []
    for principal_type, values in value.items():
        if principal_type not in _PRINCIPAL_TYPES:
            ctx.report(
                SYN_PRINCIPAL_FORMAT,
                f"unknown principal type `{principal_type}`{_suggest(principal_type, _PRINCIPAL_TYPES)}",
                pointer_join(pointer, principal_type),
                help="principal types are `AWS`, `Service`, `Federated` and `CanonicalUser`",
            )
            continue
        if principal_type == "Federated" and reading.kind is PolicyKind.KEY:
            ctx.report(
                SYN_PRINCIPAL_FORMAT,
                "a key policy cannot name a `Federated` principal",
                pointer_join(pointer, principal_type),
                help="federated users reach the key through the role they assume: name that role",
            )
        type_pointer = _child(pointer, principal_type)
        checked = _CHECKED_PRINCIPALS[principal_type]
        for entry, entry_pointer in _entries(values, ctx, type_pointer, f"{element}.{principal_type}"):
            known = checked.get(entry) if type(entry) is str else None
            if known is None:  # not a string, not seen before, or a bare account id
                principal = _read_principal(entry, principal_type, reading, entry_pointer, element)
                if principal is not None:
                    principals.append(principal)
                continue
            value, problems = known
            if problems:
                _report_all(ctx, problems, entry_pointer)
            principals.append(new_principal(principal_type, value, value, ctx.file, entry_pointer))
    return tuple(principals)


def _read_principal(
    entry: object, principal_type: PrincipalType, reading: _PolicyReading, pointer: str, element: str
) -> Principal | None:
    ctx = reading.ctx
    if isinstance(entry, Unknown):
        return new_principal(principal_type, entry, entry, ctx.file, pointer)
    if not isinstance(entry, str):
        ctx.report(SYN_STRUCTURE, f"a principal must be a string, found {describe(entry)}", pointer)
        return None
    value = entry
    if not entry:
        ctx.report(SYN_PRINCIPAL_FORMAT, f"empty principal in `{element}`", pointer)
    elif principal_type == "AWS" and len(entry) == 12 and entry.isdigit():
        value = f"arn:{reading.default_partition()}:iam::{entry}:root"
    else:
        # remembered for `_read_principals`, which looks strings up there first
        interned = intern(entry) if type(entry) is str else entry
        checked = _CHECKED_PRINCIPALS[principal_type]
        value, problems = _remember(checked, entry, (interned, _principal_problems(entry, principal_type)))
        entry = value
        if problems:
            _report_all(ctx, problems, pointer)
    return new_principal(principal_type, value, entry, ctx.file, pointer)


# What was found about each principal string, per principal type: the string interned and its
# problems, as for Action and Resource entries (see `_CHECKED_ITEMS`).
_CHECKED_PRINCIPALS: dict[PrincipalType, dict[str, tuple[str, tuple[_Problem, ...]]]] = {
    principal_type: {} for principal_type in _PRINCIPAL_TYPES
}


def _principal_problems(entry: str, principal_type: PrincipalType) -> tuple[_Problem, ...]:
    if "${" in entry:
        return (
            (
                SYN_VARIABLE,
                f"policy variables are not allowed in principals, found `{entry}`",
                Severity.ERROR,
                "",
            ),
        )
    if "*" in entry or "?" in entry:
        # Partial wildcards are the subject of rules kp-principal-wildcard-arn and
        # kp-service-principal-wildcard, which explain them; reporting here too would double them.
        return ()
    if principal_type == "AWS" and entry.startswith("arn:"):
        try:
            parse_arn(entry)
        except GrammarError as error:
            return (
                (
                    SYN_PRINCIPAL_FORMAT,
                    f"principal `{entry}` is not a valid ARN: {error.message}",
                    Severity.ERROR,
                    "",
                ),
            )
    elif principal_type == "AWS" and not _is_unique_id(entry):
        return (
            (
                SYN_PRINCIPAL_FORMAT,
                f"principal `{entry}` is not `*`, a 12-digit account id, an ARN or a unique id",
                Severity.ERROR,
                "",
            ),
        )
    return ()


def _is_unique_id(entry: str) -> bool:
    """`AROA…`/`AIDA…` ids: what a policy shows once the role or user it named was deleted."""
    return len(entry) >= 16 and entry[:4].isalpha() and entry.isalnum() and entry.isupper()


# --------------------------------------------------------------------------- Action, Resource


def _read_items(
    value: object, reading: _PolicyReading, pointer: str, element: str
) -> tuple[Item, ...] | None:
    ctx = reading.ctx
    if type(value) is str:
        entries: Iterable[tuple[object, str]] = ((value, pointer),)  # the common shape: one entry
    elif isinstance(value, (str, list, Unknown)):
        entries = _entries(value, ctx, pointer, element)
    else:
        ctx.report(
            SYN_STRUCTURE,
            f"element `{element}` must be a string or an array of strings, found {describe(value)}",
            pointer,
        )
        return None
    checked = _CHECKED_ITEMS[element, reading.variables]
    file = ctx.file
    items = []
    for entry, entry_pointer in entries:
        if type(entry) is str:
            known = checked.get(entry)
            if known is None:
                known = _check_item(checked, entry, element, reading.variables)
            entry, problems = known
            if problems:
                _report_all(ctx, problems, entry_pointer)
        elif not isinstance(entry, (str, Unknown)):
            ctx.report(
                SYN_STRUCTURE,
                f"entries of `{element}` must be strings, found {describe(entry)}",
                entry_pointer,
            )
            continue
        items.append(new_item(entry, file, entry_pointer))
    return tuple(items)


# What was found about each Action/Resource string, per element and Version: the interned string (a
# corpus repeats a few thousand action names and ARNs in hundreds of thousands of items; one copy of
# each keeps 10 MB less alive per 10,000 documents) and its problems.
_ItemCheck = tuple[str, tuple["_Problem", ...]]
_CHECKED_ITEMS: dict[tuple[str, bool], dict[str, _ItemCheck]] = {
    (element, variables): {}
    for element in ("Action", "NotAction", "Resource", "NotResource")
    for variables in (False, True)
}


def _check_item(checked: dict[str, _ItemCheck], entry: str, element: str, variables: bool) -> _ItemCheck:
    problems: tuple[_Problem, ...] = ()
    if not entry:
        problems = ((SYN_EMPTY, f"empty string in `{element}`", Severity.INFO, ""),)
    elif element.endswith("Resource"):
        if entry != "*":
            problems = _resource_problems(entry, variables)
    elif "${" in entry:
        message = f"policy variables are not allowed in `{element}`, found `{entry}`"
        problems = ((SYN_VARIABLE, message, Severity.ERROR, ""),)
    return _remember(checked, entry, (intern(entry), problems))


def _resource_problems(entry: str, variables: bool) -> tuple[_Problem, ...]:
    if variables and "${" in entry:
        try:
            template = parse_template(entry)
        except GrammarError as error:
            return ((SYN_VARIABLE, error.message, Severity.ERROR, ""),)
        if template.has_variables:
            return _variables_outside_resource_part(template, entry)
    try:
        arn = parse_arn(entry)
    except GrammarError as error:
        return (
            (
                SYN_RESOURCE_ARN,
                f"resource `{entry}` is not a valid ARN: {error.message}",
                Severity.MEDIUM,
                "",
            ),
        )
    # Literal `${...}` (variables outside Version 2012-10-17) is syn-variable's and syn-version's to report.
    if arn.service != "kms" or "${" in entry:
        return ()
    fault = _kms_arn_fault(arn)
    if fault is None:
        return ()
    return (
        (
            SYN_RESOURCE_ARN,
            f"resource `{entry}` is not a valid KMS ARN: {fault}",
            Severity.MEDIUM,
            "a KMS ARN reads `arn:<partition>:kms:<region>:<account>:key/<key id>` or `…:alias/<name>`",
        ),
    )


_PARTITIONS = frozenset(
    ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
)
_REGION = re.compile(r"[a-z]+(-[a-z]+)+-\d+")
_KMS_RESOURCE_TYPES = ("key/", "alias/")
_WILDCARD = re.compile(r"[*?]")


def _kms_arn_fault(arn: Arn) -> str | None:
    """What keeps a `kms` ARN from naming a key or an alias; a wildcard stands for what it could match."""
    if not _WILDCARD.search(arn.partition) and arn.partition not in _PARTITIONS:
        return f"unknown partition `{arn.partition}`"
    if not arn.region:
        return "the region part is empty (KMS keys and aliases are regional)"
    if not _WILDCARD.search(arn.region) and _REGION.fullmatch(arn.region) is None:
        return f"the region part `{arn.region}` is not a region name"
    if not arn.account:
        return "the account part is empty"
    if not _could_be_account(arn.account):
        return f"the account part `{arn.account}` is not a 12-digit account id"
    if not _could_be_kms_resource(arn.resource):
        return f"the resource part `{arn.resource}` is not `key/<key id>` or `alias/<name>`"
    return None


def _could_be_account(part: str) -> bool:
    """Could the pattern match 12 digits (`*` any run of them, `?` one)?"""
    digits = _WILDCARD.sub("", part)
    if digits and not digits.isdigit():
        return False
    one_each = len(part.replace("*", ""))  # digits and `?`, each matching one character
    return one_each <= 12 if "*" in part else one_each == 12


def _could_be_kms_resource(resource: str) -> bool:
    """Could the pattern match `key/<id>` or `alias/<name>`? Only the text before a wildcard is fixed."""
    literal = _WILDCARD.split(resource, maxsplit=1)[0]
    if literal != resource:
        return any(literal.startswith(kind) or kind.startswith(literal) for kind in _KMS_RESOURCE_TYPES)
    return any(resource.startswith(kind) and len(resource) > len(kind) for kind in _KMS_RESOURCE_TYPES)


def _variables_outside_resource_part(template: Template, entry: str) -> tuple[_Problem, ...]:
    """Variables may only appear after the fifth colon; the colons inside `${aws:x}` do not count."""
    colons = 0
    for part in template.parts:
        if isinstance(part, Variable):
            if colons < 5:
                return (
                    (
                        SYN_VARIABLE,
                        f"policy variable `${{{part.name}}}` in `{entry}` is outside the ARN's resource part",
                        Severity.ERROR,
                        "variables are substituted only after the fifth colon of an ARN",
                    ),
                )
            return ()
        colons += getattr(part, "text", "").count(":")
    return ()


def _template(entry: str, ctx: ReadContext, pointer: str) -> Template | None:
    try:
        return parse_template(entry)
    except GrammarError as error:
        ctx.report(SYN_VARIABLE, error.message, pointer)
        return None


# --------------------------------------------------------------------------- Condition


def _read_conditions(
    value: object, reading: _PolicyReading, pointer: str, element: str
) -> tuple[Condition, ...]:
    ctx = reading.ctx
    if not isinstance(value, dict):
        if isinstance(value, Unknown):
            _unresolved(ctx, pointer, "`Condition`")
        else:
            ctx.report(
                SYN_STRUCTURE,
                f"element `Condition` must be an object of operators, found {describe(value)}",
                pointer,
                help='`"Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}`',
            )
        return ()
    if not value:
        ctx.report(SYN_EMPTY, "empty object for `Condition`", pointer, severity=Severity.INFO)
    file = ctx.file
    conditions = []
    for operator_raw, block in value.items():
        block_pointer = _child(pointer, operator_raw)
        operator = _OPERATORS.get(operator_raw) or _operator(operator_raw, ctx, block_pointer)
        if not isinstance(block, dict):
            if isinstance(block, Unknown):
                _unresolved(ctx, block_pointer, f"the `{operator_raw}` block")
            else:
                ctx.report(
                    SYN_STRUCTURE,
                    f"condition operator `{operator_raw}` must map condition keys to values,"
                    f" found {describe(block)}",
                    block_pointer,
                )
            continue
        if not block:
            ctx.report(
                SYN_EMPTY,
                f"condition operator `{operator_raw}` has no keys",
                block_pointer,
                severity=Severity.INFO,
            )
        for key, raw_values in block.items():
            key_pointer = _child(block_pointer, key)
            if not key:
                ctx.report(SYN_STRUCTURE, f"empty condition key under `{operator_raw}`", key_pointer)
            elif "${" in key:
                ctx.report(
                    SYN_VARIABLE,
                    f"policy variables are not allowed in condition keys, found `{key}`",
                    key_pointer,
                )
            if type(raw_values) is str and not (reading.variables and "${" in raw_values):
                # the common shape, with nothing to check; shared, as the same values recur in a corpus
                values: tuple[Scalar, ...] = _SINGLE_VALUES.get(raw_values) or _remember(
                    _SINGLE_VALUES, raw_values, (raw_values,)
                )
            else:
                values = _condition_values(raw_values, operator, reading, key_pointer, key)
            conditions.append(
                new_condition(operator, operator_raw, *_key_names(key), values, file, key_pointer)
            )
    return tuple(conditions)


_OPERATORS: dict[str, Operator] = {}  # the valid operator names seen, parsed
_SINGLE_VALUES: dict[str, tuple[Scalar, ...]] = {}


def _key_names(key: str) -> tuple[str, str]:
    """A condition key as written and in lower case, one copy of each for a corpus."""
    names = _KEY_NAMES.get(key)
    if names is None:
        names = _remember(_KEY_NAMES, key, (intern(key), intern(key.lower())))
    return names


_KEY_NAMES: dict[str, tuple[str, str]] = {}

# `Null` with `IfExists` is a known misuse of a known operator (Access Analyzer "Null with if exists"),
# the catalogue's row 57, not an unknown operator. The grammar refuses it, so it is recognised here.
_COND_NULL_MISUSE = ("KMS057", "cond-null-misuse")


def _operator(text: str, ctx: ReadContext, pointer: str) -> Operator | None:
    try:
        return _remember(_OPERATORS, text, parse_operator(text))
    except GrammarError as error:
        rule = _COND_NULL_MISUSE if text.rpartition(":")[2] == "NullIfExists" else COND_UNKNOWN_OPERATOR
        ctx.report(rule, error.message, pointer)
        return None


def _condition_values(
    raw_values: object, operator: Operator | None, reading: _PolicyReading, pointer: str, key: str
) -> tuple[Scalar, ...]:
    """Values in any shape but the common one (one string with nothing to check), which the caller takes."""
    ctx = reading.ctx
    if isinstance(raw_values, dict):
        ctx.report(
            SYN_STRUCTURE,
            f"condition key `{key}` must have a string or an array of strings, found an object",
            pointer,
        )
        return ()
    values: list[Scalar] = []
    for entry, entry_pointer in _entries(raw_values, ctx, pointer, key):
        value = _condition_value(entry)
        if value is None:
            ctx.report(
                SYN_STRUCTURE,
                f"condition values must be strings, numbers or booleans, found {describe(entry)}",
                entry_pointer,
            )
            continue
        if reading.variables and isinstance(value, str) and "${" in value:
            template = _template(value, ctx, entry_pointer)
            if (
                template is not None
                and template.has_variables
                and operator
                and operator.family in _NO_VARIABLES
            ):
                ctx.report(
                    SYN_VARIABLE,
                    f"policy variables cannot be used with `{operator.raw}`, found `{value}`",
                    entry_pointer,
                )
        values.append(value)
    return tuple(values)


def _condition_value(entry: object) -> Scalar | None:
    """JSON scalars become the strings IAM compares: `true`, `10`, `1.5`; anything else is None."""
    if isinstance(entry, (str, Unknown)):
        return entry
    if isinstance(entry, bool):
        return "true" if entry else "false"
    if isinstance(entry, int | Decimal):
        return str(entry)
    if isinstance(entry, float):
        return repr(entry)
    if isinstance(entry, datetime.date):
        # YAML turns an unquoted timestamp into a date; IAM's date operators take ISO 8601 text.
        return entry.isoformat()
    return None


_STATEMENT_READERS: dict[str, tuple[str, Callable[[Any, _PolicyReading, str, str], Any]]] = {
    "Sid": ("sid", _read_sid),
    "Effect": ("effect", _read_effect),
    "Principal": ("principal", _read_principals),
    "NotPrincipal": ("not_principal", _read_principals),
    "Action": ("action", _read_items),
    "NotAction": ("not_action", _read_items),
    "Resource": ("resource", _read_items),
    "NotResource": ("not_resource", _read_items),
    "Condition": ("conditions", _read_conditions),
}


# --------------------------------------------------------------------------- grants and keys


@dataclass
class Record:
    """Typed access to the fields of one API response object, reporting each wrong or missing one."""

    obj: dict[str, Any]
    ctx: ReadContext
    pointer: str
    what: str  # `a grant`, `key metadata`: used in messages

    def check_fields(self, known: frozenset[str]) -> None:
        if self.obj.keys() <= known:
            return
        for name in self.obj:
            if name not in known:
                self.ctx.report(
                    SYN_STRUCTURE,
                    f"unknown field `{name}` in {self.what}{_suggest(name, tuple(sorted(known)))}",
                    pointer_join(self.pointer, name),
                    severity=Severity.INFO,
                    help="the field is ignored; a newer AWS API may have added it",
                )

    def _get(self, name: str, required: bool) -> object:
        if name not in self.obj:
            if required:
                self.ctx.report(SYN_STRUCTURE, f"{self.what} has no `{name}`", self.pointer)
            return None
        return self.obj[name]

    def _wrong(self, name: str, expected: str, value: object) -> None:
        self.ctx.report(
            SYN_STRUCTURE,
            f"field `{name}` must be {expected}, found {describe(value)}",
            pointer_join(self.pointer, name),
        )

    def scalar(self, name: str, *, required: bool = False) -> Scalar | None:
        value = self._get(name, required)
        if value is None or isinstance(value, str | Unknown):
            return value
        self._wrong(name, "a string", value)
        return None

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.scalar(name, required=required)
        if isinstance(value, Unknown):
            _unresolved(self.ctx, pointer_join(self.pointer, name), f"`{name}`")
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        value = self._get(name, False)
        if value is None or isinstance(value, bool):
            return value
        self._wrong(name, "`true` or `false`", value)
        return None

    def integer(self, name: str) -> int | None:
        value = self._get(name, False)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self._wrong(name, "a whole number", value)
        return None

    def timestamp(self, name: str) -> str | None:
        """AWS CLI prints ISO 8601 text, boto3 gives datetimes, some tools epoch seconds."""
        value = self._get(name, False)
        if value is None:
            return None
        converted = None if isinstance(value, bool) else _condition_value(value)
        if isinstance(converted, str):
            return converted
        if isinstance(value, Unknown):
            _unresolved(self.ctx, pointer_join(self.pointer, name), f"`{name}`")
        else:
            self._wrong(name, "a date", value)
        return None

    def record(self, name: str, what: str) -> Record | None:
        value = self._get(name, False)
        if value is None:
            return None
        if isinstance(value, dict):
            return Record(value, self.ctx, pointer_join(self.pointer, name), what)
        self._wrong(name, "an object", value)
        return None


_GRANT_FIELDS = frozenset(
    {
        "KeyId",
        "GrantId",
        "Name",
        "CreationDate",
        "GranteePrincipal",
        "GranteeServicePrincipal",
        "RetiringPrincipal",
        "RetiringServicePrincipal",
        "IssuingAccount",
        "Operations",
        "Constraints",
    }
)
_CONSTRAINT_FIELDS = frozenset({"EncryptionContextEquals", "EncryptionContextSubset", "SourceArn"})


def read_grant(obj: object, ctx: ReadContext, pointer: str) -> Grant | None:
    """One entry of the `Grants` array of `aws kms list-grants`; None when it names no key, id or grantee."""
    if not isinstance(obj, dict):
        _not_an_object(obj, ctx, pointer, "a grant")
        return None
    grant = Record(obj, ctx, pointer, "a grant")
    grant.check_fields(_GRANT_FIELDS)
    key_id = grant.string("KeyId", required=True)
    grant_id = grant.string("GrantId", required=True)
    # Grants to AWS services (reference §1.5, newer pages) may name the service in its own field; a
    # listing shows it in `GranteePrincipal` too, which is the one read when both are there.
    grantee = grant.scalar("GranteePrincipal", required="GranteeServicePrincipal" not in obj)
    service = grant.scalar("GranteeServicePrincipal")
    retiring = grant.scalar("RetiringPrincipal")
    retiring_service = grant.scalar("RetiringServicePrincipal")
    fields: dict[str, Any] = {
        "name": grant.string("Name"),
        "retiring_principal": retiring if retiring is not None else retiring_service,
        "issuing_account": _account_of(grant.string("IssuingAccount")),
        "creation_date": grant.timestamp("CreationDate"),
        "constraints": _read_constraints(grant.record("Constraints", "grant constraints")),
    }
    if "Operations" in obj:
        fields["operations"] = _read_operations(obj["Operations"], ctx, pointer_join(pointer, "Operations"))
    if grantee is None:
        grantee = service
    if key_id is None or grant_id is None or grantee is None:
        ctx.notes.append(
            f"the grant at `{_source_name(ctx, pointer)}` was skipped: it lacks a key, an id or a grantee"
        )
        return None
    return Grant.trusted(
        key_id=key_id,
        grant_id=grant_id,
        grantee_principal=grantee,
        span=new_span(ctx.file, pointer),
        **{name: value for name, value in fields.items() if value is not None},
    )


def _account_of(issuer: str | None) -> str | None:
    """list-grants names the issuing account by its root ARN; the model keeps the account id."""
    if issuer is None or not issuer.startswith("arn:"):
        return issuer
    try:
        return parse_arn(issuer).account or issuer
    except GrammarError:
        return issuer


def _read_operations(value: object, ctx: ReadContext, pointer: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        ctx.report(
            SYN_STRUCTURE, f"field `Operations` must be an array of strings, found {describe(value)}", pointer
        )
        return ()
    from kmspolicy.catalog import GRANT_OPERATIONS  # the catalogue only where there are grants

    operations = []
    for entry, entry_pointer in _entries(value, ctx, pointer, "Operations"):
        if isinstance(entry, str) and entry not in GRANT_OPERATIONS:
            # CreateGrant refuses it, so a listing never shows it: the input was edited or is not real
            ctx.report(
                SYN_STRUCTURE,
                f"unknown grant operation `{entry}`{_suggest(entry, tuple(sorted(GRANT_OPERATIONS)))}",
                entry_pointer,
            )
        elif isinstance(entry, str):
            operations.append(entry)
        elif isinstance(entry, Unknown):
            _unresolved(ctx, entry_pointer, "a grant operation")
        else:
            ctx.report(
                SYN_STRUCTURE, f"grant operations must be strings, found {describe(entry)}", entry_pointer
            )
    return tuple(operations)


def _read_constraints(constraints: Record | None) -> GrantConstraints | None:
    if constraints is None:
        return None
    constraints.check_fields(_CONSTRAINT_FIELDS)
    fields: dict[str, Any] = {}
    for name, field in (
        ("EncryptionContextEquals", "encryption_context_equals"),
        ("EncryptionContextSubset", "encryption_context_subset"),
    ):
        context = constraints.record(name, f"`{name}`")
        if context is not None:
            fields[field] = _encryption_context(context)
    source_arn = constraints.string("SourceArn")
    if source_arn is not None:
        fields["source_arn"] = source_arn
    return GrantConstraints.trusted(**fields)


def _encryption_context(context: Record) -> dict[str, str]:
    pairs = {}
    for key in context.obj:
        value = context.string(key)
        if value is not None:
            pairs[key] = value
    return pairs


_KEY_FIELDS = frozenset(
    {
        "AWSAccountId",
        "KeyId",
        "Arn",
        "CreationDate",
        "Enabled",
        "Description",
        "KeyUsage",
        "KeyState",
        "DeletionDate",
        "ValidTo",
        "Origin",
        "CustomKeyStoreId",
        "CloudHsmClusterId",
        "ExpirationModel",
        "KeyManager",
        "CustomerMasterKeySpec",
        "KeySpec",
        "EncryptionAlgorithms",
        "SigningAlgorithms",
        "KeyAgreementAlgorithms",
        "MultiRegion",
        "MultiRegionConfiguration",
        "PendingDeletionWindowInDays",
        "MacAlgorithms",
        "XksKeyConfiguration",
        "CurrentKeyMaterialId",
    }
)
_MULTI_REGION_FIELDS = frozenset({"MultiRegionKeyType", "PrimaryKey", "ReplicaKeys"})
_KEY_MANAGERS: tuple[KeyManager, ...] = ("AWS", "CUSTOMER")
_MULTI_REGION_KEY_TYPES = ("PRIMARY", "REPLICA")
_EXPIRATION_MODELS = ("KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE")


def read_key_metadata(obj: object, ctx: ReadContext, pointer: str) -> Key | None:
    """The `KeyMetadata` of `aws kms describe-key`; None when it has no `KeyId` or `Arn`."""
    if not isinstance(obj, dict):
        _not_an_object(obj, ctx, pointer, "key metadata")
        return None
    key = Record(obj, ctx, pointer, "key metadata")
    key.check_fields(_KEY_FIELDS)
    key_id = key.string("KeyId", required=True)
    arn = key.scalar("Arn", required=True)
    fields: dict[str, Any] = {
        "account": key.string("AWSAccountId"),
        "key_manager": _choice(key, "KeyManager", _KEY_MANAGERS),
        "key_spec": key.string("KeySpec") or key.string("CustomerMasterKeySpec"),
        "key_usage": key.string("KeyUsage"),
        "origin": key.string("Origin"),
        "key_state": key.string("KeyState"),
        "enabled": key.boolean("Enabled"),
        "description": key.string("Description"),
        "multi_region": key.boolean("MultiRegion"),
        "deletion_date": key.timestamp("DeletionDate"),
        "pending_window_days": key.integer("PendingDeletionWindowInDays"),
        "expiration_model": _choice(key, "ExpirationModel", _EXPIRATION_MODELS),
        "valid_to": key.timestamp("ValidTo"),
    }
    multi_region = key.record("MultiRegionConfiguration", "`MultiRegionConfiguration`")
    if multi_region is not None:
        multi_region.check_fields(_MULTI_REGION_FIELDS)
        fields["multi_region_key_type"] = _choice(multi_region, "MultiRegionKeyType", _MULTI_REGION_KEY_TYPES)
    if isinstance(arn, str):
        try:
            parsed = parse_arn(arn)
        except GrammarError as error:
            ctx.report(
                SYN_RESOURCE_ARN,
                f"key `Arn` is not a valid ARN: {error.message}",
                pointer_join(pointer, "Arn"),
            )
        else:
            fields.update(partition=parsed.partition, region=parsed.region or None)
            fields["account"] = fields["account"] or parsed.account or None
    fields["account"] = fields["account"] or ctx.account
    if key_id is None or arn is None:
        ctx.notes.append(
            f"the key at `{_source_name(ctx, pointer)}` was skipped: it lacks its `KeyId` or its `Arn`"
        )
        return None
    return Key.trusted(
        arn=arn,
        key_id=key_id,
        span=new_span(ctx.file, pointer),
        **{name: value for name, value in fields.items() if value is not None},
    )


def _choice(record: Record, name: str, allowed: tuple[str, ...]) -> str | None:
    value = record.string(name)
    if value is None or value in allowed:
        return value
    choices = " or ".join(f"`{choice}`" for choice in allowed)
    record.ctx.report(
        SYN_STRUCTURE,
        f"field `{name}` must be {choices}, found `{value}`",
        pointer_join(record.pointer, name),
    )
    return None
