"""The JSON that `aws kms` prints: get-key-policy, describe-key, list-grants, list-aliases and
get-key-rotation-status.

Each reader takes the decoded top-level object and returns one `Document`. The objects inside
(key metadata, grants, the policy) are read by `kmspolicy.parse.policy`; this module knows only the
envelopes: which fields each command prints, and what a truncated listing means for the analysis.
"""

from __future__ import annotations

from kmspolicy.grammar import GrammarError, parse_arn
from kmspolicy.model import Alias, Document, Grant, InputKind, Key, Policy, PolicyKind, Severity, Unknown
from kmspolicy.parse.context import INPUT_ERROR, SYN_STRUCTURE, ReadContext, pointer_join
from kmspolicy.parse.policy import Record, describe, read_grant, read_key_metadata, read_policy
from kmspolicy.parse.source import load_embedded_json


def _envelope(obj: object, ctx: ReadContext, command: str, fields: frozenset[str]) -> Record | None:
    if not isinstance(obj, dict):
        ctx.report(
            SYN_STRUCTURE, f"`aws kms {command}` output must be a JSON object, found {describe(obj)}", ""
        )
        return None
    record = Record(obj, ctx, "", f"`aws kms {command}` output")
    record.check_fields(fields)
    return record


def _truncated(record: Record, what: str) -> None:
    """A listing that says more pages follow is incomplete input: what the missing pages hold (a grant to
    another account, say) cannot be checked, so it is a finding, not a note."""
    if record.boolean("Truncated") or record.string("NextMarker") is not None:
        record.ctx.report(
            INPUT_ERROR,
            f"the listing is truncated (`Truncated`/`NextMarker`): {what} on later pages are not in this "
            "file and were not checked",
            "/NextMarker" if "NextMarker" in record.obj else "/Truncated",
            severity=Severity.MEDIUM,
            help="list every page (the AWS CLI does unless `--max-items` or `--no-paginate` is given)",
        )


# --------------------------------------------------------------------------- get-key-policy

_GET_KEY_POLICY_FIELDS = frozenset({"Policy", "PolicyName"})


def read_get_key_policy(obj: object, ctx: ReadContext) -> Document:
    """`{"Policy": "<the key policy as a JSON string>", "PolicyName": "default"}`."""
    record = _envelope(obj, ctx, "get-key-policy", _GET_KEY_POLICY_FIELDS)
    policy: Policy | None = None
    if record is not None:
        record.string("PolicyName")
        raw = record.obj.get("Policy")
        if "Policy" not in record.obj:
            ctx.report(SYN_STRUCTURE, "`aws kms get-key-policy` output has no `Policy`", "")
        elif isinstance(raw, str):
            inner = load_embedded_json(raw, ctx, "/Policy")
            if inner is not None:
                policy = read_policy(inner, ctx, "/Policy", kind=PolicyKind.KEY)
        elif isinstance(raw, dict):
            # jq pipelines and some SDK wrappers decode the string already
            ctx.notes.append("`Policy` is an object rather than a JSON string; it was read as the key policy")
            policy = read_policy(raw, ctx, "/Policy", kind=PolicyKind.KEY)
        else:
            ctx.report(
                SYN_STRUCTURE,
                f"`Policy` must be the key policy as a JSON string, found {describe(raw)}",
                "/Policy",
            )
    return Document.trusted(
        file=ctx.file, kind=InputKind.GET_KEY_POLICY, policies=(policy,) if policy is not None else ()
    )


# --------------------------------------------------------------------------- describe-key


def read_describe_key(obj: object, ctx: ReadContext) -> Document:
    """`{"KeyMetadata": {...}}`."""
    record = _envelope(obj, ctx, "describe-key", frozenset({"KeyMetadata"}))
    key: Key | None = None
    if record is not None:
        if "KeyMetadata" in record.obj:
            key = read_key_metadata(record.obj["KeyMetadata"], ctx, "/KeyMetadata")
        else:
            ctx.report(SYN_STRUCTURE, "`aws kms describe-key` output has no `KeyMetadata`", "")
    return Document.trusted(
        file=ctx.file, kind=InputKind.DESCRIBE_KEY, keys=(key,) if key is not None else ()
    )


# --------------------------------------------------------------------------- list-grants

_LISTING_FIELDS = frozenset({"NextMarker", "Truncated"})


def _entries(record: Record, name: str) -> list[tuple[object, str]]:
    """The entries of the listing array `name`, with their pointers."""
    if name not in record.obj:
        record.ctx.report(SYN_STRUCTURE, f"{record.what} has no `{name}`", "")
        return []
    value = record.obj[name]
    if not isinstance(value, list):
        record.ctx.report(SYN_STRUCTURE, f"`{name}` must be an array, found {describe(value)}", f"/{name}")
        return []
    return [(entry, pointer_join("", name, index)) for index, entry in enumerate(value)]


