"""Witness request contexts: the condition values a caller can choose, taken from the policies in play.

A request that the plain direct-call context does not satisfy may still be allowed when the caller
sets an encryption context, calls through a service or an endpoint, or uses MFA. The graph and `diff`
retry denied requests with contexts built here and record the one that the evaluator allowed. Only
keys the caller controls are used: identity keys (`aws:PrincipalArn`, `aws:PrincipalOrgID`,
`aws:PrincipalTag/*`, ...) and resource keys are never invented.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

from kmspolicy.model import Condition, ContextValue, Grant, Policy, Unknown

_CONTROLLED_PREFIXES = ("kms:encryptioncontext:", "aws:requesttag/")
_CONTROLLED = frozenset(
    {
        "kms:viaservice",
        "kms:encryptionalgorithm",
        "kms:signingalgorithm",
        "kms:macalgorithm",
        "kms:encryptioncontextkeys",
        "kms:grantoperations",
        "kms:granteeprincipal",
        "kms:retiringprincipal",
        "kms:grantisforawsresource",
        "kms:requestalias",
        "aws:sourcevpce",
        "aws:sourcevpc",
        "aws:sourceip",
        "aws:vpcsourceip",
        "aws:multifactorauthpresent",
        "aws:multifactorauthage",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceorgid",
        "aws:calledvia",
        "aws:calledviafirst",
        "aws:calledvialast",
        "aws:tagkeys",
    }
)
_FILLER = "kmspolicy-x"
_PRODUCT_LIMIT = 256
_PER_KEY_LIMIT = 6

Context = dict[str, ContextValue]


def controlled(key_lower: str) -> bool:
    """Whether the caller chooses this condition key's value in its request."""
    return key_lower in _CONTROLLED or key_lower.startswith(_CONTROLLED_PREFIXES)


def _values_for(condition: Condition) -> list[str]:
    """Request values that make the condition hold, or fail, for each listed value."""
    op = condition.operator
    out: list[str] = []
    for value in condition.values:
        if isinstance(value, Unknown) or "${" in value:
            continue  # a variable's value depends on the caller, not on what it writes in the request
        if op is not None and op.family == "Numeric":
            try:
                number = int(value)
            except ValueError:
                continue
            out.extend(str(n) for n in (number - 1, number, number + 1) if n >= 0)
        elif op is not None and op.family == "IpAddress":
            out.append(value.split("/", 1)[0])
        elif op is not None and op.family == "Bool":
            out.extend((value.lower(), "false" if value.lower() == "true" else "true"))
        elif "*" in value or "?" in value:
            # two fillings: the shortest match, and one that differs from any literal value
            out.append(value.replace("*", "").replace("?", "x"))
            out.append(value.replace("*", _FILLER).replace("?", "x"))
        else:
            out.append(value)
    return out


def _candidates(conditions: Iterable[Condition], grants: Iterable[Grant]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for condition in conditions:
        if controlled(condition.key_lower):
            bucket = found.setdefault(condition.key_lower, [])
            bucket.extend(v for v in _values_for(condition) if v not in bucket)
    for grant in grants:
        constraints = grant.constraints
        if constraints is None:
            continue
        for pairs in (constraints.encryption_context_equals, constraints.encryption_context_subset):
            for name, value in (pairs or {}).items():
                bucket = found.setdefault(f"kms:encryptioncontext:{name}".lower(), [])
                if value not in bucket:
                    bucket.append(value)
    return found


def conditions_of(policies: Iterable[Policy | None]) -> list[Condition]:
    return [c for p in policies if p is not None for s in p.statements for c in s.conditions]


def witness_contexts(
    policies: Iterable[Policy | None],
    grants: Iterable[Grant] = (),
    *,
    limit: int = _PRODUCT_LIMIT,
    only: Mapping[str, Iterable[str]] | None = None,
) -> list[Context]:
    """Contexts to retry a denied request with, the plain context first (see `contexts_from`)."""
    return contexts_from(conditions_of(list(policies)), grants, limit=limit, only=only)


def contexts_from(
    conditions: Iterable[Condition],
    grants: Iterable[Grant] = (),
    *,
    limit: int = _PRODUCT_LIMIT,
    only: Mapping[str, Iterable[str]] | None = None,
) -> list[Context]:
    """Contexts built from these conditions and grant constraints, the plain context first.

    When the product of the candidate values (each key also absent) is small, every combination is
    returned, so that no combination of conditions is missed; otherwise one context per candidate value
    and one with every key at its first value. `only` restricts a key (lower case) that the conditions
    read to the values given: the ones the caller can really send (the aliases of the key for
    `kms:requestalias`).
    """
    grant_list = list(grants)
    candidates = _candidates(conditions, grant_list)
    for key, values in (only or {}).items():
        if key in candidates:
            candidates[key] = list(values)
            if not candidates[key]:
                del candidates[key]
    return combine(candidates, limit=limit, grants=grant_list)


def combine(
    candidates: Mapping[str, list[str]], *, limit: int = _PRODUCT_LIMIT, grants: Iterable[Grant] = ()
) -> list[Context]:
    keys = sorted(candidates)
    choices = [[None, *candidates[k][:_PER_KEY_LIMIT]] for k in keys]
    size = 1
    for choice in choices:
        size *= len(choice)
    out: list[Context] = []
    if size <= limit:
        for combo in itertools.product(*choices):
            out.append({k: _shape(k, v) for k, v in zip(keys, combo, strict=True) if v is not None})
    else:
        out.append({})
        for key in keys:
            out.extend({key: _shape(key, v)} for v in candidates[key][:_PER_KEY_LIMIT])
        out.append({k: _shape(k, candidates[k][0]) for k in keys if candidates[k]})
        for grant in grants:
            constraints = grant.constraints
            pairs = (
                {}
                if constraints is None
                else {
                    **(constraints.encryption_context_subset or {}),
                    **(constraints.encryption_context_equals or {}),
                }
            )
            if pairs:
                out.append({f"kms:encryptioncontext:{k}".lower(): v for k, v in pairs.items()})
    unique: dict[tuple[tuple[str, ContextValue], ...], Context] = {}
    for context in out:
        unique.setdefault(tuple(sorted(context.items())), context)
    return list(unique.values())


def _shape(key: str, value: str) -> ContextValue:
    # multi-valued keys are sent as lists; a single value list is what a one-key request carries
    if key in ("kms:encryptioncontextkeys", "kms:grantoperations", "aws:tagkeys", "aws:calledvia"):
        return (value,)
    return value
