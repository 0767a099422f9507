"""Facts about one statement that many rules ask for, computed once per policy and lint run.

Which KMS permissions a statement covers (Action patterns expanded, NotAction complemented), who
its principals are, which condition keys it tests, and the spans to point findings at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property

from kmspolicy import catalog
from kmspolicy.model import Condition, Item, Principal, Span, Statement, Unknown
from kmspolicy.parse.context import pointer_join

_ACCOUNT_ID = re.compile(r"^\d{12}$")


def all_kms_actions() -> frozenset[str]:
    return catalog.expand_actions("kms:*")


def principal_account(value: str) -> str | None:
    """The account a principal value belongs to: `123456789012`, or the account field of an ARN."""
    if _ACCOUNT_ID.match(value):
        return value
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) == 6 and parts[4]:
            return parts[4]
    return None


def is_account_root(value: str) -> bool:
    """An account principal (`123456789012` or `arn:<partition>:iam::123456789012:root`)."""
    if _ACCOUNT_ID.match(value):
        return True
    parts = value.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5] == "root"


def text(value: str | Unknown) -> str | None:
    """The literal text of a value, None for a value unknown before deployment."""
    return value if isinstance(value, str) else None


class StatementFacts:
    """Lazily computed facts about one statement; one instance per statement per lint run."""

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self.allow = statement.effect == "Allow"
        self.deny = statement.effect == "Deny"

    # ------------------------------------------------------------------ spans

    def element_span(self, element: str) -> Span:
        return Span.trusted(
            file=self.statement.span.file, pointer=pointer_join(self.statement.span.pointer, element)
        )

    # ------------------------------------------------------------------ actions

    @cached_property
    def item_actions(self) -> tuple[tuple[Item, frozenset[str]], ...]:
        """Each Action/NotAction item with the KMS permissions its pattern covers."""
        items = self.statement.action if self.statement.action is not None else self.statement.not_action
        out: list[tuple[Item, frozenset[str]]] = []
        for item in items or ():
            value = text(item.value)
            out.append((item, catalog.expand_actions(value) if value is not None else frozenset()))
        return tuple(out)

    @cached_property
    def kms_actions(self) -> frozenset[str]:
        """The KMS permissions this statement applies to (NotAction: every KMS permission not listed)."""
        covered = (
            frozenset().union(*(acts for _, acts in self.item_actions)) if self.item_actions else frozenset()
        )
        if self.statement.not_action is not None:
            return all_kms_actions() - covered
        return covered

    def covers(self, action: str) -> bool:
        return action in self.kms_actions

    def action_span(self, action: str) -> Span:
        """The Action item that grants `action`, or the NotAction element that leaves it in."""
        if self.statement.not_action is not None:
            return self.element_span("NotAction")
        for item, actions in self.item_actions:
            if action in actions:
                return item.span
        return self.element_span("Action")

    def first_item_covering(self, actions: frozenset[str]) -> tuple[Item | None, frozenset[str]]:
        """The first Action item whose pattern covers any of `actions`, with the ones it covers."""
        if self.statement.not_action is not None:
            return None, self.kms_actions & actions
        for item, covered in self.item_actions:
            hit = covered & actions
            if hit:
                return item, hit
        return None, frozenset()

    @cached_property
    def action_values(self) -> tuple[str, ...]:
        return tuple(v for item, _ in self.item_actions if (v := text(item.value)) is not None)

    @cached_property
    def grants_all_of_aws(self) -> bool:
        """`"Action": "*"` (or `*:*`) on `"Resource": "*"`: administrator access to everything."""
        return (
            self.statement.action is not None
            and any(v in ("*", "*:*") for v in self.action_values)
            and "*" in self.resource_values
        )

    # ------------------------------------------------------------------ principals

    @cached_property
    def principals(self) -> tuple[Principal, ...]:
        return self.statement.principal or ()

    @cached_property
    def wildcard_principals(self) -> tuple[Principal, ...]:
        """`"*"` / `{"AWS": "*"}`: every AWS principal of every account."""
        return tuple(p for p in self.principals if p.type == "AWS" and p.value == "*")

    def principal_values(self, kind: str = "AWS") -> Iterator[tuple[Principal, str]]:
        for p in self.principals:
            if p.type == kind and isinstance(p.value, str):
                yield p, p.value

    @cached_property
    def has_unknowns(self) -> bool:
        """A principal or action known only at deployment (an unresolved CloudFormation/Terraform value)."""
        principals = (*self.principals, *(self.statement.not_principal or ()))
        return any(not isinstance(p.value, str) for p in principals) or any(
            not isinstance(item.value, str) for item, _ in self.item_actions
        )

    # ------------------------------------------------------------------ resources

    @cached_property
    def resource_values(self) -> tuple[str, ...]:
        return tuple(v for item in self.statement.resource or () if (v := text(item.value)) is not None)

    # ------------------------------------------------------------------ conditions

    @cached_property
    def condition_keys(self) -> frozenset[str]:
        return frozenset(c.key_lower for c in self.statement.conditions)

    def conditions_on(self, *keys_lower: str) -> tuple[Condition, ...]:
        return tuple(c for c in self.statement.conditions if c.key_lower in keys_lower)

    def conditions_with_prefix(self, prefix_lower: str) -> tuple[Condition, ...]:
        return tuple(c for c in self.statement.conditions if c.key_lower.startswith(prefix_lower))
