"""The reference authoriser: a slow, literal transcription of kms-authorization.md §1.10.

`authorize(situation, request)` takes the same model types as the analyser's evaluator and returns the
effect and the statements (or grants) that determined it. It is written to be read next to the
reference: each step below names the section it comes from. Nothing here is shared with
`kmspolicy.evaluate`; the two implementations are compared by the differential tests.

Choices where the reference leaves room (all "best reading" unless the reference pins them):
- determining statements: for EXPLICIT_DENY every matching Deny, in layer order key policy, identity,
  boundary, session, SCP, RCP; for ALLOW the statements of the first allow path of §1.10 that succeeds
  (key-policy statements, then identity statements, or the matching grants); IMPLICIT_DENY has none.
- a grant whose grantee is an account root ARN matches only that account's root user (§9 q2).
- a grant with a `SourceArn` constraint matches only requests whose `aws:SourceArn` is exactly that ARN,
  for every operation, whoever the grantee (§1.5 "Grantee principal", §9 q1; `_source_arn_holds`); a
  child grant made through it keeps the constraint.
- grants are effective when their token is in the request, or when they are at least
  `grant_consistency_seconds` (default 300, AWS's "about five minutes") old at `now`; `now` defaults to
  the request's `aws:CurrentTime`; a request without a time of its own comes after every listed grant
  (§1.5, §1.11), and its `aws:CurrentTime` is the simulator's epoch 2026-01-01T00:00:00Z.
- `aws:ResourceTag/*` and `kms:ResourceAliases` are absent when key-policy statements are evaluated
  (IAM-only keys, §1.9, §9 q23).
- a key-less request (`Resource` `*`) matches an identity `Resource` that is `*`, or an ARN pattern
  whose resource part matches `*` for the caller's account and `aws:RequestedRegion` (§2.4).
- on a key-less action the resource-property keys of §3.2 are absent even when the request sets them,
  except CreateKey's request parameters and `kms:CallerAccount` for CreateKey and the custom key store
  operations (§3.1), and `kms:ViaService` for CreateKey (§4 lists it for the action; §3.1's "key-resource
  ops" summary does not, and the per-action list is the more specific source).
- `aws:MultiFactorAuthPresent` is `false` for temporary credentials (role sessions, a role ARN as caller,
  federated users) unless the request says otherwise, and absent for users, root and services (§3.3).
- `kms:GrantIsForAWSResource` is present on the grant APIs: `true` when `kms:ViaService` is, else `false`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal

from kmspolicy.model import (
    DecisionEffect,
    Grant,
    Key,
    Policy,
    Principal,
    Request,
    Situation,
    Statement,
    StatementRef,
    Unknown,
)
from kmspolicy.simulator.catalogue import (
    ALIAS_ACTIONS,
    ALIAS_KEY_ID_ACTIONS,
    CANONICAL_ACTION,
    CREATE_KEY_DEFAULTS,
    CROSS_ACCOUNT_ACTIONS,
    DATA_KEY_ACTIONS,
    ENCRYPTION_CONTEXT_OPERATIONS,
    FOREIGN_KEY_ID_ACTIONS,
    GRANT_API_ACTIONS,
    IAM_ONLY_ACTIONS,
    KEYLESS_RESOURCE_KEYS,
    RESOURCE_PROPERTY_KEYS,
)
from kmspolicy.simulator.clock import EPOCH_START
from kmspolicy.simulator.matching import (
    MODERN_VERSION,
    Context,
    ContextValue,
    action_matches,
    arn_matches,
    condition_holds,
    epoch_seconds,
    resource_matches,
    split_arn,
)

CONSISTENCY_WINDOW_SECONDS = 300.0
KEY_RESOLUTION = "key"  # the `layer` of a refusal because the request's KeyId does not name the key
CallerKind = Literal["root", "user", "role", "session", "federated", "service", "unknown"]

# the AccessDeniedException "<context>" phrases of reference §6.2, by layer
DENY_PHRASE = {
    "key_policy": "resource-based policy",
    "identity": "identity-based policy",
    "boundary": "permissions boundary",
    "session": "session policy",
    "scp": "service control policy",
    "rcp": "resource control policy",
}


@dataclass(frozen=True, slots=True)
class AuthzResult:
    effect: DecisionEffect
    determining: tuple[StatementRef, ...] = ()
    reason: str = ""
    layer: str | None = None  # the layer that denied, for the AccessDeniedException message

    @property
    def error(self) -> str | None:
        """The exception a refused call gets: NotFoundException when its KeyId names no key of the
        situation (key resolution comes before authorization, kms-simulator.md §2.2 "Check order"), else
        AccessDeniedException; None when it is allowed."""
        if self.effect == "ALLOW":
            return None
        return "NotFoundException" if self.layer == KEY_RESOLUTION else "AccessDeniedException"

    def denial_message(self, caller: str, action: str, resource: str) -> str:
        """The IAM-shaped AccessDeniedException text (§6.2)."""
        if self.layer == KEY_RESOLUTION:
            return self.reason
        head = f"User: {caller} is not authorized to perform: {action} on resource: {resource}"
        phrase = DENY_PHRASE.get(self.layer or "", "resource-based policy")
        if self.effect == "EXPLICIT_DENY":
            article = "an" if phrase[0] in "aeiou" else "a"
            return f"{head} with an explicit deny in {article} {phrase}"
        return f"{head} because no {phrase} allows the {action} action"


# --------------------------------------------------------------------------- the caller


@dataclass(frozen=True, slots=True)
class Caller:
    """Who calls, and the principal chain of §2.2: account, then role, then the caller itself."""

    arn: str
    kind: CallerKind
    account: str | None
    account_arn: str | None
    role_arn: str | None  # for role sessions: the role (matches through it are limited, §1.3)
    own: tuple[str, ...]  # user, session, federated-user ARN or service name (direct matches)
    principal_arn: str | None  # aws:PrincipalArn

    @property
    def chain(self) -> tuple[str, ...]:
        head = (self.account_arn,) if self.account_arn and self.kind != "service" else ()
        role = (self.role_arn,) if self.role_arn else ()
        return head + role + self.own


@lru_cache(maxsize=1024)
def parse_caller(principal: str, given: ContextValue | None = None) -> Caller:
    """Classify `Request.principal` (an ARN, a bare account id, or a service principal name).

    `given` is the request's aws:PrincipalArn, which carries a session's role ARN with its path.
    """
    if principal.isdigit() and len(principal) == 12:
        principal = f"arn:aws:iam::{principal}:root"
    parts = split_arn(principal)
    if parts is None:
        return Caller(principal, "service", None, None, None, (principal,), None)
    _, partition, service, _, account, resource = parts
    account_arn = f"arn:{partition}:iam::{account}:root"
    if service == "iam" and resource == "root":
        return Caller(principal, "root", account, account_arn, None, (), account_arn)
    if service == "iam" and resource.startswith("user/"):
        return Caller(principal, "user", account, account_arn, None, (principal,), principal)
    if service == "iam" and resource.startswith("role/"):
        return Caller(principal, "role", account, account_arn, principal, (), principal)
    if service == "sts" and resource.startswith("assumed-role/"):
        role_name = resource.split("/")[1]
        role_arn = f"arn:{partition}:iam::{account}:role/{role_name}"
        # the session ARN drops the role's path; the request context may carry the full role ARN
        if isinstance(given, str) and ":role/" in given and given.endswith(f"/{role_name}"):
            role_arn = given
        return Caller(principal, "session", account, account_arn, role_arn, (principal,), role_arn)
    if service == "sts" and resource.startswith("federated-user/"):
        return Caller(principal, "federated", account, account_arn, None, (principal,), principal)
    return Caller(principal, "unknown", account, account_arn, None, (principal,), principal)


# --------------------------------------------------------------------------- the request context


def _key_account(key: Key | None) -> str | None:
    if key is None:
        return None
    if key.account:
        return key.account
    if isinstance(key.arn, str):
        parts = split_arn(key.arn)
        if parts:
            return parts[4]
    return None


@lru_cache(maxsize=64)
def _iso_time(clock: float) -> str:
    # cached: the simulated clock stands still between calls, and formatting is a measurable cost
    return datetime.fromtimestamp(clock, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _derived_context(
    situation: Situation,
    caller: Caller,
    raw: Context,
    clock: float,
    action: str,
    key: Key | None,
    arn: str | None,
    alias: str | None,
) -> Context:
    """What AWS fills in by itself (§2.6, §3.1, §3.3); the request's own context `raw` is laid over it.

    `key` is the key of a key-resource action; `arn` the key or alias ARN the request names (None for
    key-less actions); `alias` the value of kms:RequestAlias.
    """
    # §3.3: aws:CurrentTime and aws:EpochTime are always present; they are the request's time
    ctx: Context = {
        "aws:currenttime": _iso_time(clock),
        "aws:epochtime": str(int(clock)),
    }
    if caller.kind == "service":
        ctx["aws:principalisawsservice"] = "true"
        ctx["aws:principalservicename"] = caller.arn
    else:
        ctx["aws:principalisawsservice"] = "false"
        if caller.principal_arn:
            ctx["aws:principalarn"] = caller.principal_arn
        if caller.account:
            ctx["aws:principalaccount"] = caller.account
            ctx["kms:calleraccount"] = caller.account
        ptype = {
            "root": "Account",
            "user": "User",
            "session": "AssumedRole",
            "role": "AssumedRole",  # a role ARN as caller stands for some session of it
            "federated": "FederatedUser",
        }
        if caller.kind in ptype:
            ctx["aws:principaltype"] = ptype[caller.kind]
        if caller.kind == "user":
            ctx["aws:username"] = caller.arn.rsplit("/", 1)[1]
        if caller.kind == "root" and caller.account:
            ctx["aws:userid"] = caller.account
        if caller.kind == "federated" and caller.account:
            ctx["aws:userid"] = f"{caller.account}:{caller.arn.rsplit('/', 1)[1]}"
        if caller.kind in ("session", "role", "federated"):
            # §3.3: present only for temporary credentials (absent for users' and root's long-term keys);
            # false unless the request says the session was made with MFA
            ctx["aws:multifactorauthpresent"] = "false"
    if caller.kind != "service":  # §3.3: a service principal has no principal tags and no organisation
        for tag, value in situation.caller_tags.items():
            ctx[f"aws:principaltag/{tag.lower()}"] = value
        if situation.caller_org_id:
            ctx["aws:principalorgid"] = situation.caller_org_id
        if situation.caller_org_paths:
            ctx["aws:principalorgpaths"] = situation.caller_org_paths
    ctx["aws:securetransport"] = "true"
    # §3.3: aws:ViaAWSService is always present, true when a service uses the caller's credentials, which is
    # when kms:ViaService is present
    via = "true" if raw.get("kms:viaservice") else "false"
    ctx["aws:viaawsservice"] = via
    if action in GRANT_API_ACTIONS:
        ctx["kms:grantisforawsresource"] = via  # §3.1: true only when an integrated service calls
    # §3.3: aws:RequestedRegion (the endpoint's Region, that of the key or alias) and aws:ResourceAccount
    # (the key's or alias's owner)
    account = _key_account(key)
    region = key.region if key is not None else None
    if (account is None or region is None) and arn is not None:
        parts = split_arn(arn)
        if parts is not None:
            account, region = account or parts[4], region or parts[3]
    if account:
        ctx["aws:resourceaccount"] = account
    if region:
        ctx["aws:requestedregion"] = region
    if key is not None:
        ctx["kms:keyspec"] = ctx["kms:customermasterkeyspec"] = key.key_spec
        ctx["kms:keyusage"] = ctx["kms:customermasterkeyusage"] = key.key_usage
        ctx["kms:keyorigin"] = key.origin
        ctx["kms:multiregion"] = "true" if key.multi_region else "false"
        if key.multi_region_key_type:
            ctx["kms:multiregionkeytype"] = key.multi_region_key_type
        if key.aliases:
            ctx["kms:resourcealiases"] = tuple(key.aliases)
        for tag, value in key.tags.items():
            ctx[f"aws:resourcetag/{tag.lower()}"] = value
    elif action == "kms:CreateKey":
        ctx.update(CREATE_KEY_DEFAULTS)
        if str(raw.get("kms:multiregion")).lower() == "true":
            ctx["kms:multiregionkeytype"] = "PRIMARY"  # §3.1: a new multi-Region key is a primary
    # §3.1: kms:CustomerMasterKeySpec/-Usage are synonyms of kms:KeySpec/-Usage, also of the request's
    for name, synonym in _SYNONYMS:
        if name in raw and synonym not in raw:
            ctx[synonym] = raw[name]
    # §3.1: the algorithm actually used, which data-key operations fix; for Encrypt/Decrypt without the
    # parameter the reference is unsure (§9 q6), so there it is the request's (the API fills it in)
    if action in DATA_KEY_ACTIONS:
        ctx["kms:encryptionalgorithm"] = "SYMMETRIC_DEFAULT"
    if alias is not None:
        ctx["kms:requestalias"] = alias
    return ctx


_SYNONYMS = (
    ("kms:keyspec", "kms:customermasterkeyspec"),
    ("kms:customermasterkeyspec", "kms:keyspec"),
    ("kms:keyusage", "kms:customermasterkeyusage"),
    ("kms:customermasterkeyusage", "kms:keyusage"),
)
_EC_PREFIX = "kms:encryptioncontext:"
_REQUEST_TAG = "aws:requesttag/"
_LISTED_PREFIXES = (_EC_PREFIX, _REQUEST_TAG)


def _read_context(request: Request) -> tuple[Context, Context]:
    """The request's context by lower-case key, and what AWS lists from it: kms:EncryptionContextKeys
    (§3.1) and aws:TagKeys (§3.3), the request's context and tag keys as written."""
    raw: Context = {}
    context_keys: list[str] = []
    tag_keys: list[str] = []
    for written, value in request.context.items():
        lowered = written.lower()
        raw[lowered] = value
        if lowered.startswith(_LISTED_PREFIXES):
            if lowered.startswith(_EC_PREFIX):
                context_keys.append(written[len(_EC_PREFIX) :])
            else:
                tag_keys.append(written[len(_REQUEST_TAG) :])
    listed: Context = {}
    if context_keys:
        listed["kms:encryptioncontextkeys"] = tuple(context_keys)
    if tag_keys:
        listed["aws:tagkeys"] = tuple(tag_keys)
    return raw, listed


