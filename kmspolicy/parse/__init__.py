"""Text to model: find the input files, tell what each one is, and hand it to its reader.

Every problem with an input becomes a `Finding` in the result, never an exception: a missing path,
an unreadable or oversized file, a shape that matches no known format, and even a bug in a reader
(reported as an internal error naming the file). One bad file never stops the others.
"""

from __future__ import annotations

import gc
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kmspolicy.model import Document, Finding, InputKind, Policy, PolicyKind, Severity
from kmspolicy.parse import awscli, cloudformation, snapshot, terraform
from kmspolicy.parse.context import INPUT_ERROR, ReadContext
from kmspolicy.parse.policy import describe, read_policy
from kmspolicy.parse.source import (
    DEFAULT_MAX_BYTES,
    SourceSet,
    decode_bytes,
    load_json_text,
    read_file_text,
)

__all__ = [
    "STDIN",
    "STDIN_NAME",
    "ParseResult",
    "detect_kind",
    "parse_paths",
    "parse_text",
    "read_policy_object",
]

STDIN = "-"
STDIN_NAME = "<stdin>"
_SUFFIXES = (".json", ".yaml", ".yml", ".template")  # `.tf.json` ends in `.json`
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class ParseResult:
    documents: list[Document]
    findings: list[Finding]
    sources: SourceSet


# --------------------------------------------------------------------------- what a file is

_POLICY_ELEMENTS = frozenset({"Version", "Id", "Statement"})
_TERRAFORM_SECTIONS = ("planned_values", "resource_changes", "configuration", "prior_state")


def _is_cloudformation(obj: dict[str, object]) -> bool:
    if "AWSTemplateFormatVersion" in obj:
        return True
    resources = obj.get("Resources")
    return isinstance(resources, dict) and any(
        isinstance(resource, dict) and str(resource.get("Type", "")).startswith("AWS::")
        for resource in resources.values()
    )


# Checked in order: the IaC formats first, as their top levels are the most distinctive.
_SHAPES: tuple[tuple[InputKind, Callable[[dict[str, object]], bool]], ...] = (
    (InputKind.CLOUDFORMATION, _is_cloudformation),
    (
        InputKind.TERRAFORM_PLAN,
        lambda obj: "format_version" in obj and any(section in obj for section in _TERRAFORM_SECTIONS),
    ),
    (
        InputKind.POLICY,
        lambda obj: "Statement" in obj or ("Version" in obj and obj.keys() <= _POLICY_ELEMENTS),
    ),
    (InputKind.GET_KEY_POLICY, lambda obj: "Policy" in obj),
    (InputKind.DESCRIBE_KEY, lambda obj: "KeyMetadata" in obj),
    (InputKind.LIST_GRANTS, lambda obj: "Grants" in obj),
    (InputKind.LIST_ALIASES, lambda obj: "Aliases" in obj),
    (InputKind.ROTATION_STATUS, lambda obj: "KeyRotationEnabled" in obj),
)


def detect_kind(obj: object) -> InputKind | None:
    """The input kind a decoded file looks like, from its top-level keys; None when nothing fits."""
    if not isinstance(obj, dict):
        return None
    return next((kind for kind, matches in _SHAPES if matches(obj)), None)


def _cannot_tell(obj: object, ctx: ReadContext) -> None:
    found = (
        "top-level keys " + ", ".join(f"`{key}`" for key in list(obj)[:8])
        if isinstance(obj, dict) and obj
        else describe(obj)
    )
    ctx.report(
        INPUT_ERROR,
        "cannot tell what this file is: expected a policy document, the output of `aws kms get-key-policy`, "
        "`describe-key`, `list-grants`, `list-aliases` or `get-key-rotation-status`, a CloudFormation "
        "template or a Terraform plan (`terraform show -json`)",
        "",
        help=f"found {found}; pass `--kind` to say what the file is",
    )


# --------------------------------------------------------------------------- reading one input

_POLICY_KINDS = {
    InputKind.POLICY: None,
    InputKind.KEY_POLICY: PolicyKind.KEY,
    InputKind.IDENTITY_POLICY: PolicyKind.IDENTITY,
}

_READERS: dict[InputKind, Callable[[object, ReadContext], Document]] = {
    InputKind.GET_KEY_POLICY: awscli.read_get_key_policy,
    InputKind.DESCRIBE_KEY: awscli.read_describe_key,
    InputKind.LIST_GRANTS: awscli.read_list_grants,
    InputKind.LIST_ALIASES: awscli.read_list_aliases,
    InputKind.ROTATION_STATUS: awscli.read_rotation_status,
    InputKind.CLOUDFORMATION: cloudformation.read_cloudformation,
    InputKind.TERRAFORM_PLAN: terraform.read_terraform_plan,
}


