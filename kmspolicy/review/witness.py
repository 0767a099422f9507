"""Witness request contexts: the condition values a caller can choose, taken from the policies in play.

A request that the plain direct-call context does not satisfy may still be allowed when the caller
sets an encryption context, calls through a service or an endpoint, or uses MFA. The graph and `diff`
retry denied requests with contexts built here and record the one that the evaluator allowed. Only
keys the caller controls are used: identity keys (`aws:PrincipalArn`, `aws:PrincipalOrgID`,
`aws:PrincipalTag/*`, ...) and resource keys are never invented, with one exception: a stand-in for
the principals of accounts the input does not describe (`*`, another account) may be in any
organisation, at any place in it, so its `aws:PrincipalOrgID` and `aws:PrincipalOrgPaths` are witness
values too, kept consistent: a context with a path puts the caller in the organisation the path starts
with (`StandIn`).

Some keys only a request that an AWS service makes on the caller's behalf carries (`SERVICE_ONLY`);
`direct` drops the contexts with them where the caller must make the call itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kmspolicy.conditions import Glob
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
        "kms:grantconstrainttype",
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
        # what the caller passes to sts:AssumeRole, which trust policies test
        "sts:externalid",
        "sts:rolesessionname",
        "sts:sourceidentity",
    }
)
# Keys that AWS sets only when an integrated service calls on the principal's behalf (§3.1, §3.3): a
# principal calling KMS itself cannot send them (W36: `kms:GrantIsForAWSResource` is never true then).
SERVICE_ONLY = frozenset(
    {
        "kms:viaservice",
        "kms:grantisforawsresource",
        "aws:viaawsservice",
        "aws:calledvia",
        "aws:calledviafirst",
        "aws:calledvialast",
    }
)
_FILLER = "kmspolicy-x"
_ORG_KEY = "aws:principalorgid"
_PATHS_KEY = "aws:principalorgpaths"
# an organisation id that no policy names: `o-` and lower-case letters, as real ids are
_ORG_FILLER = "kmspolicyx"
_NO_ORG = "o-" + _ORG_FILLER
# a place in that organisation: its root, written as AWS writes paths (`o-.../r-.../ou-.../`)
_NO_ORG_PATH = f"{_NO_ORG}/r-{_ORG_FILLER}/"
_PRODUCT_LIMIT = 256
_PER_KEY_LIMIT = 6

Context = dict[str, ContextValue]


def controlled(key_lower: str) -> bool:
    """Whether the caller chooses this condition key's value in its request."""
    return key_lower in _CONTROLLED or key_lower.startswith(_CONTROLLED_PREFIXES)


@dataclass(frozen=True)
class StandIn:
    """The caller stands for principals of accounts the input does not describe: whichever organisation
    they are in is theirs to have, except `excluded` (the trusted organisations and the account's own,
    which other nodes of the graph stand for).

    Its `aws:PrincipalOrgID` witnesses are the ids the conditions write, patterns filled in with an id
    they match (`o-*` -> `o-kmspolicyx`), and `o-kmspolicyx` (an organisation no policy names). A literal
    id is used only when `excluded` names some organisation: otherwise nothing says which is the owner's
    own, and the one a policy pins is most likely it (as `kmspolicy.rules.exposure.owner_org` reads it).
    """

    excluded: frozenset[str] = frozenset()

    def orgs(self, conditions: Iterable[Condition]) -> list[str]:
        found: list[str] = []
        for condition in conditions:
            if condition.key_lower != _ORG_KEY:
                continue
            for value in condition.values:
                if isinstance(value, Unknown) or "${" in value:
                    continue
                org = self._org(value)
                if org is not None:
                    found.append(org)
            found.append(_NO_ORG)
        return self._outside(found, lambda org: org)

    def paths(self, conditions: Iterable[Condition]) -> list[str]:
        """Its `aws:PrincipalOrgPaths` witnesses: the paths the conditions write, each starting with an
        organisation id chosen as for `orgs` (`o-*/*` -> `o-kmspolicyx/kmspolicyx`, a literal id only when
        `excluded` names some organisation, never an excluded one), the rest of a pattern filled in; and
        the root of `o-kmspolicyx`."""
        found: list[str] = []
        for condition in conditions:
            if condition.key_lower != _PATHS_KEY:
                continue
            for value in condition.values:
                if isinstance(value, Unknown) or "${" in value:
                    continue
                head, slash, rest = value.partition("/")
                org = self._org(head)
                if org is not None and not org.startswith("o-"):
                    # a pattern's head such as `*` spans the id and more: fill it with a real-looking id
                    org = _NO_ORG if Glob(head).match(_NO_ORG) else None
                if org is not None:
                    found.append(org + slash + _filled(rest))
            found.append(_NO_ORG_PATH)
        return self._outside(found, _path_org)

    def _org(self, value: str) -> str | None:
        if "*" in value or "?" in value:
            return _filled(value)
        return value if self.excluded else None

    def _outside(self, found: list[str], org_of: Callable[[str], str]) -> list[str]:
        excluded = {o.lower() for o in self.excluded}
        return [v for v in dict.fromkeys(found) if org_of(v).lower() not in excluded]