def _without_resource_properties(ctx: Context, action: str) -> Context:
    """§3.2: resource-property keys can never be satisfied on a key-less action, whoever sets them."""
    keep = KEYLESS_RESOURCE_KEYS.get(action, frozenset())
    return {
        k: v
        for k, v in ctx.items()
        if k in keep or not (k in RESOURCE_PROPERTY_KEYS or k.startswith("aws:resourcetag/"))
    }


_IAM_ONLY_KEYS_PREFIXES = ("aws:resourcetag/", "kms:resourcealiases")


# --------------------------------------------------------------------------- one statement


@dataclass(frozen=True, slots=True)
class _Layer:
    name: str  # key_policy, identity, boundary, session, scp, rcp
    policy: Policy
    context: Context


def _ref(layer: _Layer, statement: Statement) -> StatementRef:
    return StatementRef.trusted(
        layer=layer.name,
        policy=layer.policy.name,
        sid=statement.sid,
        index=statement.index,
        span=statement.span,
    )


def _role_identity(arn: str) -> tuple[str, str] | None:
    """(account, role name) of an IAM role ARN.

    §2.2: a role ARN in a policy matches every session of that role, and a session ARN drops the role's
    path; role names are unique in an account, so the path does not take part in the match.
    """
    parts = split_arn(arn)
    if parts is None or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    return parts[4], parts[5].rsplit("/", 1)[1]