def _read_document(obj: object, ctx: ReadContext, kind: InputKind | None) -> Document | None:
    kind = kind or detect_kind(obj)
    if kind is InputKind.KEY_POLICY and isinstance(obj, dict) and "Policy" in obj and "Statement" not in obj:
        kind = InputKind.GET_KEY_POLICY  # asked for a key policy, given `aws kms get-key-policy` output
    if kind is None:
        _cannot_tell(obj, ctx)
        return None
    if kind in _POLICY_KINDS:
        policy = read_policy(obj, ctx, "", kind=_POLICY_KINDS[kind])
        policies = (policy,) if policy is not None else ()
        # the key-or-identity note is made here: copying the document to add it costs more than reading it
        return Document.trusted(file=ctx.file, kind=kind, policies=policies, notes=tuple(ctx.notes))
    if kind is InputKind.SNAPSHOT:
        ctx.report(INPUT_ERROR, "an account snapshot is a folder, not a single file", "")
        return None
    return _READERS[kind](obj, ctx)


def _read_text(text: str, ctx: ReadContext, kind: InputKind | None, *, yaml: bool | None) -> Document | None:
    """Decode and read one file's text; `yaml=None` decides JSON or YAML from the first character."""
    if yaml is None:
        yaml = not text.lstrip("\ufeff \t\r\n").startswith(("{", "["))
    reported = len(ctx.findings)
    if yaml:
        from kmspolicy.parse.yamlload import load_yaml  # PyYAML costs a JSON-only run 10 ms of start-up

        obj = load_yaml(text, ctx)
    else:
        obj = load_json_text(text, ctx)
    if obj is None:
        if len(ctx.findings) == reported:  # the loaders report unusable text; a `null` document is ours
            _cannot_tell(obj, ctx)
        return None
    document = _read_document(obj, ctx, kind)
    if document is not None and ctx.notes:
        notes = tuple(dict.fromkeys((*document.notes, *ctx.notes)))
        if notes != document.notes:
            document = document.model_copy(update={"notes": notes})
    return document


def _guarded(ctx: ReadContext, read: Callable[[], Document | None]) -> Document | None:
    """Run a reader so that a bug in it becomes a finding about this file instead of ending the run."""
    try:
        return read()
    except Exception as error:  # the point: survive any reader bug
        ctx.report(
            INPUT_ERROR,
            f"internal error while reading `{ctx.file}`: {error or type(error).__name__}",
            "",
            help=f"this is a bug in kmspolicy ({type(error).__name__}); please report it with the file",
        )
        return None


def _suffix_says_yaml(name: str) -> bool | None:
    lower = name.lower()
    if lower.endswith(".json"):
        return False
    if lower.endswith(_YAML_SUFFIXES):
        return True
    return None


# --------------------------------------------------------------------------- public entry points


def parse_text(
    text: str, file: str, *, kind: InputKind | None = None, account: str | None = None
) -> ParseResult:
    """Read one input given as text; `file` names it in spans and decides JSON vs YAML by its suffix."""
    sources = SourceSet()
    ctx = ReadContext(file=file, sources=sources, account=account)
    document = _guarded(ctx, lambda: _read_text(text, ctx, kind, yaml=_suffix_says_yaml(file)))
    return ParseResult([document] if document is not None else [], ctx.findings, sources)


def read_policy_object(obj: object, *, kind: PolicyKind, name: str) -> Policy:
    """A policy document given as a Python value (as `json.loads` returns it), read as a file's would
    be, named `name` in its spans; `ValueError` when it is not a policy at all."""
    ctx = ReadContext(file=name, sources=SourceSet())
    policy = read_policy(obj, ctx, "", kind=kind, name=name)
    if policy is None:
        raise ValueError("; ".join(f.message for f in ctx.findings) or f"`{name}` is not a policy")
    return policy


@dataclass
class _Input:
    name: str
    path: str | None  # None: standard input
    snapshot: bool = False


def parse_paths(
    paths: Sequence[str],
    *,
    kind: InputKind | None = None,
    account: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = False,
) -> ParseResult:
    """Read files, folders (recursively, in sorted order; snapshot folders as one input) and `-` (stdin)."""
    with _no_collector_pauses():
        return _parse_paths(paths, kind=kind, account=account, max_bytes=max_bytes, progress=progress)


