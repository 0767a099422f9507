"""Access scenarios: a world (key, policies, grants, organisation) plus requests and their expected outcome.

A scenario file is JSON or YAML. Every field is optional except `request` (or `requests`):

    name, description              free text; `name` defaults to the file's stem
    key                            the `KeyMetadata` of `aws kms describe-key` (Arn, KeyManager, KeySpec,
                                   KeyUsage, Origin, KeyState, MultiRegion, ...; KeyId defaults from the
                                   Arn, the Arn from a key-ARN request), plus `Tags` (a map) and
                                   `Aliases` (alias names)
    key_policy                     a policy document
    identity_policies              documents, or `{name, policy}` objects
    permission_boundary            a document
    session_policies               documents
    scps, rcps                     a flat list of documents (one level), or levels `{name, policies}` root
                                   first; when given they are the complete set in force
    grants                         `list-grants` entries, plus `GrantToken` (the token CreateGrant returned);
                                   a grant whose CreationDate is within minutes of the request's
                                   aws:CurrentTime is not yet consistent (reference §1.5)
    caller                         `tags`, `org_id`, `org_paths` of the calling principal
    request                        `principal`, `action`, `resource`, `context`, `grant_tokens`, `grant_id`
    expect                         `ALLOW`, `IMPLICIT_DENY` or `EXPLICIT_DENY`
    expect_determining             refs such as `{layer: key_policy, sid: AppUse}`,
                                   `{layer: identity, policy: app, index: 0}`, `{layer: grant, grant_id: g1}`

`requests` replaces `request` when several requests run against one world: each entry holds the request
fields, its own `expect` / `expect_determining`, an optional `name` (`a`, `b`, ...), and may override any
world field (W38 re-encrypts between two keys with different policies).

Policies are read through `kmspolicy.parse.policy.read_policy` with the right `PolicyKind`, so their spans
point into the scenario file and reports can show code frames from it. Problems are findings with a
position, never exceptions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, get_args

from kmspolicy.model import (
    ContextValue,
    Decision,
    DecisionEffect,
    Finding,
    Frozen,
    Grant,
    Key,
    Policy,
    PolicyKind,
    PolicyLevel,
    Request,
    Situation,
    Span,
    StatementRef,
)
from kmspolicy.parse import STDIN, STDIN_NAME
from kmspolicy.parse.context import SYN_STRUCTURE, ReadContext, pointer_join
from kmspolicy.parse.policy import read_grant, read_key_metadata, read_policy
from kmspolicy.parse.source import SourceSet, decode_bytes, load_json_text, read_file_text
from kmspolicy.parse.yamlload import load_yaml


class Scenario(Frozen):
    """One request against one world, with the outcome the reference predicts for it."""

    name: str
    file: str
    description: str = ""
    situation: Situation
    request: Request
    expect: DecisionEffect | None = None
    expect_determining: tuple[StatementRef, ...] | None = None  # None: not checked
    span: Span


_WORLD_FIELDS = (
    "key",
    "key_policy",
    "identity_policies",
    "permission_boundary",
    "session_policies",
    "scps",
    "rcps",
    "grants",
    "caller",
)
_REQUEST_FIELDS = ("principal", "action", "resource", "context", "grant_tokens", "grant_id")
_OUTCOME_FIELDS = ("expect", "expect_determining")
_TOP_FIELDS = frozenset(("name", "description", *_WORLD_FIELDS, "request", "requests", *_OUTCOME_FIELDS))
_ENTRY_FIELDS = frozenset(("name", "description", *_WORLD_FIELDS, *_REQUEST_FIELDS, *_OUTCOME_FIELDS))
# `describe-key` has neither; scenarios give a key's tags as a map and its aliases as names.
_KEY_EXTRAS = ("Tags", "Aliases")
_CALLER_FIELDS = frozenset(("tags", "org_id", "org_paths"))
_REF_FIELDS = frozenset(("layer", "policy", "sid", "index", "grant_id"))
_LAYERS = frozenset(("key_policy", "identity", "boundary", "session", "scp", "rcp", "grant", "trust"))
_EFFECTS: tuple[str, ...] = get_args(DecisionEffect)
# The grant token is known only to whoever created the grant; `list-grants` does not show it.
_GRANT_TOKEN = "GrantToken"


_T = TypeVar("_T")


class _Reader:
    """Reads one scenario file; the per-field readers return None after reporting what was wrong."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        # World fields shared by several requests are read once: one finding per problem, and one
        # policy object, which the evaluator compiles once.
        self.read: dict[tuple[str, str], Any] = {}

    def once(self, pointer: str, variant: str, build: Callable[[], _T]) -> _T:
        if (pointer, variant) not in self.read:
            self.read[pointer, variant] = build()
        result: _T = self.read[pointer, variant]
        return result

    # ----------------------------------------------------------------- shape checks

    def mapping(self, value: object, pointer: str, what: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.ctx.report(SYN_STRUCTURE, f"{what} must be a map", pointer)
        return None

    def known(self, obj: Mapping[str, Any], allowed: frozenset[str], pointer: str, what: str) -> None:
        for field in obj:
            if field not in allowed:
                self.ctx.report(
                    SYN_STRUCTURE,
                    f"unknown field `{field}` in {what}",
                    pointer_join(pointer, str(field)),
                    help="known fields: " + ", ".join(f"`{name}`" for name in sorted(allowed)),
                )

    def text(self, value: object, pointer: str, what: str) -> str | None:
        if isinstance(value, str):
            return value
        self.ctx.report(SYN_STRUCTURE, f"{what} must be a string", pointer)
        return None

    def items(self, value: object, pointer: str, what: str) -> list[tuple[Any, str]]:
        """A list's elements with their pointers; a single value stands for a one-element list."""
        if isinstance(value, list):
            return [(item, pointer_join(pointer, index)) for index, item in enumerate(value)]
        if value is None:
            self.ctx.report(SYN_STRUCTURE, f"{what} must not be empty", pointer)
            return []
        return [(value, pointer)]

    def context_value(self, value: object, pointer: str) -> ContextValue | None:
        # YAML turns `true` and `42` into non-strings; request context values are strings on the wire.
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        if isinstance(value, list):
            out = [self.context_value(item, pointer_join(pointer, i)) for i, item in enumerate(value)]
            return tuple(item for item in out if isinstance(item, str))
        self.ctx.report(SYN_STRUCTURE, "a context value must be a string or a list of strings", pointer)
        return None

    # ----------------------------------------------------------------- policies

    def policy(self, value: object, pointer: str, kind: PolicyKind, name: str | None = None) -> Policy | None:
        return read_policy(value, self.ctx, pointer, kind=kind, name=name)

    def policies(self, value: object, pointer: str, kind: PolicyKind, what: str) -> tuple[Policy, ...]:
        out: list[Policy] = []
        for item, item_pointer in self.items(value, pointer, what):
            name: str | None = None
            document = item
            if isinstance(item, Mapping) and "policy" in item:
                self.known(item, frozenset(("name", "policy")), item_pointer, f"a named {what} entry")
                name = self.text(item.get("name"), pointer_join(item_pointer, "name"), "`name`")
                document, item_pointer = item["policy"], pointer_join(item_pointer, "policy")
            policy = self.policy(document, item_pointer, kind, name)
            if policy is not None:
                out.append(policy)
        return tuple(out)

    def levels(self, value: object, pointer: str, kind: PolicyKind) -> tuple[PolicyLevel, ...]:
        what = kind.value.upper()
        entries = self.items(value, pointer, f"`{kind.value}s`")
        if not any(isinstance(item, Mapping) and "policies" in item for item, _ in entries):
            return (PolicyLevel(name="root", policies=self.policies(value, pointer, kind, what)),)
        levels: list[PolicyLevel] = []
        for item, item_pointer in entries:
            level = self.mapping(item, item_pointer, f"an {what} level")
            if level is None:
                continue
            self.known(level, frozenset(("name", "policies")), item_pointer, f"an {what} level")
            name = self.text(
                level.get("name", f"level {len(levels)}"), pointer_join(item_pointer, "name"), "`name`"
            )
            policies = self.policies(
                level.get("policies", []), pointer_join(item_pointer, "policies"), kind, what
            )
            levels.append(PolicyLevel(name=name or "", policies=policies))
        return tuple(levels)

    # ----------------------------------------------------------------- key, grants, caller

    def key(self, value: object, pointer: str, resource: str) -> Key | None:
        meta = self.mapping(value, pointer, "`key`") if value is not None else {}
        if meta is None:
            return None
        metadata = {name: field for name, field in meta.items() if name not in _KEY_EXTRAS}
        if "Arn" not in metadata and ":key/" in resource:
            metadata["Arn"] = resource
        arn = metadata.get("Arn")
        if arn is None:
            self.ctx.report(
                SYN_STRUCTURE,
                "`key` needs an `Arn` when the request does not name the key by its ARN",
                pointer,
            )
            return None
        if isinstance(arn, str) and "KeyId" not in metadata:
            metadata["KeyId"] = arn.rsplit("/", 1)[-1]
        key = read_key_metadata(metadata, self.ctx, pointer)
        if key is None:
            return None
        extras: dict[str, Any] = {}
        if "Tags" in meta:
            tags = self.mapping(meta["Tags"], pointer_join(pointer, "Tags"), "`Tags`")
            extras["tags"] = {str(k): str(v) for k, v in (tags or {}).items()}
        if "Aliases" in meta:
            aliases = self.items(meta["Aliases"], pointer_join(pointer, "Aliases"), "`Aliases`")
            extras["aliases"] = tuple(a for a, at in aliases if self.text(a, at, "an alias name") is not None)
        return key.model_copy(update=extras)

    def grants(self, value: object, pointer: str, key_arn: str | None) -> tuple[Grant, ...]:
        grants: list[Grant] = []
        for item, item_pointer in self.items(value, pointer, "`grants`"):
            entry = self.mapping(item, item_pointer, "a grant")
            if entry is None:
                continue
            listing = {name: field for name, field in entry.items() if name != _GRANT_TOKEN}
            if key_arn is not None:
                listing.setdefault("KeyId", key_arn)
            grant = read_grant(listing, self.ctx, item_pointer)
            if grant is None:
                continue
            if _GRANT_TOKEN in entry:
                token = self.text(
                    entry[_GRANT_TOKEN], pointer_join(item_pointer, _GRANT_TOKEN), f"`{_GRANT_TOKEN}`"
                )
                grant = grant.model_copy(update={"token": token})
            grants.append(grant)
        return tuple(grants)

    def caller(self, value: object, pointer: str) -> dict[str, Any]:
        caller = self.mapping(value, pointer, "`caller`")
        if caller is None:
            return {}
        self.known(caller, _CALLER_FIELDS, pointer, "`caller`")
        out: dict[str, Any] = {}
        tags = caller.get("tags", {})
        if isinstance(tags, Mapping):
            out["caller_tags"] = {str(k): str(v) for k, v in tags.items()}
        else:
            self.ctx.report(SYN_STRUCTURE, "`tags` must be a map", pointer_join(pointer, "tags"))
        if "org_id" in caller:
            out["caller_org_id"] = self.text(caller["org_id"], pointer_join(pointer, "org_id"), "`org_id`")
        paths = self.items(caller.get("org_paths", []), pointer_join(pointer, "org_paths"), "`org_paths`")
        out["caller_org_paths"] = tuple(p for p, at in paths if self.text(p, at, "an org path") is not None)
        return out

    # ----------------------------------------------------------------- world and request

    def situation(self, world: Mapping[str, Any], pointers: Mapping[str, str], request: Request) -> Situation:
        def read(field: str, build: Callable[[Any, str], Any], variant: str = "") -> Any:
            pointer = pointers[field]
            return self.once(pointer, variant, lambda: build(world[field], pointer))

        fields: dict[str, Any] = {}
        key = None
        if "key" in world or ":key/" in request.resource:
            key = self.once(
                pointers["key"],
                request.resource,
                lambda: self.key(world.get("key"), pointers["key"], request.resource),
            )
        readers: dict[str, Callable[[Any, str], Any]] = {
            "key_policy": lambda value, at: self.policy(value, at, PolicyKind.KEY),
            "identity_policies": lambda value, at: self.policies(
                value, at, PolicyKind.IDENTITY, "identity policy"
            ),
            "permission_boundary": lambda value, at: self.policy(value, at, PolicyKind.BOUNDARY),
            "session_policies": lambda value, at: self.policies(
                value, at, PolicyKind.SESSION, "session policy"
            ),
            "scps": lambda value, at: self.levels(value, at, PolicyKind.SCP),
            "rcps": lambda value, at: self.levels(value, at, PolicyKind.RCP),
        }
        for field, build in readers.items():
            if field in world:
                fields[field] = read(field, build)
        if "grants" in world:
            key_arn = key.arn if key is not None and isinstance(key.arn, str) else None
            fields["grants"] = read("grants", lambda value, at: self.grants(value, at, key_arn), str(key_arn))
        if "caller" in world:
            fields.update(read("caller", self.caller))
        if key is not None:
            key = key.model_copy(
                update={"policy": fields.get("key_policy"), "grants": fields.get("grants", ())}
            )
        return Situation(key=key, **fields)

    def request(self, entry: Mapping[str, Any], pointer: str) -> Request | None:
        fields: dict[str, Any] = {}
        for name in ("principal", "action", "resource", "grant_id"):
            if name in entry:
                fields[name] = self.text(entry[name], pointer_join(pointer, name), f"`{name}`")
        for name in ("principal", "action"):
            if fields.get(name) is None:
                if name not in entry:
                    self.ctx.report(SYN_STRUCTURE, f"the request has no `{name}`", pointer)
                return None
        if fields.get("resource", "") is None or fields.get("grant_id", "") is None:
            return None
        if "context" in entry:
            context_at = pointer_join(pointer, "context")
            context = self.mapping(entry["context"] or {}, context_at, "`context`")
            values = {
                str(k): self.context_value(v, pointer_join(context_at, str(k)))
                for k, v in (context or {}).items()
            }
            fields["context"] = {k: v for k, v in values.items() if v is not None}
        if "grant_tokens" in entry:
            tokens_at = pointer_join(pointer, "grant_tokens")
            tokens = self.items(entry["grant_tokens"], tokens_at, "`grant_tokens`")
            fields["grant_tokens"] = tuple(
                t for t, at in tokens if self.text(t, at, "a grant token") is not None
            )
        return Request(**fields)

    def outcome(self, entry: Mapping[str, Any], pointer: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "expect" in entry:
            effect = entry["expect"]
            if effect in _EFFECTS:
                out["expect"] = effect
            else:
                self.ctx.report(
                    SYN_STRUCTURE,
                    f"`expect` must be one of {', '.join(f'`{e}`' for e in _EFFECTS)}",
                    pointer_join(pointer, "expect"),
                )
        if "expect_determining" in entry:
            refs_at = pointer_join(pointer, "expect_determining")
            refs = [
                self.ref(item, at) for item, at in self.items(entry["expect_determining"] or [], refs_at, "")
            ]
            out["expect_determining"] = tuple(ref for ref in refs if ref is not None)
        return out

    def ref(self, value: object, pointer: str) -> StatementRef | None:
        ref = self.mapping(value, pointer, "a determining statement")
        if ref is None:
            return None
        self.known(ref, _REF_FIELDS, pointer, "a determining statement")
        if ref.get("layer") not in _LAYERS:
            self.ctx.report(
                SYN_STRUCTURE,
                f"`layer` must be one of {', '.join(f'`{name}`' for name in sorted(_LAYERS))}",
                pointer_join(pointer, "layer"),
            )
            return None
        try:
            return StatementRef(**{k: v for k, v in ref.items() if k in _REF_FIELDS})
        except ValueError as error:
            self.ctx.report(SYN_STRUCTURE, f"invalid determining statement: {_first_error(error)}", pointer)
            return None

    # ----------------------------------------------------------------- the file

    def scenarios(self, document: object, stem: str) -> list[Scenario]:
        top = self.mapping(document, "", "a scenario file")
        if top is None:
            return []
        self.known(top, _TOP_FIELDS, "", "a scenario")
        name = self.text(top["name"], "/name", "`name`") if "name" in top else stem
        if name is None:
            return []
        description = top.get("description", "")
        if "request" in top and "requests" in top:
            self.ctx.report(SYN_STRUCTURE, "give either `request` or `requests`, not both", "/requests")
            return []
        # (request fields, pointer, label): the label is None for the single `request` form
        entries: list[tuple[Mapping[str, Any], str, str | None]] = []
        if "request" in top:
            body = self.mapping(top["request"], "/request", "`request`")
            if body is None:
                return []
            self.known(body, frozenset(_REQUEST_FIELDS), "/request", "`request`")
            entries.append(({**body, **{k: top[k] for k in _OUTCOME_FIELDS if k in top}}, "/request", None))
        elif "requests" in top:
            for index, (item, at) in enumerate(self.items(top["requests"], "/requests", "`requests`")):
                entry = self.mapping(item, at, "a request")
                if entry is not None:
                    self.known(entry, _ENTRY_FIELDS, at, "a request")
                    entries.append((entry, at, str(entry.get("name", chr(ord("a") + index)))))
            if top["requests"] == []:
                self.ctx.report(SYN_STRUCTURE, "`requests` must hold at least one request", "/requests")
        else:
            self.ctx.report(SYN_STRUCTURE, "a scenario needs a `request` or `requests`", "")
            return []

        out: list[Scenario] = []
        for entry, at, label in entries:
            request = self.request(entry, at)
            if request is None:
                continue
            world = {
                **{k: top[k] for k in _WORLD_FIELDS if k in top},
                **{k: entry[k] for k in _WORLD_FIELDS if k in entry},
            }
            pointers = {
                k: pointer_join(at if k in entry and label is not None else "", k) for k in _WORLD_FIELDS
            }
            outcome_at = at if label is not None else ""
            out.append(
                Scenario(
                    name=f"{name}[{label}]" if label is not None else str(name),
                    file=self.ctx.file,
                    description=str(entry.get("description", description)),
                    situation=self.situation(world, pointers, request),
                    request=request,
                    span=self.ctx.span(at),
                    **self.outcome(entry, outcome_at),
                )
            )
        return out


def _first_error(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg'].lower()}"
    return str(error)


def load_scenarios(path: Path, sources: SourceSet) -> tuple[list[Scenario], list[Finding]]:
    """Read one scenario file; findings carry their resolved location.

    Every scenario that could be read is returned, whatever the findings:
    `kmspolicy.parse.context.input_errors` picks those that make the file unusable.
    """
    stdin = str(path) == STDIN
    ctx = ReadContext(file=STDIN_NAME if stdin else str(path), sources=sources)
    text = decode_bytes(sys.stdin.buffer.read(), ctx) if stdin else read_file_text(path, ctx)
    scenarios: list[Scenario] = []
    if text is not None:
        reported = len(ctx.findings)
        if stdin:  # no suffix to go by: JSON starts with a bracket, anything else is YAML
            is_yaml = not text.lstrip("\ufeff \t\r\n").startswith(("{", "["))
        else:
            is_yaml = path.suffix.lower() in (".yaml", ".yml")
        document = load_yaml(text, ctx) if is_yaml else load_json_text(text, ctx)
        # the loaders report text they cannot use; a `null` document is left to the shape check
        if document is not None or len(ctx.findings) == reported:
            scenarios = _Reader(ctx).scenarios(document, path.stem)
    findings = [f.model_copy(update={"location": sources.locate(f.span)}) for f in ctx.findings]
    return scenarios, findings


# --------------------------------------------------------------------------- checking a decision


_LAYER_NAMES = {
    "key_policy": "key policy",
    "identity": "identity policy",
    "boundary": "permissions boundary",
    "session": "session policy",
    "scp": "SCP",
    "rcp": "RCP",
    "trust": "trust policy",
}


def describe_ref(ref: StatementRef) -> str:
    """`key policy statement `AppUse``, `identity policy `app` statement 0`, `grant `g1``."""
    if ref.layer == "grant":
        return f"grant `{ref.grant_id}`"
    where = _LAYER_NAMES.get(ref.layer, ref.layer)
    if ref.policy is not None and ref.layer in ("identity", "session"):
        where += f" `{ref.policy}`"
    if ref.sid is not None:
        return f"{where} statement `{ref.sid}`"
    if ref.index is not None:
        return f"{where} statement {ref.index}"
    return where


def _matches(expected: StatementRef, actual: StatementRef) -> bool:
    return expected.layer == actual.layer and all(
        getattr(expected, field) is None or getattr(expected, field) == getattr(actual, field)
        for field in ("policy", "sid", "index", "grant_id")
    )


def check(scenario: Scenario, decision: Decision) -> list[str]:
    """What differs between the decision and the scenario's expectation (empty: it agrees).

    Determining statements must pair up one to one: each expected ref matches a distinct determining ref
    on the fields it gives, and no determining ref is left over.
    """
    problems: list[str] = []
    if scenario.expect is not None and decision.effect != scenario.expect:
        problems.append(f"expected `{scenario.expect}`, got `{decision.effect}` ({decision.reason})")
    if scenario.expect_determining is None:
        return problems
    unmatched = list(decision.determining)
    for expected in scenario.expect_determining:
        found = next((actual for actual in unmatched if _matches(expected, actual)), None)
        if found is None:
            problems.append(
                f"expected determining {describe_ref(expected)}, not among the determining statements"
            )
        else:
            unmatched.remove(found)
    problems.extend(f"unexpected determining {describe_ref(actual)}" for actual in unmatched)
    return problems