def _same_principal(listed: str, member: str) -> bool:
    if listed == member:
        return True
    role = _role_identity(listed)
    return role is not None and role == _role_identity(member)


def _principal_lists(principal: Principal, member: str) -> bool:
    if principal.value == "*" and principal.type == "AWS":
        return True
    return isinstance(principal.value, str) and _same_principal(principal.value, member)


def _allow_principal_kinds(statement: Statement, caller: Caller) -> set[str]:
    """How a key-policy Allow's Principal reaches the caller: `free`, `limited` or `account` (§1.10)."""
    kinds: set[str] = set()
    for p in statement.principal or ():
        if isinstance(p.value, Unknown):
            continue
        if p.type == "AWS" and p.value == "*":
            kinds.add("free")
        elif p.type == "AWS" and p.value == caller.account_arn and caller.kind != "service":
            kinds.add("account")
        elif p.type == "AWS" and caller.role_arn and _same_principal(p.value, caller.role_arn):
            kinds.add("limited")
        elif p.type in ("AWS", "Service") and p.value in caller.own:
            if p.type == "Service" and caller.kind != "service":
                continue
            kinds.add("free")
    return kinds


def _not_principal_applies(statement: Statement, caller: Caller, has_boundary: bool) -> bool:
    """§2.2: Deny + NotPrincipal hits a caller with a boundary, else any chain member not listed."""
    if has_boundary:
        return True
    listed = statement.not_principal or ()
    return any(not any(_principal_lists(p, member) for p in listed) for member in caller.chain)


