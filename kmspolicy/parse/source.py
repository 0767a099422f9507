"""Reading input text safely, parsing JSON fast, and turning JSON pointers into line and column.

The common path is `json` (C) with a duplicate-key check in its pairs hook, and nothing else: no
position is computed while parsing. Positions come from a second, position-aware scan of the text
(`JsonLocator`) that runs only when something asks where a pointer is, which is when a finding is
reported. The scan is a loop over regex tokens with an explicit stack: linear in the text, no
recursion, and it stops indexing below `MAX_DEPTH` so that pathological nesting costs nothing.

Pointers are RFC 6901. One extension: the occurrences of a duplicated object key are indexed as
`<pointer>~#<n>` (n from 1, key through value), which no RFC 6901 pointer can collide with (`~` is
always followed by `0` or `1` there). The plain pointer means the last occurrence, the one JSON
readers keep.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
import sys
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kmspolicy.model import Location, Span
from kmspolicy.parse.context import INPUT_ERROR, SYN_STRUCTURE, ReadContext

MAX_DEPTH = 200  # deeper nesting is refused; real policies stay under 10
DEFAULT_MAX_BYTES = 10_000_000

Position = tuple[int, int, int, int]  # line, column, end line, end column (exclusive); 1-based


class Locator(Protocol):
    def locate(self, pointer: str) -> Position | None: ...


# --------------------------------------------------------------------------- offsets and lines


class _Lines:
    """Offset <-> (line, column) for one text; columns count characters, lines split on `\\n` only."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0, *(m.end() for m in re.finditer("\n", self._text))]
        return self._starts

    def line_column(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def position(self, start: int, end: int) -> Position:
        return (*self.line_column(start), *self.line_column(end))

    def offset(self, line: int, column: int) -> int:
        starts = self.starts
        return starts[min(max(line, 1), len(starts)) - 1] + column - 1


# --------------------------------------------------------------------------- the position-aware scan

_TOKEN = re.compile(
    r"[ \t\n\r]*(?:"
    r'("(?:[^"\\\x00-\x1f]|\\["\\/bfnrtu])*")'  # group 1: string
    r"|([{}\[\],:])"  # group 2: punctuation
    r"|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)"  # group 3: scalar
    r")"
)
_BLANK = re.compile(r"[ \t\n\r]*")

# scanner states
_VALUE, _KEY_OR_CLOSE, _KEY, _COLON, _VALUE_OR_CLOSE, _COMMA_OR_CLOSE, _END = range(7)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def occurrence(pointer: str, n: int) -> str:
    """The pointer of the n-th (1-based) occurrence of a duplicated key: `<pointer>~#<n>`."""
    return f"{pointer}~#{n}"


@dataclass
class _Frame:
    is_object: bool
    pointer: str
    start: int
    count: int = 0
    key: str = ""  # object: the current member's key (escaped)
    members: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # key -> (key start, value end)


@dataclass
class Duplicate:
    """A key that appears more than once in one object; `pointer` is the member's plain pointer."""

    pointer: str
    key: str
    count: int


@dataclass
class _Scan:
    index: dict[str, tuple[int, int]]
    duplicates: list[Duplicate]
    error: int | None  # where the scan stopped on invalid JSON
    error_pointer: str  # the nearest element around the error
    too_deep: str | None  # pointer of the first container nested deeper than the limit


def _scan(text: str, limit: int | None = None, max_depth: int = MAX_DEPTH) -> _Scan:
    """Index every value's (start, end) offsets by pointer, iteratively; stop at `limit` or an error."""
    index: dict[str, tuple[int, int]] = {}
    duplicates: list[Duplicate] = []
    stack: list[_Frame] = []
    stop = len(text) if limit is None else limit
    state = _VALUE
    pending = ""  # pointer of the value expected next
    too_deep: str | None = None
    skip = 0  # >0: inside a container deeper than max_depth, only counting brackets
    skip_start = 0
    skip_pointer = ""
    pos = 0
    match = _TOKEN.match
    error: int | None = None

    def value_done(end: int) -> int:
        if not stack:
            return _END
        frame = stack[-1]
        if frame.is_object:
            frame.members[frame.key][-1] = (frame.members[frame.key][-1][0], end)
        frame.count += 1
        return _COMMA_OR_CLOSE

    while True:
        m = match(text, pos)
        if m is None or m.end() == m.start() or m.lastindex is None:
            blank_end = _BLANK.match(text, pos)
            start = blank_end.end() if blank_end else pos
            if start >= len(text) and state == _END and not skip:
                break
            error = min(start, stop)
            break
        start = m.start(m.lastindex)
        if start >= stop:
            error = stop
            break
        pos = m.end()
        punct = m.group(2)
        if skip:
            if punct in ("{", "["):
                skip += 1
            elif punct in ("}", "]"):
                skip -= 1
                if skip == 0:
                    index[skip_pointer] = (skip_start, pos)
                    state = value_done(pos)
            continue
        if state in (_VALUE, _VALUE_OR_CLOSE):
            if state == _VALUE_OR_CLOSE and punct == "]":
                _close(stack, index, duplicates, pos)
                state = value_done(pos)
                continue
            if state == _VALUE_OR_CLOSE:
                pending = f"{stack[-1].pointer}/0"
            if punct in ("{", "["):
                if len(stack) >= max_depth:
                    too_deep = too_deep if too_deep is not None else pending
                    skip, skip_start, skip_pointer = 1, start, pending
                    continue
                stack.append(_Frame(punct == "{", pending, start))
                state = _KEY_OR_CLOSE if punct == "{" else _VALUE_OR_CLOSE
                continue
            if punct is not None:
                error = start
                break
            index[pending] = (start, pos)
            state = value_done(pos)
            continue
        frame = stack[-1] if stack else None
        if state in (_KEY_OR_CLOSE, _KEY) and frame is not None:
            if state == _KEY_OR_CLOSE and punct == "}":
                _close(stack, index, duplicates, pos)
                state = value_done(pos)
                continue
            string = m.group(1)
            if string is None:
                error = start
                break
            key = _escape(json.loads(string) if "\\" in string else string[1:-1])
            frame.key = key
            frame.members.setdefault(key, []).append((start, pos))
            state = _COLON
            continue
        if state == _COLON and frame is not None:
            if punct != ":":
                error = start
                break
            pending = f"{frame.pointer}/{frame.key}"
            state = _VALUE
            continue
        if state == _COMMA_OR_CLOSE and frame is not None:
            if punct == ",":
                if frame.is_object:
                    state = _KEY
                else:
                    pending = f"{frame.pointer}/{frame.count}"
                    state = _VALUE
                continue
            if punct == ("}" if frame.is_object else "]"):
                _close(stack, index, duplicates, pos)
                state = value_done(pos)
                continue
        error = start
        break

    error_pointer = ""
    if error is not None:
        if skip:
            index.setdefault(skip_pointer, (skip_start, error))
        # the nearest element: the value being read when its key is known, else the open container
        if state == _VALUE and stack and stack[-1].is_object and not skip:
            error_pointer = pending
            index.setdefault(pending, (error, min(error + 1, len(text))))
        elif stack:
            error_pointer = stack[-1].pointer
        for frame in stack:
            index.setdefault(frame.pointer, (frame.start, error))
        index.setdefault("", (error, error))
    return _Scan(index, duplicates, error, error_pointer, too_deep)


def _close(
    stack: list[_Frame], index: dict[str, tuple[int, int]], duplicates: list[Duplicate], end: int
) -> None:
    frame = stack.pop()
    index[frame.pointer] = (frame.start, end)
    if frame.is_object and len(frame.members) < frame.count:
        for key, places in frame.members.items():
            if len(places) > 1:
                member = f"{frame.pointer}/{key}"
                duplicates.append(Duplicate(member, key.replace("~1", "/").replace("~0", "~"), len(places)))
                for n, place in enumerate(places, 1):
                    index[occurrence(member, n)] = place


class JsonLocator:
    """Positions of every value of a JSON text by pointer, from a scan run on the first question."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _Lines(text)
        self._scan: _Scan | None = None

    @property
    def scan(self) -> _Scan:
        if self._scan is None:
            self._scan = _scan(self.text)
        return self._scan

    def offsets(self, pointer: str) -> tuple[int, int] | None:
        return self.scan.index.get(pointer)

    def locate(self, pointer: str) -> Position | None:
        found = self.offsets(pointer)
        return None if found is None else self.lines.position(*found)


class _FixedLocator:
    """Every pointer resolves to one place: for text that is not JSON at all (not UTF-8, too large)."""

    def __init__(self, position: Position) -> None:
        self.position = position

    def locate(self, pointer: str) -> Position | None:
        return self.position


# --------------------------------------------------------------------------- the set of sources


def _parent(pointer: str) -> str | None:
    if not pointer:
        return None
    head, _, last = pointer.rpartition("/")
    if "~#" in last:
        return f"{head}/{last.split('~#', 1)[0]}"
    return head


@dataclass
class _Source:
    text: str
    locator: Locator
    lines: _Lines


_SURROGATE_PAIR = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")


class _Embedded:
    """A JSON document held in a JSON string of an outer file, and the map back to outer offsets."""

    def __init__(self, text: str) -> None:
        self.locator = JsonLocator(text)
        self._map: list[int] | None = None
        self._base = -1  # outer offset of the first inner character when nothing needs mapping
        self._whole: tuple[int, int] | None = None  # outer value span when no character map is possible

    def build(self, outer: str, start: int, end: int) -> None:
        """Map inner offsets to outer ones from the raw outer string literal at [start, end)."""
        if self._map is not None or self._base >= 0 or self._whole is not None:
            return
        inner = self.locator.text
        raw = outer[start:end]
        if raw[:1] in ("'", "|", ">"):
            self._map = _yaml_map(raw, start, inner)
            if self._map is None:
                self._whole = (start, end)
            return
        if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
            self._whole = (start, end)
            return
        body = raw[1:-1]
        if "\\" not in body:
            if len(body) == len(inner):
                self._base = start + 1
            else:
                self._whole = (start, end)
            return
        mapping: list[int] = []
        i, n = 0, len(body)
        while i < n:
            if body[i] != "\\":
                mapping.append(start + 1 + i)
                i += 1
                continue
            if body[i + 1 : i + 2] != "u":
                mapping.append(start + 1 + i)
                i += 2
                continue
            mapping.append(start + 1 + i)
            i += 12 if _SURROGATE_PAIR.match(body, i) else 6
        if len(mapping) != len(inner):
            self._whole = (start, end)
            return
        mapping.append(end - 1)
        self._map = mapping

    def outer(self, offset: int) -> int | None:
        if self._base >= 0:
            return self._base + offset
        if self._map is not None:
            return self._map[min(offset, len(self._map) - 1)]
        return None

    def outer_span(self, start: int, end: int) -> tuple[int, int]:
        first, last = self.outer(start), self.outer(end)
        if first is None or last is None:
            assert self._whole is not None
            return self._whole
        return first, last


def _yaml_map(raw: str, start: int, inner: str) -> list[int] | None:
    """Inner offsets to outer ones for a YAML single-quoted or block (`|`, `>`) scalar at `start`.

    The value is the raw text less the quotes, the block header, the indentation and the second quote
    of each `''`, with line breaks folded to spaces in some styles: so each character of the value is
    the next equal character of the raw text, whitespace standing for whitespace. Anything else in the
    way means the raw text was not understood: None, and positions fall back to the whole scalar.
    """
    i = raw.find("\n") + 1 if raw[0] in "|>" else 0  # past the block header line
    if raw[0] in "|>" and i == 0:
        return None
    mapping: list[int] = []
    n = len(raw)
    for char in inner:
        blank = char in " \t\n"
        while i < n and raw[i] != char and not (blank and raw[i] in " \t\n"):
            if raw[i] not in " \t\n'":
                return None
            i += 1
        if i == n:
            if not blank:
                return None
            mapping.append(start + n - 1)  # kept trailing line breaks
            continue
        mapping.append(start + i)
        i += 1
    mapping.append(start + min(i, n - 1))
    return mapping


class SourceSet:
    """The text of every input read in a run, and where each pointer of each file is."""

    def __init__(self) -> None:
        self._files: dict[str, _Source] = {}
        self._embedded: dict[str, dict[str, _Embedded]] = {}

    def add(self, file: str, text: str, locator: Locator | None = None) -> None:
        """Register a file's text; without a locator, a JSON locator is built on the first question."""
        if locator is None:
            json_locator = JsonLocator(text)
            self._files[file] = _Source(text, json_locator, json_locator.lines)
        else:
            self._files[file] = _Source(text, locator, _Lines(text))

    def add_embedded(self, file: str, pointer: str, inner_text: str) -> None:
        """Register a JSON document held as a string at `pointer` of `file` (a get-key-policy `Policy`)."""
        self._embedded.setdefault(file, {})[pointer] = _Embedded(inner_text)

    def merge(self, other: SourceSet) -> None:
        """Take over every file of another set (same file names: the other set's text wins)."""
        self._files.update(other._files)
        for file, embedded in other._embedded.items():
            self._embedded.setdefault(file, {}).update(embedded)

    def text(self, file: str) -> str | None:
        source = self._files.get(file)
        return None if source is None else source.text

    def lines(self, file: str) -> list[str]:
        text = self.text(file)
        return [] if text is None else [line.removesuffix("\r") for line in text.split("\n")]

    def locate(self, span: Span) -> Location | None:
        """Line and column of a span; a pointer that does not exist resolves to its nearest ancestor."""
        found = self._position(span.file, span.pointer)
        if found is None:
            return None
        line, column, end_line, end_column = found
        return Location.trusted(
            file=span.file,
            pointer=span.pointer,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column,
        )

    def _position(self, file: str, pointer: str) -> Position | None:
        source = self._files.get(file)
        if source is None:
            return None
        inside = self._embedded_at(file, pointer)
        if inside is not None:
            prefix, embedded = inside
            found = self._embedded_offsets(source, prefix, embedded, pointer[len(prefix) :])
            if found is not None:
                return source.lines.position(*found)
        at: str | None = pointer
        while at is not None:
            position = source.locator.locate(at)
            if position is not None:
                return position
            at = _parent(at)
        return None

    def _embedded_at(self, file: str, pointer: str) -> tuple[str, _Embedded] | None:
        embedded = self._embedded.get(file)
        if not embedded:
            return None
        for prefix in sorted(embedded, key=len, reverse=True):
            if pointer == prefix or pointer.startswith(prefix + "/"):
                return prefix, embedded[prefix]
        return None

    def _embedded_offsets(
        self, source: _Source, prefix: str, embedded: _Embedded, inner: str
    ) -> tuple[int, int] | None:
        outer = self._outer_offsets(source, prefix)
        if outer is None:
            return None
        embedded.build(source.text, *outer)
        at: str | None = inner
        while at is not None:
            found = embedded.locator.offsets(at)
            if found is not None:
                return embedded.outer_span(*found)
            at = _parent(at)
        return outer

    def _outer_offsets(self, source: _Source, pointer: str) -> tuple[int, int] | None:
        if isinstance(source.locator, JsonLocator):
            return source.locator.offsets(pointer)
        found = source.locator.locate(pointer)
        if found is None:
            return None
        line, column, end_line, end_column = found
        return source.lines.offset(line, column), source.lines.offset(end_line, end_column)

    def line_column(self, file: str, offset: int, *, embedded_at: str | None = None) -> tuple[int, int]:
        """Line and column of a character offset in a file, or in the document embedded at a pointer."""
        source = self._files.get(file)
        if source is None:
            return 1, offset + 1
        if embedded_at is not None:
            embedded = self._embedded.get(file, {}).get(embedded_at)
            outer = self._outer_offsets(source, embedded_at)
            if embedded is not None and outer is not None:
                embedded.build(source.text, *outer)
                offset = embedded.outer_span(offset, offset)[0]
        return source.lines.line_column(offset)

    def _scan_of(self, file: str, embedded_at: str | None) -> _Scan | None:
        if embedded_at is not None:
            embedded = self._embedded.get(file, {}).get(embedded_at)
            return None if embedded is None else embedded.locator.scan
        source = self._files.get(file)
        if source is None or not isinstance(source.locator, JsonLocator):
            return None
        return source.locator.scan


# --------------------------------------------------------------------------- reading files


def read_file_text(path: str | Path, ctx: ReadContext, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    """The text of a file, or None with an INPUT_ERROR finding; the size is checked before reading.

    Plain descriptor calls: for a corpus of small files, `Path.stat` + `Path.open` and a buffered
    reader cost more than decoding the JSON.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        ctx.report(INPUT_ERROR, f"`{ctx.file}` does not exist", "")
        return None
    except OSError as error:
        ctx.report(INPUT_ERROR, f"cannot read `{ctx.file}`: {error.strerror or error}", "")
        return None
    try:
        return _read_descriptor(fd, ctx, max_bytes)
    finally:
        os.close(fd)


def _read_descriptor(fd: int, ctx: ReadContext, max_bytes: int) -> str | None:
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            ctx.report(INPUT_ERROR, f"`{ctx.file}` is a folder, not a file", "")
            return None
        # pipes (`<(aws kms get-key-policy ...)`) report size 0: their limit is enforced while reading
        if info.st_size > max_bytes:
            _too_large(ctx, info.st_size, max_bytes)
            return None
        # ask for one byte more than expected: a file that grew, or a pipe, still meets the limit; and
        # never ask a small file for the whole limit, which would allocate all of it
        wanted = min(info.st_size, max_bytes) + 1 if stat.S_ISREG(info.st_mode) else max_bytes + 1
        data = os.read(fd, wanted)
        if len(data) == wanted or not stat.S_ISREG(info.st_mode):  # read on, up to the limit
            chunks = [data]
            size = len(data)
            while size <= max_bytes and (chunk := os.read(fd, max_bytes + 1 - size)):
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
    except OSError as error:
        ctx.report(INPUT_ERROR, f"cannot read `{ctx.file}`: {error.strerror or error}", "")
        return None
    return decode_bytes(data, ctx, max_bytes)


def _too_large(ctx: ReadContext, size: int | None, max_bytes: int) -> None:
    ctx.sources.add(ctx.file, "", _FixedLocator((1, 1, 1, 1)))
    what = f"{size:,} bytes" if size is not None else "more than that"
    ctx.report(
        INPUT_ERROR,
        f"`{ctx.file}` is too large: {what}, the limit is {max_bytes:,} bytes",
        "",
        help="raise the limit with `--max-bytes` if the file is really meant to be read",
    )


def decode_bytes(data: bytes, ctx: ReadContext, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    """UTF-8 (a BOM is accepted and dropped) or None with an INPUT_ERROR finding naming the bad byte."""
    if len(data) > max_bytes:
        _too_large(ctx, None, max_bytes)
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8", "replace")) + 1
        ctx.sources.add(
            ctx.file, data.decode("utf-8", "replace"), _FixedLocator((line, column, line, column + 1))
        )
        byte = data[error.start]
        ctx.report(
            INPUT_ERROR,
            f"`{ctx.file}` is not UTF-8 text: byte `0x{byte:02x}` at line {line} column {column}",
            "",
            help="save the file as UTF-8",
        )
        return None
    if not text or text.isspace():
        ctx.sources.add(ctx.file, text)
        ctx.report(INPUT_ERROR, f"`{ctx.file}` is empty", "")
        return None
    return text


# --------------------------------------------------------------------------- parsing JSON


class _DuplicateKey(Exception):
    pass


def _strict_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


_STRICT = json.JSONDecoder(object_pairs_hook=_strict_pairs)


def load_json_text(text: str, ctx: ReadContext) -> object | None:
    """Parse a whole file as JSON and register its text; None (with findings) when unusable."""
    text = text.removeprefix("\ufeff")
    ctx.sources.add(ctx.file, text)
    return _load(text, ctx, None)


def load_embedded_json(text: str, ctx: ReadContext, pointer: str) -> object | None:
    """Parse the JSON document held as a string at `pointer`; inner pointers continue `pointer`."""
    ctx.sources.add_embedded(ctx.file, pointer, text)
    return _load(text, ctx, pointer)


def _decode(text: str) -> tuple[object, bool]:
    """The parsed value, and whether some object repeats a key (then the last occurrence is kept)."""
    try:
        return _STRICT.decode(text), False
    except _DuplicateKey:
        return json.loads(text), True


def _load(text: str, ctx: ReadContext, embedded_at: str | None) -> object | None:
    base = embedded_at or ""
    try:
        value, duplicated = _decode(text)
    except json.JSONDecodeError as error:
        if text.isspace() or not text:
            _report_empty(ctx, embedded_at)
        else:
            _report_syntax(text, ctx, embedded_at, error)
        return None
    except RecursionError:
        _report_too_deep(text, ctx, embedded_at)
        return None
    except ValueError:
        # the only other ValueError the decoder raises: an integer over Python's digit limit
        if not _report_huge_integer(text, ctx, embedded_at):
            raise
        return None
    # a text with at most MAX_DEPTH brackets cannot nest deeper: skip the walk on the common path
    if text.count("{") + text.count("[") > MAX_DEPTH and _depth_exceeds(value, MAX_DEPTH):
        _report_too_deep(text, ctx, embedded_at)
        return None
    if duplicated:
        scan = ctx.sources._scan_of(ctx.file, embedded_at)
        for dup in scan.duplicates if scan is not None else ():
            _report_duplicate(ctx, base, dup)
    return value


def _report_empty(ctx: ReadContext, embedded_at: str | None) -> None:
    if embedded_at is None:
        ctx.report(INPUT_ERROR, f"`{ctx.file}` is empty", "")
    else:
        ctx.report(SYN_STRUCTURE, "this string should hold a JSON document but is empty", embedded_at)


def _depth_exceeds(value: object, limit: int) -> bool:
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _where(ctx: ReadContext, embedded_at: str | None, offset: int) -> str:
    line, column = ctx.sources.line_column(ctx.file, offset, embedded_at=embedded_at)
    return f"line {line} column {column}"


_JSON_MESSAGES = {
    "Expecting value": "expected a value",
    "Expecting ',' delimiter": "expected `,` or a closing bracket",
    "Expecting ':' delimiter": "expected `:` after the key",
    "Expecting property name enclosed in double quotes": "expected a key in double quotes",
    "Unterminated string starting at": "unterminated string",
    "Invalid control character at": "control character inside a string (write it as an escape such as `\\n`)",
    "Invalid \\escape": "invalid escape in a string",
    "Invalid \\uXXXX escape": "invalid `\\u` escape in a string",
    "Extra data": "unexpected text after the end of the JSON document",
}


def _report_syntax(text: str, ctx: ReadContext, embedded_at: str | None, error: json.JSONDecodeError) -> None:
    at = error.pos
    before = text[:at].rstrip()
    if not text[at:].strip():
        what = "the text ends in the middle of the document (is it truncated?)"
    elif before.endswith(",") and text[at] in "]}":
        what = f"trailing comma before `{text[at]}`"
    else:
        what = _JSON_MESSAGES.get(error.msg, error.msg[:1].lower() + error.msg[1:])
    base = embedded_at or ""
    scan = _scan(text, limit=at)
    pointer = base + scan.error_pointer
    ctx.report(SYN_STRUCTURE, f"invalid JSON at {_where(ctx, embedded_at, at)}: {what}", pointer)


def _report_too_deep(text: str, ctx: ReadContext, embedded_at: str | None) -> None:
    scan = ctx.sources._scan_of(ctx.file, embedded_at) or _scan(text)
    pointer = scan.too_deep or ""
    start = scan.index.get(pointer, (0, 0))[0]
    ctx.report(
        INPUT_ERROR,
        f"nesting deeper than {MAX_DEPTH} levels at {_where(ctx, embedded_at, start)}",
        (embedded_at or "") + pointer,
    )


_INTEGER = re.compile(r"-?([0-9]+)")


def _report_huge_integer(text: str, ctx: ReadContext, embedded_at: str | None) -> bool:
    """Report the first integer longer than `sys.get_int_max_str_digits()`; False when there is none."""
    limit = sys.get_int_max_str_digits()
    scan = ctx.sources._scan_of(ctx.file, embedded_at) or _scan(text)
    huge: list[tuple[int, int, str]] = []  # (start, digits, pointer)
    for pointer, (start, end) in scan.index.items():
        literal = _INTEGER.match(text, start, end)
        if literal is not None and literal.end() == end and 0 < limit < len(literal.group(1)):
            huge.append((start, len(literal.group(1)), pointer))
    if not huge:
        return False
    start, digits, pointer = min(huge)
    ctx.report(
        INPUT_ERROR,
        f"integer of {digits:,} digits at {_where(ctx, embedded_at, start)}: "
        f"integers longer than {limit:,} digits cannot be read",
        (embedded_at or "") + pointer,
    )
    return True


def _report_duplicate(ctx: ReadContext, base: str, dup: Duplicate) -> None:
    places = [
        ctx.sources.locate(Span(file=ctx.file, pointer=base + occurrence(dup.pointer, n)))
        for n in range(1, dup.count + 1)
    ]
    where = [f"line {p.line} column {p.column}" if p else "?" for p in places]
    for n in range(1, dup.count + 1):
        if n == 1:
            message = (
                f"duplicate key `{dup.key}`: repeated at {', '.join(where[1:])}; only the last one counts"
            )
        else:
            message = f"duplicate key `{dup.key}`: first defined at {where[0]}; only the last one counts"
        ctx.report(SYN_STRUCTURE, message, base + occurrence(dup.pointer, n))
