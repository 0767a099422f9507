"""Assemble a `Situation` and a `Request` from separate input files (the flag form of `explain`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kmspolicy.model import (
    ContextValue,
    Document,
    Grant,
    InputKind,
    Key,
    Policy,
    PolicyKind,
    PolicyLevel,
    Request,
    Severity,
    Situation,
)
from kmspolicy.parse import parse_paths
from kmspolicy.parse.source import SourceSet


class InputError(ValueError):
    """An input file could not be used; the message names the file, the place and the problem."""


def _read(path: Path, kind: InputKind | None, sources: SourceSet) -> Document:
    result = parse_paths([str(path)], kind=kind)
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    if errors:
        first = errors[0]
        where = result.sources.locate(first.span)
        pos = f"{where.line}:{where.column}" if where else "1:1"
        raise InputError(f"{first.span.file}:{pos}: {first.message}")
    sources.merge(result.sources)
    if not result.documents:
        raise InputError(f"{path}: nothing could be read from this file")
    return result.documents[0]


def _policies(document: Document) -> list[Policy]:
    found = list(document.policies)
    found.extend(key.policy for key in document.keys if key.policy is not None)
    return found


def _one_policy(path: Path, kind: InputKind, sources: SourceSet) -> Policy:
    policies = _policies(_read(path, kind, sources))
    if len(policies) != 1:
        raise InputError(f"{path}: expected one policy document, found {len(policies)}")
    return policies[0]


def _policy_as(policy: Policy, kind: PolicyKind) -> Policy:
    return policy if policy.kind is kind else policy.model_copy(update={"kind": kind})


def parse_context(pairs: Sequence[str]) -> dict[str, ContextValue]:
    """`KEY=VALUE` pairs; a key given more than once becomes a list of values."""
    context: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"context `{pair}` is not of the form KEY=VALUE")
        context.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else tuple(values) for key, values in context.items()}


def situation_from_files(
    *,
    request: Request | None,
    principal: str | None,
    action: str | None,
    resource: str | None,
    context: Sequence[str],
    grant_tokens: Sequence[str],
    key_policy: Path | None,
    key: Path | None,
    identity_policies: Sequence[Path],
    boundary: Path | None,
    session_policies: Sequence[Path],
    scps: Sequence[Path],
    rcps: Sequence[Path],
    grants: Path | None,
) -> tuple[Situation, Request, SourceSet]:
    sources = SourceSet()
    key_model: Key | None = None
    if key is not None:
        keys = _read(key, InputKind.DESCRIBE_KEY, sources).keys
        key_model = keys[0] if keys else None
    policy = _one_policy(key_policy, InputKind.KEY_POLICY, sources) if key_policy is not None else None
    grant_list: tuple[Grant, ...] = ()
    if grants is not None:
        document = _read(grants, InputKind.LIST_GRANTS, sources)
        grant_list = document.grants + tuple(g for k in document.keys for g in k.grants)
    if request is None:
        if principal is None or action is None:
            raise InputError("a request needs a principal and an action")
        request = Request(
            principal=principal,
            action=action,
            resource=resource or (str(key_model.arn) if key_model is not None else "*"),
            context=parse_context(context),
            grant_tokens=tuple(grant_tokens),
        )
    elif context or grant_tokens:
        request = request.model_copy(
            update={
                "context": {**request.context, **parse_context(context)},
                "grant_tokens": request.grant_tokens + tuple(grant_tokens),
            }
        )
    if key_model is None and request.resource.startswith("arn:") and ":key/" in request.resource:
        arn = request.resource
        parts = arn.split(":", 5)
        key_model = Key(
            arn=arn, key_id=parts[5].split("/", 1)[1], account=parts[4], region=parts[3], partition=parts[1]
        )
    situation = Situation(
        key=key_model,
        key_policy=policy,
        identity_policies=tuple(
            _policy_as(_one_policy(p, InputKind.IDENTITY_POLICY, sources), PolicyKind.IDENTITY)
            for p in identity_policies
        ),
        permission_boundary=(
            _policy_as(_one_policy(boundary, InputKind.IDENTITY_POLICY, sources), PolicyKind.BOUNDARY)
            if boundary is not None
            else None
        ),
        session_policies=tuple(
            _policy_as(_one_policy(p, InputKind.IDENTITY_POLICY, sources), PolicyKind.SESSION)
            for p in session_policies
        ),
        scps=_level("scps", scps, PolicyKind.SCP, sources),
        rcps=_level("rcps", rcps, PolicyKind.RCP, sources),
        grants=grant_list,
    )
    return situation, request, sources


def _level(
    name: str, paths: Sequence[Path], kind: PolicyKind, sources: SourceSet
) -> tuple[PolicyLevel, ...] | None:
    if not paths:
        return None
    policies = tuple(_policy_as(_one_policy(p, InputKind.IDENTITY_POLICY, sources), kind) for p in paths)
    return (PolicyLevel(name=name, policies=policies),)