def _action_applies(statement: Statement, action: str) -> bool:
    if statement.action is not None:
        return any(isinstance(i.value, str) and action_matches(i.value, action) for i in statement.action)
    if statement.not_action is not None:
        return not any(
            isinstance(i.value, str) and action_matches(i.value, action) for i in statement.not_action
        )
    return False


def _key_policy_resource_applies(statement: Statement, key_arn: str) -> bool:
    """§2.4: `*` means this key; another value is matched against this key's ARN (best reading)."""

    def hit(value: object) -> bool:
        return isinstance(value, str) and (value == "*" or arn_matches(value, key_arn))

    if statement.resource is not None:
        return any(hit(i.value) for i in statement.resource)
    if statement.not_resource is not None:
        return not any(hit(i.value) for i in statement.not_resource)
    return False


def _identity_resource_applies(statement: Statement, resource: str, layer: _Layer, caller: Caller) -> bool:
    variables = layer.policy.version == MODERN_VERSION

    def hit(value: object) -> bool:
        if not isinstance(value, str):
            return False
        if resource != "*":
            return resource_matches(value, resource, layer.context, variables=variables)
        if value == "*":
            return True
        # key-less actions: an account-scoped pattern such as arn:aws:kms:us-west-2:111122223333:*
        region = layer.context.get("aws:requestedregion")
        pseudo = f"arn:aws:kms:{region if isinstance(region, str) else '*'}:{caller.account}:*"
        parts = split_arn(value)
        return parts is not None and parts[5] == "*" and arn_matches(value, pseudo)

    if statement.resource is not None:
        return any(hit(i.value) for i in statement.resource)
    if statement.not_resource is not None:
        return not any(hit(i.value) for i in statement.not_resource)
    return False


def _conditions_hold(statement: Statement, layer: _Layer) -> bool:
    variables = layer.policy.version == MODERN_VERSION
    return all(condition_holds(c, layer.context, variables=variables) for c in statement.conditions)


@dataclass(frozen=True, slots=True)
class _Target:
    """What the request is about: the key (for key-policy layers) and the resource ARN for IAM layers."""

    action: str
    key_arn: str | None
    resource: str  # key ARN, alias ARN or `*`


def _matches_except_principal(statement: Statement, layer: _Layer, target: _Target, caller: Caller) -> bool:
    if not _action_applies(statement, target.action):
        return False
    if layer.name == "key_policy":
        if target.key_arn is None or not _key_policy_resource_applies(statement, target.key_arn):
            return False
    elif not _identity_resource_applies(statement, target.resource, layer, caller):
        return False
    return _conditions_hold(statement, layer)


def _deny_matches(
    statement: Statement, layer: _Layer, target: _Target, caller: Caller, has_boundary: bool
) -> bool:
    if statement.effect != "Deny":
        return False
    if statement.principal is not None:
        if not _names_caller(statement, caller):
            return False
    elif statement.not_principal is not None:
        if not _not_principal_applies(statement, caller, has_boundary):
            return False
    elif layer.name == "key_policy":
        return False  # every key-policy statement needs a principal (§2.1)
    return _matches_except_principal(statement, layer, target, caller)