@contextmanager
def _no_collector_pauses() -> Iterator[None]:
    """Pause the cyclic garbage collector while reading.

    Reading builds many small acyclic objects that all stay alive, so the collector can free none of
    them, yet its full passes over the growing heap cost more than the reading itself (five times the
    parse time on 10,000 documents, see benchmarks/). Reference counting still frees everything else.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was read stays alive as long as the result does; freezing it keeps the collector from
        # re-scanning it all when it is enabled again (0.8 s of 2.5 s for 10,000 documents).
        gc.freeze()
        if enabled:
            gc.enable()


def _parse_paths(
    paths: Sequence[str], *, kind: InputKind | None, account: str | None, max_bytes: int, progress: bool
) -> ParseResult:
    result = ParseResult([], [], SourceSet())
    inputs: list[_Input] = []
    for raw in paths:
        if raw == STDIN:
            inputs.append(_Input(STDIN_NAME, None))
            continue
        try:
            folder = stat.S_ISDIR(os.stat(raw).st_mode)
        except OSError:
            folder = None  # missing, or unreadable: `read_file_text` says which
        if folder:
            skipped: list[str] = []
            found = list(_walk(str(Path(raw)), kind, skipped))
            inputs.extend(found)
            _report_walk(raw, found, skipped, result, account)
        elif folder is not None or os.path.lexists(raw):
            inputs.append(_Input(raw, raw))
        else:
            ctx = ReadContext(file=raw, sources=result.sources, account=account)
            ctx.report(INPUT_ERROR, f"`{raw}` does not exist", "")
            result.findings.extend(ctx.findings)
    step = max(1, len(inputs) // 100)
    for done, item in enumerate(inputs, 1):
        if progress and (done % step == 0 or done == len(inputs)):
            print(f"\rreading {done:,}/{len(inputs):,}", end="", file=sys.stderr, flush=True)
        _read_input(item, result, kind=kind, account=account, max_bytes=max_bytes)
    if progress and inputs:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    return result


def _report_walk(
    root: str, found: list[_Input], skipped: list[str], result: ParseResult, account: str | None
) -> None:
    """A folder with nothing to read is an input error (a CI job pointed at the wrong folder must not
    pass); files of other types in it are named, not read."""
    ctx = ReadContext(file=root, sources=result.sources, account=account)
    if not found:
        ctx.report(
            INPUT_ERROR,
            f"`{root}` holds no input file (`{'`, `'.join(_SUFFIXES)}`)",
            "",
            help="point kmspolicy at the policies, templates, plans or snapshot folders to check",
        )
    if skipped:
        shown = ", ".join(f"`{name}`" for name in skipped[:_SKIPPED_SHOWN])
        more = f" and {len(skipped) - _SKIPPED_SHOWN} more" if len(skipped) > _SKIPPED_SHOWN else ""
        ctx.report(
            INPUT_ERROR,
            f"{len(skipped)} file(s) below `{root}` not read, not JSON or YAML: {shown}{more}",
            "",
            severity=Severity.INFO,
            help="Terraform is read as a plan: `terraform show -json PLAN > plan.json`"
            if any(name.endswith(".tf") for name in skipped)
            else "",
        )
    result.findings.extend(ctx.findings)


_SKIPPED_SHOWN = 5


def _walk(root: str, kind: InputKind | None, skipped: list[str]) -> Iterator[_Input]:
    """Input files below `root` in sorted order; hidden folders (`.git`, `.terraform`) are not entered,
    and other files below it are added to `skipped`."""
    if kind is InputKind.SNAPSHOT or _is_snapshot(Path(root)):
        yield _Input(root, root, snapshot=True)
        return
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        yield _Input(root, root)  # read_file_text reports why it cannot be read
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if not entry.name.startswith("."):
                yield from _walk(entry.path, None, skipped)
        elif entry.name.lower().endswith(_SUFFIXES):
            yield _Input(entry.path, entry.path)
        elif not entry.name.startswith("."):
            skipped.append(entry.path)


def _is_snapshot(root: Path) -> bool:
    # a bug here must not end the run: the folder's files are then read one by one and reported
    try:
        return snapshot.is_snapshot(root)
    except Exception:
        return False


def _read_input(
    item: _Input, result: ParseResult, *, kind: InputKind | None, account: str | None, max_bytes: int
) -> None:
    ctx = ReadContext(file=item.name, sources=result.sources, account=account)
    document: Document | None
    if item.snapshot and item.path is not None:
        root = Path(item.path)

        def read_snapshot() -> Document:
            found, problems = snapshot.read_snapshot(
                root, result.sources, account=account, max_bytes=max_bytes
            )
            ctx.findings.extend(problems)
            return found

        document = _guarded(ctx, read_snapshot)
    else:
        document = _guarded(ctx, lambda: _read_file(item, ctx, kind, max_bytes))
    if document is not None:
        result.documents.append(document)
    result.findings.extend(ctx.findings)


def _read_file(item: _Input, ctx: ReadContext, kind: InputKind | None, max_bytes: int) -> Document | None:
    if item.path is None:
        text = decode_bytes(sys.stdin.buffer.read(max_bytes + 1), ctx, max_bytes)
    else:
        text = read_file_text(item.path, ctx, max_bytes)
    if text is None:
        return None
    return _read_text(text, ctx, kind, yaml=_suffix_says_yaml(item.name))
