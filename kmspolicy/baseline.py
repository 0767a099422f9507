"""Fingerprints of findings, and baseline files that let a team adopt kmspolicy on existing policies.

A fingerprint must survive what people do to policy files without changing what they mean:
re-indenting, reordering keys, reordering statements, adding unrelated statements, or reformatting a
policy embedded as a JSON string. So it is built from the *path* of the finding through the parsed
document rather than from line numbers or array positions:

- the rule id and the file (as given, normalised);
- the JSON pointer, walked through the parsed document, with every array position replaced by what
  identifies the element: its `Sid` (or `GrantId`, `address`, ...) when it has one, a hash of its
  normalised content when it is an object without one, and `*` for plain values;
- the value the pointer ends at, normalised (key order and list order do not count).

The cost: a finding in a statement without a Sid changes fingerprint when that statement's content
changes. Give statements Sids to make baselines robust.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from kmspolicy.model import Finding
from kmspolicy.parse.context import INPUT_ERROR_RULES, ReadContext
from kmspolicy.parse.source import SourceSet

# Keys that name an array element whatever its position: statements, grants, Terraform resources,
# IAM entities and policies in snapshots.
_IDENTITY_KEYS = (
    "Sid",
    "GrantId",
    "address",
    "KeyId",
    "KeyArn",
    "AliasName",
    "Arn",
    "PolicyName",
    "PolicyArn",
    "RoleName",
    "UserName",
    "GroupName",
)

BASELINE_VERSION = 1


class BaselineError(ValueError):
    """A baseline file that cannot be read; the message names the file."""


class _Unparsed:
    """The source text is not JSON or YAML that kmspolicy can walk."""


_UNPARSED = _Unparsed()


@lru_cache(maxsize=16)
def _document(file: str, text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        pass
    except ValueError:
        # JSON holding an integer over Python's digit limit: reported when parsed, nothing to walk
        return _UNPARSED
    # The parser's own YAML reading, so that pointers agree (CloudFormation short forms become their
    # long forms) and alias bombs are refused; its findings were reported when the file was parsed.
    from kmspolicy.parse.yamlload import load_yaml  # only YAML inputs need PyYAML

    loaded = load_yaml(text, ReadContext(file=file, sources=SourceSet()))
    return loaded if isinstance(loaded, dict | list) else _UNPARSED


def _canonical(value: Any) -> str:
    """Normalised JSON: key order, list order and embedded-JSON formatting do not count."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), default=str)


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        embedded = _embedded(value)
        return value if embedded is None else _normalise(embedded)
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted(
            (_normalise(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str)
        )
    return value


def _embedded(value: str) -> dict[str, Any] | list[Any] | None:
    """A JSON object or array written as a string (get-key-policy output, Terraform plans)."""
    if not value.lstrip().startswith(("{", "[")):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


def _anchor(element: Any) -> str:
    if isinstance(element, dict):
        for key in _IDENTITY_KEYS:
            if isinstance(element.get(key), str):
                return f"[{key}={element[key]}]"
    if isinstance(element, dict | list):
        return "[#" + hashlib.sha256(_canonical(element).encode()).hexdigest()[:16] + "]"
    return "[*]"


def _segments(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def _walk(document: Any, pointer: str) -> tuple[list[str], Any]:
    """Position-free labels for the pointer's path, and the value it ends at (None if it does not exist).

    Segments the document does not have (a finding about a missing element) are kept as written.
    """
    labels: list[str] = []
    node = document
    segments = _segments(pointer)
    for at, segment in enumerate(segments):
        if isinstance(node, str):
            node = _embedded(node)
        if isinstance(node, dict) and segment in node:
            labels.append(segment)
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
            labels.append(_anchor(node))
        else:
            return labels + segments[at:], None
    return labels, node


def fingerprint(finding: Finding, sources: SourceSet) -> str:
    """A hex digest that identifies the finding across reformatting and reordering of the file."""
    file = finding.span.file
    text = sources.text(file)
    document = _UNPARSED if text is None else _document(file, text)
    parts = [finding.id, os.path.normpath(file).replace(os.sep, "/") if file else file]
    if isinstance(document, _Unparsed):
        # Nothing to walk: the pointer and the message are all there is to tell findings apart.
        parts += [finding.span.pointer, finding.message]
    else:
        labels, value = _walk(document, finding.span.pointer)
        parts += ["/".join(labels), _canonical(value)]
    # surrogatepass: lone surrogates (non-UTF-8 file names, `\ud800` escapes) still hash, stably
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    fingerprint: str
    id: str
    rule: str
    file: str
    message: str


class _BaselineFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    version: Literal[1]
    tool: Literal["kmspolicy"]
    findings: tuple[_Entry, ...]


def write_baseline(path: Path, findings: Iterable[Finding], sources: SourceSet) -> None:
    """Record every finding except input errors (a broken file must never be accepted as known)."""
    entries = sorted(
        (
            _Entry(
                fingerprint=fingerprint(f, sources), id=f.id, rule=f.rule, file=f.span.file, message=f.message
            )
            for f in findings
            if f.rule not in INPUT_ERROR_RULES
        ),
        key=lambda e: (e.file, e.id, e.fingerprint),
    )
    body = _BaselineFile(version=BASELINE_VERSION, tool="kmspolicy", findings=tuple(entries))
    path.write_text(json.dumps(body.model_dump(), indent=2) + "\n", encoding="utf-8")


def read_baseline(path: Path) -> set[str]:
    """The fingerprints in a baseline file; raises `BaselineError` when it is not one."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"{path}: cannot read the baseline: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise BaselineError(
            f"{path}:{error.lineno}:{error.colno}: not a kmspolicy baseline (not JSON: {error.msg}); "
            "write one with --write-baseline"
        ) from None
    except ValueError:  # UnicodeDecodeError is one
        raise BaselineError(
            f"{path}: not a kmspolicy baseline (not UTF-8 JSON); write one with --write-baseline"
        ) from None
    try:
        body = _BaselineFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(part) for part in first["loc"]) or "top level"
        message = "is required" if first["type"] == "missing" else first["msg"][0].lower() + first["msg"][1:]
        raise BaselineError(f"{path}: not a kmspolicy baseline: at `{where}`: {message}") from None
    return {entry.fingerprint for entry in body.findings}


def filter_new(findings: Iterable[Finding], baseline: set[str], sources: SourceSet) -> list[Finding]:
    """The findings whose fingerprint is not in the baseline; input errors always stay."""
    return [f for f in findings if f.rule in INPUT_ERROR_RULES or fingerprint(f, sources) not in baseline]