def _names_caller(statement: Statement, caller: Caller) -> bool:
    """A Principal names the caller if it lists any member of the chain (account, role or itself)."""
    return any(_principal_lists(p, m) for p in statement.principal or () for m in caller.chain)


def _allows(layer: _Layer, target: _Target, caller: Caller) -> list[Statement]:
    """Allow statements of a layer without Principal (identity, boundary, session, SCP, RCP) that match."""
    out = []
    for s in layer.policy.statements:
        if s.effect != "Allow" or s.not_principal is not None:
            continue
        if s.principal is not None and not _names_caller(s, caller):
            continue
        if _matches_except_principal(s, layer, target, caller):
            out.append(s)
    return out


# --------------------------------------------------------------------------- grants


def _grantee_matches(principal: object, caller: Caller) -> bool:
    if not isinstance(principal, str):
        return False
    if principal == caller.account_arn:
        return caller.kind == "root"
    return principal in caller.own or (
        caller.role_arn is not None and _same_principal(principal, caller.role_arn)
    )


def _encryption_context(ctx: Context) -> dict[str, str]:
    return {
        k[len(_EC_PREFIX) :]: v for k, v in ctx.items() if k.startswith(_EC_PREFIX) and isinstance(v, str)
    }


def _constraints_hold(grant: Grant, request_ec: dict[str, str]) -> bool:
    """§1.5: constraint keys case-insensitive, values case-sensitive (API Reference reading)."""
    c = grant.constraints
    if c is None:
        return True
    if c.encryption_context_equals is not None:
        wanted = {k.lower(): v for k, v in c.encryption_context_equals.items()}
        return wanted == request_ec
    if c.encryption_context_subset is not None:
        return all(request_ec.get(k.lower()) == v for k, v in c.encryption_context_subset.items())
    return True


def _only_value(value: ContextValue | None) -> str | None:
    """A single-valued key's value: a string, or a list of exactly one (a longer list has no one value)."""
    if isinstance(value, str):
        return value
    return value[0] if value is not None and len(value) == 1 else None


def _source_arn_holds(grant: Grant, ctx: Context) -> bool:
    """§1.5 "Grantee principal", the reference's best reading (§9 q1: exact rules undocumented): a grant
    with a `SourceArn` constraint matches only requests whose `aws:SourceArn` equals it.

    Taken literally: the same string, case included, no wildcards. It applies whoever the grantee is and
    to every operation and key type (it is not an encryption-context constraint, whose limits in §1.5 are
    about the context). The grantee side, "a service-principal grant matches requests whose caller is that
    service principal (as itself, not a role)", is `_grantee_matches`: a service caller's only own name is
    the service principal, and a role session never matches one.
    """
    c = grant.constraints
    if c is None or c.source_arn is None:
        return True
    return _only_value(ctx.get("aws:sourcearn")) == c.source_arn


def _child_grant_within(parent: Grant, ctx: Context) -> bool:
    """§1.5: CreateGrant through a grant: operations a subset, constraints at least as strict."""
    ops = ctx.get("kms:grantoperations", ())
    requested = (ops,) if isinstance(ops, str) else ops
    if not set(requested) <= set(parent.operations):
        return False
    c = parent.constraints
    # a parent's SourceArn constraint is kept by the child, unchanged ("at least as strict", best reading)
    if (
        c is not None
        and c.source_arn is not None
        and _only_value(ctx.get("kms:grantconstraintsourcearn")) != c.source_arn
    ):
        return False
    if c is None or (c.encryption_context_equals is None and c.encryption_context_subset is None):
        return True
    kind = ctx.get("kms:grantconstrainttype")
    child = _encryption_context(ctx)
    if c.encryption_context_equals is not None:
        wanted = {k.lower(): v for k, v in c.encryption_context_equals.items()}
        return kind == "EncryptionContextEquals" and child == wanted
    subset = {k.lower(): v for k, v in (c.encryption_context_subset or {}).items()}
    return kind in ("EncryptionContextSubset", "EncryptionContextEquals") and all(
        child.get(k) == v for k, v in subset.items()
    )


def _request_time(ctx: Context) -> float | None:
    given = ctx.get("aws:currenttime")
    return epoch_seconds(given) if isinstance(given, str) else None


def _grant_effective(grant: Grant, request: Request, now: float | None, window: float) -> bool:
    """§1.5 simulator rule: effective when older than the consistency window or its token is in the request.

    `now` is None when the request has no time of its own: a grant listed with a creation date is then
    taken to be older than the request, which is made after the listing (best reading).
    """
    if grant.token is not None and grant.token in request.grant_tokens:
        return True
    if grant.creation_date is None or now is None:
        return True
    created = epoch_seconds(grant.creation_date)
    return created is None or now - created >= window


