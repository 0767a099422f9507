"""Read a CloudFormation template (JSON, or YAML through `yamlload`) into KMS keys and IAM principals.

Intrinsic functions are resolved where the template alone decides the value: pseudo parameters the
user told us (`--account`), parameter defaults, mappings, conditions over those, and `Fn::Sub` /
`Fn::Join` of known parts. Everything else becomes `Unknown` with a readable expression, so that no
matcher ever compares against `${AWS::AccountId}` as if it were literal text.

A `Transform` (SAM `AWS::Serverless-2016-10-31`, macros) is not expanded: the template is read as
written and a medium `input-error` at `Transform` says that what the transform creates was not checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from kmspolicy.model import (
    Alias,
    Condition,
    Document,
    Frozen,
    IamEntity,
    IamEntityType,
    InputKind,
    Item,
    Key,
    KeyConsumer,
    Policy,
    PolicyKind,
    Principal,
    Scalar,
    Severity,
    Share,
    Span,
    Unknown,
)
from kmspolicy.parse.consumers import (
    CLOUDFORMATION,
    CLOUDFORMATION_BUCKET,
    consumer,
    kms_algorithm,
    policy_shares,
)
from kmspolicy.parse.context import INPUT_ERROR, SYN_STRUCTURE, ReadContext, pointer_join
from kmspolicy.parse.policy import read_policy
from kmspolicy.parse.source import load_embedded_json

# `Ref: AWS::NoValue` removes the property or list item that holds it.
_NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_IAM_TYPES: dict[str, IamEntityType] = {
    "AWS::IAM::Role": "role",
    "AWS::IAM::User": "user",
    "AWS::IAM::Group": "group",
}
_NAME_PROPERTY: dict[IamEntityType, str] = {"role": "RoleName", "user": "UserName", "group": "GroupName"}
# AWS::IAM::Policy / ManagedPolicy list their targets under these properties.
_ATTACH_PROPERTIES: dict[str, IamEntityType] = {"Roles": "role", "Users": "user", "Groups": "group"}
_SINGLE_ATTACH: dict[str, tuple[str, IamEntityType]] = {
    "AWS::IAM::RolePolicy": ("RoleName", "role"),
    "AWS::IAM::UserPolicy": ("UserName", "user"),
    "AWS::IAM::GroupPolicy": ("GroupName", "group"),
}


# Every intrinsic function CloudFormation knows outside `Rules` (`Fn::ForEach` with the
# `AWS::LanguageExtensions` transform).
_FUNCTIONS = frozenset(
    f"Fn::{name}"
    for name in (
        "Base64", "Cidr", "FindInMap", "ForEach", "GetAtt", "GetAZs", "If", "ImportValue", "Join",
        "Length", "Select", "Split", "Sub", "ToJsonString", "Transform", "And", "Equals", "Not", "Or",
    )
)  # fmt: skip
_PSEUDO_PARAMETERS = frozenset(
    f"AWS::{name}"
    for name in (
        "AccountId", "NotificationARNs", "NoValue", "Partition", "Region", "StackId", "StackName",
        "URLSuffix",
    )
)  # fmt: skip


# How many values each condition function takes (CloudFormation rejects the template otherwise).
_CONDITION_ARITY = {"Fn::Equals": (2, 2), "Fn::Not": (1, 1), "Fn::And": (2, 10), "Fn::Or": (2, 10)}


def _getatt_shape(arg: object) -> bool:
    """`[resource, attribute]` (the attribute may be a `Ref`), or the `"Resource.Attribute"` text."""
    if isinstance(arg, str):
        resource, _, attribute = arg.partition(".")
        return bool(resource and attribute)
    return (
        isinstance(arg, list)
        and len(arg) == 2
        and isinstance(arg[0], str)
        and bool(arg[0])
        and (isinstance(arg[1], dict) or (isinstance(arg[1], str) and bool(arg[1])))
    )


def _expression(value: object) -> str:
    """A short readable rendering of an unresolved template value, for `Unknown.expr`."""
    if isinstance(value, Unknown):
        return value.expr
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_expression(item) for item in value) + "]"
    if isinstance(value, dict) and len(value) == 1:
        ((name, arg),) = value.items()
        if name == "Ref":
            return f"Ref({_expression(arg)})"
        if name == "Fn::GetAtt":
            parts = arg if isinstance(arg, list) else [arg]
            return "GetAtt(" + ".".join(_expression(part) for part in parts) + ")"
        if name.startswith("Fn::"):
            args = arg if isinstance(arg, list) else [arg]
            return f"{name[4:]}(" + ", ".join(_expression(item) for item in args) + ")"
    return json.dumps(value, default=str, sort_keys=True)


def _placeholder(value: object) -> str:
    """An unknown part of a joined string, written as `Fn::Sub` would: `${AWS::Region}`, `${Res.Arn}`."""
    text = _expression(value)
    for prefix in ("Ref(", "GetAtt("):
        if text.startswith(prefix) and text.endswith(")"):
            text = text[len(prefix) : -1]
    return "${" + text + "}"


def _logical_target(raw: object) -> str | None:
    """The logical id a `Ref`, `Fn::GetAtt` or `${Res.Attr}`-only `Fn::Sub` points at."""
    if isinstance(raw, dict) and len(raw) == 1:
        ((name, arg),) = raw.items()
        if name == "Ref" and isinstance(arg, str):
            return arg
        if name == "Fn::GetAtt":
            first = arg[0] if isinstance(arg, list) and arg else arg
            return first.split(".", 1)[0] if isinstance(first, str) else None
        if name == "Fn::Sub" and isinstance(arg, str):
            match = _SUB_VARIABLE.fullmatch(arg)
            return match.group(1).split(".", 1)[0] if match else None
    return None


def _sub_document(raw: object) -> tuple[str, dict[str, object], tuple[str | int, ...]] | None:
    """The JSON text, variables and pointer (below the property) of a `Fn::Sub` whose template is a
    JSON document, as in `KeyPolicy: !Sub '{"Version": ...}'`; None for any other value."""
    if not (isinstance(raw, dict) and len(raw) == 1 and "Fn::Sub" in raw):
        return None
    arg = raw["Fn::Sub"]
    at: tuple[str | int, ...]
    if isinstance(arg, str):
        text, variables, at = arg, {}, ("Fn::Sub",)
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
        text, variables, at = arg[0], arg[1], ("Fn::Sub", 0)
    else:
        return None
    return (text, variables, at) if text.lstrip().startswith("{") else None


@dataclass
class _Template:
    """Resolves intrinsic functions against what the template and the user tell us."""

    ctx: ReadContext
    parameters: dict[str, object]
    mappings: dict[str, object]
    conditions: dict[str, object]
    resources: dict[str, object]
    # A transform (SAM, language extensions) declares resources, parameters and variables of its own.
    transformed: bool = False
    moves: dict[str, str] = field(default_factory=dict)
    _condition_values: dict[str, bool | None] = field(default_factory=dict)
    _noted: set[str] = field(default_factory=set)

    def resolve(self, value: object, place: tuple[str, str] | None = None) -> object:
        """Resolve every intrinsic inside `value`; lists and mappings keep their shape.

        `place` is (pointer in the template, pointer in the result) when positions matter: wherever
        the two part ways (an item removed by `AWS::NoValue`, the branch `Fn::If` chose) the result
        pointer is recorded in `moves`, so that `original()` can map positions back.
        """
        if isinstance(value, list):
            items: list[object] = []
            for index, item in enumerate(value):
                if place is None:
                    resolved = self.resolve(item)
                    if resolved is not _NO_VALUE:
                        items.append(resolved)
                    continue
                for source in self._list_item_sources(item, pointer_join(place[0], index)):
                    at = pointer_join(place[1], len(items))
                    resolved = self.resolve(source[0], (source[1], at))
                    if resolved is _NO_VALUE:
                        continue
                    if source[1] != pointer_join(place[0], len(items)):
                        self.moves[at] = source[1]
                    items.append(resolved)
            return items
        if isinstance(value, dict):
            if len(value) == 1:
                ((name, arg),) = value.items()
                if name == "Ref" or name.startswith("Fn::"):
                    return self._intrinsic(name, arg, value, place)
            members: dict[str, object] = {}
            for key, item in value.items():
                child = None if place is None else (pointer_join(place[0], key), pointer_join(place[1], key))
                resolved = self.resolve(item, child)
                if resolved is not _NO_VALUE:
                    members[key] = resolved
            return members
        return value

    def _list_item_sources(self, item: object, pointer: str) -> list[tuple[object, str]]:
        """What a list item of a document stands for, each with its template pointer: the item, or
        both branches of an `Fn::If` whose condition is not known before deployment.

        Either branch may deploy, so both are read as items of the list (a statement that only one
        parameter value deploys is still linted); dropping the whole item would hide the riskier one.
        """
        if not (isinstance(item, dict) and len(item) == 1 and "Fn::If" in item):
            return [(item, pointer)]
        arg = item["Fn::If"]
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            return [(item, pointer)]
        if arg[0] not in self.conditions or self.condition(arg[0]) is not None:
            return [(item, pointer)]
        if f"Condition {arg[0]}" not in self._noted:
            self._noted.add(f"Condition {arg[0]}")
            self.ctx.notes.append(
                f"condition `{arg[0]}` is not known before deployment: both branches of its `Fn::If` "
                f"list items are read (`{pointer}`)"
            )
        return [(arg[1], pointer_join(pointer, "Fn::If", 1)), (arg[2], pointer_join(pointer, "Fn::If", 2))]

    def original(self, pointer: str) -> str:
        """The template pointer of a pointer into a resolved value (see `resolve`)."""
        at = pointer
        while at:
            if at in self.moves:
                return self.moves[at] + pointer[len(at) :]
            at = at.rpartition("/")[0]
        return pointer

    def _intrinsic(self, name: str, arg: object, raw: object, place: tuple[str, str] | None) -> object:
        if name == "Ref":
            return self.ref(arg) if isinstance(arg, str) else Unknown.trusted(expr=_expression(raw))
        if name == "Fn::Sub":
            return self._sub(arg, raw)
        if name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            return self._join(arg[0], self.resolve(arg[1]), raw)
        if name == "Fn::If" and isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
            chosen = self.condition(arg[0])
            if chosen is not None:
                branch = 1 if chosen else 2
                if place is None:
                    return self.resolve(arg[branch])
                self.moves[place[1]] = pointer_join(place[0], name, branch)
                return self.resolve(arg[branch], (pointer_join(place[0], name, branch), place[1]))
        if name == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            return self._select(self.resolve(arg[0]), self.resolve(arg[1]), raw)
        if name == "Fn::Split" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            source = self.resolve(arg[1])
            if isinstance(source, str):
                return source.split(arg[0])
        if name == "Fn::FindInMap" and isinstance(arg, list) and len(arg) in (3, 4):
            return self._find_in_map(arg, raw)
        return Unknown.trusted(expr=_expression(raw))

    # ----------------------------------------------------------------- checks

    def check(self, template: dict[str, object]) -> None:
        """Report what CloudFormation itself rejects in the template's intrinsic functions and
        conditions: resolution turns them into `Unknown`, which alone would pass in silence."""
        for section in ("Resources", "Outputs"):
            entries = template.get(section)
            for name, entry in (entries if isinstance(entries, dict) else {}).items():
                at = pointer_join("", section, name)
                condition = entry.get("Condition") if isinstance(entry, dict) else None
                if isinstance(condition, str) and condition not in self.conditions:
                    self.ctx.report(
                        SYN_STRUCTURE,
                        f"condition `{condition}` is not declared in `Conditions`",
                        pointer_join(at, "Condition"),
                    )
                self._check(entry, at, frozenset())
        for name, expression in self.conditions.items():
            self._check(expression, pointer_join("", "Conditions", name), frozenset())
        self._check_cycles()

    def _check(self, value: object, pointer: str, local: frozenset[str]) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                self._check(item, pointer_join(pointer, index), local)
            return
        if not isinstance(value, dict):
            return
        if len(value) == 1:
            ((name, arg),) = value.items()
            if name == "Ref" or name.startswith("Fn::"):
                self._check_function(name, arg, pointer, local)
                return
            if name == "Condition" and pointer.startswith("/Conditions/"):
                if isinstance(arg, str) and arg not in self.conditions:
                    self.ctx.report(
                        SYN_STRUCTURE, f"condition `{arg}` is not declared in `Conditions`", pointer
                    )
                return
        for key, item in value.items():
            self._check(item, pointer_join(pointer, key), local)

    def _check_function(self, name: str, arg: object, pointer: str, local: frozenset[str]) -> None:
        def problem(message: str) -> None:
            self.ctx.report(SYN_STRUCTURE, message, pointer)

        inside = pointer_join(pointer, name)
        if name == "Ref":
            if isinstance(arg, str) and not self._declared(arg, local):
                problem(f"`Ref` names `{arg}`, which is not a parameter, resource or pseudo parameter")
        elif name not in _FUNCTIONS:
            problem(f"unknown function `{name}`")
            return
        elif name == "Fn::GetAtt":
            if not _getatt_shape(arg):
                problem("`Fn::GetAtt` takes a resource name and an attribute name")
                return
            target = arg[0] if isinstance(arg, list) and arg else arg
            logical = target.split(".", 1)[0] if isinstance(target, str) else None
            if logical is not None and not self.transformed and logical not in self.resources:
                problem(f"`Fn::GetAtt` names resource `{logical}`, which the template does not declare")
        elif name == "Fn::Sub":
            text, variables = arg, None
            if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
                text, variables = arg[0], arg[1]
            if not isinstance(text, str):
                problem("`Fn::Sub` takes a string, or a string and a mapping of variables")
                return
            names = local | frozenset(variables or ())
            for match in _SUB_VARIABLE.finditer(text):
                variable = match.group(1)
                base = variable.split(".", 1)[0] if "." in variable else variable
                if variable.startswith("!") or self._declared(variable, names) or base in self.resources:
                    continue
                problem(
                    f"`Fn::Sub` variable `{variable}` is not a parameter, resource, pseudo parameter"
                    " or variable of the `Fn::Sub`"
                )
            if variables is not None:
                self._check(variables, pointer_join(inside, 1), local)
            return
        elif name == "Fn::Join":
            if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
                problem("`Fn::Join` takes a delimiter and a list of values")
            elif not isinstance(arg[1], list) and not (isinstance(arg[1], dict) and len(arg[1]) == 1):
                problem(f"`Fn::Join` joins a list of values, not `{_expression(arg[1])}`")
        elif name == "Fn::Select":
            self._check_select(arg, problem)
        elif name == "Fn::If":
            if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
                problem("`Fn::If` takes a condition name and two values")
            elif arg[0] not in self.conditions:
                problem(f"`Fn::If` names condition `{arg[0]}`, which is not declared in `Conditions`")
        elif name == "Fn::FindInMap":
            self._check_find_in_map(arg, problem)
        elif name in _CONDITION_ARITY:
            low, high = _CONDITION_ARITY[name]
            if not (isinstance(arg, list) and low <= len(arg) <= high):
                count = str(low) if low == high else f"{low} to {high}"
                problem(f"`{name}` takes a list of {count} {'value' if high == 1 else 'values'}")
        self._check(arg, inside, local)

    def _check_select(self, arg: object, problem: Callable[[str], None]) -> None:
        if not (isinstance(arg, list) and len(arg) == 2):
            problem("`Fn::Select` takes an index and a list")
            return
        index, items = arg
        if isinstance(index, str) and index.lstrip("-").isdigit():
            index = int(index)
        if not isinstance(index, int) or isinstance(index, bool):
            return
        if index < 0:
            problem(f"`Fn::Select` index `{index}` is negative")
        elif isinstance(items, list) and index >= len(items):
            problem(f"`Fn::Select` index `{index}` is out of range: the list has {len(items)} items")

    def _check_find_in_map(self, arg: object, problem: Callable[[str], None]) -> None:
        if not (isinstance(arg, list) and len(arg) in (3, 4)):
            problem("`Fn::FindInMap` takes a mapping name, two keys and optionally a default")
            return
        if len(arg) == 4:  # a `DefaultValue` answers for any missing key
            return
        found: object = self.mappings
        where = "`Mappings`"
        for name in arg[:3]:
            if not (isinstance(name, str) and isinstance(found, dict)):
                return
            if name not in found:
                problem(f"`Fn::FindInMap`: `{name}` is not declared in {where}")
                return
            found, where = found[name], f"`{name}`"

    def _declared(self, name: str, local: frozenset[str]) -> bool:
        return (
            self.transformed
            or name in local
            or name in _PSEUDO_PARAMETERS
            or name in self.parameters
            or name in self.resources
        )

    def _check_cycles(self) -> None:
        """Report each cycle of conditions that refer to each other (CloudFormation rejects them)."""
        done: set[str] = set()

        def refers(expression: object) -> Iterator[str]:
            if isinstance(expression, list):
                for item in expression:
                    yield from refers(item)
            elif isinstance(expression, dict):
                if len(expression) == 1 and isinstance(expression.get("Condition"), str):
                    yield str(expression["Condition"])
                for item in expression.values():
                    yield from refers(item)

        def visit(name: str, path: list[str]) -> None:
            for target in dict.fromkeys(refers(self.conditions[name])):
                if target in path:
                    cycle = [*path[path.index(target) :], target]
                    self.ctx.report(
                        SYN_STRUCTURE,
                        "circular conditions: " + " → ".join(f"`{step}`" for step in cycle),
                        pointer_join("", "Conditions", target),
                    )
                elif target in self.conditions and target not in done:
                    visit(target, [*path, target])
            done.add(name)

        for name in self.conditions:
            if name not in done:
                visit(name, [name])

    def ref(self, name: str) -> object:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name == "AWS::AccountId" and self.ctx.account:
            return self.ctx.account
        if name == "AWS::Partition":
            return "aws"
        if name == "AWS::URLSuffix":
            return "amazonaws.com"
        parameter = self.parameters.get(name)
        if isinstance(parameter, dict) and parameter.get("Default") is not None:
            default = parameter["Default"]
            if name not in self._noted:
                self._noted.add(name)
                self.ctx.notes.append(f"parameter `{name}` is taken at its default `{default}`")
            kind = parameter.get("Type")
            if (
                isinstance(kind, str)
                and isinstance(default, str)
                and (kind.startswith("List<") or kind == "CommaDelimitedList")
            ):
                return [part.strip() for part in default.split(",")]
            return default if isinstance(default, str) else json.dumps(default)
        return Unknown.trusted(expr=f"Ref({name})")

    def _sub(self, arg: object, raw: object) -> object:
        template, variables = arg, {}
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            template, variables = arg[0], arg[1]
        if not isinstance(template, str):
            return Unknown.trusted(expr=_expression(raw))
        return self.substitute(template, variables)

    def substitute_strings(self, value: object, variables: dict[str, object]) -> object:
        """`value` (decoded JSON) with `Fn::Sub` applied to each string in it: what a `Fn::Sub` of a
        JSON document becomes, one unknown placeholder per string that does not resolve."""
        if isinstance(value, str):
            return self.substitute(value, variables) if "${" in value else value
        if isinstance(value, list):
            return [self.substitute_strings(item, variables) for item in value]
        if isinstance(value, dict):
            members: dict[str, object] = {}
            for key, item in value.items():
                name = self.substitute(key, variables) if "${" in key else key
                members[name if isinstance(name, str) else key] = self.substitute_strings(item, variables)
            return members
        return value

    def substitute(self, template: str, variables: dict[str, object]) -> object:
        """The text of `Fn::Sub` on `template`, or `Unknown` when some `${...}` is not known."""
        known = True

        def substitute(match: re.Match[str]) -> str:
            nonlocal known
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = self.resolve(variables[name])
            elif "." in name:
                value = Unknown.trusted(expr=f"GetAtt({name})")
            else:
                value = self.ref(name)
            if isinstance(value, str):
                return value
            known = False
            return match.group(0)

        text = _SUB_VARIABLE.sub(substitute, template)
        return text if known else Unknown.trusted(expr=f"Sub({text})")

    def _join(self, delimiter: str, parts: object, raw: object) -> object:
        if not isinstance(parts, list):
            return Unknown.trusted(expr=_expression(raw))
        if all(isinstance(part, str) for part in parts):
            return delimiter.join(str(part) for part in parts)
        shown = (part if isinstance(part, str) else _placeholder(part) for part in parts)
        return Unknown.trusted(expr=f"Join({delimiter.join(shown)})")

    def _select(self, index: object, items: object, raw: object) -> object:
        position = (
            index
            if isinstance(index, int)
            else int(index)
            if isinstance(index, str) and index.isdigit()
            else None
        )
        # CloudFormation rejects a negative index; Python's `items[-1]` would pick the last item.
        if position is not None and isinstance(items, list) and 0 <= position < len(items):
            return items[position]
        return Unknown.trusted(expr=_expression(raw))

    def _find_in_map(self, arg: list[object], raw: object) -> object:
        names = [self.resolve(part) for part in arg[:3]]
        found: object = self.mappings
        for name in names:
            found = found.get(name) if isinstance(found, dict) and isinstance(name, str) else None
        if found is not None:
            return self.resolve(found)
        fallback = arg[3] if len(arg) == 4 else None
        if isinstance(fallback, dict) and "DefaultValue" in fallback:
            return self.resolve(fallback["DefaultValue"])
        return Unknown.trusted(expr=_expression(raw))

    def condition(self, name: str) -> bool | None:
        """The value of a named condition, or None when it depends on something not known."""
        if name not in self._condition_values:
            self._condition_values[name] = None  # a cycle resolves to unknown
            self._condition_values[name] = self._evaluate(self.conditions.get(name))
        return self._condition_values[name]

    def _evaluate(self, expr: object) -> bool | None:
        if not (isinstance(expr, dict) and len(expr) == 1):
            return None
        ((name, arg),) = expr.items()
        if name == "Condition" and isinstance(arg, str):
            return self.condition(arg)
        if not isinstance(arg, list):
            return None
        if name == "Fn::Equals" and len(arg) == 2:
            left, right = self.resolve(arg[0]), self.resolve(arg[1])
            if isinstance(left, Unknown) or isinstance(right, Unknown):
                return None
            return str(left) == str(right) if not isinstance(left, list | dict) else left == right
        values = [self._evaluate(item) for item in arg]
        if name == "Fn::Not" and len(values) == 1:
            return None if values[0] is None else not values[0]
        if name == "Fn::And":
            return False if False in values else None if None in values else True
        if name == "Fn::Or":
            return True if True in values else None if None in values else False
        return None


M = TypeVar("M", bound=Frozen)


def _moved(model: M, original: Callable[[str], str]) -> M:
    """`model` with every span inside it pointing where `original` says."""
    updates = {name: _moved_value(value, original) for name, value in model.__dict__.items()}
    changed = {name: value for name, value in updates.items() if value is not model.__dict__[name]}
    return model.model_copy(update=changed) if changed else model


def _moved_value(value: object, original: Callable[[str], str]) -> object:
    if isinstance(value, Span):
        pointer = original(value.pointer)
        return value if pointer == value.pointer else Span(file=value.file, pointer=pointer)
    if isinstance(value, Frozen):
        return _moved(value, original)
    if isinstance(value, Item | Principal | Condition):  # named tuples that keep their span flat
        pointer = original(value.pointer)
        return value if pointer == value.pointer else value._replace(pointer=pointer)
    if isinstance(value, tuple):
        items = tuple(_moved_value(item, original) for item in value)
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items
    return value


@dataclass
class _Entity:
    logical: str
    type: IamEntityType
    name: str
    path: str
    pointer: str
    tags: dict[str, str]
    policies: list[Policy] = field(default_factory=list)
    boundary: Policy | None = None
    boundary_arn: str | None = None
    trust: Policy | None = None
    group_refs: list[object] = field(default_factory=list)


@dataclass
class _Reader:
    ctx: ReadContext
    template: _Template
    keys: dict[str, dict[str, object]] = field(default_factory=dict)
    aliases: list[Alias] = field(default_factory=list)
    key_aliases: dict[str, list[str]] = field(default_factory=dict)  # key logical id -> alias names
    alias_keys: dict[str, str] = field(default_factory=dict)  # alias logical id -> key logical id
    consumers: list[KeyConsumer] = field(default_factory=list)
    shares: list[Share] = field(default_factory=list)
    entities: dict[str, _Entity] = field(default_factory=dict)
    managed: dict[str, Policy] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)
    # (policy, entity type, raw target, pointer of the target) for attachments made by other resources
    attachments: list[tuple[Policy, IamEntityType, object, str]] = field(default_factory=list)

    # ----------------------------------------------------------------- typed property access

    def value(self, props: dict[str, object], name: str) -> object:
        if name not in props:
            return None
        resolved = self.template.resolve(props[name])
        return None if resolved is _NO_VALUE else resolved

    def text(self, props: dict[str, object], name: str, pointer: str) -> str | None:
        value = self.value(props, name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, Unknown):
            self.ctx.notes.append(f"`{name}` at `{pointer}` is not known before deployment: `{value.expr}`")
            return None
        self.ctx.report(SYN_STRUCTURE, f"`{name}` must be a string", pointer)
        return None

    def flag(self, props: dict[str, object], name: str, pointer: str) -> bool | None:
        value = self.value(props, name)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, Unknown):
            self.ctx.notes.append(f"`{name}` at `{pointer}` is not known before deployment: `{value.expr}`")
            return None
        self.ctx.report(SYN_STRUCTURE, f"`{name}` must be true or false", pointer)
        return None

    def number(self, props: dict[str, object], name: str, pointer: str) -> int | None:
        value = self.value(props, name)
        if isinstance(value, str) and value.isdigit():
            return int(value)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, Unknown):
            self.ctx.notes.append(f"`{name}` at `{pointer}` is not known before deployment: `{value.expr}`")
            return None
        self.ctx.report(SYN_STRUCTURE, f"`{name}` must be a whole number", pointer)
        return None

    def tags(self, props: dict[str, object], pointer: str) -> dict[str, str]:
        value = self.value(props, "Tags")
        if value is None:
            return {}
        if not isinstance(value, list):
            self.ctx.report(SYN_STRUCTURE, "`Tags` must be a list of `Key` and `Value` pairs", pointer)
            return {}
        tags: dict[str, str] = {}
        for tag in value:
            if (
                isinstance(tag, dict)
                and isinstance(tag.get("Key"), str)
                and isinstance(tag.get("Value"), str)
            ):
                tags[str(tag["Key"])] = str(tag["Value"])
            elif isinstance(tag, dict) and isinstance(tag.get("Key"), str):
                self.ctx.notes.append(
                    f"tag `{tag['Key']}` at `{pointer}` has no value known before deployment"
                )
        return tags

    def policy(self, raw: object, pointer: str, kind: PolicyKind, name: str) -> Policy | None:
        if isinstance(raw, str):
            # A policy document given as a JSON string: positions continue inside the string.
            embedded = load_embedded_json(raw, self.ctx, pointer)
            return (
                None if embedded is None else read_policy(embedded, self.ctx, pointer, kind=kind, name=name)
            )
        sub = _sub_document(raw)
        if sub is not None:
            # `Fn::Sub` of a JSON string: the document is decoded as written, so that positions
            # continue inside the string, and each of its strings is substituted after.
            text, variables, at = sub
            inner = pointer_join(pointer, *at)
            embedded = load_embedded_json(text, self.ctx, inner)
            if embedded is None:
                return None
            document = self.template.substitute_strings(embedded, variables)
            return read_policy(document, self.ctx, inner, kind=kind, name=name)
        self.template.moves.clear()
        value = self.template.resolve(raw, (pointer, pointer))
        if value is _NO_VALUE or value is None:
            return None
        if isinstance(value, Unknown):
            self.ctx.notes.append(f"the policy `{name}` is not known before deployment: `{value.expr}`")
            return None
        reported = len(self.ctx.findings)
        policy = read_policy(value, self.ctx, pointer, kind=kind, name=name)
        if self.template.moves:
            # Conditions removed or chose parts of the document: put positions back on the template.
            self.ctx.findings[reported:] = [
                _moved(f, self.template.original) for f in self.ctx.findings[reported:]
            ]
            policy = None if policy is None else _moved(policy, self.template.original)
        return policy

    # ----------------------------------------------------------------- resources

    def read(self, resources: dict[str, object]) -> None:
        typed: list[tuple[str, str, dict[str, object], str]] = []
        for logical, resource in resources.items():
            pointer = pointer_join("/Resources", logical)
            if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
                self.ctx.report(SYN_STRUCTURE, f"resource `{logical}` has no `Type`", pointer)
                continue
            condition = resource.get("Condition")
            if isinstance(condition, str) and self.template.condition(condition) is False:
                self.ctx.notes.append(f"resource `{logical}` is skipped: condition `{condition}` is false")
                continue
            props = resource.get("Properties", {})
            if not isinstance(props, dict):
                self.ctx.report(SYN_STRUCTURE, f"`Properties` of `{logical}` must be a mapping", pointer)
                continue
            typed.append((logical, str(resource["Type"]), props, pointer))
        # Keys and managed policies first: aliases, replicas and IAM entities refer to them.
        for logical, kind, props, pointer in typed:
            if kind in ("AWS::KMS::Key", "AWS::KMS::ReplicaKey"):
                self.key(logical, props, pointer, replica=kind == "AWS::KMS::ReplicaKey")
            elif kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
                self.standalone_policy(logical, kind, props, pointer)
            elif kind in _SINGLE_ATTACH:
                self.single_policy(logical, kind, props, pointer)
        for logical, kind, props, pointer in typed:
            if kind == "AWS::KMS::Alias":
                self.alias(logical, props, pointer)
            elif kind in _IAM_TYPES:
                self.entity(logical, _IAM_TYPES[kind], props, pointer)
        # Consumers last: they name keys directly or through aliases.
        for logical, kind, props, pointer in typed:
            if kind == "AWS::S3::Bucket":
                self.bucket(logical, props, pointer)
                self.replication(logical, props, pointer)
            elif kind == "AWS::SecretsManager::ResourcePolicy":
                self.secret_policy(logical, props, pointer)
            elif kind in CLOUDFORMATION:
                self.consumer(logical, kind, props, pointer)
        self.attach()

    def key(self, logical: str, props: dict[str, object], pointer: str, *, replica: bool) -> None:
        def at(*parts: str | int) -> str:
            return pointer_join(pointer, "Properties", *parts)

        declared = "KeyPolicy" in props
        policy = (
            self.policy(props["KeyPolicy"], at("KeyPolicy"), PolicyKind.KEY, logical) if declared else None
        )
        enabled = self.flag(props, "Enabled", at("Enabled"))
        fields: dict[str, object] = {
            "arn": Unknown.trusted(expr=f"GetAtt({logical}.Arn)"),
            "key_id": logical,
            "account": self.ctx.account,
            "description": self.text(props, "Description", at("Description")),
            "enabled": enabled is not False,
            "key_state": "Disabled" if enabled is False else "Enabled",
            "pending_window_days": self.number(props, "PendingWindowInDays", at("PendingWindowInDays")),
            "bypass_policy_lockout_safety_check": self.flag(
                props, "BypassPolicyLockoutSafetyCheck", at("BypassPolicyLockoutSafetyCheck")
            ),
            "tags": self.tags(props, at("Tags")),
            "policy": policy,
            "policy_declared": declared,
            "span": self.ctx.span(pointer),
        }
        if replica:
            fields.update(multi_region=True, multi_region_key_type="REPLICA")
            primary = self.keys.get(_logical_target(props.get("PrimaryKeyArn")) or "")
            # Key spec, usage, origin and rotation are shared with the primary key.
            for shared in ("key_spec", "key_usage", "origin", "rotation_enabled", "rotation_period_days"):
                if primary is not None and shared in primary:
                    fields[shared] = primary[shared]
        else:
            multi_region = self.flag(props, "MultiRegion", at("MultiRegion"))
            rotation = self.flag(props, "EnableKeyRotation", at("EnableKeyRotation"))
            fields.update(
                key_spec=self.text(props, "KeySpec", at("KeySpec")) or "SYMMETRIC_DEFAULT",
                key_usage=self.text(props, "KeyUsage", at("KeyUsage")) or "ENCRYPT_DECRYPT",
                origin=self.text(props, "Origin", at("Origin")) or "AWS_KMS",
                multi_region=bool(multi_region),
                multi_region_key_type="PRIMARY" if multi_region else None,
                # Absent means off: CloudFormation creates keys without automatic rotation.
                rotation_enabled=False if "EnableKeyRotation" not in props else rotation,
                rotation_period_days=self.number(props, "RotationPeriodInDays", at("RotationPeriodInDays")),
            )
        self.keys[logical] = fields

    def alias(self, logical: str, props: dict[str, object], pointer: str) -> None:
        name = self.text(props, "AliasName", pointer_join(pointer, "Properties", "AliasName"))
        if name is None:
            self.ctx.notes.append(f"alias `{logical}` is skipped: its name is not known before deployment")
            return
        raw_target = props.get("TargetKeyId")
        target = _logical_target(raw_target)
        if target in self.keys:
            self.key_aliases.setdefault(target, []).append(name)
            self.alias_keys[logical] = target
        else:
            resolved = self.template.resolve(raw_target)
            target = resolved if isinstance(resolved, str) else None
            if target is None:
                self.ctx.notes.append(f"alias `{name}` points at a key the template does not declare")
        self.aliases.append(Alias.trusted(name=name, target_key_id=target, span=self.ctx.span(pointer)))

    def key_reference(self, props: dict[str, object], name: str, pointer: str) -> Scalar | None:
        """The key a property names; a key of this template (or its alias) is named by the key's ARN."""
        logical = _logical_target(props.get(name))
        logical = self.alias_keys.get(logical or "", logical)
        if logical in self.keys:
            arn = self.keys[logical]["arn"]
            assert isinstance(arn, str | Unknown)
            return arn
        value = self.value(props, name)
        if value is None or isinstance(value, str | Unknown):
            return value
        self.ctx.report(SYN_STRUCTURE, f"`{name}` must be a key id, key ARN or alias", pointer)
        return None

    def consumer(self, logical: str, kind: str, props: dict[str, object], pointer: str) -> None:
        spec = CLOUDFORMATION[kind]
        at = pointer_join(pointer, "Properties", spec.key)
        switched = (
            None
            if spec.switch is None
            else self.flag(props, spec.switch, pointer_join(pointer, "Properties", spec.switch))
        )
        key = self.key_reference(props, spec.key, at)
        # A key property left out is reported at the resource's `Type`: its missing pointer would
        # resolve to whatever property comes first.
        where = at if spec.key in props else pointer_join(pointer, "Type")
        self.consumers.append(consumer(spec, kind, logical, key, switched, self.ctx.span(where)))

    def bucket(self, logical: str, props: dict[str, object], pointer: str) -> None:
        """One consumer per rule of the bucket's default encryption; SSE-S3 when it has none."""
        spec = CLOUDFORMATION_BUCKET
        base = pointer_join(pointer, "Properties", "BucketEncryption", "ServerSideEncryptionConfiguration")
        encryption = props.get("BucketEncryption")
        rules = encryption.get("ServerSideEncryptionConfiguration") if isinstance(encryption, dict) else None
        for index, rule in enumerate(rules if isinstance(rules, list) and rules else [{}]):
            found = rule.get("ServerSideEncryptionByDefault") if isinstance(rule, dict) else None
            default = found if isinstance(found, dict) else {}
            at = pointer_join(base, index, "ServerSideEncryptionByDefault")
            algorithm = self.text(default, spec.switch or "", pointer_join(at, spec.switch or ""))
            key = self.key_reference(default, spec.key, pointer_join(at, spec.key))
            span = self.ctx.span(pointer_join(at, spec.key))
            self.consumers.append(
                consumer(spec, "AWS::S3::Bucket", logical, key, kms_algorithm(algorithm), span)
            )

    def replication(self, logical: str, props: dict[str, object], pointer: str) -> None:
        """A share of the bucket per replication rule whose destination names an account."""
        config = props.get("ReplicationConfiguration")
        rules = config.get("Rules") if isinstance(config, dict) else None
        for index, rule in enumerate(rules if isinstance(rules, list) else []):
            destination = rule.get("Destination") if isinstance(rule, dict) else None
            if not isinstance(destination, dict):
                continue
            account = self.value(destination, "Account")
            if isinstance(account, str | Unknown):
                at = pointer_join(
                    pointer,
                    "Properties",
                    "ReplicationConfiguration",
                    "Rules",
                    index,
                    "Destination",
                    "Account",
                )
                how = "a replication rule"
                self.shares.append(
                    Share.trusted(resource=logical, account=account, how=how, span=self.ctx.span(at))
                )

    def secret_policy(self, logical: str, props: dict[str, object], pointer: str) -> None:
        secret = _logical_target(props.get("SecretId"))
        if secret is None:
            return
        at = pointer_join(pointer, "Properties", "ResourcePolicy")
        policy = self.policy(props.get("ResourcePolicy"), at, PolicyKind.KEY, logical)
        if policy is not None:
            self.shares.extend(policy_shares(policy, secret, f"resource policy `{logical}`"))

    def standalone_policy(self, logical: str, kind: str, props: dict[str, object], pointer: str) -> None:
        name_property = "ManagedPolicyName" if kind == "AWS::IAM::ManagedPolicy" else "PolicyName"
        name = self.text(props, name_property, pointer_join(pointer, "Properties", name_property)) or logical
        document = pointer_join(pointer, "Properties", "PolicyDocument")
        policy = self.policy(props.get("PolicyDocument"), document, PolicyKind.IDENTITY, name)
        if policy is None:
            return
        self.policies.append(policy)
        if kind == "AWS::IAM::ManagedPolicy":
            self.managed[logical] = policy
        for prop, entity_type in _ATTACH_PROPERTIES.items():
            targets = props.get(prop)
            for index, target in enumerate(targets if isinstance(targets, list) else []):
                self.attachments.append(
                    (policy, entity_type, target, pointer_join(pointer, "Properties", prop, index))
                )

    def single_policy(self, logical: str, kind: str, props: dict[str, object], pointer: str) -> None:
        name = self.text(props, "PolicyName", pointer_join(pointer, "Properties", "PolicyName")) or logical
        document = pointer_join(pointer, "Properties", "PolicyDocument")
        policy = self.policy(props.get("PolicyDocument"), document, PolicyKind.IDENTITY, name)
        if policy is None:
            return
        self.policies.append(policy)
        prop, entity_type = _SINGLE_ATTACH[kind]
        self.attachments.append(
            (policy, entity_type, props.get(prop), pointer_join(pointer, "Properties", prop))
        )

    def entity(
        self, logical: str, entity_type: IamEntityType, props: dict[str, object], pointer: str
    ) -> None:
        def at(*parts: str | int) -> str:
            return pointer_join(pointer, "Properties", *parts)

        name_property = _NAME_PROPERTY[entity_type]
        name = self.text(props, name_property, at(name_property))
        if name is None:
            name = logical
            self.ctx.notes.append(
                f"{entity_type} `{logical}` has no fixed `{name_property}`; it is called `{logical}` here"
            )
        entity = _Entity(
            logical=logical,
            type=entity_type,
            name=name,
            path=self.text(props, "Path", at("Path")) or "/",
            pointer=pointer,
            tags=self.tags(props, at("Tags")),
        )
        inline = props.get("Policies")
        for index, item in enumerate(inline if isinstance(inline, list) else []):
            if not isinstance(item, dict):
                continue
            policy_name = self.text(item, "PolicyName", at("Policies", index, "PolicyName"))
            policy = self.policy(
                item.get("PolicyDocument"),
                at("Policies", index, "PolicyDocument"),
                PolicyKind.IDENTITY,
                policy_name or f"{name} inline policy {index}",
            )
            if policy is not None:
                entity.policies.append(policy)
                self.policies.append(policy)
        if entity_type == "role" and "AssumeRolePolicyDocument" not in props:
            self.ctx.report(
                SYN_STRUCTURE,
                f"role `{logical}` has no `AssumeRolePolicyDocument`, which CloudFormation requires",
                pointer,
            )
        if entity_type == "role" and "AssumeRolePolicyDocument" in props:
            entity.trust = self.policy(
                props["AssumeRolePolicyDocument"],
                at("AssumeRolePolicyDocument"),
                PolicyKind.TRUST,
                f"{name} trust policy",
            )
            if entity.trust is not None:
                self.policies.append(entity.trust)
        arns = props.get("ManagedPolicyArns")
        for index, raw in enumerate(arns if isinstance(arns, list) else []):
            managed = self.managed.get(_logical_target(raw) or "")
            if managed is not None:
                entity.policies.append(managed)
            else:
                shown = _expression(self.template.resolve(raw))
                self.ctx.notes.append(
                    f"managed policy `{shown}` of `{name}` is not in the template and is not included"
                    f" (`{at('ManagedPolicyArns', index)}`)"
                )
        if "PermissionsBoundary" in props:
            entity.boundary_arn = _expression(self.template.resolve(props["PermissionsBoundary"]))
            boundary = self.managed.get(_logical_target(props["PermissionsBoundary"]) or "")
            if boundary is not None:
                entity.boundary = boundary.model_copy(update={"kind": PolicyKind.BOUNDARY})
            else:
                self.ctx.notes.append(
                    f"the permissions boundary of `{name}` is not in the template; its effect is not known"
                )
        groups = props.get("Groups") if entity_type == "user" else None
        entity.group_refs = list(groups) if isinstance(groups, list) else []
        self.entities[logical] = entity

    def find_entity(self, entity_type: IamEntityType, raw: object) -> _Entity | None:
        logical = _logical_target(raw)
        if logical in self.entities and self.entities[logical].type == entity_type:
            return self.entities[logical]
        resolved = self.template.resolve(raw)
        for entity in self.entities.values():
            if entity.type == entity_type and entity.name == resolved:
                return entity
        return None

    def attach(self) -> None:
        for policy, entity_type, raw, pointer in self.attachments:
            entity = self.find_entity(entity_type, raw)
            if entity is None:
                shown = _expression(self.template.resolve(raw))
                self.ctx.notes.append(
                    f"policy `{policy.name}` is attached to {entity_type} `{shown}`,"
                    f" which the template does not declare (`{pointer}`)"
                )
            elif policy not in entity.policies:
                entity.policies.append(policy)

    def principals(self) -> tuple[IamEntity, ...]:
        account = self.ctx.account or ""
        out: list[IamEntity] = []
        for entity in self.entities.values():
            policies = list(entity.policies)
            groups: list[str] = []
            for raw in entity.group_refs:
                group = self.find_entity("group", raw)
                if group is None:
                    resolved = self.template.resolve(raw)
                    self.ctx.notes.append(
                        f"group `{_expression(resolved)}` of user `{entity.name}` is not in the template;"
                        " its policies are not included"
                    )
                    if isinstance(resolved, str):
                        groups.append(resolved)
                    continue
                groups.append(group.name)
                policies.extend(policy for policy in group.policies if policy not in policies)
            out.append(
                IamEntity.trusted(
                    arn=f"arn:aws:iam::{account}:{entity.type}{entity.path}{entity.name}",
                    type=entity.type,
                    name=entity.name,
                    account=account,
                    path=entity.path,
                    tags=entity.tags,
                    policies=tuple(policies),
                    permission_boundary=entity.boundary,
                    permission_boundary_arn=entity.boundary_arn,
                    trust_policy=entity.trust,
                    groups=tuple(groups),
                    span=self.ctx.span(entity.pointer),
                )
            )
        return tuple(out)


