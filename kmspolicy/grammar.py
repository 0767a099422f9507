"""The little languages inside policy strings: ARNs, condition operator names, policy variables.

Each has a lark grammar under `grammars/`. The grammar is the definition and the source of every error
message. Valid input, which is nearly all input, takes a cached fast path so that reading a policy never
runs lark per element: a regex for ARNs (tests check it accepts exactly what the grammar accepts), a
plain-text check for strings without `${`, and a cache of every operator name seen.
"""

from __future__ import annotations

import difflib
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from kmspolicy.data import data_dir
from kmspolicy.model import Arn, Frozen, Operator, OperatorFamily, SetQualifier

if TYPE_CHECKING:
    from lark import Lark, UnexpectedInput

_T = TypeVar("_T")


class GrammarError(ValueError):
    """Text that does not follow one of the grammars; `column` is 1-based within that text."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return self.message


def _parse(name: str, text: str) -> Any:
    """The model object the grammar's transformer builds (lark's stubs only know it returns trees)."""
    return _parser(name).parse(text)


@cache
def _parser(name: str) -> Lark:
    """Built on first use: most runs only ever need the fast paths, and never import lark."""
    from lark import Lark

    return Lark(
        (data_dir("grammars") / f"{name}.lark").read_text(encoding="utf-8"),
        parser="lalr",
        strict=True,
        propagate_positions=True,
        maybe_placeholders=True,
        transformer=_builders()[name](),
        cache=True,  # the LALR tables are built once per machine, not on every run
    )


def _unwrap(result: _T | GrammarError) -> _T:
    """The caches keep errors as values; each caller gets a fresh exception, since re-raising the
    cached one would grow its traceback on every raise."""
    if isinstance(result, GrammarError):
        raise GrammarError(result.message, result.column)
    return result


def _error_column(exc: UnexpectedInput, text: str) -> int:
    from lark import UnexpectedEOF, UnexpectedToken

    if (isinstance(exc, UnexpectedToken) and exc.token.type == "$END") or isinstance(exc, UnexpectedEOF):
        return len(text) + 1
    return exc.pos_in_stream + 1 if exc.pos_in_stream is not None else len(text) + 1


# --------------------------------------------------------------------------- ARNs


# Must accept exactly what grammars/arn.lark accepts (tests/test_grammar.py checks both ways).
_ARN_FAST = re.compile(r"arn:([^:\s]+):([^:\s*?]+):([^:\s]*):([^:\s]*):(\S+)")
_ARN_PARTS = ("prefix", "partition", "service", "region", "account", "resource")


def parse_arn(text: str) -> Arn:
    """`arn:partition:service:region:account:resource`, wildcards allowed except in the service."""
    return _unwrap(_arn_or_error(text))


@lru_cache(maxsize=65536)
def _arn_or_error(text: str) -> Arn | GrammarError:
    match = _ARN_FAST.fullmatch(text)
    if match is not None:
        partition, service, region, account, resource = match.groups()
        return Arn.trusted(
            partition=partition, service=service, region=region, account=account, resource=resource
        )
    from lark import UnexpectedInput

    try:
        arn: Arn = _parse("arn", text)
    except UnexpectedInput as exc:
        return _arn_error(exc, text)
    return arn


def _arn_error(exc: UnexpectedInput, text: str) -> GrammarError:
    column = _error_column(exc, text)
    if not text:
        return GrammarError("ARN is empty", 1)
    if not text.startswith("arn:"):
        return GrammarError(f"ARN must start with `arn:`, found `{text[:12]}`", 1)
    at_end = column > len(text)
    if not at_end and text[column - 1].isspace():
        return GrammarError(f"ARN `{text}` contains whitespace at column {column}", column)
    parts = text.count(":") + 1
    if at_end and parts < 6:
        return GrammarError(f"ARN has {parts} parts, expected 6", column)
    index = min(text.count(":", 0, column - 1), 5)
    value = text.split(":", 5)[index]
    if not value:
        return GrammarError(f"the {_ARN_PARTS[index]} part of ARN `{text}` is empty", column)
    # What remains is the one character class the service part refuses and the others allow.
    return GrammarError(f"the service part of ARN `{text}` cannot contain wildcards, found `{value}`", column)


# --------------------------------------------------------------------------- condition operators


_FAMILY_RULES: dict[str, OperatorFamily] = {
    "string": "String",
    "numeric": "Numeric",
    "date": "Date",
    "bool": "Bool",
    "binary": "Binary",
    "ip_address": "IpAddress",
    "arn": "Arn",
    "null": "Null",
}


_NOT_BASES = frozenset({"ForAllValues", "ForAnyValue", "IfExists"})


@cache
def _base_operators() -> tuple[str, ...]:
    """Every base operator name, read from the grammar so that suggestions never drift from it."""
    grammar = (data_dir("grammars") / "operators.lark").read_text(encoding="utf-8")
    names = re.findall(r'^[A-Z_]+: "(\w+)"$', grammar, flags=re.MULTILINE)
    return tuple(name for name in names if name not in _NOT_BASES)


@cache
def _families() -> dict[str, OperatorFamily]:
    """Each base operator name with its family, read from the grammar's family rules."""
    grammar = (data_dir("grammars") / "operators.lark").read_text(encoding="utf-8")
    literals = dict(re.findall(r'^([A-Z_]+): "(\w+)"$', grammar, flags=re.MULTILINE))
    families: dict[str, OperatorFamily] = {}
    rule = None
    for line in grammar.splitlines():
        head = re.match(r"^(\w+):(.*)$", line)
        if head is not None:
            rule, line = head.group(1), head.group(2)
        elif not line.startswith((" ", "\t")):
            rule = None
        if rule in _FAMILY_RULES:
            for terminal in re.findall(r"\b[A-Z_]+\b", line):
                families[literals[terminal]] = _FAMILY_RULES[rule]
    return families