def _matching_grants(
    grants: tuple[Grant, ...],
    key: Key | None,
    caller: Caller,
    target: _Target,
    ctx: Context,
    request: Request,
    now: float | None,
    window: float,
) -> list[Grant]:
    operation = target.action.removeprefix("kms:")
    symmetric = key is None or key.key_spec == "SYMMETRIC_DEFAULT"
    out = []
    for g in grants:
        if key is not None and g.key_id not in (key.key_id, key.arn):
            continue
        if not _grantee_matches(g.grantee_principal, caller) or operation not in g.operations:
            continue
        if not _grant_effective(g, request, now, window):
            continue
        if not _source_arn_holds(g, ctx):
            continue
        if (
            operation in ENCRYPTION_CONTEXT_OPERATIONS
            and symmetric
            and not _constraints_hold(g, _encryption_context(ctx))
        ):
            continue
        if operation == "CreateGrant" and not _child_grant_within(g, ctx):
            continue
        out.append(g)
    return out


def _grant_ref(g: Grant) -> StatementRef:
    return StatementRef.trusted(layer="grant", grant_id=g.grant_id, span=g.span)


# --------------------------------------------------------------------------- key resolution


_KEY_ID_SHAPE = re.compile(
    r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)


def _not_identified(key: Key, key_arn: str, identifier: str, action: str, caller: Caller) -> str | None:
    """Why the request's KeyId does not lead to the situation's key, or None when it does.

    §1.4 Identification: "for crypto operations, DescribeKey, GetPublicKey, DeriveSharedSecret the caller
    must use the key ARN or alias ARN; for CreateGrant, GetKeyRotationStatus, ListGrants, RevokeGrant the key
    ARN. A bare key ID or alias name is otherwise resolved in the caller's own account", except a short key
    ID for Decrypt and the ReEncrypt source of symmetric ciphertext. §2.4: "When KeyId is an alias,
    authorization is against the key the alias points to". §1.1: a key policy governs only its key, in its
    Region. Which operations take aliases at all: kms-simulator.md §2.1. Best readings: a service
    principal (no account) resolves names in the key's account; an alias points at the key when the key
    lists it, or lists no aliases at all (nothing known).
    """
    _, _, _, key_region, key_account, _ = split_arn(key_arn) or ("", "", "", "", "", "")
    key_account = key.account or key_account
    home = caller.account or key_account  # where names without an account are looked up
    parts = split_arn(identifier) if identifier.startswith("arn:") else None
    if parts is not None:
        _, _, _, region, account, name = parts
        if name.startswith("key/"):
            return f"`{identifier}` is another key than `{key_arn}`; this key's policies do not govern it"
        if not name.startswith("alias/"):
            return None
        alias = name
    elif identifier.startswith("alias/"):
        region, account, alias = key_region, home, identifier
    elif _KEY_ID_SHAPE.match(identifier):
        if identifier != key.key_id:
            return f"key ID `{identifier}` is not that of `{key_arn}`"
        if home == key_account:
            return None
        if action in FOREIGN_KEY_ID_ACTIONS and key.key_spec == "SYMMETRIC_DEFAULT":
            return None  # the ciphertext names its key
        return f"key ID `{identifier}` is looked up in the caller's account `{home}`, not in `{key_account}`"
    else:
        return None
    if action not in ALIAS_KEY_ID_ACTIONS:
        return f"`{action}` takes a key ID or key ARN, not the alias `{identifier}`"
    if account != key_account or region != key_region:
        return f"alias `{alias}` is looked up in account `{account}` and Region `{region}`, not the key's"
    listed = {
        a.split(":alias/", 1)[1] if a.startswith("arn:") else a.removeprefix("alias/") for a in key.aliases
    }
    if listed and alias.removeprefix("alias/") not in listed:
        return f"`{alias}` is not an alias of `{key_arn}`"
    return None


# --------------------------------------------------------------------------- the decision