def _path_org(path: str) -> str:
    """The organisation an `aws:PrincipalOrgPaths` value is in: its first segment."""
    return path.split("/", 1)[0]


def _filled(pattern: str) -> str:
    return pattern.replace("*", _ORG_FILLER).replace("?", "x")


def direct(contexts: Iterable[Context]) -> list[Context]:
    """The contexts a principal can send calling KMS itself: none with a `SERVICE_ONLY` key."""
    return [c for c in contexts if not any(k.lower() in SERVICE_ONLY for k in c)]


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


def _candidates(
    conditions: list[Condition], grants: Iterable[Grant], stand_in: StandIn | None
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if stand_in is not None:
        for key, values in ((_ORG_KEY, stand_in.orgs(conditions)), (_PATHS_KEY, stand_in.paths(conditions))):
            if values:
                found[key] = values
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
    stand_in: StandIn | None = None,
) -> list[Context]:
    """Contexts to retry a denied request with, the plain context first (see `contexts_from`)."""
    return contexts_from(conditions_of(list(policies)), grants, limit=limit, only=only, stand_in=stand_in)


def contexts_from(
    conditions: Iterable[Condition],
    grants: Iterable[Grant] = (),
    *,
    limit: int = _PRODUCT_LIMIT,
    only: Mapping[str, Iterable[str]] | None = None,
    stand_in: StandIn | None = None,
) -> list[Context]:
    """Contexts built from these conditions and grant constraints, the plain context first.

    When the product of the candidate values (each key also absent) is small, every combination is
    returned, so that no combination of conditions is missed; otherwise one context per candidate value
    and one with every key at its first value. `only` restricts a key (lower case) that the conditions
    read to the values given: the ones the caller can really send (the aliases of the key for
    `kms:requestalias`). With `stand_in`, the caller's organisation is a witness value too.
    """
    grant_list = list(grants)
    candidates = _candidates(list(conditions), grant_list, stand_in)
    for key, values in (only or {}).items():
        if key in candidates:
            candidates[key] = list(values)
            if not candidates[key]:
                del candidates[key]
    found = combine(candidates, limit=limit, grants=grant_list)
    if _PATHS_KEY not in candidates:
        return found
    # a caller at a place in an organisation is in that organisation, whatever the product paired
    unique: dict[tuple[tuple[str, ContextValue], ...], Context] = {}
    for context in found:
        path = context.get(_PATHS_KEY)
        if isinstance(path, tuple) and path:
            context = {**context, _ORG_KEY: _path_org(path[0])}
        unique.setdefault(tuple(sorted(context.items())), context)
    return list(unique.values())


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


_MULTI_VALUED = frozenset(
    {"kms:encryptioncontextkeys", "kms:grantoperations", "aws:tagkeys", "aws:calledvia", _PATHS_KEY}
)


def _shape(key: str, value: str) -> ContextValue:
    # multi-valued keys are sent as lists; a single value list is what a one-key request carries
    if key in _MULTI_VALUED:
        return (value,)
    return value
