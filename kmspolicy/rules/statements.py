"""Facts about one statement that many rules ask for, computed once per policy and lint run.

Which KMS permissions a statement covers (Action patterns expanded, NotAction complemented), who
its principals are, which condition keys it tests, and the spans to point findings at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from kmspolicy import catalog
from kmspolicy.model import Condition, Item, Principal, Span, Statement, Unknown
from kmspolicy.parse.context import pointer_join

_ACCOUNT_ID = re.compile(r"^\d{12}$")


def all_kms_actions() -> frozenset[str]:
    return catalog.expand_actions("kms:*")


@lru_cache(maxsize=8192)
def principal_account(value: str) -> str | None:
    """The account a principal value belongs to: `123456789012`, or the account field of an ARN."""
    if _ACCOUNT_ID.match(value):
        return value
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) == 6 and parts[4]:
            return parts[4]
    return None


# A template value that can only be one role, user or session: an ARN spelt by `Fn::Sub`/`Fn::Join`
# with a principal path, the `Arn` attribute of a template resource (an account has none), or a
# Terraform role or user ARN known after apply. A bare `Ref` may be an account id and is not judged.
_NAMED_TEMPLATE_VALUE = re.compile(
    r"^(?:(?:Sub|Join)\(arn:(?:\$\{[^}]*\}|[^:]*):(?:iam|sts)::(?:\$\{[^}]*\}|[^:]*):"
    r"(?:role|user|assumed-role|federated-user)/"
    r"|GetAtt\([^.()]+\.Arn\)$"
    r"|(?:\S+\.)?aws_iam_(?:role|user)\.\S+\.arn )"
)


@lru_cache(maxsize=8192)
def is_account_root(value: str) -> bool:
    """An account principal (`123456789012` or `arn:<partition>:iam::123456789012:root`)."""
    if _ACCOUNT_ID.match(value):
        return True
    parts = value.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5] == "root"


def statement_label(statement: Statement) -> str:
    """How a message names a statement: by its Sid (statement `UseKeys`), else by its position counted
    from one (the 3rd statement), which is what a reader of the policy counts."""
    if statement.sid:
        return f"statement `{statement.sid}`"
    n = statement.index + 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"the {n}{suffix} statement"


def text(value: str | Unknown) -> str | None:
    """The literal text of a value, None for a value unknown before deployment."""
    return value if isinstance(value, str) else None


@lru_cache(maxsize=4096)
def expand_written(values: tuple[str | None, ...]) -> tuple[tuple[frozenset[str], ...], frozenset[str]]:
    """The KMS permissions each Action value covers (None: unknown before deployment, covers none), and
    all of them. Cached by the whole list: policies repeat the same lists (console defaults)."""
    each = tuple(catalog.expand_actions(v) if v is not None else frozenset() for v in values)
    return each, frozenset().union(*each)


@lru_cache(maxsize=4096)
def _action_facts(
    written: tuple[str | None, ...], not_action: bool
) -> tuple[tuple[frozenset[str], ...], frozenset[str], tuple[str, ...], bool]:
    """What `StatementFacts` derives from an Action (or NotAction) list alone: the permissions of each
    entry, the ones the statement applies to, the literal values, and whether any is unknown."""
    expanded, covered = expand_written(written)
    # NotAction: every KMS permission not listed.
    kms_actions = all_kms_actions() - covered if not_action else covered
    return expanded, kms_actions, tuple([v for v in written if v is not None]), None in written


_NO_KEYS: frozenset[str] = frozenset()


class StatementFacts:
    """Facts about one statement; one instance per statement per lint run.

    What nearly every rule reads (effect, principals, expanded actions, resources, condition keys) is
    worked out in the constructor, in one pass: these objects are built for every statement of every
    policy, and a lazily cached attribute costs more to look up than most of these take to compute.
    """

    __slots__ = (
        "action_values",
        "allow",
        "condition_keys",
        "deny",
        "has_unknowns",
        "item_actions",
        "kms_actions",
        "principals",
        "resource_values",
        "statement",
        "wildcard_principals",
        "written_actions",
    )

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        effect = statement.effect
        self.allow = effect == "Allow"
        self.deny = effect == "Deny"
        not_action = statement.not_action
        items = (statement.action if not_action is None else not_action) or ()
        written = tuple([v if isinstance(v := item.value, str) else None for item in items])
        self.written_actions: tuple[str | None, ...] = written
        """Each Action/NotAction value as written (None: unknown before deployment). Rules cache answers
        by it: policies repeat the same lists (console defaults)."""
        expanded, kms_actions, action_values, unknowns = _action_facts(written, not_action is not None)
        self.item_actions: tuple[tuple[Item, frozenset[str]], ...] = tuple(zip(items, expanded, strict=True))
        """Each Action/NotAction item with the KMS permissions its pattern covers."""
        self.kms_actions: frozenset[str] = kms_actions
        """The KMS permissions this statement applies to."""
        self.action_values: tuple[str, ...] = action_values
        principals = statement.principal or ()
        self.principals: tuple[Principal, ...] = principals
        # `"*"` / `{"AWS": "*"}`: every AWS principal of every account.
        wildcards: tuple[Principal, ...] = ()
        for p in principals:
            value = p.value
            if value == "*" and p.type == "AWS":
                wildcards = (*wildcards, p)
            elif not isinstance(value, str):
                unknowns = True  # a principal known only at deployment (unresolved CFN/Terraform value)
        self.wildcard_principals: tuple[Principal, ...] = wildcards
        if not unknowns and statement.not_principal:
            unknowns = any(not isinstance(p.value, str) for p in statement.not_principal)
        self.has_unknowns: bool = unknowns
        resources = statement.resource
        self.resource_values: tuple[str, ...] = (
            tuple([v for item in resources if isinstance(v := item.value, str)]) if resources else ()
        )
        conditions = statement.conditions
        self.condition_keys: frozenset[str] = (
            frozenset([c.key_lower for c in conditions]) if conditions else _NO_KEYS
        )

    # ------------------------------------------------------------------ spans

    def element_span(self, element: str) -> Span:
        return Span(file=self.statement.span.file, pointer=pointer_join(self.statement.span.pointer, element))

    # ------------------------------------------------------------------ actions

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

    @property
    def grants_all_of_aws(self) -> bool:
        """`"Action": "*"` (or `*:*`) on `"Resource": "*"`: administrator access to everything."""
        return (
            self.statement.action is not None
            and any(v in ("*", "*:*") for v in self.action_values)
            and "*" in self.resource_values
        )

    # ------------------------------------------------------------------ principals

    def principal_values(self, kind: str = "AWS") -> Iterator[tuple[Principal, str]]:
        for p in self.principals:
            if p.type == kind and isinstance(p.value, str):
                yield p, p.value

    def named_principals(self, kind: str | None = None) -> list[tuple[Principal, str]]:
        """The principals that are one role, user, session or service (not `*`, not an account), of
        `kind` or any, each with its text: the value, or a template expression that can only be one."""
        named = []
        for p in self.principals:
            if kind is not None and p.type != kind:
                continue
            value = p.value
            if isinstance(value, Unknown):
                if p.type == "AWS" and _NAMED_TEMPLATE_VALUE.match(value.expr):
                    named.append((p, value.expr))
            elif value != "*" and not (p.type == "AWS" and is_account_root(value)):
                named.append((p, value))
        return named

    # ------------------------------------------------------------------ conditions

    def conditions_on(self, *keys_lower: str) -> tuple[Condition, ...]:
        if self.condition_keys.isdisjoint(keys_lower):
            return ()
        return tuple(c for c in self.statement.conditions if c.key_lower in keys_lower)

    def conditions_with_prefix(self, prefix_lower: str) -> tuple[Condition, ...]:
        if not self.condition_keys:
            return ()
        return tuple(c for c in self.statement.conditions if c.key_lower.startswith(prefix_lower))


# What a policy contains, as the feature names rules declare in `needs` (see `PolicyRule`). A rule
# whose needs a policy lacks cannot report on it, so the driver does not call it.
FEATURES: frozenset[str] = frozenset(
    {
        "allow",
        "deny",
        "principal",  # a Principal or NotPrincipal entry
        "wildcard-principal",  # an Allow to `"*"` / `{"AWS": "*"}`
        "service-principal",
        "not-principal",
        "not-action",
        "not-resource",
        "resource-arn",  # a Resource or NotResource entry other than `*`
        "sid",
        "conditions",
        "set-operator",  # ForAllValues: / ForAnyValue:
        "null-operator",
    }
)
CONDITION = "condition:"  # plus a lower-case key (`condition:aws:sourceip`) or key family
# (`condition:kms:encryptioncontext:`, `condition:aws:resourcetag/`): the policy tests that key


def policy_features(facts: tuple[StatementFacts, ...]) -> frozenset[str]:
    """The features of a policy, from its statements' facts, in one pass."""
    found: set[str] = set()
    add = found.add
    for f in facts:
        statement = f.statement
        if f.allow:
            add("allow")
            if f.wildcard_principals:
                add("wildcard-principal")
        elif f.deny:
            add("deny")
        if statement.sid is not None:
            add("sid")
        if f.principals or statement.not_principal:
            add("principal")
            if any(p.type == "Service" for p in f.principals):
                add("service-principal")
        if statement.not_principal is not None:
            add("not-principal")
        if statement.not_action is not None:
            add("not-action")
        if statement.not_resource is not None:
            add("not-resource")
        if len(f.resource_values) != len(statement.resource or ()) or any(
            v != "*" for v in f.resource_values
        ):
            add("resource-arn")  # a value unknown before deployment counts: it is not `*` either
        elif statement.not_resource and any(item.value != "*" for item in statement.not_resource):
            add("resource-arn")
        if statement.conditions:
            add("conditions")
            for condition in statement.conditions:
                op = condition.operator
                if op is not None:
                    if op.qualifier is not None:
                        add("set-operator")
                    if op.family == "Null":
                        add("null-operator")
                found.update(_key_features(condition.key_lower))
    return frozenset(found)


@lru_cache(maxsize=4096)
def _key_features(key: str) -> tuple[str, ...]:
    """The features of a condition on `key` (lower case): the key, and its families, every prefix
    ending in `:` or `/` after the service prefix. Policies test few distinct keys."""
    features = [CONDITION + key]
    for i in range(key.find(":") + 1, len(key) - 1):
        if key[i] in ":/":
            features.append(CONDITION + key[: i + 1])
    return tuple(features)