def authorize(
    situation: Situation,
    request: Request,
    *,
    now: datetime | None = None,
    grant_consistency_seconds: float = CONSISTENCY_WINDOW_SECONDS,
) -> AuthzResult:
    """Decide one request literally per kms-authorization.md §1.10."""
    action = CANONICAL_ACTION.get(request.action.lower(), request.action)
    raw_ctx, listed = _read_context(request)
    caller = parse_caller(request.principal, raw_ctx.get("aws:principalarn"))
    key = situation.key if situation.key is not None and isinstance(situation.key.arn, str) else None
    key_arn = key.arn if key is not None and isinstance(key.arn, str) else None

    resource = request.resource
    alias_half = action in ALIAS_ACTIONS and ":alias/" in resource
    iam_only = action in IAM_ONLY_ACTIONS or alias_half
    # 0. the KeyId is resolved to a key before anything is authorized (kms-simulator.md §2.2 check order)
    if not iam_only and key is not None and key_arn is not None and resource not in ("*", key_arn):
        missing = _not_identified(key, key_arn, resource, action, caller)
        if missing is not None:
            return AuthzResult("IMPLICIT_DENY", (), missing, KEY_RESOLUTION)
    request_alias = None
    if not iam_only:
        # §3.1 kms:RequestAlias: the request's KeyId is an alias name or an alias ARN
        if ":alias/" in resource:
            request_alias = "alias/" + resource.split(":alias/", 1)[1]
        elif resource.startswith("alias/"):
            request_alias = resource
        if key_arn is not None:
            resource = key_arn
        elif ":key/" in resource:
            key_arn = resource
    target = _Target(action=action, key_arn=None if iam_only else key_arn, resource=resource)

    grant_clock: float | None
    if now is not None:
        clock = grant_clock = now.timestamp()
    else:
        grant_clock = _request_time(raw_ctx)  # None: no time of its own (§1.5, `_grant_effective`)
        clock = EPOCH_START.timestamp() if grant_clock is None else grant_clock
    arn = resource if alias_half else (None if iam_only else key_arn)
    ctx = _derived_context(
        situation, caller, raw_ctx, clock, action, None if iam_only else key, arn, request_alias
    )
    ctx.update(listed)
    ctx.update(raw_ctx)
    if action in IAM_ONLY_ACTIONS:
        ctx = _without_resource_properties(ctx, action)
    kp_ctx = ctx
    if (key is not None and (key.tags or key.aliases)) or any(
        k.startswith(_IAM_ONLY_KEYS_PREFIXES) for k in raw_ctx
    ):
        kp_ctx = {k: v for k, v in ctx.items() if not k.startswith(_IAM_ONLY_KEYS_PREFIXES)}
    key_policy = situation.key_policy or (key.policy if key is not None else None)
    grants = situation.grants or (key.grants if key is not None else ())
    is_service = caller.kind == "service"

    kp_layer = _Layer("key_policy", key_policy, kp_ctx) if key_policy is not None and not iam_only else None
    identity = [] if is_service else [_Layer("identity", p, ctx) for p in situation.identity_policies]
    boundary = None
    if situation.permission_boundary is not None and not is_service:
        boundary = _Layer("boundary", situation.permission_boundary, ctx)
    sessions = [] if is_service else [_Layer("session", p, ctx) for p in situation.session_policies]
    scp_levels = None if is_service or situation.scps is None else situation.scps
    customer_key = key is not None and key.key_manager == "CUSTOMER"
    rcp_levels = situation.rcps if (customer_key and not iam_only and action != "kms:RetireGrant") else None
    scp_layers = [[_Layer("scp", p, ctx) for p in level.policies] for level in scp_levels or ()]
    rcp_layers = [[_Layer("rcp", p, ctx) for p in level.policies] for level in rcp_levels or ()]

    # 1. any matching explicit Deny ends it (§1.6); key policy and RCPs never match kms:RetireGrant
    # §2.2: the boundary of an IAM user or role reaches its sessions, GetFederationToken ones included
    has_boundary = boundary is not None and caller.kind in ("user", "role", "session", "federated")
    deny_layers: list[_Layer] = []
    if kp_layer is not None and action != "kms:RetireGrant":
        deny_layers.append(kp_layer)
    deny_layers += identity + ([boundary] if boundary else []) + sessions
    deny_layers += [layer for level in scp_layers for layer in level]
    deny_layers += [layer for level in rcp_layers for layer in level]
    denies = [
        (layer, s)
        for layer in deny_layers
        for s in layer.policy.statements
        if _deny_matches(s, layer, target, caller, has_boundary)
    ]
    if denies:
        first = denies[0][0].name
        return AuthzResult(
            "EXPLICIT_DENY",
            tuple(_ref(layer, s) for layer, s in denies),
            f"an explicit deny in the {DENY_PHRASE[first]} matches `{action}`",
            first,
        )

    # 2-3. every RCP and SCP level needs an Allow (§1.7); a missing allow is an implicit deny
    for name, levels in (("rcp", rcp_layers), ("scp", scp_layers)):
        for level in levels:
            if not any(_allows(layer, target, caller) for layer in level):
                return AuthzResult("IMPLICIT_DENY", (), f"no {DENY_PHRASE[name]} allows `{action}`", name)

    key_account = _key_account(key)
    if key_account is None and key_arn is not None:
        key_account = (split_arn(key_arn) or [""] * 6)[4]
    if alias_half:
        key_account = (split_arn(resource) or [""] * 6)[4]  # the alias's account (§1.4: same account only)
    # a service principal acting as itself has no account of its own to cross from
    cross = (not iam_only or alias_half) and not is_service and key_account not in (None, caller.account)
    if cross and action not in CROSS_ACCOUNT_ACTIONS:
        return AuthzResult("IMPLICIT_DENY", (), f"`{action}` cannot be used across accounts", "key_policy")

    idp = [(layer, s) for layer in identity for s in _allows(layer, target, caller)]
    bnd_ok = boundary is None or bool(_allows(boundary, target, caller))
    sess_ok = all(_allows(layer, target, caller) for layer in sessions)
    guard_layer = None if bnd_ok else "boundary"
    guard_layer = guard_layer or (None if sess_ok else "session")

    if action == "kms:RetireGrant":
        return _decide_retire(grants, caller, request, ctx, idp, guard_layer)

    if iam_only:
        if caller.kind == "root":
            # §1.2: the root user has full access within its own account, subject to SCPs (checked
            # above); it has no IAM policies, so the identity-only decision of §1.10 cannot apply to it
            return AuthzResult("ALLOW", (), "the account's root user needs no IAM policy for this action")
        if idp and guard_layer is None:
            return AuthzResult(
                "ALLOW", tuple(_ref(layer, s) for layer, s in idp), "an identity policy allows"
            )
        return AuthzResult(
            "IMPLICIT_DENY",
            (),
            f"no {DENY_PHRASE[guard_layer or 'identity']} allows `{action}`",
            guard_layer or "identity",
        )

    kp_free: list[Statement] = []
    kp_lim: list[Statement] = []
    kp_account: list[Statement] = []
    if kp_layer is not None:
        for s in kp_layer.policy.statements:
            if s.effect != "Allow" or s.principal is None:
                continue  # Allow + NotPrincipal allows nothing (§2.2)
            kinds = _allow_principal_kinds(s, caller)
            if not kinds or not _matches_except_principal(s, kp_layer, target, caller):
                continue
            if "free" in kinds:
                kp_free.append(s)
            if "limited" in kinds:
                kp_lim.append(s)
            if "account" in kinds:
                kp_account.append(s)

    def refs(statements: list[Statement], with_identity: bool) -> tuple[StatementRef, ...]:
        assert kp_layer is not None
        out = [_ref(kp_layer, s) for s in statements]
        if with_identity:
            out += [_ref(layer, s) for layer, s in idp]
        return tuple(out)

    if not cross:
        if kp_free:
            return AuthzResult("ALLOW", refs(kp_free, False), "the key policy allows the caller directly")
        if caller.kind == "root" and kp_account:
            return AuthzResult(
                "ALLOW", refs(kp_account, False), "the key policy allows the account's root user"
            )
        if guard_layer is None and kp_lim:
            return AuthzResult("ALLOW", refs(kp_lim, False), "the key policy allows the caller's role")
        if guard_layer is None and kp_account and idp:
            return AuthzResult(
                "ALLOW", refs(kp_account, True), "the key policy delegates to IAM, which allows"
            )
    elif (kp_free or kp_lim or kp_account) and idp and guard_layer is None:
        return AuthzResult(
            "ALLOW",
            refs(kp_free + kp_lim + kp_account, True),
            "both the key policy and IAM allow across accounts",
        )

    granted = _matching_grants(
        grants, key, caller, target, ctx, request, grant_clock, grant_consistency_seconds
    )
    if granted:
        return AuthzResult("ALLOW", tuple(_grant_ref(g) for g in granted), "a grant allows")

    if not (kp_free or kp_lim or kp_account):
        layer = "key_policy"
    elif guard_layer is not None and (kp_lim or kp_account):
        layer = guard_layer
    else:
        layer = "identity"
    return AuthzResult("IMPLICIT_DENY", (), f"no {DENY_PHRASE[layer]} allows `{action}`", layer)