def read_list_grants(obj: object, ctx: ReadContext) -> Document:
    """`{"Grants": [...], "NextMarker": "...", "Truncated": true}`; the grants stay unattached."""
    record = _envelope(obj, ctx, "list-grants", _LISTING_FIELDS | {"Grants"})
    grants: list[Grant] = []
    if record is not None:
        for entry, pointer in _entries(record, "Grants"):
            grant = read_grant(entry, ctx, pointer)
            if grant is not None:
                grants.append(grant)
        _truncated(record, "grants")
    return Document.trusted(file=ctx.file, kind=InputKind.LIST_GRANTS, grants=tuple(grants))


# --------------------------------------------------------------------------- list-aliases

_ALIAS_FIELDS = frozenset({"AliasName", "AliasArn", "TargetKeyId", "CreationDate", "LastUpdatedDate"})


def read_list_aliases(obj: object, ctx: ReadContext) -> Document:
    """`{"Aliases": [{"AliasName": "alias/x", "AliasArn": ..., "TargetKeyId": ...}, ...]}`."""
    record = _envelope(obj, ctx, "list-aliases", _LISTING_FIELDS | {"Aliases"})
    aliases: list[Alias] = []
    if record is not None:
        for entry, pointer in _entries(record, "Aliases"):
            alias = _read_alias(entry, ctx, pointer)
            if alias is not None:
                aliases.append(alias)
        _truncated(record, "aliases")
    return Document.trusted(file=ctx.file, kind=InputKind.LIST_ALIASES, aliases=tuple(aliases))


def _read_alias(obj: object, ctx: ReadContext, pointer: str) -> Alias | None:
    if not isinstance(obj, dict):
        ctx.report(SYN_STRUCTURE, f"an alias must be an object, found {describe(obj)}", pointer)
        return None
    alias = Record(obj, ctx, pointer, "an alias")
    alias.check_fields(_ALIAS_FIELDS)
    name = alias.string("AliasName", required=True)
    arn = alias.string("AliasArn")
    target = alias.string("TargetKeyId")
    alias.timestamp("CreationDate")
    alias.timestamp("LastUpdatedDate")
    if name is None:
        return None
    if not name.startswith("alias/"):
        ctx.report(
            SYN_STRUCTURE,
            f"alias names start with `alias/`, found `{name}`",
            pointer_join(pointer, "AliasName"),
        )
    return Alias.trusted(name=name, arn=arn, target_key_id=target, span=ctx.span(pointer))


# --------------------------------------------------------------------------- get-key-rotation-status

_ROTATION_FIELDS = frozenset(
    {"KeyRotationEnabled", "RotationPeriodInDays", "KeyId", "NextRotationDate", "OnDemandRotationStartDate"}
)


def read_rotation_status(obj: object, ctx: ReadContext) -> Document:
    """`{"KeyRotationEnabled": true, "KeyId": "<key ARN>", "RotationPeriodInDays": 365, ...}`."""
    record = _envelope(obj, ctx, "get-key-rotation-status", _ROTATION_FIELDS)
    if record is None:
        return Document.trusted(file=ctx.file, kind=InputKind.ROTATION_STATUS)
    if "KeyRotationEnabled" not in record.obj:
        ctx.report(SYN_STRUCTURE, f"{record.what} has no `KeyRotationEnabled`", "")
    enabled = record.boolean("KeyRotationEnabled")
    period = record.integer("RotationPeriodInDays")
    record.timestamp("NextRotationDate")
    record.timestamp("OnDemandRotationStartDate")
    key = _key_from_id(record.string("KeyId"), ctx, rotation_enabled=enabled, rotation_period_days=period)
    return Document.trusted(file=ctx.file, kind=InputKind.ROTATION_STATUS, keys=(key,))


def _key_from_id(key_id: str | None, ctx: ReadContext, **fields: object) -> Key:
    """A key known only by the `KeyId` of an output: an ARN gives account and region, a bare id does not."""
    fields["span"] = ctx.span("")
    if key_id is None:
        ctx.notes.append("the output does not say which key it is about (no `KeyId`; older AWS CLI versions)")
        return Key.trusted(arn=Unknown.trusted(expr="the key ARN"), key_id="", account=ctx.account, **fields)
    if not key_id.startswith("arn:"):
        unknown = Unknown.trusted(expr=f"the ARN of key `{key_id}`")
        return Key.trusted(arn=unknown, key_id=key_id, account=ctx.account, **fields)
    try:
        arn = parse_arn(key_id)
    except GrammarError as error:
        ctx.report(SYN_STRUCTURE, f"`KeyId` is not a valid key ARN: {error}", "/KeyId")
        return Key.trusted(arn=Unknown.trusted(expr=key_id), key_id=key_id, account=ctx.account, **fields)
    return Key.trusted(
        arn=key_id,
        key_id=arn.resource.removeprefix("key/"),
        account=arn.account or ctx.account,
        region=arn.region or None,
        partition=arn.partition,
        **fields,
    )
