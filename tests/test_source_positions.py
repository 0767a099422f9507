"""Lazy source positions: JSON pointers to line and column, in plain and embedded JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmspolicy.model import Span
from kmspolicy.parse.context import ReadContext, pointer_join
from kmspolicy.parse.source import (
    JsonLocator,
    SourceSet,
    load_embedded_json,
    load_json_text,
    occurrence,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet='ab/~é"\\ \n', max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)
layouts = st.fixed_dictionaries(
    {
        "indent": st.sampled_from([None, 0, 2, "\t"]),
        "ensure_ascii": st.booleans(),
        "separators": st.sampled_from([(",", ":"), (", ", ": "), (" ,\r\n", " : ")]),
    }
)


def walk(value: object, pointer: str = "") -> Iterator[tuple[str, object]]:
    yield pointer, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from walk(child, pointer_join(pointer, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from walk(child, pointer_join(pointer, index))


def cut(sources: SourceSet, span: Span) -> str:
    """The text a located span covers, taken by line and column as a report would."""
    where = sources.locate(span)
    assert where is not None
    lines = sources.lines(span.file)
    if where.line == where.end_line:
        return lines[where.line - 1][where.column - 1 : where.end_column - 1]
    middle = lines[where.line : where.end_line - 1]
    parts = [
        lines[where.line - 1][where.column - 1 :],
        *middle,
        lines[where.end_line - 1][: where.end_column - 1],
    ]
    return "\n".join(parts)


@settings(max_examples=150, deadline=None)
@given(value=json_values, layout=layouts)
def test_every_pointer_locates_the_text_of_its_value(value: object, layout: dict[str, object]) -> None:
    text = json.dumps(value, **layout)  # type: ignore[arg-type]
    sources = SourceSet()
    sources.add("f.json", text)
    for pointer, expected in walk(value):
        assert json.loads(cut(sources, Span(file="f.json", pointer=pointer))) == expected


@settings(max_examples=100, deadline=None)
@given(value=json_values, layout=layouts, outer_ascii=st.booleans())
def test_embedded_pointers_map_through_the_escapes_of_the_outer_string(
    value: object, layout: dict[str, object], outer_ascii: bool
) -> None:
    inner = json.dumps(value, **layout)  # type: ignore[arg-type]
    outer = json.dumps({"PolicyName": "default", "Policy": inner}, indent=2, ensure_ascii=outer_ascii)
    sources = SourceSet()
    ctx = ReadContext(file="g.json", sources=sources)
    loaded = load_json_text(outer, ctx)
    assert isinstance(loaded, dict)
    assert load_embedded_json(loaded["Policy"], ctx, "/Policy") == value
    for pointer, expected in walk(value):
        raw = cut(sources, Span(file="g.json", pointer="/Policy" + pointer))
        assert json.loads(json.loads(f'"{raw}"')) == expected
    assert ctx.findings == []


def test_missing_pointers_fall_back_to_the_nearest_ancestor() -> None:
    sources = SourceSet()
    sources.add("f.json", '{\n  "Statement": [\n    {"Effect": "Allow"}\n  ]\n}')
    where = sources.locate(Span(file="f.json", pointer="/Statement/0/Condition/StringEquals"))
    assert where is not None
    assert (where.line, where.column, where.end_line, where.end_column) == (3, 5, 3, 24)
    assert where.pointer == "/Statement/0/Condition/StringEquals"
    assert sources.locate(Span(file="other.json", pointer="")) is None


def test_duplicate_key_occurrences_have_their_own_pointers() -> None:
    sources = SourceSet()
    sources.add("f.json", '{"a": 1,\n "a": [2]}')
    located = {
        pointer: sources.locate(Span(file="f.json", pointer=pointer))
        for pointer in ("/a", occurrence("/a", 1), occurrence("/a", 2), occurrence("/a", 3))
    }
    positions = {p: (w.line, w.column, w.end_line, w.end_column) for p, w in located.items() if w}
    assert positions == {
        "/a": (2, 7, 2, 10),  # the value JSON readers keep: the last
        "/a~#1": (1, 2, 1, 8),  # key through value
        "/a~#2": (2, 2, 2, 10),
        "/a~#3": (2, 7, 2, 10),  # no third occurrence: the key's plain pointer
    }


def test_columns_count_characters_and_crlf_does_not_shift_them() -> None:
    sources = SourceSet()
    sources.add("f.json", '{"Sid": "café",\r\n "Effect": "Allow"}')
    where = sources.locate(Span(file="f.json", pointer="/Effect"))
    assert where is not None
    assert (where.line, where.column, where.end_column) == (2, 12, 19)
    assert sources.lines("f.json") == ['{"Sid": "café",', ' "Effect": "Allow"}']


def test_lines_split_on_newline_only_so_line_numbers_agree() -> None:
    sources = SourceSet()
    sources.add("f.json", '{"Sid": "a\u2028b\x85c",\n"Effect": "Deny"}')
    where = sources.locate(Span(file="f.json", pointer="/Effect"))
    assert where is not None
    assert where.line == 2
    assert len(sources.lines("f.json")) == 2


def test_a_registered_locator_is_asked_and_its_ancestors_used() -> None:
    class Fixed:
        def locate(self, pointer: str) -> tuple[int, int, int, int] | None:
            return {"": (1, 1, 3, 1), "/Statement": (2, 1, 2, 9)}.get(pointer)

    sources = SourceSet()
    sources.add("t.yaml", "Version: x\nStatement: []\n", Fixed())
    where = sources.locate(Span(file="t.yaml", pointer="/Statement/0/Effect"))
    assert where is not None
    assert (where.line, where.column) == (2, 1)


def test_json_embedded_in_a_non_json_string_points_at_the_whole_string() -> None:
    class Yaml:
        def locate(self, pointer: str) -> tuple[int, int, int, int] | None:
            return {"": (1, 1, 3, 1), "/Policy": (1, 9, 2, 6)}.get(pointer)

    # a double-quoted YAML string folded over two lines: no character map, so the whole string
    sources = SourceSet()
    sources.add("t.yaml", 'Policy: "{\\"a\\":\n  1}"\n', Yaml())
    sources.add_embedded("t.yaml", "/Policy", '{"a": 1}')
    where = sources.locate(Span(file="t.yaml", pointer="/Policy/a"))
    assert where is not None
    assert (where.line, where.column, where.end_line, where.end_column) == (1, 9, 2, 6)


def test_the_locator_scans_only_when_asked() -> None:
    locator = JsonLocator('{"a": [1, 2]}')
    assert locator._scan is None
    assert locator.locate("/a/1") == (1, 11, 1, 12)
    assert locator._scan is not None


def test_deep_and_wide_texts_locate_without_recursion() -> None:
    depth = 100_000
    deep = JsonLocator("[" * depth + "]" * depth)
    assert deep.locate("") == (1, 1, 1, 2 * depth + 1)
    # below the depth limit nothing is indexed: the deepest indexed container answers
    assert deep.locate("/0" * 200) == (1, 201, 1, 2 * depth - 199)
    assert deep.locate("/0" * 201) is None
    wide = JsonLocator(json.dumps(list(range(100_000)), indent=1))
    assert wide.locate("/99999") == (100_001, 2, 100_001, 7)


def test_merge_takes_over_files_and_embedded_documents() -> None:
    first, second = SourceSet(), SourceSet()
    ctx = ReadContext(file="g.json", sources=second)
    loaded = load_json_text('{"Policy": "{\\"Effect\\": \\"Allow\\"}"}', ctx)
    assert isinstance(loaded, dict)
    load_embedded_json(loaded["Policy"], ctx, "/Policy")
    first.merge(second)
    where = first.locate(Span(file="g.json", pointer="/Policy/Effect"))
    assert where is not None
    assert (where.column, where.end_column) == (26, 35)
    assert first.text("g.json") == second.text("g.json")


@pytest.mark.parametrize(
    ("text", "pointer", "position"),
    [
        ('{"a": tru}', "/a", "line 1 column 7"),
        ('{"a": [1, 2,]}', "/a", "line 1 column 13"),
        ('{"a": {"b": 1,}}', "/a", "line 1 column 15"),
        ('{"a": "x\\q"}', "/a", "line 1 column 9"),
        ('{"a": 1}\n{"b": 2}', "", "line 2 column 1"),
        ('{"a": 1 "b": 2}', "", "line 1 column 9"),
        ('[{"a": 1}, {"b": ', "/1/b", "line 1 column 18"),
    ],
)
def test_syntax_errors_name_the_position_and_the_nearest_element(
    text: str, pointer: str, position: str
) -> None:
    ctx = ReadContext(file="f.json", sources=SourceSet())
    assert load_json_text(text, ctx) is None
    [finding] = ctx.findings
    assert finding.rule == "syn-structure"
    assert finding.span.pointer == pointer
    assert f"invalid JSON at {position}:" in finding.message
    assert ctx.sources.locate(finding.span) is not None