def _operator_fast(text: str) -> Operator | None:
    """The operator for a valid name without running lark (tests check it agrees with the grammar);
    None sends the name to the grammar, for its error message."""
    qualifier: SetQualifier | None = None
    base = text
    if text.startswith("ForAllValues:"):
        qualifier, base = "ForAllValues", text[len("ForAllValues:") :]
    elif text.startswith("ForAnyValue:"):
        qualifier, base = "ForAnyValue", text[len("ForAnyValue:") :]
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base[: -len("IfExists")]
    family = _families().get(base)
    if family is None or (if_exists and family == "Null"):
        return None
    return Operator.trusted(
        raw=text, qualifier=qualifier, base=base, family=family, negated="Not" in base, if_exists=if_exists
    )


def parse_operator(text: str) -> Operator:
    """`[ForAllValues:|ForAnyValue:]Base[IfExists]`, case-sensitive, e.g. `ForAnyValue:StringLike`."""
    return _unwrap(_operator_or_error(text))


@lru_cache(maxsize=4096)
def _operator_or_error(text: str) -> Operator | GrammarError:
    found = _operator_fast(text)
    if found is not None:
        return found
    from lark import UnexpectedInput

    try:
        operator: Operator = _parse("operators", text)
    except UnexpectedInput as exc:
        return _operator_error(exc, text)
    return operator


def _operator_error(exc: UnexpectedInput, text: str) -> GrammarError:
    column = _error_column(exc, text)
    if not text:
        return GrammarError("condition operator is empty", 1)
    suggestion = _suggest_operator(text)
    if suggestion is None:
        return GrammarError(f"unknown condition operator `{text}`", column)
    if suggestion.lower() == text.lower():
        return GrammarError(
            f"condition operator `{text}` is misspelt: operator names are case-sensitive;"
            f" did you mean `{suggestion}`?",
            column,
        )
    if suggestion.startswith("Null") and text.endswith("IfExists"):
        return GrammarError(f"condition operator `Null` has no `IfExists` form, found `{text}`", column)
    return GrammarError(f"unknown condition operator `{text}`; did you mean `{suggestion}`?", column)


def _suggest_operator(text: str) -> str | None:
    """The nearest valid name: qualifier, base and suffix are corrected one by one, ignoring case."""
    qualifier, _, base = text.rpartition(":")
    if qualifier:
        qualifiers = {"forallvalues": "ForAllValues:", "foranyvalue": "ForAnyValue:"}
        close = difflib.get_close_matches(qualifier.lower(), qualifiers, n=1, cutoff=0.6)
        if not close:
            return None
        qualifier = qualifiers[close[0]]
    suffix = ""
    if base.lower().endswith("ifexists"):
        base, suffix = base[: -len("ifexists")], "IfExists"
    bases = {name.lower(): name for name in _base_operators()}
    close = difflib.get_close_matches(base.lower(), bases, n=1, cutoff=0.6)
    if not close:
        return None
    base = bases[close[0]]
    if base == "Null":
        suffix = ""
    return f"{qualifier}{base}{suffix}"


# --------------------------------------------------------------------------- policy variables


class Text(Frozen):
    """Text as written; in `*Like` and ARN patterns its `*` and `?` are wildcards."""

    text: str


