"""The one-line request language of `kmspolicy explain`: `can P A on R with k=v and ... using grant-token T`.

The grammar is `grammars/query.lark`; its transformer builds a `Request` directly. Syntax errors are mapped
to known mistakes by example (lark's `match_examples`), so the message says what was expected where.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from lark import (
    Lark,
    Token,
    Transformer,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.exceptions import VisitError

from kmspolicy.data import data_dir
from kmspolicy.grammar import GrammarError
from kmspolicy.model import ContextValue, Request


class QueryError(GrammarError):
    """A query that cannot be read; `column` is 1-based within the query text."""


_ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*?]+")
# a service principal, as the query and the --principal option accept it
SERVICE_PRINCIPAL = re.compile(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?")

# Known mistakes, each with queries that make it; lark matches an error to the closest example.
_MISTAKES: dict[str, list[str]] = {
    "a query starts with `can`, as in `can <principal> <action> <resource>`": [
        "arn:aws:iam::111122223333:role/app kms:Decrypt",
        "show p kms:Decrypt",
    ],
    "expected the principal after `can`": ["can"],
    "expected an action such as `kms:Decrypt` after the principal": ["can p"],
    "expected `key=value` after `with`": ["can p a r with", "can p a r with k=v and"],
    "expected `=` and a value after the condition key": [
        "can p a r with k",
        "can p a r with k v",
        "can p a r with k and",
    ],
    'expected a value after `=` (a word, a "quoted string" or a [list])': [
        "can p a r with k=",
        "can p a r with k= and",
    ],
    "expected `]` to close the list": ["can p a r with k=[a, b", "can p a r with k=[a b]"],
    "expected a grant token after `grant-token`": [
        "can p a r using grant-token",
        "can p a r using grant-token t,",
    ],
    "expected `grant-token` after `using`": ["can p a r using t", "can p a r using"],
    "expected a grant id after `grant-id`": ["can p a r grant-id"],
    "after the resource only `with`, `using grant-token` and `grant-id` may follow": [
        "can p a r s",
        "can p a r with k=v w",
    ],
}


class _Build(Transformer[Token, Any]):
    def start(self, children: list[Any]) -> Request:
        _can, principal, action, _on, resource, *clauses = children
        fields: dict[str, Any] = {"principal": principal, "action": action, "resource": resource or "*"}
        context: dict[str, ContextValue] = {}
        tokens: list[str] = []
        for kind, value in clauses:
            if kind == "context":
                for key, (item, column) in value:
                    if key.lower() in (k.lower() for k in context):
                        raise QueryError(f"the condition key `{key}` is given twice", column)
                    context[key] = item
            elif kind == "tokens":
                tokens.extend(value)
            elif "grant_id" in fields:
                raise QueryError("`grant-id` is given twice", value[1])
            else:
                fields["grant_id"] = value[0]
        return Request(**fields, context=context, grant_tokens=tuple(tokens))

    def principal(self, children: list[Token]) -> str:
        token = children[0]
        if not (token.startswith("arn:") or SERVICE_PRINCIPAL.fullmatch(token)):
            raise QueryError(
                f"expected a principal ARN or a service principal such as `s3.amazonaws.com`, "
                f"found `{token}`",
                token.column,
            )
        return str(token)

    def action(self, children: list[Token]) -> str:
        token = children[0]
        if not _ACTION.fullmatch(token):
            raise QueryError(f"expected an action such as `kms:Decrypt`, found `{token}`", token.column or 1)
        return str(token)

    def resource(self, children: list[Token]) -> str:
        token = children[0]
        if token != "*" and not token.startswith("arn:"):
            raise QueryError(f"expected a key or alias ARN, or `*`, found `{token}`", token.column or 1)
        return str(token)

    def with_clause(self, children: list[Any]) -> tuple[str, list[tuple[str, tuple[ContextValue, int]]]]:
        return "context", [child for child in children if isinstance(child, tuple)]

    def pair(self, children: list[Any]) -> tuple[str, tuple[ContextValue, int]]:
        key, value = children
        return str(key), (value, key.column or 1)

    def value_list(self, children: list[str | None]) -> tuple[str, ...]:
        return tuple(child for child in children if child is not None)

    def scalar(self, children: list[Token]) -> str:
        token = children[0]
        return str(json.loads(token)) if token.type == "STRING" else str(token)

    def tokens_clause(self, children: list[Token]) -> tuple[str, list[str]]:
        return "tokens", [str(token) for token in children if token.type == "WORD"]

    def grant_clause(self, children: list[Token]) -> tuple[str, tuple[str, int]]:
        token = children[1]
        return "grant_id", (str(token), token.column or 1)


@cache
def _parser() -> Lark:
    return Lark(
        (data_dir("grammars") / "query.lark").read_text(encoding="utf-8"),
        parser="lalr",
        strict=True,
        propagate_positions=True,
        maybe_placeholders=True,
    )


def _column(error: UnexpectedInput, text: str) -> int:
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        return len(text.rstrip()) + 1
    return error.column if isinstance(error.column, int) and error.column > 0 else len(text) + 1


def _explain(error: UnexpectedInput, text: str) -> str:
    if isinstance(error, UnexpectedCharacters):
        return f'unexpected `{error.char}`; a quoted value needs its closing `"`'
    label = error.match_examples(_parser().parse, _MISTAKES, use_accepts=True)
    if isinstance(label, str):
        return label
    found = error.token if isinstance(error, UnexpectedToken) else None
    return (
        f"unexpected `{found}`" if found is not None and found.type != "$END" else "the query ends too early"
    )


def parse_query(text: str) -> Request:
    """The request a one-line query describes; `QueryError` (a `ValueError`) says what is wrong and where."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        raise QueryError(_explain(error, text), _column(error, text)) from None
    try:
        request: Request = _Build().transform(tree)
    except VisitError as error:  # lark wraps what the transformer raises
        if isinstance(error.orig_exc, QueryError):
            raise QueryError(error.orig_exc.message, error.orig_exc.column) from None
        raise
    return request