def _decide_retire(
    grants: tuple[Grant, ...],
    caller: Caller,
    request: Request,
    ctx: Context,
    idp: list[tuple[_Layer, Statement]],
    guard_layer: str | None,
) -> AuthzResult:
    """§1.10 decide_retire: the grant decides; key-policy Allows of kms:RetireGrant never count."""
    # RetireGrant names its grant by grant ID (with the key) or else by grant token (§1.5); tokens that
    # come with a grant ID do not name another grant
    if request.grant_id is not None:
        chosen = [g for g in grants if g.grant_id == request.grant_id]
    else:
        chosen = [g for g in grants if g.token is not None and g.token in request.grant_tokens]
    if not chosen:
        return AuthzResult("IMPLICIT_DENY", (), "no grant is named by the request", "key_policy")
    g = chosen[0]
    ref = (_grant_ref(g),)
    if g.retiring_principal is not None and _grantee_matches(g.retiring_principal, caller):
        return AuthzResult("ALLOW", ref, "the caller is the grant's retiring principal")
    # the grantee retires by using the grant, so its SourceArn constraint must hold; the retiring principal
    # and the accounts below do not use the grant
    if (
        _grantee_matches(g.grantee_principal, caller)
        and "RetireGrant" in g.operations
        and _source_arn_holds(g, ctx)
    ):
        return AuthzResult("ALLOW", ref, "the grantee may retire a grant that lists RetireGrant")
    accounts = set()
    if g.issuing_account:
        accounts.add(g.issuing_account.removeprefix("arn:aws:iam::").removesuffix(":root"))
    if isinstance(g.retiring_principal, str):
        parts = split_arn(g.retiring_principal)
        if parts and parts[2] == "iam" and parts[5] == "root":
            accounts.add(parts[4])
    if caller.account in accounts:
        if caller.kind == "root":
            return AuthzResult("ALLOW", ref, "the caller is the root user of the issuing or retiring account")
        if idp and guard_layer is None:
            return AuthzResult(
                "ALLOW",
                tuple(_ref(layer, s) for layer, s in idp),
                "the account delegates kms:RetireGrant in IAM",
            )
    return AuthzResult(
        "IMPLICIT_DENY", (), "the grant does not let the caller retire it", guard_layer or "identity"
    )