class Escape(Frozen):
    """`${*}`, `${?}` or `${$}`: one literal character that is never a wildcard."""

    char: Literal["*", "?", "$"]


class Variable(Frozen):
    """`${name}` or `${name, 'default'}`; the name is matched case-insensitively by the evaluator."""

    name: str
    default: str | None = None


TemplatePart = Text | Escape | Variable


class Template(Frozen):
    """A string value split into text, escapes and policy variables."""

    parts: tuple[TemplatePart, ...]

    @property
    def has_variables(self) -> bool:
        return any(isinstance(part, Variable) for part in self.parts)


@lru_cache(maxsize=65536)
def _template_or_error(text: str) -> Template | GrammarError:
    if "${" not in text:
        return Template.trusted(parts=(Text.trusted(text=text),))
    from lark import UnexpectedInput

    try:
        template: Template = _parse("variables", text)
    except UnexpectedInput as exc:
        return _variable_error(exc, text)
    return template


def parse_template(text: str) -> Template:
    """Split a string into text, escapes and `${...}` policy variables."""
    return _unwrap(_template_or_error(text))


def _variable_error(exc: UnexpectedInput, text: str) -> GrammarError:
    column = _error_column(exc, text)
    char = text[column - 1] if column <= len(text) else ""
    start = max(text.rfind("${", 0, column), 0)
    end = text.find("}", start)
    if end < 0:
        return GrammarError(f"policy variable `{text[start:]}` is missing its closing `}}`", start + 1)
    variable = text[start : end + 1]
    if variable == "${}":
        return GrammarError("policy variable `${}` is empty", start + 1)
    if char == ",":
        return GrammarError(
            f"the default of policy variable `{variable}` must follow a comma and one space:"
            " `${key, 'default'}`",
            column,
        )
    if ", " in variable and char != " ":
        return GrammarError(
            f"the default of policy variable `{variable}` must be in single quotes: `${{key, 'default'}}`",
            column,
        )
    if char.isspace():
        return GrammarError(f"policy variable `{variable}` contains a space", column)
    return GrammarError(
        f"policy variable `{variable}` contains `{char}`, which a variable name cannot hold",
        column,
    )


@cache
def _builders() -> dict[str, Any]:
    """The transformers that turn each grammar's parse tree into model objects (lark loaded here)."""
    from lark import Token, Transformer

    class _ArnBuilder(Transformer[Token, Any]):
        def start(self, parts: list[str]) -> Arn:
            partition, service, region, account, resource = parts
            return Arn.trusted(
                partition=partition, service=service, region=region, account=account, resource=resource
            )

        def partition(self, children: list[Token]) -> str:
            return str(children[0])

        service = resource = partition

        def region(self, children: list[Token]) -> str:
            return str(children[0]) if children else ""

        account = region

    class _OperatorBuilder(Transformer[Token, Any]):
        def __default__(self, data: str, children: list[Token], meta: Any) -> tuple[OperatorFamily, str]:
            """The family rules (`string`, `numeric`, ...): each wraps the one token naming the base."""
            return _FAMILY_RULES[data], str(children[0])

        def qualifier(self, children: list[Token]) -> str:
            return str(children[0])

        def start(self, children: list[Any]) -> Operator:
            qualifier: SetQualifier | None = children[0]
            family, base = children[1]
            if_exists = len(children) > 2 and children[2] is not None
            text = f"{qualifier}:" if qualifier else ""
            return Operator.trusted(
                raw=f"{text}{base}{'IfExists' if if_exists else ''}",
                qualifier=qualifier,
                base=base,
                family=family,
                negated="Not" in base,
                if_exists=if_exists,
            )

    class _TemplateBuilder(Transformer[Token, Any]):
        def start(self, parts: list[Token | TemplatePart]) -> Template:
            return Template.trusted(
                parts=tuple(Text.trusted(text=str(p)) if isinstance(p, Token) else p for p in parts)
            )

        def variable(self, children: list[Token | None]) -> Variable:
            name, _, default = children
            return Variable.trusted(
                name=str(name), default=str(default)[1:-1] if default is not None else None
            )

        def escape(self, children: list[Token]) -> Escape:
            return Escape.trusted(char=str(children[0])[2])

    return {"arn": _ArnBuilder, "operators": _OperatorBuilder, "variables": _TemplateBuilder}


__all__ = [
    "Escape",
    "GrammarError",
    "Template",
    "TemplatePart",
    "Text",
    "Variable",
    "parse_arn",
    "parse_operator",
    "parse_template",
]
