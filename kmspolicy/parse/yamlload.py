"""Safe YAML loading for CloudFormation templates and YAML policy files.

PyYAML composes the node graph (libyaml when available) and this module builds the Python values
itself, so that every value keeps its position: the positions go to a `Locator` registered with the
`SourceSet`, keyed by JSON pointer. Building by hand also lets us turn CloudFormation's short-form
tags (`!Sub`, `!GetAtt`, ...) into their long JSON forms and refuse alias bombs before they expand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kmspolicy.parse.context import INPUT_ERROR, SYN_STRUCTURE, ReadContext, pointer_join
from kmspolicy.parse.source import occurrence

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A billion-laughs document is small text whose aliases expand exponentially. Real templates rarely
# use aliases at all, so a few thousand nodes reached through aliases is already generous.
MAX_ALIAS_EXPANSION = 10_000
MAX_NODES = 1_000_000
MAX_DEPTH = 200

_TAG = "tag:yaml.org,2002:"
# Short-form CloudFormation tags and the key of their long form.
_SHORT_FORMS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "Sub",
            "GetAtt",
            "Join",
            "Select",
            "Split",
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "FindInMap",
            "Base64",
            "Cidr",
            "GetAZs",
            "ImportValue",
            "Transform",
            "Length",
            "ToJsonString",
        )
    },
}
_scalars = SafeConstructor()


class YamlLocator:
    """Positions of the values of one YAML file, by JSON pointer (1-based, end exclusive)."""

    def __init__(self, positions: dict[str, tuple[int, int, int, int]]) -> None:
        self._positions = positions

    def locate(self, pointer: str) -> tuple[int, int, int, int] | None:
        return self._positions.get(pointer)


class _Refused(Exception):
    """Building stopped: a limit was hit (already reported)."""


@dataclass
class _Builder:
    ctx: ReadContext
    positions: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    building: set[int] = field(default_factory=set)
    nodes: int = 0
    alias_nodes: int = 0

    def build(self, node: Node, pointer: str, depth: int, via_alias: bool) -> object:
        self.nodes += 1
        self.positions[pointer] = _span(node)
        via_alias = via_alias or id(node) in self.seen
        if via_alias:
            self.alias_nodes += 1
        if self.alias_nodes > MAX_ALIAS_EXPANSION or self.nodes > MAX_NODES:
            self._refuse(
                f"the YAML aliases expand to more than {MAX_ALIAS_EXPANSION} values"
                if self.alias_nodes > MAX_ALIAS_EXPANSION
                else f"the YAML document has more than {MAX_NODES} values",
                pointer,
            )
        if depth > MAX_DEPTH:
            self._refuse(f"the YAML document is nested more than {MAX_DEPTH} levels deep", pointer)
        if id(node) in self.building:
            self._refuse("a YAML alias refers to the collection that contains it", pointer)
        self.seen.add(id(node))

        long_form = _SHORT_FORMS.get(node.tag)
        if long_form is not None:
            inner = pointer_join(pointer, long_form)
            self.positions[inner] = _span(node)
            return {long_form: self._tagged(node, inner, depth, via_alias)}
        if node.tag.startswith("!"):
            self.ctx.report(
                SYN_STRUCTURE,
                f"unknown YAML tag `{node.tag}`; the value is read as if it had none",
                pointer,
                help="CloudFormation understands `!Ref`, `!Sub`, `!GetAtt` and the other `Fn::` short forms",
            )
        if isinstance(node, ScalarNode):
            try:
                return _scalar(node)
            except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits)
                digits = len(str(node.value))
                self._refuse(f"integer of {digits:,} digits cannot be read", pointer)
        return self._collection(node, pointer, depth, via_alias)

    def _tagged(self, node: Node, pointer: str, depth: int, via_alias: bool) -> object:
        if isinstance(node, ScalarNode):
            if node.tag == "!GetAtt":
                # `!GetAtt Res.Attr.Sub` is `["Res", "Attr.Sub"]`: only the first dot separates.
                resource, _, attribute = str(node.value).partition(".")
                return [resource, attribute]
            return str(node.value)
        return self._collection(node, pointer, depth, via_alias)

    def _collection(self, node: Node, pointer: str, depth: int, via_alias: bool) -> object:
        self.building.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [
                    self.build(child, pointer_join(pointer, index), depth + 1, via_alias)
                    for index, child in enumerate(node.value)
                ]
            assert isinstance(node, MappingNode)
            return self._mapping(node, pointer, depth, via_alias)
        finally:
            self.building.discard(id(node))

    def _mapping(
        self,
        node: MappingNode,
        pointer: str,
        depth: int,
        via_alias: bool,
        overridden: frozenset[str] = frozenset(),
    ) -> dict[str, object]:
        """The mapping's values; keys in `overridden` (set by a mapping that merges this one) are left
        out unbuilt, so that their positions do not replace those of the values that override them."""
        out: dict[str, object] = {}
        members: dict[str, list[tuple[Node, Node]]] = {}
        merged: list[MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merged.extend(_merge_sources(value_node))
                continue
            key = str(_scalar(key_node)) if isinstance(key_node, ScalarNode) else str(key_node.value)
            members.setdefault(key, []).append((key_node, value_node))
            if key not in overridden:
                out[key] = self.build(value_node, pointer_join(pointer, key), depth + 1, via_alias)
        for key, occurrences in members.items():
            if len(occurrences) > 1 and key not in overridden:
                self._duplicate(key, occurrences, pointer_join(pointer, key))
        # `<<: *defaults` fills in only the keys the mapping (or an earlier merged one) does not set.
        for source in merged:
            out.update(self._mapping(source, pointer, depth, True, overridden | frozenset(out)))
        return out

    def _duplicate(self, key: str, occurrences: list[tuple[Node, Node]], pointer: str) -> None:
        """One finding per occurrence, each at its own `<pointer>~#<n>` (key through value)."""
        places = []
        for n, (key_node, value_node) in enumerate(occurrences, start=1):
            start, end = key_node.start_mark, value_node.end_mark
            self.positions[occurrence(pointer, n)] = (
                start.line + 1,
                start.column + 1,
                end.line + 1,
                end.column + 1,
            )
            places.append(f"line {start.line + 1} column {start.column + 1}")
        for n in range(1, len(occurrences) + 1):
            where = f"repeated at {', '.join(places[1:])}" if n == 1 else f"first defined at {places[0]}"
            self.ctx.report(
                SYN_STRUCTURE,
                f"duplicate key `{key}`: {where}; only the last one counts",
                occurrence(pointer, n),
                help="CloudFormation rejects a template with duplicate keys; keep one of them",
            )

    def _refuse(self, message: str, pointer: str) -> None:
        self.ctx.report(INPUT_ERROR, message, pointer, help="the document is refused, not read in part")
        raise _Refused


def _merge_sources(node: Node) -> list[MappingNode]:
    if isinstance(node, MappingNode):
        return [node]
    if isinstance(node, SequenceNode):
        return [child for child in node.value if isinstance(child, MappingNode)]
    return []


def _span(node: Node) -> tuple[int, int, int, int]:
    start, end = node.start_mark, node.end_mark
    return (start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _scalar(node: ScalarNode) -> object:
    """JSON-like values only: timestamps, binary and sets stay text, as CloudFormation reads them."""
    tag = node.tag
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        return _scalars.construct_yaml_bool(node)
    if tag == _TAG + "int":
        return _scalars.construct_yaml_int(node)
    if tag == _TAG + "float":
        return _scalars.construct_yaml_float(node)
    return str(node.value)


def _compose(text: str) -> Node | None:
    loader = _Loader(text)
    try:
        node: Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


def load_yaml(text: str, ctx: ReadContext) -> object | None:
    """Read YAML text into JSON-like values, registering positions with `ctx.sources`.

    Returns None when the text is not usable YAML; the reason is a finding in `ctx`.
    """
    # The YAML reader skips a byte-order mark; without it in the text too, columns of line 1 would shift.
    text = text.removeprefix("\ufeff")
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        if isinstance(error, yaml.composer.ComposerError) and "single document" in str(error.context):
            problem = "the file holds more than one YAML document; a template is one document"
        line, column = (1, 1) if mark is None else (mark.line + 1, mark.column + 1)
        position = (line, column, line, column + 1)
        # The document has no values to point at, so the root pointer carries the error position.
        ctx.sources.add(ctx.file, text, YamlLocator({"": position}))
        ctx.report(
            SYN_STRUCTURE,
            f"invalid YAML at line {position[0]} column {position[1]}: {problem}",
            "",
        )
        return None
    except (yaml.YAMLError, RecursionError) as error:
        ctx.sources.add(ctx.file, text, YamlLocator({}))
        reason = "it is nested too deeply" if isinstance(error, RecursionError) else str(error)
        ctx.report(INPUT_ERROR, f"the YAML document cannot be read: {reason}", "")
        return None
    if node is None:
        ctx.sources.add(ctx.file, text, YamlLocator({}))
        ctx.report(INPUT_ERROR, "the YAML document is empty", "")
        return None
    builder = _Builder(ctx)
    try:
        value = builder.build(node, "", 0, False)
    except _Refused:
        ctx.sources.add(ctx.file, text, YamlLocator(builder.positions))
        return None
    ctx.sources.add(ctx.file, text, YamlLocator(builder.positions))
    return value