def _section(template: dict[str, object], name: str, ctx: ReadContext) -> dict[str, object]:
    section = template.get(name, {})
    if isinstance(section, dict):
        return section
    ctx.report(SYN_STRUCTURE, f"`{name}` must be a mapping", pointer_join("", name))
    return {}


def _transform(value: object, ctx: ReadContext) -> None:
    """Transforms (SAM, macros) are not expanded: what they create is not in the text read, so the
    analysis is incomplete; a finding (medium, like a truncated listing), not a note."""
    names = value if isinstance(value, list) else [value]
    shown = ", ".join(f"`{_expression(name)}`" for name in names)
    ctx.report(
        INPUT_ERROR,
        f"the template declares `Transform` {shown}, which kmspolicy does not expand: the resources and "
        "policies it creates (`AWS::Serverless::*` types, macro output) were not checked",
        "/Transform",
        severity=Severity.MEDIUM,
        help="lint the processed template: `aws cloudformation get-template --template-stage Processed`",
    )


def read_cloudformation(obj: object, ctx: ReadContext) -> Document:
    """Read a parsed CloudFormation template (see the module docstring)."""
    if not isinstance(obj, dict):
        ctx.report(INPUT_ERROR, "a CloudFormation template must be a mapping with `Resources`", "")
        return Document.trusted(file=ctx.file, kind=InputKind.CLOUDFORMATION, notes=tuple(ctx.notes))
    if "Resources" not in obj:
        ctx.report(SYN_STRUCTURE, "the template has no `Resources` section", "")
    if "Transform" in obj:
        _transform(obj["Transform"], ctx)
    template = _Template(
        ctx=ctx,
        parameters=_section(obj, "Parameters", ctx),
        mappings=_section(obj, "Mappings", ctx),
        conditions=_section(obj, "Conditions", ctx),
        resources=_section(obj, "Resources", ctx),
        transformed="Transform" in obj,
    )
    template.check(obj)
    reader = _Reader(ctx=ctx, template=template)
    reader.read(template.resources)
    keys = tuple(
        Key.trusted(**fields, aliases=tuple(reader.key_aliases.get(logical, ())))
        for logical, fields in reader.keys.items()
    )
    return Document.trusted(
        file=ctx.file,
        kind=InputKind.CLOUDFORMATION,
        policies=tuple(reader.policies),
        keys=keys,
        aliases=tuple(reader.aliases),
        principals=reader.principals(),
        consumers=tuple(reader.consumers),
        shares=tuple(reader.shares),
        notes=tuple(ctx.notes),
    )
