"""Decide a KMS request: `evaluate(situation, request) -> Decision`.

This implements the reference decision procedure of kms-authorization.md §1.10. Every best reading the
reference marks is implemented and cited where it is decided. Things the caller has to do:

* `ReEncrypt` is two requests: `kms:ReEncryptFrom` on the source key and `kms:ReEncryptTo` on the
  destination key (each with its own situation); both must be ALLOW (§1.10).
* Alias operations (`CreateAlias`, `DeleteAlias`, `UpdateAlias`) are one request on the alias ARN (decided
  by IAM alone, §1.9) plus one request per key on the key ARN.
* A request whose `resource` is an alias ARN or name, or a key ID, for a key action (`Decrypt` with
  `KeyId=alias/...`) is decided against `situation.key` when it identifies that key (§1.4 Identification:
  names and key IDs are resolved in the caller's account; §2.4); `kms:RequestAlias` is set from the alias,
  and IAM `Resource` entries are matched against the key ARN (an alias ARN in IAM `Resource` refers to the
  alias only, §1.9). A KeyId that does not identify the key is IMPLICIT_DENY before any policy is read (AWS
  answers NotFoundException), and the trace's `key` step says why.
* The situation holds the SCPs of the caller's account and the RCPs of the key owner's account (§1.7).

Evaluation is pure: nothing reads a clock. When the request has no `aws:CurrentTime`, `DEFAULT_TIME` is
used (for time conditions and for grant consistency).

Compile once, evaluate many: `Evaluator(situation)` compiles every policy into matchers (cached by
policy object), indexes statements by action, and caches per-principal and per-resource element results.
Everything that depends only on a request's (principal, action, resource), its site, is worked out once:
the caller, the target, the derived condition keys, the statements whose action, principal and resource
match. Without a trace, from the second request at a site on, what is left is a residual (`_Residual`):
the conditions of those statements, re-tested only when the request sets a key that can change them,
and one decision per combination of their results. Traced decisions are memoised by what they read.
`evaluate()` keeps a small cache of evaluators keyed by situation object. `evaluate_grid()` decides a
whole principals x keys x actions matrix, sharing decisions between principals that the policies
cannot tell apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from kmspolicy import catalog
from kmspolicy.catalog import CROSS_ACCOUNT_ACTIONS, GRANT_OPERATIONS
from kmspolicy.conditions import (
    ArnGlob,
    CompiledCondition,
    ContextValues,
    Glob,
    RequestContext,
    parse_date,
    resolve,
    template_of,
)
from kmspolicy.grammar import Template, Variable
from kmspolicy.model import (
    Decision,
    DecisionEffect,
    Grant,
    Item,
    Key,
    Policy,
    PolicyKind,
    PolicyLevel,
    Principal,
    Request,
    Situation,
    Span,
    Statement,
    StatementRef,
    TraceStep,
    Unknown,
)

DEFAULT_TIME = "2026-01-01T00:00:00Z"
"""`aws:CurrentTime` when the request does not set it; a fixed instant keeps evaluation pure."""

CONSISTENCY_WINDOW_SECONDS = 300
"""A grant younger than this (by `aws:CurrentTime`) needs its grant token in the request (§1.5, §1.11)."""

Layer = Literal["key_policy", "identity", "boundary", "session", "scp", "rcp", "grant"]

_LAYER_OF_KIND: dict[PolicyKind, Layer] = {
    PolicyKind.KEY: "key_policy",
    PolicyKind.IDENTITY: "identity",
    PolicyKind.TRUST: "identity",
    PolicyKind.BOUNDARY: "boundary",
    PolicyKind.SESSION: "session",
    PolicyKind.SCP: "scp",
    PolicyKind.RCP: "rcp",
}

# AWS's names for the policy types in AccessDenied messages (§6.2).
_PHRASE: dict[str, tuple[str, str]] = {
    "key_policy": ("a", "resource-based policy"),
    "identity": ("an", "identity-based policy"),
    "boundary": ("a", "permissions boundary"),
    "session": ("a", "session policy"),
    "scp": ("a", "service control policy"),
    "rcp": ("a", "resource control policy"),
}

# Bits for how a key-policy `Principal` matched the caller (§1.10): the caller itself (user, session,
# federated user, service, or "*"), the caller's role (limited by boundary and session policy, §1.3), or
# the caller's account (delegation to IAM, §1.2).
FREE, LIMITED, ACCOUNT = 1, 2, 4

# Operations whose request carries an encryption context, so that grant constraints apply (§1.5).
_CONTEXT_OPERATIONS = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncryptFrom",
        "ReEncryptTo",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "CreateGrant",
    }
)

_EC_PREFIX = "kms:encryptioncontext:"
_REQUEST_TAG_PREFIX = "aws:requesttag/"
# Request parameters of CreateKey that a condition sees at their default when the request omits them
# (§3.1 "present even when defaulted", §3.2). BypassPolicyLockoutSafetyCheck and ExpirationModel are
# absent instead (§3.2: the docs' own Null examples); they are not here.
_CREATE_KEY_DEFAULTS = {
    "kms:keyspec": "SYMMETRIC_DEFAULT",
    "kms:keyusage": "ENCRYPT_DECRYPT",
    "kms:keyorigin": "AWS_KMS",
    "kms:multiregion": "false",
}
# Data keys are always encrypted under a symmetric key with SYMMETRIC_DEFAULT: the algorithm "actually
# used" that kms:EncryptionAlgorithm holds when the request names none (§3.1). For Encrypt/Decrypt
# without the parameter the reference is unsure (§9 q6): the key stays absent there.
_DATA_KEY_ACTIONS = frozenset(
    {
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
    }
)
_GRANT_APIS = frozenset({"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"})
# What a grant's `SourceArn` constraint is compared with: the request's aws:SourceArn, and for CreateGrant
# through the grant the new grant's own `SourceArn` constraint (`_source_arn`, `_child_constraints`)
_SOURCE_ARN_READS = ("aws:sourcearn", "kms:grantconstraintsourcearn")
# Keys about the key a request is on, which a key-less action cannot satisfy unless it lists them (§3.2)
_KEY_PROPERTY_KEYS = frozenset(
    {
        "kms:keyspec",
        "kms:keyusage",
        "kms:keyorigin",
        "kms:customermasterkeyspec",
        "kms:customermasterkeyusage",
        "kms:multiregion",
        "kms:multiregionkeytype",
        "kms:resourcealiases",
        "kms:calleraccount",
        "kms:viaservice",
    }
)
# sts:AssumeRole, sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity: IAM decides them cross-account
# by the role's trust policy and the caller's identity policies, as KMS decides the cross-account actions
_ASSUME_ROLE = "sts:assumerole"
_MEMO_SIZE = 100_000
_IAM_ONLY_PREFIXES = ("aws:resourcetag/",)
_IAM_ONLY_KEYS = frozenset({"kms:resourcealiases"})


def _iam_only(key: str) -> bool:
    """Keys KMS evaluates only in IAM policies: `aws:ResourceTag/*`, `kms:ResourceAliases` (§1.9)."""
    return key in _IAM_ONLY_KEYS or key.startswith(_IAM_ONLY_PREFIXES)


# --------------------------------------------------------------------------- callers


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal making the request, as read from its ARN (or service principal name).

    `kind`: root, user, session (assumed-role session), role (a role ARN given as caller: some session of
    it, session name unknown), federated (GetFederationToken session), service, or unknown.
    """

    arn: str
    kind: Literal["root", "user", "session", "role", "federated", "service", "unknown"]
    account: str | None = None
    partition: str = "aws"
    role_name: str | None = None
    role_arn: str | None = None
    name: str | None = None  # user name, session name or federated user name

    @property
    def account_arn(self) -> str | None:
        return None if self.account is None else f"arn:{self.partition}:iam::{self.account}:root"

    @property
    def principal_arn(self) -> str:
        """`aws:PrincipalArn`: the role ARN for role sessions (§2.2).

        A session ARN does not carry the role's path, so the role ARN derived from it is path-less; pass
        the role ARN itself as the request's principal (or set `aws:PrincipalArn` in the request context)
        when the path matters.
        """
        if self.kind in ("session", "role") and self.role_arn is not None:
            return self.role_arn
        if self.kind == "root" and self.account_arn is not None:
            return self.account_arn
        return self.arn

    def chain(self) -> tuple[str, ...]:
        """The principal chain that `NotPrincipal` is checked against, account first (§2.2)."""
        if self.kind == "service" or self.account_arn is None:
            return (self.arn,)
        if self.kind == "session" and self.role_arn is not None:
            return (self.account_arn, self.role_arn, self.arn)
        if self.kind == "root":
            return (self.account_arn,)
        return (self.account_arn, self.arn)


@lru_cache(maxsize=65536)
def parse_caller(principal: str) -> Caller:
    """Read a request's principal: an IAM user, role, session or root ARN, an account ID or a service."""
    if principal.isdigit() and len(principal) == 12:
        return Caller(arn=f"arn:aws:iam::{principal}:root", kind="root", account=principal)
    if not principal.startswith("arn:"):
        return Caller(arn=principal, kind="service" if "." in principal else "unknown")
    parts = principal.split(":", 5)
    if len(parts) != 6:
        return Caller(arn=principal, kind="unknown")
    _, partition, service, _, account, resource = parts
    if service == "iam" and resource == "root":
        return Caller(arn=principal, kind="root", account=account, partition=partition)
    if service == "iam" and resource.startswith("user/"):
        return Caller(
            arn=principal, kind="user", account=account, partition=partition, name=resource.rsplit("/", 1)[1]
        )
    if service == "iam" and resource.startswith("role/"):
        name = resource.rsplit("/", 1)[1]
        return Caller(
            arn=principal,
            kind="role",
            account=account,
            partition=partition,
            role_name=name,
            role_arn=principal,
        )
    if service == "sts" and resource.startswith("assumed-role/") and resource.count("/") >= 2:
        _, role, session = resource.split("/", 2)
        return Caller(
            arn=principal,
            kind="session",
            account=account,
            partition=partition,
            role_name=role,
            role_arn=f"arn:{partition}:iam::{account}:role/{role}",
            name=session,
        )
    if service == "sts" and resource.startswith("federated-user/"):
        return Caller(
            arn=principal,
            kind="federated",
            account=account,
            partition=partition,
            name=resource.split("/", 1)[1],
        )
    return Caller(arn=principal, kind="unknown", account=account or None, partition=partition)


@lru_cache(maxsize=65536)
def _role_name_of(value: str) -> tuple[str, str] | None:
    """(account, role name) of an IAM role ARN; the path is dropped since session ARNs lack it (§2.2)."""
    parts = value.split(":", 5)
    if len(parts) == 6 and parts[2] == "iam" and parts[5].startswith("role/"):
        return parts[4], parts[5].rsplit("/", 1)[1]
    return None


@lru_cache(maxsize=65536)
def _normalise_principal(value: str) -> str:
    # A bare account ID is the account principal (§2.2); the parser normalises it, user-built models may not.
    return f"arn:aws:iam::{value}:root" if value.isdigit() and len(value) == 12 else value


# --------------------------------------------------------------------------- compiled statements


class _PrincipalSet:
    """A `Principal` / `NotPrincipal` list, ready for membership tests against callers."""

    __slots__ = ("roles", "star", "values")

    def __init__(self, principals: Sequence[Principal]) -> None:
        values: set[str] = set()
        roles: set[tuple[str, str]] = set()
        self.star = False
        for principal in principals:
            if isinstance(principal.value, Unknown):
                continue  # an unknown principal matches nothing
            value = _normalise_principal(principal.value)
            if value == "*" and principal.type == "AWS":
                self.star = True
            elif principal.type in ("AWS", "Service"):
                values.add(value)
                role = _role_name_of(value)
                if role is not None:
                    roles.add(role)
        self.values = frozenset(values)
        self.roles = frozenset(roles)

    def bits(self, caller: Caller) -> int:
        """How the list names the caller: FREE | LIMITED | ACCOUNT bits, 0 when it does not (§1.10)."""
        found = FREE if self.star else 0
        if caller.kind == "root":
            if caller.account_arn in self.values:
                found |= ACCOUNT
            return found
        if caller.arn in self.values and caller.kind != "role":
            found |= FREE
        if (
            caller.kind in ("session", "role")
            and caller.account is not None
            and caller.role_name is not None
            and (caller.account, caller.role_name) in self.roles
        ):
            found |= LIMITED
        if caller.account_arn is not None and caller.account_arn in self.values:
            found |= ACCOUNT
        return found

    def lists(self, member: str) -> bool:
        if self.star or member in self.values:
            return True
        role = _role_name_of(member)
        return role is not None and role in self.roles

    def named(self) -> frozenset[str]:
        """Principals named by ARN (not `*`, not accounts): callers they name must not be shared."""
        return frozenset(v for v in self.values if not v.endswith(":root"))


@lru_cache(maxsize=65536)
def _arn_matcher(pattern: str) -> Callable[[str], bool]:
    # Matchers are immutable and the same patterns recur across policies (`kms:*`, console defaults):
    # building each once keeps compiling a policy cheap.
    return ArnGlob(pattern).match


@lru_cache(maxsize=65536)
def _action_matcher(pattern: str) -> Callable[[str], bool]:
    return Glob(pattern, fold=True).match


class _Items:
    """An Action or Resource list: one matcher per entry, or a template resolved per request."""

    __slots__ = ("globs", "star", "templates", "values")

    def __init__(self, items: Sequence[Item], *, arn: bool, version: str | None) -> None:
        self.values = tuple(i.value for i in items)
        self.star = any(v == "*" for v in self.values)
        globs: list[Callable[[str], bool]] = []
        templates: list[Template] = []
        for value in self.values:
            if isinstance(value, Unknown) or value == "*":
                continue
            template = template_of(value, version) if arn else None
            if template is not None:
                templates.append(template)
            elif arn:
                globs.append(_arn_matcher(value))
            else:
                globs.append(_action_matcher(value))
        self.globs = tuple(globs)
        self.templates = tuple(templates)

    def match(self, value: str, context: RequestContext | None) -> bool:
        if self.star or any(glob(value) for glob in self.globs):
            return True
        for template in self.templates:
            assert context is not None
            resolved = resolve(template, context)
            # a Resource with an unresolved variable matches nothing (§2.6)
            if not resolved.missing and ArnGlob.from_pieces(resolved.pieces).match(value):
                return True
        return False


def _show(values: Sequence[object]) -> str:
    shown = [f"`{v.expr}`" if isinstance(v, Unknown) else f"`{v}`" for v in values[:3]]
    return ", ".join(shown) + (f" and {len(values) - 3} more" if len(values) > 3 else "")


class CompiledStatement:
    """One statement, compiled for its layer."""

    __slots__ = (
        "_action_cache",
        "_actions",
        "_bits",
        "_matched_steps",
        "_not_action",
        "_not_principal",
        "_not_resource",
        "_own_resource",
        "_principals",
        "_resource_cache",
        "_resources",
        "_static_steps",
        "conditions",
        "dynamic",
        "effect",
        "layer",
        "reads",
        "ref",
        "resource_varies",
        "statement",
    )

    def __init__(self, statement: Statement, policy: Policy, layer: Layer) -> None:
        self.statement = statement
        self.layer = layer
        self.effect = statement.effect
        # a trust policy is read in the resource-policy layer, and named as what it is
        shown = "trust" if policy.kind is PolicyKind.TRUST and layer == "key_policy" else layer
        self.ref = StatementRef.trusted(
            layer=shown, policy=policy.name, sid=statement.sid, index=statement.index, span=statement.span
        )
        version = policy.version
        uses_principal = layer in ("key_policy", "rcp")
        self._principals = (
            _PrincipalSet(statement.principal) if uses_principal and statement.principal is not None else None
        )
        self._not_principal = (
            _PrincipalSet(statement.not_principal)
            if uses_principal and statement.not_principal is not None
            else None
        )
        self._actions = (
            _Items(statement.action, arn=False, version=version) if statement.action is not None else None
        )
        self._not_action = (
            _Items(statement.not_action, arn=False, version=version)
            if statement.action is None and statement.not_action is not None
            else None
        )
        self._resources = (
            _Items(statement.resource, arn=True, version=version) if statement.resource is not None else None
        )
        self._not_resource = (
            _Items(statement.not_resource, arn=True, version=version)
            if statement.resource is None and statement.not_resource is not None
            else None
        )
        # A role's trust policy, read as the resource policy of `sts:AssumeRole*` on the role (the
        # situation's `key`): IAM rejects `Resource` there, since its statements apply to their role.
        self._own_resource = (
            layer == "key_policy"
            and policy.kind is PolicyKind.TRUST
            and statement.resource is None
            and statement.not_resource is None
        )
        self.conditions = tuple(CompiledCondition(c, version) for c in statement.conditions)
        items = self._resources if self._resources is not None else self._not_resource
        self.resource_varies = items is not None and bool(items.templates)
        self.dynamic = self.resource_varies or bool(self.conditions)
        reads = {key for condition in self.conditions for key in condition.reads()}
        if items is not None:
            for template in items.templates:
                reads.update(p.name.lower() for p in template.parts if isinstance(p, Variable))
        self.reads = frozenset(reads)
        self._bits: dict[str, int] = {}
        self._action_cache: dict[str, bool] = {}
        self._matched_steps: dict[tuple[str, str | None], TraceStep] = {}
        self._static_steps: dict[
            tuple[str, str, str, str | None, str | None], tuple[TraceStep | None, int]
        ] = {}
        self._resource_cache: dict[str, bool] = {}

    # -- elements: each test says whether it matched; `elements` pairs the tests with their reasons

    def covers_action(self, action: str) -> bool:
        found = self._action_cache.get(action)
        if found is None:
            if self._actions is not None:
                found = self._actions.match(action, None)
            else:
                found = self._not_action is not None and not self._not_action.match(action, None)
            self._action_cache[action] = found
        return found

    def _action_reason(self, action: str) -> str:
        if self._actions is not None:
            verb = "covers" if self.covers_action(action) else "does not cover"
            return f"`Action` {_show(self._actions.values)} {verb} `{action}`"
        if self._not_action is not None:
            verb = "does not list" if self.covers_action(action) else "lists"
            return f"`NotAction` {_show(self._not_action.values)} {verb} `{action}`"
        return "statement has no `Action`"

    def trace_step(self, req: _Req, level: str | None) -> tuple[TraceStep, bool, bool]:
        """This statement's trace step, whether it matched, and whether it failed on exactly one element.

        When action, principal or resource fail, the step depends only on (action, caller, resource) and
        is built once; otherwise `explain` runs with the request's conditions.
        """
        static_key = (req.action, req.caller.arn, req.target, req.key_arn, level)
        cached = self._static_steps.get(static_key)
        if cached is None:
            static_failures = (
                (not self.covers_action(req.action))
                + (self.principal_bits(req) == 0)
                + (not self.resource_varies and not self.covers_resource(req))
            )
            step: TraceStep | None = None
            if static_failures or self.resource_varies or not self.conditions:
                matched, element, why, _ = self.explain(req)
                step = self._step(element, why, level, matched)
            if len(self._static_steps) >= _MEMO_SIZE:
                self._static_steps.clear()
            cached = self._static_steps[static_key] = (step, static_failures)
        step, static_failures = cached
        if step is None:
            # action, principal and resource match: the step is the first failing condition's, if any
            failing, failed = self.explain_conditions(req)
            if failing is None:
                return self._matched_step(req, level), True, False
            return self._step("Condition", failing, level, False), False, failed == 1
        if self.resource_varies:
            matched, element, why, failed = self.explain(req)
            return self._step(element, why, level, matched), matched, failed == 1
        if not static_failures:
            return step, True, False  # no conditions, and the static elements match
        near = static_failures == 1 and self.explain_conditions(req)[1] == 0
        return step, False, near

    def _matched_step(self, req: _Req, level: str | None) -> TraceStep:
        found = self._matched_steps.get((req.caller.arn, level))
        if found is None:
            matched, element, why, _ = self.explain(req)
            found = self._matched_steps[(req.caller.arn, level)] = self._step(element, why, level, matched)
        return found

    def _step(self, element: str | None, why: str, level: str | None, matched: bool) -> TraceStep:
        return TraceStep.trusted(
            layer=self.ref.layer,
            outcome="match" if matched else "no-match",
            reason=why if level is None else f"{why} (level `{level}`)",
            ref=self.ref,
            element=element,
            span=self.ref.span,
        )

    def principal_bits(self, req: _Req) -> int:
        """How the statement names the caller; identity-like layers name everyone (ACCOUNT | FREE)."""
        if self.layer not in ("key_policy", "rcp"):
            return FREE
        caller = req.caller
        cached = self._bits.get(caller.arn)
        if cached is not None and self._not_principal is None:
            return cached
        if self._principals is not None:
            bits = self._principals.bits(caller)
        elif self._not_principal is not None:
            bits = self._not_principal_bits(req)
        else:
            bits = 0
        if self._not_principal is None:
            self._bits[caller.arn] = bits
        return bits

    def _not_principal_bits(self, req: _Req) -> int:
        assert self._not_principal is not None
        if self.effect != "Deny":
            return 0  # Allow + NotPrincipal is unsupported: it allows nothing (§2.2 best reading)
        caller = req.caller
        if req.has_boundary and caller.kind in ("user", "session", "role", "federated"):
            return FREE  # the permissions-boundary rule: the exemption never works (§2.2)
        # per-level model: the statement applies if any member of the chain is not listed (§2.2)
        if any(not self._not_principal.lists(member) for member in caller.chain()):
            return FREE
        return 0

    def covers_resource(self, req: _Req) -> bool:
        # key policy: `*` is this key; other values are matched against the key's ARN (§2.4, §9 q11)
        value = (req.key_arn or "") if self.layer == "key_policy" else req.target
        items = self._resources if self._resources is not None else self._not_resource
        if items is None:
            # the role a trust policy is attached to is the situation's `key`: without one, it is no
            # role's, and its statements apply to nothing
            return self._own_resource and req.key_arn is not None and req.key_arn == req.ev.key_arn
        if not items.templates:
            cached = self._resource_cache.get(value)
            if cached is None:
                cached = self._resource_match(items, value, req)
                self._resource_cache[value] = cached
            return cached
        return self._resource_match(items, value, req)

    def holds(self, req: _Req) -> bool:
        """Whether the elements that depend on the request context match: a `Resource` with policy
        variables, and the conditions."""
        if self.resource_varies and not self.covers_resource(req):
            return False
        if not self.conditions:
            return True
        context = req.context_for(self.layer)
        return all(c.holds(context) for c in self.conditions)

    def _resource_match(self, items: _Items, value: str, req: _Req) -> bool:
        hit = items.match(value, req.context_for(self.layer))
        return hit if items is self._resources else not hit

    # -- explanations: the element tests, each with a reason

    def elements(self, req: _Req) -> Iterator[tuple[str, bool, Callable[[], str]]]:
        """(element, matched, reason) for the action, principal and resource elements, in that order: the
        elements that depend only on (action, caller, resource). Conditions come after them."""
        s = self.statement
        caller = req.caller
        action = req.action
        element = "NotAction" if self._not_action is not None else "Action"
        yield element, self.covers_action(action), lambda: self._action_reason(action)
        if self.layer in ("key_policy", "rcp"):
            bits = self.principal_bits(req)
            if self._principals is not None:
                yield "Principal", bits != 0, lambda: _principal_reason(s.principal or (), caller, bits)
            elif self._not_principal is not None:
                yield "NotPrincipal", bits != 0, lambda: _not_principal_reason(self, req, bits)
            else:
                yield "Principal", False, lambda: "statement has no `Principal`"
        value = (req.key_arn or "") if self.layer == "key_policy" else req.target
        if self._resources is not None or self._not_resource is not None:
            name = "Resource" if self._resources is not None else "NotResource"
            items = self._resources or self._not_resource
            hit = self.covers_resource(req)
            yield name, hit, lambda: _resource_reason(name, items, value, hit, self.layer)
        elif self._own_resource:
            hit = self.covers_resource(req)
            yield (
                "Resource",
                hit,
                lambda: (
                    "a trust policy statement applies to its role"
                    + ("" if hit else ", the situation's `key`, only")
                ),
            )
        else:
            yield "Resource", False, lambda: "statement has no `Resource`"

    def explain_conditions(self, req: _Req, failed: int = 0) -> tuple[str | None, int]:
        """The reason of the first condition that fails and `failed` plus the failures, counted up to 2."""
        context = req.context_for(self.layer)
        first: str | None = None
        for condition in self.conditions:
            if failed >= 2:
                break
            if not condition.holds(context):
                failed += 1
                if first is None:
                    first = condition.reason(context, False)
        return first, failed

    def explain(self, req: _Req) -> tuple[bool, str | None, str, int]:
        """(matched, first failed element, reason, number of failed elements counted up to 2)."""
        if self.effect is None:
            return False, "Effect", "statement has no valid `Effect`", 1
        first: tuple[str, str] | None = None
        failed = 0
        how = ""
        for element, ok, reason in self.elements(req):
            if not ok:
                failed += 1
                if first is None:
                    first = (element, reason())
            elif element == "Principal":
                how = f": {reason()}"
        why, failed = self.explain_conditions(req, failed)
        if first is None and why is not None:
            first = ("Condition", why)
        if first is None:
            return True, None, f"`{self.effect}` statement matches{how}", 0
        return False, first[0], first[1], failed


def _principal_reason(principals: Sequence[Principal], caller: Caller, bits: int) -> str:
    if bits & FREE:
        return f"`Principal` names the caller `{caller.arn}`"
    if bits & LIMITED:
        return f"`Principal` names the role of `{caller.arn}`"
    if bits & ACCOUNT:
        return f"`Principal` names the account `{caller.account}` of `{caller.arn}`"
    unknown = "".join(
        f"; `{p.value.expr}` is unknown before deployment and matches nothing"
        for p in principals
        if isinstance(p.value, Unknown)
    )
    return f"`Principal` {_show([p.value for p in principals])} does not name `{caller.arn}`{unknown}"


def _not_principal_reason(statement: CompiledStatement, req: _Req, bits: int) -> str:
    if statement.effect != "Deny":
        return "`NotPrincipal` with `Allow` is unsupported and allows nothing"
    if bits and req.has_boundary:
        return "`NotPrincipal` never exempts a caller whose user or role has a permissions boundary"
    if bits:
        return f"`NotPrincipal` does not list every level of `{req.caller.arn}` (account, role, session)"
    return f"`NotPrincipal` exempts `{req.caller.arn}`"


def _resource_reason(name: str, items: _Items | None, value: str, hit: bool, layer: str) -> str:
    shown = _show(items.values) if items is not None else ""
    target = "this key" if layer == "key_policy" else f"`{value}`"
    unknown = "".join(
        f"; `{v.expr}` is unknown before deployment and matches nothing"
        for v in (items.values if items is not None else ())
        if isinstance(v, Unknown)
    )
    if name == "Resource":
        return f"`Resource` {shown} {'matches' if hit else 'does not match'} {target}{unknown}"
    return f"`NotResource` {shown} {'does not list' if hit else 'lists'} {target}{unknown}"


class CompiledPolicy:
    """A policy's statements, compiled, with an index from action to the statements that cover it."""

    __slots__ = ("_by_action", "layer", "named", "policy", "reads", "statements")

    def __init__(self, policy: Policy, layer: Layer) -> None:
        self.policy = policy
        self.layer = layer
        self.statements = tuple(
            CompiledStatement(s, policy, layer) for s in policy.statements if s.effect is not None
        )
        self._by_action: dict[str, tuple[CompiledStatement, ...]] = {}
        named: set[str] = set()
        reads: set[str] = set()
        for st in self.statements:
            for group in (st._principals, st._not_principal):
                if group is not None:
                    named |= group.named()
                    if group.star and group is st._not_principal:
                        named.add("*")
            for condition in st.conditions:
                reads |= condition.reads()
            for items in (st._resources, st._not_resource):
                if items is not None and items.templates:
                    reads.add("${resource}")
        self.named = frozenset(named)
        self.reads = frozenset(reads)

    def for_action(self, action: str) -> tuple[CompiledStatement, ...]:
        found = self._by_action.get(action)
        if found is None:
            found = tuple(st for st in self.statements if st.covers_action(action))
            self._by_action[action] = found
        return found


_COMPILED: dict[tuple[int, str], tuple[Policy, CompiledPolicy]] = {}


def compile_policy(policy: Policy, layer: Layer | None = None) -> CompiledPolicy:
    """The compiled form of a policy, shared by every evaluator that sees the same policy object."""
    layer = layer or _LAYER_OF_KIND[policy.kind]
    key = (id(policy), layer)
    found = _COMPILED.get(key)
    if found is not None and found[0] is policy:
        return found[1]
    if len(_COMPILED) > 20000:
        _COMPILED.clear()
    compiled = CompiledPolicy(policy, layer)
    _COMPILED[key] = (policy, compiled)
    return compiled


# --------------------------------------------------------------------------- requests


def _epoch_of(text: str) -> Decimal:
    found = parse_date(text)
    return found if found is not None else Decimal(0)


_DEFAULT_EPOCH = _epoch_of(DEFAULT_TIME)


def _explicit(request: Request) -> dict[str, ContextValues]:
    """The context keys the request sets, lower-cased, each with a tuple of values."""
    return {k.lower(): (v,) if isinstance(v, str) else tuple(v) for k, v in request.context.items()}


# Derived keys whose values come from the request's own context, with the keys they come from; every
# other derived key depends only on the site and is worked out once per site.
_REQUEST_DERIVED: dict[str, tuple[str, ...]] = {
    "aws:epochtime": ("aws:currenttime",),
    "aws:viaawsservice": ("kms:viaservice",),
    "kms:grantisforawsresource": ("kms:viaservice",),
    "kms:customermasterkeyspec": ("kms:keyspec",),  # its deprecated synonym (§3.1)
    "kms:encryptioncontextkeys": (),
    "aws:tagkeys": (),
}
# Of those, the ones that list the names of every request key with a prefix.
_PREFIX_DERIVED = {"kms:encryptioncontextkeys": _EC_PREFIX, "aws:tagkeys": _REQUEST_TAG_PREFIX}


class _Site:
    """What a request's principal, action and resource decide against one situation: the caller, the
    resource, and the condition keys AWS fills in from them (§3.1, §3.3). Requests that share the three
    share the site, so this is worked out once for all of them.

    `target` is None for key-less actions: theirs depends on the request's `aws:RequestedRegion`.
    """

    __slots__ = (
        "action",
        "alias",
        "caller",
        "cross",
        "derived",
        "derived_iam",
        "ev",
        "key_account",
        "key_arn",
        "residual",
        "target",
        "target_kind",
        "unnamed",
        "visited",
    )

    def __init__(self, ev: Evaluator, principal: str, action: str, resource: str) -> None:
        self.ev = ev
        info = catalog.action(action)
        self.action = info.action if info is not None else action
        self.caller = parse_caller(principal)
        self.alias: str | None = None
        key_arn: str | None = ev.key_arn
        self.target_kind: Literal["key", "alias", "none"]
        if resource.startswith("arn:") and ":alias/" in resource:
            alias_name = resource.split(":", 5)[5]
            if info is not None and "alias" in info.resource_types:
                self.target_kind = "alias"  # the alias half of an alias operation: IAM only (§1.9)
            else:
                self.target_kind = "key"
                self.alias = alias_name
        elif resource.startswith("alias/") and not (info is not None and "alias" in info.resource_types):
            # a KeyId given as an alias name: it names the situation's key, and kms:RequestAlias (§3.1)
            self.target_kind = "key"
            self.alias = resource
        elif (info is not None and info.key_less) or (resource == "*" and key_arn is None):
            self.target_kind = "none"
        else:
            self.target_kind = "key"
            if resource.startswith("arn:") and ":key/" in resource:
                key_arn = resource
        self.key_arn = key_arn if self.target_kind == "key" else None
        # why the request's KeyId does not identify the situation's key (None: it does, or no key is known)
        self.unnamed: str | None = None
        key = ev.situation.key
        if (
            self.target_kind == "key"
            and key is not None
            and ev.key_arn not in (None, resource)
            and resource != "*"
        ):
            self.unnamed = _unnamed(key, resource, self.action, self.caller)
        self.key_account: str | None
        self.target: str | None
        if self.target_kind == "alias":
            self.target = resource
            self.key_account = resource.split(":")[4]
        elif self.target_kind == "key":
            self.target = key_arn or resource
            self.key_account = ev.key_account or (
                self.target.split(":")[4] if self.target.count(":") >= 5 else None
            )
        else:
            self.target = None
            self.key_account = None
        caller_account = self.caller.account
        self.cross = (
            self.key_account is not None and caller_account is not None and self.key_account != caller_account
        )
        self.derived: dict[str, ContextValues | None] = {}
        self.derived_iam: dict[str, ContextValues | None] = {}
        self.residual: _Residual | None = None
        self.visited = False

    def derive(self, key: str) -> ContextValues | None:
        """A condition key AWS fills in from the caller, the key or the situation (§3.1, §3.3)."""
        # a membership test, not KeyError: at a site seen once (a grid cell), every lookup misses
        if key in self.derived:
            return self.derived[key]
        found = self.derived[key] = self._derive(key)
        return found

    def derive_iam(self, key: str) -> ContextValues | None:
        """An IAM-only key (`aws:ResourceTag/*`, `kms:ResourceAliases`), from the key's metadata (§1.9)."""
        if key in self.derived_iam:
            return self.derived_iam[key]
        found = self.derived_iam[key] = self._derive_iam(key)
        return found

    def _derive_iam(self, key: str) -> ContextValues | None:
        k = self.ev.situation.key
        if self.target_kind != "key" or k is None:
            return None
        if key == "kms:resourcealiases":
            return tuple(a.split(":", 5)[5] if a.startswith("arn:") else a for a in k.aliases) or None
        return _tag(k.tags, key[len("aws:resourcetag/") :])

    def _derive(self, key: str) -> ContextValues | None:
        if _iam_only(key):
            return None
        caller = self.caller
        situation = self.ev.situation
        service = caller.kind == "service"
        if key == "aws:principalarn":
            return None if service else (caller.principal_arn,)
        if self.target_kind == "none" and self.keyless_dead(key):
            return None
        if key in ("aws:principalaccount", "kms:calleraccount"):
            return None if caller.account is None else (caller.account,)
        if key == "aws:multifactorauthpresent":
            # present for temporary credentials only: false for a session without MFA (§3.3)
            # (a role ARN as the caller stands for a session of it, as for aws:PrincipalType)
            return ("false",) if caller.kind in ("session", "role", "federated") else None
        if key == "aws:principaltype":
            kinds = {"root": "Account", "user": "User", "session": "AssumedRole", "role": "AssumedRole"}
            kind = kinds.get(caller.kind, "FederatedUser" if caller.kind == "federated" else "")
            return (kind,) if kind else None
        if key == "aws:username":
            return (caller.name,) if caller.kind == "user" and caller.name else None
        if key == "aws:userid":
            # unique IDs (AIDA.../AROA...) are not in an ARN; only root and federated users have a
            # derivable aws:userid (§2.6)
            if caller.kind == "root":
                return (caller.account,) if caller.account else None
            if caller.kind == "federated":
                return (f"{caller.account}:{caller.name}",)
            return None
        if key == "aws:principalisawsservice":
            return ("true" if service else "false",)
        if key in ("aws:principalservicename", "aws:principalservicenameslist"):
            return (caller.arn,) if service else None
        if key.startswith("aws:principaltag/"):
            return None if service else _tag(situation.caller_tags, key[len("aws:principaltag/") :])
        if key == "aws:principalorgid":
            return (situation.caller_org_id,) if situation.caller_org_id and not service else None
        if key == "aws:principalorgpaths":
            return situation.caller_org_paths if not service else None
        if key == "aws:currenttime":
            return (DEFAULT_TIME,)
        if key == "aws:securetransport":
            return ("true",)  # KMS endpoints are HTTPS only (§3.3 best reading)
        if key == "kms:requestalias":
            return (self.alias,) if self.alias is not None else None
        if key == "kms:encryptionalgorithm" and self.action in _DATA_KEY_ACTIONS:
            return ("SYMMETRIC_DEFAULT",)
        if self.action == "kms:CreateKey" and key in _CREATE_KEY_DEFAULTS:
            return (_CREATE_KEY_DEFAULTS[key],)
        if self.target_kind == "none":
            return None
        # the key, or the alias of an alias operation (§3.3: most actions; the endpoint's Region)
        if key == "aws:resourceaccount":
            return (self.key_account,) if self.key_account else None
        if key == "aws:requestedregion":
            k = situation.key if self.target_kind == "key" else None
            region = k.region if k is not None and k.region else self._target_region()
            return (region,) if region else None
        if self.target_kind != "key":
            return None
        return self.ev.key_properties.get(key)

    def keyless_dead(self, key: str) -> bool:
        """A key that can never hold on this key-less action (§3.2): the key's tags, or a property of a key
        that the action does not take as a request parameter (kms:CallerAccount, kms:KeySpec, ... on
        ListKeys; CreateKey takes its KeySpec and states its caller's account)."""
        if key.startswith("aws:resourcetag/"):
            return True
        if key not in _KEY_PROPERTY_KEYS:
            return False
        info = catalog.action(self.action)
        return info is not None and key not in {listed.lower() for listed in info.condition_keys}

    def _target_region(self) -> str | None:
        target = self.target or ""
        parts = target.split(":", 4)
        return parts[3] or None if target.startswith("arn:") and len(parts) == 5 else None


class _Req:
    """One request, prepared against one situation: its site, and its condition keys, derived lazily.
    `explicit` is the request's context as `_explicit` gives it, when the caller has it already."""

    __slots__ = (
        "_iam_context",
        "_key_policy_context",
        "action",
        "alias",
        "caller",
        "context",
        "cross",
        "ev",
        "explicit",
        "has_boundary",
        "key_account",
        "key_arn",
        "request",
        "site",
        "static",
        "target",
        "target_kind",
    )

    def __init__(
        self,
        ev: Evaluator,
        request: Request,
        site: _Site | None = None,
        explicit: dict[str, ContextValues] | None = None,
    ) -> None:
        site = site or ev._site(request)
        self.ev = ev
        self.request = request
        self.site = site
        # copied out of the site: the trace reads them for every statement
        self.action = site.action
        self.caller = site.caller
        self.alias = site.alias
        self.target_kind = site.target_kind
        self.key_arn = site.key_arn
        self.key_account = site.key_account
        self.cross = site.cross
        self.has_boundary = ev.situation.permission_boundary is not None
        self.target = site.target if site.target is not None else self._keyless_target(request)
        explicit = _explicit(request) if explicit is None else explicit
        if site.target_kind == "none":
            # §3.2: a key-less action has no key, so its key properties can never hold, whatever the
            # request claims; only the keys the action lists are read
            explicit = {k: v for k, v in explicit.items() if not site.keyless_dead(k)}
        self.explicit = explicit
        self.context = RequestContext(self.explicit, self._derive)
        self._iam_context: RequestContext | None = None
        self._key_policy_context: RequestContext | None = None
        self.static: _Static | None = None

    def _keyless_target(self, request: Request) -> str:
        """What IAM `Resource` entries of a key-less action are matched against: `*` and account-scoped
        patterns such as `arn:aws:kms:us-west-2:111122223333:*` both work (§2.4). The Region is the
        request's `aws:RequestedRegion`; without one, only a `*` Region matches."""
        caller = self.caller
        if caller.account is None:
            return "*"
        region = next(
            (
                v
                for k, v in request.context.items()
                if k.lower() == "aws:requestedregion" and isinstance(v, str)
            ),
            "*",
        )
        return f"arn:{caller.partition}:kms:{region}:{caller.account}:*"

    def context_for(self, layer: str) -> RequestContext:
        """Key policies do not see `aws:ResourceTag/*` or `kms:ResourceAliases` (§1.9); IAM policies do."""
        if layer == "key_policy":
            if self._key_policy_context is None:
                # Also when the request sets them: KMS does not evaluate these keys in key policies.
                self._key_policy_context = RequestContext(
                    {k: v for k, v in self.explicit.items() if not _iam_only(k)}, self._derive
                )
            return self._key_policy_context
        if self._iam_context is None:
            # an IAM-only key the request leaves empty comes from the key's metadata
            self._iam_context = RequestContext(
                {k: v for k, v in self.explicit.items() if v or not _iam_only(k)}, self._derive_iam
            )
        return self._iam_context

    def now(self) -> Decimal:
        found = self.context.single("aws:currenttime")
        return _epoch_of(found) if found is not None else _DEFAULT_EPOCH

    def _derive_iam(self, key: str) -> ContextValues | None:
        return self.site.derive_iam(key) if _iam_only(key) else self._derive(key)

    def _derive(self, key: str) -> ContextValues | None:
        """The condition keys AWS fills in by itself (§3.1, §3.3), unless the request sets them."""
        if key not in _REQUEST_DERIVED:
            return self.site.derive(key)
        if key == "aws:epochtime":
            return (str(int(self.now())),)
        if key == "aws:viaawsservice":
            return ("true" if self.context.get("kms:viaservice") else "false",)
        if key == "kms:grantisforawsresource":
            # true only when an integrated service calls the grant APIs for the principal (§3.1)
            if self.action not in _GRANT_APIS:
                return None
            return ("true" if self.context.get("kms:viaservice") else "false",)
        if key == "kms:customermasterkeyspec":
            return self.context.get("kms:keyspec")
        prefix = _PREFIX_DERIVED[key]
        keys = tuple(k[len(prefix) :] for k in self.request.context if k.lower().startswith(prefix))
        return keys or None

    def encryption_context(self) -> dict[str, str]:
        """The request's encryption context, keys lower-cased, from `kms:EncryptionContext:<k>` entries."""
        found: dict[str, str] = {}
        for name, value in self.request.context.items():
            if name.lower().startswith(_EC_PREFIX) and isinstance(value, str):
                found[name[len(_EC_PREFIX) :].lower()] = value
        return found


def _tag(tags: dict[str, str], wanted: str) -> ContextValues | None:
    # tag keys are matched case-insensitively (§2.5 rule 3); with `Env` and `ENV` both set, the first wins
    for name, value in tags.items():
        if name.lower() == wanted:
            return (value,)
    return None


# --------------------------------------------------------------------------- key identifiers

# Actions whose KeyId may be an alias name or alias ARN: the cryptographic operations, DescribeKey,
# GetPublicKey, DeriveSharedSecret (§1.4 Identification) and GetKeyLastUsage (kms-simulator.md §2.1); every
# other key action takes a key ID or key ARN only.
_ALIAS_KEY_IDS = frozenset(
    {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
        "kms:Sign",
        "kms:Verify",
        "kms:GenerateMac",
        "kms:VerifyMac",
        "kms:DescribeKey",
        "kms:GetPublicKey",
        "kms:DeriveSharedSecret",
        "kms:GetKeyLastUsage",
    }
)
# Symmetric ciphertext records its key, so these accept another account's key by its short key ID (§1.4)
_FOREIGN_KEY_ID_ACTIONS = frozenset({"kms:Decrypt", "kms:ReEncryptFrom"})
_KEY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}")
_NOT_FOUND = "KMS answers NotFoundException"
_RCP_MANAGED = "resource control policies do not apply to AWS managed keys"
_RCP_RETIRE = "resource control policies do not apply to `kms:RetireGrant`"


def _unnamed(key: Key, resource: str, action: str, caller: Caller) -> str | None:
    """Why the request's KeyId `resource` does not identify `key`, or None when it does (§1.4
    Identification, §2.4). Called only when `resource` is not the key's ARN.

    A key ID or alias name is resolved in the caller's account (a service principal has none to resolve
    in: it is taken to name the key); an alias names the key when it is one of the key's aliases, which
    are known only when the key lists some (an empty list is read as "not given").
    """
    arn = key.arn if isinstance(key.arn, str) else ""
    parts = arn.split(":", 5)
    region, owner = (parts[3], parts[4]) if len(parts) == 6 else (key.region or "", "")
    owner = key.account or owner
    caller_account = caller.account
    if resource.startswith("arn:"):
        named = resource.split(":", 5)
        if len(named) != 6:
            return None
        if named[5].startswith("key/"):
            return (
                f"the request names key `{resource}`, not this key `{arn}`: no policy given here governs it "
                f"(key policies are per key and Region, §1.1; {_NOT_FOUND} where no such key exists)"
            )
        if not named[5].startswith("alias/"):
            return None
        alias, alias_account, alias_region = named[5], named[4], named[3]
    elif resource.startswith("alias/"):
        alias, alias_account, alias_region = resource, caller_account or owner, region
        if caller_account is not None and caller_account != owner:
            return (
                f"an alias name is resolved in the caller's account `{caller_account}`, not in the key's "
                f"`{owner}`, so `{resource}` does not name this key: {_NOT_FOUND}"
            )
    elif _KEY_ID.fullmatch(resource):
        if resource != key.key_id:
            return (
                f"key ID `{resource}` is not this key's `{key.key_id}`: no policy given here governs it "
                f"({_NOT_FOUND} where no such key exists)"
            )
        if caller_account not in (None, owner):
            if action not in _FOREIGN_KEY_ID_ACTIONS:
                return (
                    f"a key ID is resolved in the caller's account `{caller_account}`, not in the key's "
                    f"`{owner}` (only `kms:Decrypt` and the `kms:ReEncryptFrom` source accept another "
                    f"account's key ID): {_NOT_FOUND}"
                )
            if key.key_spec != "SYMMETRIC_DEFAULT":
                return (
                    "another account's key ID is accepted only for symmetric ciphertext, and this key is "
                    f"`{key.key_spec}`: {_NOT_FOUND}"
                )
        return None
    else:
        return None
    if action not in _ALIAS_KEY_IDS:
        return (
            f"`{action}` takes a key ID or key ARN, not an alias, so `{resource}` does not name this key: "
            f"{_NOT_FOUND}"
        )
    if (alias_account, alias_region) != (owner, region):
        return (
            f"alias `{resource}` belongs to account `{alias_account}` in `{alias_region}`, not to this key's "
            f"account `{owner}` in `{region}`, so it does not name this key: {_NOT_FOUND}"
        )
    names = [a.split(":", 5)[5] if a.startswith("arn:") else a for a in key.aliases]
    if names and alias not in names:
        shown = ", ".join(f"`{name}`" for name in names)
        return (
            f"`{alias}` is not an alias of this key (its aliases: {shown}): no policy given here governs it "
            f"({_NOT_FOUND} where no key has that alias)"
        )
    return None


# --------------------------------------------------------------------------- the evaluator


_DEFAULT_KEY_POLICY_SID = "default"


def _default_key_policy(key: Key) -> Policy:
    """The API default key policy (§5.2), for a key declared without one."""
    account = key.account or (
        key.arn.split(":")[4] if isinstance(key.arn, str) and key.arn.count(":") >= 5 else ""
    )
    span = key.span or Span(file="<default key policy>")
    return Policy(
        kind=PolicyKind.KEY,
        name="default key policy",
        version="2012-10-17",
        span=span,
        statements=(
            Statement(
                index=0,
                sid="Enable IAM User Permissions",
                effect="Allow",
                principal=(
                    Principal(
                        type="AWS", value=f"arn:{key.partition}:iam::{account}:root", raw=account, span=span
                    ),
                ),
                action=(Item(value="kms:*", span=span),),
                resource=(Item(value="*", span=span),),
                span=span,
            ),
        ),
    )


@dataclass(frozen=True, slots=True)
class StatementMatch:
    """Whether one statement matches one request, and if not, the first element that failed and why."""

    matched: bool
    failed_element: str | None
    reason: str


_StaticKey = tuple[str, str, str, str, str | None, str | None]
_Verdict = tuple[DecisionEffect, str, list[StatementRef]]


@dataclass(frozen=True, slots=True)
class _Static:
    """What depends only on (action, caller, resource): the statements whose action, principal and
    resource match, per layer, and the request-context keys a traced decision reads (the conditions of
    every statement of the applicable policies, and what grants read)."""

    key: _StaticKey
    rows: tuple[tuple[str, str | None, tuple[tuple[CompiledStatement, int], ...]], ...]
    reads: tuple[str, ...]
    prefixes: tuple[str, ...]  # request keys with these prefixes are read too (`_PREFIX_DERIVED`)


@dataclass(frozen=True, slots=True)
class _Residual:
    """What is left of a site's no-trace decision once everything that depends only on the site is
    worked out: the statements that can apply and whose match depends on the request context
    (`CompiledStatement.dynamic`), each re-tested only when the request sets a key that can change it.

    `checks`: those statements in `_Static.rows` order, each with the context keys that can change its
    result and the prefixes of keys that can (`_PREFIX_DERIVED`); `default`: their results for a request that
    sets none of those keys; `decisions`: the decision for each tuple of results, kept when nothing else
    in the request can change it (grants may read it: `Evaluator._grants_read_request`).
    """

    checks: tuple[tuple[CompiledStatement, frozenset[str], frozenset[str]], ...]
    triggers: frozenset[str]
    prefixes: frozenset[str]
    default: tuple[bool, ...]
    grants_read_request: bool
    decisions: dict[tuple[bool, ...], Decision]


@dataclass(slots=True)
class _Outcome:
    """Everything the layers found for one request, before the decision procedure runs."""

    denies: list[CompiledStatement]
    allows: dict[str, list[tuple[CompiledStatement, int]]]
    levels_missing: dict[str, str | None]  # "scp"/"rcp" -> first level without an allow
    near: list[TraceStep]  # Allow statements that failed on one element only (trace mode)
    grant_misses: dict[str, list[tuple[str, Callable[[], str]]]] = field(default_factory=dict)


class Evaluator:
    """A situation compiled for many requests. `evaluate(request)` is the pure decision of §1.10."""

    def __init__(self, situation: Situation) -> None:
        self.situation = situation
        key = situation.key
        key_policy = situation.key_policy or (key.policy if key is not None else None)
        if key_policy is None and key is not None and not key.policy_declared:
            key_policy = _default_key_policy(key)
        self.key_policy = compile_policy(key_policy, "key_policy") if key_policy is not None else None
        trust = key_policy is not None and key_policy.kind is PolicyKind.TRUST
        self.resource_policy = "the trust policy" if trust else "the key policy"
        self.identity = tuple(compile_policy(p, "identity") for p in situation.identity_policies)
        self.boundary = (
            compile_policy(situation.permission_boundary, "boundary")
            if situation.permission_boundary is not None
            else None
        )
        self.session = tuple(compile_policy(p, "session") for p in situation.session_policies)
        self.scps = _levels(situation.scps, "scp")
        self.rcps = _levels(situation.rcps, "rcp")
        grants: dict[str, Grant] = {}
        for grant in (*situation.grants, *(key.grants if key is not None else ())):
            grants.setdefault(grant.grant_id, grant)
        self.grants = tuple(grants.values())
        self._source_arn_grants = any(g.constraints and g.constraints.source_arn for g in self.grants)
        arn = key.arn if key is not None and isinstance(key.arn, str) else None
        self.key_arn = arn
        self._managed_key = key is not None and key.key_manager == "AWS"
        self._memo: dict[tuple[object, ...], Decision] = {}
        self._seen: set[int] = set()
        # the condition keys that describe the key itself (§3.1)
        self.key_properties: dict[str, ContextValues] = {}
        if key is not None:
            properties = {
                "kms:keyspec": key.key_spec,
                "kms:customermasterkeyspec": key.key_spec,
                "kms:keyusage": key.key_usage,
                "kms:customermasterkeyusage": key.key_usage,
                "kms:keyorigin": key.origin,
                "kms:multiregion": "true" if key.multi_region else "false",
                "kms:multiregionkeytype": key.multi_region_key_type,
            }
            self.key_properties = {name: (value,) for name, value in properties.items() if value}
        self._statics: dict[_StaticKey, _Static] = {}
        self._sites: dict[tuple[str, str, str], _Site] = {}
        self._plans: dict[
            tuple[str, str, bool],
            tuple[tuple[str, str | None, CompiledPolicy, tuple[CompiledStatement, ...]], ...],
        ] = {}
        self.key_account = (key.account if key is not None else None) or (
            arn.split(":")[4] if arn is not None and arn.count(":") >= 5 else None
        )

    # -- public

    def evaluate(self, request: Request, *, trace: bool = True) -> Decision:
        if not trace:
            return self._decide_fast(request)
        # Evaluation is pure, so a request seen before (same principal, action, resource, context, grant
        # tokens and grant id) gets the same Decision object back.
        memo_key = (
            request.principal,
            request.action,
            request.resource,
            tuple(sorted(request.context.items())) if request.context else (),
            request.grant_tokens,
            request.grant_id,
        )
        found = self._memo.get(memo_key)
        if found is not None:
            return found
        req = _Req(self, request)
        if req.site.unnamed is not None:
            # the projection keeps what a decision on the key reads, not the KeyId that failed to name it
            return self._evaluate(req, True)
        # A traced decision depends only on the parts of the request that the applicable policies and the
        # grants read, so requests that differ elsewhere share it.
        projection = self._projection(req)
        decision = self._memo.get(projection)
        if decision is None:
            decision = self._evaluate(req, True)
            # Kept from the second time its projection comes: keeping every fresh request's trace made the
            # garbage collector's full passes over them cost more than a third of the traced decision.
            # A hash is no tracked object; a collision only admits a decision early.
            seen = hash(projection)
            if seen not in self._seen:
                if len(self._seen) >= _MEMO_SIZE:
                    self._seen.clear()
                self._seen.add(seen)
                return decision
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        self._memo[projection] = decision
        self._memo[memo_key] = decision
        return decision

    def _site(self, request: Request) -> _Site:
        key = (request.principal, request.action, request.resource)
        found = self._sites.get(key)
        if found is None:
            if len(self._sites) >= _MEMO_SIZE:
                self._sites.clear()
            found = self._sites[key] = _Site(self, *key)
        return found

    def _projection(self, req: _Req) -> tuple[object, ...]:
        static = self._static(req)
        request = req.request
        context = req.explicit
        ec: tuple[object, ...] = ()
        for prefix in static.prefixes:
            # pairs by lower-case key, and the keys as written (the derived key lists keep their case)
            ec += (
                tuple(sorted((k, v) for k, v in context.items() if k.startswith(prefix))),
                tuple(sorted(k for k in request.context if k.lower().startswith(prefix))),
            )
        return (
            static.key,
            tuple(context.get(k) for k in static.reads),
            ec,
            request.grant_tokens,
            request.grant_id,
        )

    def _decide_fast(self, request: Request) -> Decision:
        """The decision without a trace, through the site's `_Residual`."""
        site = self._site(request)
        if site.unnamed is not None:
            return Decision.trusted(effect="IMPLICIT_DENY", reason=site.unnamed)
        residual = site.residual
        if residual is None:
            # A residual costs more than a decision to build: the first request at a site is decided
            # directly (callers often make a new situation per question). Key-less requests always are:
            # their IAM `Resource` is matched against a target built from aws:RequestedRegion.
            if site.target is None or not site.visited:
                site.visited = True
                return self._evaluate(_Req(self, request, site), False)
            residual = site.residual = self._residual(site, request)
        results = residual.default
        req: _Req | None = None
        if request.context and residual.triggers:
            keys = _explicit(request)
            prefixed = {p for p in residual.prefixes if any(k.startswith(p) for k in keys)}
            if prefixed or not residual.triggers.isdisjoint(keys):
                req = _Req(self, request, site, keys)
                retested = []
                for (st, triggers, prefixes), default in zip(residual.checks, residual.default, strict=True):
                    again = not prefixes.isdisjoint(prefixed) or not triggers.isdisjoint(keys)
                    retested.append(st.holds(req) if again else default)
                results = tuple(retested)
        decision = residual.decisions.get(results)
        if decision is None:
            req = req or _Req(self, request, site)
            given = iter(results)
            outcome = self._outcome(req, lambda _: next(given))
            verdict = self._decide_by_policies(req, outcome)
            shared = verdict is not None or not residual.grants_read_request
            effect, reason, determining = verdict or self._decide_by_grants(req, outcome, None)
            decision = Decision.trusted(effect=effect, reason=reason, determining=tuple(determining))
            if shared:
                residual.decisions[results] = decision
        return decision

    def _residual(self, site: _Site, request: Request) -> _Residual:
        bare = Request.trusted(principal=request.principal, action=request.action, resource=request.resource)
        req = _Req(self, bare, site)
        checks = []
        for _, _, kept in self._static(req).rows:
            for st, _ in kept:
                if not st.dynamic:
                    continue
                triggers: set[str] = set()
                for key in st.reads:
                    # key policies never see IAM-only keys, whatever the request sets (§1.9)
                    if st.layer != "key_policy" or not _iam_only(key):
                        triggers.add(key)
                        triggers.update(_REQUEST_DERIVED.get(key, ()))
                prefixes = frozenset(_PREFIX_DERIVED[k] for k in st.reads & _PREFIX_DERIVED.keys())
                checks.append((st, frozenset(triggers), prefixes))
        return _Residual(
            checks=tuple(checks),
            triggers=frozenset(key for _, triggers, _ in checks for key in triggers),
            prefixes=frozenset(p for _, _, prefixes in checks for p in prefixes),
            default=tuple(st.holds(req) for st, _, _ in checks),
            grants_read_request=self._grants_read_request(req),
            decisions={},
        )

    def _evaluate(self, req: _Req, trace: bool) -> Decision:
        unnamed = req.site.unnamed
        if unnamed is not None:
            # KMS resolves the KeyId before it authorizes anything: no policy of this key is read (§1.4)
            if not trace:
                return Decision.trusted(effect="IMPLICIT_DENY", reason=unnamed)
            step = TraceStep.trusted(layer="key", outcome="no-match", reason=unnamed, element="KeyId")
            decided = TraceStep.trusted(layer="decision", outcome="info", reason=unnamed)
            return Decision.trusted(effect="IMPLICIT_DENY", reason=unnamed, trace=(step, decided))
        steps: list[TraceStep] | None = [] if trace else None
        outcome = self._collect(req, steps)
        effect, reason, determining = self._decide(req, outcome, steps)
        if steps is None:
            return Decision.trusted(effect=effect, reason=reason, determining=tuple(determining))
        steps.append(TraceStep.trusted(layer="decision", outcome="info", reason=reason))
        # An explicit deny is not lifted by any allow, so only implicit denials have near misses.
        nearest = self._nearest(req, outcome) if effect == "IMPLICIT_DENY" else []
        return Decision.trusted(
            effect=effect,
            reason=reason,
            determining=tuple(determining),
            trace=tuple(steps),
            nearest=tuple(nearest),
        )

    # -- collection: every statement of every layer, once

    def _plan(
        self, req: _Req
    ) -> tuple[tuple[str, str | None, CompiledPolicy, tuple[CompiledStatement, ...]], ...]:
        """`_layers` with each policy's statements for the action, cached per kind of request."""
        plan_key = (req.action, req.target_kind, req.caller.kind == "service")
        found = self._plans.get(plan_key)
        if found is None:
            found = tuple(
                (layer, level, policy, policy.for_action(req.action))
                for layer, level, policy in self._layers(req)
            )
            self._plans[plan_key] = found
        return found

    def _layers(self, req: _Req) -> Iterator[tuple[str, str | None, CompiledPolicy]]:
        """(layer, level name, policy) for every policy that applies to the request (§1.10 `applicable`)."""
        retire = req.action == "kms:RetireGrant"
        if self.key_policy is not None and req.target_kind == "key" and not retire:
            yield "key_policy", None, self.key_policy  # RetireGrant never matches key policies (§1.10)
        for policy in self.identity:
            yield "identity", None, policy
        if self.boundary is not None:
            yield "boundary", None, self.boundary
        for policy in self.session:
            yield "session", None, policy
        if req.caller.kind != "service":  # SCPs govern the principals of member accounts (§1.7)
            for level, policies in self.scps:
                for policy in policies:
                    yield "scp", level, policy
        if self._rcps_apply(req):
            for level, policies in self.rcps:
                for policy in policies:
                    yield "rcp", level, policy

    def _rcps_apply(self, req: _Req) -> bool:
        # RCPs never apply to AWS managed keys nor to kms:RetireGrant (§1.7); key-less requests have no
        # resource for them to guard.
        return (
            bool(self.rcps)
            and req.target_kind == "key"
            and not self._managed_key
            and req.action != "kms:RetireGrant"
        )

    def _static(self, req: _Req) -> _Static:
        if req.static is not None:
            return req.static
        req.static = self._static_of(req)
        return req.static

    def _static_of(self, req: _Req) -> _Static:
        """Per layer, the statements whose action, principal and resource match, with their principal bits.

        These elements depend only on the action, the caller and the resource, so they are worked out once
        for each such triple; a request then only tests conditions (and resources holding variables).
        """
        # everything a derived condition key can depend on besides the situation: the alias feeds
        # kms:RequestAlias
        static_key = (req.action, req.target_kind, req.caller.arn, req.target, req.key_arn, req.alias)
        found = self._statics.get(static_key)
        if found is None:
            rows = []
            # grants read the time (consistency) and, for CreateGrant, the new grant's operations and
            # constraint type; `SourceArn` constraints read aws:SourceArn and the new grant's SourceArn
            reads: set[str] = {"aws:currenttime", "kms:grantoperations", "kms:grantconstrainttype"}
            if self._source_arn_grants:
                reads.update(_SOURCE_ARN_READS)
            for layer, level, policy, candidates in self._plan(req):
                for st in policy.statements:
                    reads |= st.reads
                kept = []
                for st in candidates:
                    bits = st.principal_bits(req)
                    if bits and (st.resource_varies or st.covers_resource(req)):
                        kept.append((st, bits))
                rows.append((layer, level, tuple(kept)))
            for derived in reads & _REQUEST_DERIVED.keys():
                reads.update(_REQUEST_DERIVED[derived])
            # grants compare the encryption context; kms:EncryptionContextKeys is derived from it
            prefixes = {_PREFIX_DERIVED[k] for k in reads & _PREFIX_DERIVED.keys()}
            if self.grants:
                prefixes.add(_EC_PREFIX)
            found = _Static(
                key=static_key,
                rows=tuple(rows),
                reads=tuple(sorted(reads)),
                prefixes=tuple(sorted(prefixes)),
            )
            if len(self._statics) >= _MEMO_SIZE:
                self._statics.clear()
            self._statics[static_key] = found
        return found

    def _outcome(self, req: _Req, holds: Callable[[CompiledStatement], bool]) -> _Outcome:
        """The statements that match, from the site's candidates; `holds` tells for each statement whose
        match depends on the request context (`CompiledStatement.dynamic`), called in row order."""
        outcome = _Outcome(denies=[], allows={}, levels_missing={}, near=[])
        # SCP/RCP levels (several policies each) that have an allow; every level needs one (§1.10)
        level_allowed: dict[tuple[str, str], bool] = {}
        for layer, level, kept in self._static(req).rows:
            allowed = False
            for st, bits in kept:
                if st.dynamic and not holds(st):
                    continue
                if st.effect == "Deny":
                    outcome.denies.append(st)
                else:
                    outcome.allows.setdefault(layer, []).append((st, bits))
                    allowed = True
            if level is not None:
                level_allowed[(layer, level)] = level_allowed.get((layer, level), False) or allowed
        for (layer, level), allowed in level_allowed.items():
            if not allowed and outcome.levels_missing.get(layer) is None:
                outcome.levels_missing[layer] = level
        return outcome

    def _collect(self, req: _Req, steps: list[TraceStep] | None) -> _Outcome:
        if steps is None:
            return self._outcome(req, lambda st: st.holds(req))
        outcome = _Outcome(denies=[], allows={}, levels_missing={}, near=[])
        level_allowed: dict[tuple[str, str | None], bool] = {}
        for layer, level, policy, _ in self._plan(req):
            if level is not None:
                level_allowed.setdefault((layer, level), False)
            for st in policy.statements:
                step, matched, near = st.trace_step(req, level)
                steps.append(step)
                if near and st.effect == "Allow" and level is None:
                    outcome.near.append(step)
                if not matched:
                    continue
                if st.effect == "Deny":
                    outcome.denies.append(st)
                else:
                    outcome.allows.setdefault(layer, []).append((st, st.principal_bits(req)))
                    if level is not None:
                        level_allowed[(layer, level)] = True
        for (layer, level), allowed in level_allowed.items():
            if not allowed and outcome.levels_missing.get(layer) is None:
                outcome.levels_missing[layer] = level
        # say why RCPs were left out where they never apply (§1.7), given or not, so nobody adds one in vain
        if self._managed_key and req.target_kind == "key":
            steps.append(TraceStep.trusted(layer="rcp", outcome="skip", reason=_RCP_MANAGED))
        elif self.rcps and req.action == "kms:RetireGrant":
            steps.append(TraceStep.trusted(layer="rcp", outcome="skip", reason=_RCP_RETIRE))
        return outcome

    # -- the decision procedure (§1.10)

    def _decide(self, req: _Req, outcome: _Outcome, steps: list[TraceStep] | None) -> _Verdict:
        return self._decide_by_policies(req, outcome) or self._decide_by_grants(req, outcome, steps)

    def _identity_side(self, outcome: _Outcome) -> tuple[list[StatementRef], bool, bool]:
        """The identity-based allows, and whether the boundary and the session policies allow (§1.3)."""
        allows = outcome.allows
        identity = [st.ref for st, _ in allows.get("identity", [])]
        boundary_ok = self.boundary is None or bool(allows.get("boundary"))
        session_ok = not self.session or bool(allows.get("session"))
        return identity, boundary_ok, session_ok

    def _decide_by_policies(self, req: _Req, outcome: _Outcome) -> _Verdict | None:
        """The decision when the policies alone make it, else None: grants may still allow (§1.5), and
        `RetireGrant` is decided by the grant the request names. Depends on the site and the outcome only."""
        action = req.action
        if outcome.denies:
            first = outcome.denies[0].layer
            article, phrase = _PHRASE[first]
            return "EXPLICIT_DENY", f"explicit deny in {article} {phrase}", [s.ref for s in outcome.denies]
        for layer in ("rcp", "scp"):
            level = outcome.levels_missing.get(layer)
            if level is not None:
                return "IMPLICIT_DENY", f"no {_PHRASE[layer][1]} allows `{action}` at `{level}`", []
        if req.cross and action not in CROSS_ACCOUNT_ACTIONS and not action.lower().startswith(_ASSUME_ROLE):
            return "IMPLICIT_DENY", f"`{action}` cannot be performed cross-account", []
        if action == "kms:RetireGrant":
            return None
        identity, boundary_ok, session_ok = self._identity_side(outcome)
        caller = req.caller
        if req.target_kind != "key":
            # key-less actions and the alias half of alias operations: identity + boundary + session (§1.10)
            if caller.kind == "root" and not req.cross:
                return "ALLOW", "the account root user is allowed within its own account", []
            if identity and boundary_ok and session_ok:
                return "ALLOW", f"an identity-based policy allows `{action}`", identity
            return "IMPLICIT_DENY", _identity_gap(action, identity, boundary_ok, session_ok), []
        kp = outcome.allows.get("key_policy", [])
        policy = self.resource_policy
        free = [st.ref for st, bits in kp if bits & FREE]
        limited = [st.ref for st, bits in kp if bits & LIMITED]
        account = [st.ref for st, bits in kp if bits & ACCOUNT]
        identity_half = bool(identity) and boundary_ok and session_ok
        if not req.cross:
            if free:
                return "ALLOW", f"{policy} allows `{action}` for the caller", free
            if caller.kind == "root" and account:
                # the root user needs no IAM policy: the account statement is a direct allow (§1.2, §9 q22)
                return (
                    "ALLOW",
                    f"{policy} allows `{action}` for the account, and the caller is its root user",
                    account,
                )
            if limited and boundary_ok and session_ok:
                return "ALLOW", f"{policy} allows `{action}` for the caller's role", limited
            if account and identity_half:
                return (
                    "ALLOW",
                    f"{policy} delegates `{action}` to IAM and an identity-based policy allows it",
                    [*account, *identity],
                )
        elif kp and identity_half:
            return (
                "ALLOW",
                f"{policy} and an identity-based policy both allow cross-account `{action}`",
                [*(st.ref for st, _ in kp), *identity],
            )
        return None

    def _decide_by_grants(self, req: _Req, outcome: _Outcome, steps: list[TraceStep] | None) -> _Verdict:
        identity, boundary_ok, session_ok = self._identity_side(outcome)
        if req.action == "kms:RetireGrant":
            return self._decide_retire(req, identity, boundary_ok, session_ok, steps)
        grants = self._matching_grants(req, outcome, steps)
        if grants:
            return (
                "ALLOW",
                f"grant `{grants[0].grant_id}` allows `{req.action}`",
                [_grant_ref(g) for g in grants],
            )
        kp = outcome.allows.get("key_policy", [])
        return "IMPLICIT_DENY", self._gap(req, kp, identity, boundary_ok, session_ok), []

    def _grants_read_request(self, req: _Req) -> bool:
        """Whether a grant decision at this site can depend on the request beyond its site: grant tokens
        and `aws:CurrentTime` (a grant with a creation date), the encryption context (constraints), the
        new grant's operations and constraints (`CreateGrant`), the grant named (`RetireGrant`)."""
        if req.action in ("kms:RetireGrant", "kms:CreateGrant"):
            return True
        return any(
            grant.creation_date is not None or grant.constraints is not None
            for grant in self.grants
            if self._applies_to_key(grant) and _grantee_match(grant.grantee_principal, req.caller)
        )

    def _gap(
        self,
        req: _Req,
        kp: list[tuple[CompiledStatement, int]],
        identity: list[StatementRef],
        boundary_ok: bool,
        session_ok: bool,
    ) -> str:
        """Which policy type is missing an allow, in AWS's words (§6.2 best reading)."""
        action = req.action
        if not kp:
            return f"no resource-based policy allows `{action}`"
        bits = 0
        for _, b in kp:
            bits |= b
        if not req.cross and bits & LIMITED:
            # the key policy names the caller's role: only a boundary or session policy can stand in the way
            return _identity_gap(action, ["role"], boundary_ok, session_ok)
        return _identity_gap(action, identity, boundary_ok, session_ok)

    # -- grants (§1.5)

    def _grant_checks(self, grant: Grant, req: _Req) -> Iterator[tuple[str, bool, Callable[[], str]]]:
        operation = req.action.split(":", 1)[-1]
        grantee = _grantee_match(grant.grantee_principal, req.caller)
        yield "Grantee", grantee, lambda: _grantee_reason(grant, req.caller)
        # a grant can only ever allow the GrantOperation enum; anything else listed is inert (§1.5, W24)
        listed = operation in GRANT_OPERATIONS and any(
            op.lower() == operation.lower() for op in grant.operations
        )
        yield (
            "Operations",
            listed,
            lambda: (
                f"grant operations {_show(grant.operations)}"
                f" {'include' if listed else 'do not include'} `{operation}`"
            ),
        )
        consistent = self._consistent(grant, req)
        yield (
            "Consistency",
            consistent,
            lambda: (
                "grant is in effect"
                if consistent
                else f"grant was created `{grant.creation_date}`, less than 5 minutes before the request,"
                " and the request has no grant token for it"
            ),
        )
        held, why = _constraints(grant, req, operation, self.situation.key)
        yield "Constraints", held, lambda: why
        if operation == "CreateGrant":
            # a grant's CreateGrant creates only child grants within the parent's operations (§1.5)
            child = req.context.get("kms:grantoperations") or ()
            parent = {op.lower() for op in grant.operations}
            extra = [op for op in child if op.lower() not in parent]
            yield (
                "ChildOperations",
                not extra,
                lambda: (
                    f"the new grant's operations {_show(extra)} are not among this grant's operations"
                    if extra
                    else "the new grant's operations are within this grant's"
                ),
            )
            strict, why_strict = _child_constraints(
                grant,
                req.context.single("kms:grantconstrainttype"),
                req.context.single("kms:grantconstraintsourcearn"),
            )
            yield "ChildConstraints", strict, lambda: why_strict

    def _consistent(self, grant: Grant, req: _Req) -> bool:
        # effective once older than the consistency window, or when its token is in the request (§1.5);
        # a grant without a creation date counts as consistent
        if grant.token is not None and grant.token in req.request.grant_tokens:
            return True
        if grant.creation_date is None or "aws:currenttime" not in req.explicit:
            # without a request time, the listing is the present: every grant in it exists by now
            return True
        created = parse_date(grant.creation_date)
        return created is None or created <= req.now() - CONSISTENCY_WINDOW_SECONDS

    def _applies_to_key(self, grant: Grant) -> bool:
        arn = self.key_arn
        key = self.situation.key
        if arn is None and key is None:
            return True
        ids = {arn, key.key_id if key is not None else None}
        return grant.key_id in ids or (arn is not None and arn.endswith("/" + grant.key_id))

    def _matching_grants(self, req: _Req, outcome: _Outcome, steps: list[TraceStep] | None) -> list[Grant]:
        found: list[Grant] = []
        for grant in self.grants:
            if not self._applies_to_key(grant):
                continue
            if steps is None:
                if all(ok for _, ok, _ in self._grant_checks(grant, req)):
                    found.append(grant)
                continue
            failed = [(element, why) for element, ok, why in self._grant_checks(grant, req) if not ok]
            outcome.grant_misses[grant.grant_id] = failed
            steps.append(
                TraceStep.trusted(
                    layer="grant",
                    outcome="no-match" if failed else "match",
                    reason=failed[0][1]() if failed else f"grant `{grant.grant_id}` allows `{req.action}`",
                    ref=_grant_ref(grant),
                    element=failed[0][0] if failed else None,
                    span=grant.span,
                )
            )
            if not failed:
                found.append(grant)
        return found

    # -- RetireGrant (§1.5 "Retiring vs revoking", §1.10 decide_retire)

    def _decide_retire(
        self,
        req: _Req,
        identity: list[StatementRef],
        boundary_ok: bool,
        session_ok: bool,
        steps: list[TraceStep] | None,
    ) -> _Verdict:
        grant = self._named_grant(req)
        if grant is None:
            return "IMPLICIT_DENY", "the request names no grant on this key", []
        caller = req.caller
        ref = [_grant_ref(grant)]
        if grant.retiring_principal is not None and _grantee_match(grant.retiring_principal, caller):
            return "ALLOW", f"the caller is the retiring principal of grant `{grant.grant_id}`", ref
        retire_listed = any(op.lower() == "retiregrant" for op in grant.operations)
        # the grantee retires by using the grant, so the grant's `SourceArn` constraint holds here too (see
        # `_source_arn`); the retiring principal and the accounts below do not use the grant
        miss = ("RetiringPrincipal", f"the caller is not the retiring principal of grant `{grant.grant_id}`")
        if retire_listed and _grantee_match(grant.grantee_principal, caller):
            held, why = _source_arn(grant, req)
            if held:
                return (
                    "ALLOW",
                    f"the caller is the grantee of grant `{grant.grant_id}`, which lists `RetireGrant`",
                    ref,
                )
            miss = ("Constraints", why)
        # list-grants spells IssuingAccount as the account's root ARN; scenarios may give a bare ID. A grant
        # without one has no issuing account that could retire it (the creator's account is not known).
        issuing = grant.issuing_account
        accounts: set[str | None] = set()
        if issuing is not None:
            accounts.add(issuing.split(":")[4] if issuing.count(":") == 5 else issuing)
        retiring = grant.retiring_principal
        if isinstance(retiring, str) and retiring.endswith(":root"):
            accounts.add(retiring.split(":")[4])
        if caller.account in accounts and caller.kind == "root":
            return (
                "ALLOW",
                f"the caller is the root user of an account that may retire grant `{grant.grant_id}`",
                ref,
            )
        if caller.account in accounts and identity and boundary_ok and session_ok:
            # IAM delegation by the issuing or retiring account; whether the key policy's account statement
            # is also needed is undocumented (§1.10): it is not required here
            return (
                "ALLOW",
                f"an identity-based policy of an account that may retire grant `{grant.grant_id}` allows it",
                identity,
            )
        if steps is not None:
            steps.append(
                TraceStep.trusted(
                    layer="grant",
                    outcome="no-match",
                    reason=miss[1],
                    ref=ref[0],
                    element=miss[0],
                    span=grant.span,
                )
            )
        return (
            "IMPLICIT_DENY",
            f"no grant permission allows `kms:RetireGrant` of grant `{grant.grant_id}`",
            [],
        )

    def _named_grant(self, req: _Req) -> Grant | None:
        for grant in self.grants:
            if req.request.grant_id is not None and grant.grant_id == req.request.grant_id:
                return grant
            if (
                req.request.grant_id is None
                and grant.token is not None
                and grant.token in req.request.grant_tokens
            ):
                return grant
        return None

    # -- nearest misses

    def _nearest(self, req: _Req, outcome: _Outcome) -> list[TraceStep]:
        """Allow statements and grants that failed on exactly one element and would have allowed it.

        A statement is kept only when the same situation, with that one element relaxed, is allowed:
        a cross-account caller denied for want of an IAM allow gains nothing from a key-policy statement
        whose principal "almost" matched, and saying otherwise would send users to the wrong fix.
        """
        # an AWS managed key's policy is set by its service and cannot be changed (§5.1): no fix lies there
        found = [
            step
            for step in outcome.near
            if not (self._managed_key and step.layer == "key_policy") and self._would_allow(req.request, step)
        ]
        if req.target_kind == "key":
            for grant in self.grants:
                misses = outcome.grant_misses.get(grant.grant_id)
                if misses is None:
                    if not self._applies_to_key(grant):
                        continue
                    misses = [(e, why) for e, ok, why in self._grant_checks(grant, req) if not ok]
                if len(misses) == 1:
                    found.append(
                        TraceStep.trusted(
                            layer="grant",
                            outcome="no-match",
                            reason=misses[0][1](),
                            ref=_grant_ref(grant),
                            element=misses[0][0],
                            span=grant.span,
                        )
                    )
        return found

    def _would_allow(self, request: Request, step: TraceStep) -> bool:
        ref = step.ref
        if ref is None or ref.index is None or step.element is None:
            return False
        for compiled in self._compiled_policies():
            if compiled.layer != ("key_policy" if ref.layer == "trust" else ref.layer) or (
                compiled.policy.name != ref.policy
            ):
                continue
            for statement in compiled.policy.statements:
                if statement.index == ref.index:
                    relaxed = _relaxed(statement, step.element, request.action)
                    if relaxed is None:
                        return False
                    situation = _replace_statement(self.situation, compiled, statement, relaxed)
                    return Evaluator(situation).evaluate(request, trace=False).effect == "ALLOW"
        return False

    def _compiled_policies(self) -> Iterator[CompiledPolicy]:
        if self.key_policy is not None:
            yield self.key_policy
        yield from self.identity
        if self.boundary is not None:
            yield self.boundary
        yield from self.session
        for _, policies in (*self.scps, *self.rcps):
            yield from policies


def _relaxed(statement: Statement, element: str, action: str) -> Statement | None:
    """The statement with `element` made to match, for the counterfactual of `_nearest`."""
    span = statement.span
    if element == "Action":
        return statement.model_copy(update={"action": (Item(value=action, span=span),), "not_action": None})
    if element == "Principal":
        everyone = (Principal(type="AWS", value="*", raw="*", span=span),)
        return statement.model_copy(update={"principal": everyone, "not_principal": None})
    if element == "Resource":
        return statement.model_copy(update={"resource": (Item(value="*", span=span),), "not_resource": None})
    if element == "Condition":
        return statement.model_copy(update={"conditions": ()})
    return None


def _replace_statement(
    situation: Situation, compiled: CompiledPolicy, old: Statement, new: Statement
) -> Situation:
    policy = compiled.policy
    changed = policy.model_copy(
        update={"statements": tuple(new if s is old else s for s in policy.statements)}
    )

    def swap(policies: tuple[Policy, ...]) -> tuple[Policy, ...]:
        return tuple(changed if p is policy else p for p in policies)

    def swap_levels(levels: tuple[PolicyLevel, ...] | None) -> tuple[PolicyLevel, ...] | None:
        if levels is None:
            return None
        return tuple(level.model_copy(update={"policies": swap(level.policies)}) for level in levels)

    layer = compiled.layer
    if layer == "key_policy":
        return situation.model_copy(update={"key_policy": changed})
    if layer == "identity":
        return situation.model_copy(update={"identity_policies": swap(situation.identity_policies)})
    if layer == "boundary":
        return situation.model_copy(update={"permission_boundary": changed})
    if layer == "session":
        return situation.model_copy(update={"session_policies": swap(situation.session_policies)})
    if layer == "scp":
        return situation.model_copy(update={"scps": swap_levels(situation.scps)})
    return situation.model_copy(update={"rcps": swap_levels(situation.rcps)})


def _levels(
    levels: tuple[PolicyLevel, ...] | None, layer: Layer
) -> tuple[tuple[str, tuple[CompiledPolicy, ...]], ...]:
    if levels is None:
        return ()
    return tuple((level.name, tuple(compile_policy(p, layer) for p in level.policies)) for level in levels)


def _identity_gap(action: str, identity: Sequence[object], boundary_ok: bool, session_ok: bool) -> str:
    if not identity:
        return f"no identity-based policy allows `{action}`"
    if not boundary_ok:
        return f"no permissions boundary allows `{action}`"
    if not session_ok:
        return f"no session policy allows `{action}`"
    return f"no resource-based policy allows `{action}`"


def _child_constraints(grant: Grant, child: str | None, child_source_arn: str | None) -> tuple[bool, str]:
    """A child grant is at least as strict as its parent: Subset may become Equals, never the reverse,
    and a constrained parent cannot make an unconstrained child (§1.5 "Who can create grants").

    `child` is the new grant's `kms:GrantConstraintType`, `child_source_arn` its
    `kms:GrantConstraintSourceArn`. A parent's `SourceArn` constraint must stay on the child unchanged: the
    same "at least as strict" rule applied to the newer constraint (best reading; §9 q1 leaves its rules
    undocumented), or a grantee could hand its grant on without the constraint.
    """
    constraints = grant.constraints
    source_arn = constraints.source_arn if constraints is not None else None
    if source_arn is not None and child_source_arn != source_arn:
        shown = (
            "no `SourceArn` constraint"
            if child_source_arn is None
            else f"the `SourceArn` constraint `{child_source_arn}`"
        )
        return False, f"the new grant would have {shown}, not this grant's `{source_arn}`"
    if constraints is None or (
        constraints.encryption_context_equals is None and constraints.encryption_context_subset is None
    ):
        return True, "this grant has no constraints for the new grant to keep"
    allowed = (
        ("EncryptionContextEquals",)
        if constraints.encryption_context_equals is not None
        else ("EncryptionContextEquals", "EncryptionContextSubset")
    )
    if child in allowed:
        return True, f"the new grant's `{child}` constraint is at least as strict as this grant's"
    shown = "no constraint" if child is None else f"an `{child}` constraint"
    return False, f"the new grant would have {shown}, looser than this grant's `{allowed[0]}`"


def _grant_ref(grant: Grant) -> StatementRef:
    return StatementRef.trusted(layer="grant", policy=grant.name, grant_id=grant.grant_id, span=grant.span)


def _grantee_match(grantee: object, caller: Caller) -> bool:
    """Whether a grant's grantee (or retiring principal) stands for the caller (§1.5)."""
    if not isinstance(grantee, str):
        return False  # unknown before deployment: matches nothing
    grantee = _normalise_principal(grantee)
    if caller.kind == "service" or (grantee == caller.arn and caller.kind != "role"):
        return grantee == caller.arn
    role = _role_name_of(grantee)
    if role is not None and caller.kind in ("session", "role") and role == (caller.account, caller.role_name):
        return True
    # A grant to an account (§9 q2, undocumented) is read narrowly: it stands for that account's root user
    # only, as the simulator's authoriser reads it; no IAM delegation through a grant is assumed.
    return grantee == caller.account_arn and caller.kind == "root"


def _grantee_reason(grant: Grant, caller: Caller) -> str:
    grantee = grant.grantee_principal
    if isinstance(grantee, Unknown):
        return f"grantee `{grantee.expr}` is unknown before deployment and matches nothing"
    if _grantee_match(grantee, caller):
        return f"grantee `{grantee}` stands for `{caller.arn}`"
    if _normalise_principal(grantee) == caller.account_arn:
        return f"grantee is the account `{grantee}`, which stands for its root user only"
    if caller.kind != "service" and parse_caller(grantee).kind == "service":
        # §1.5 best reading: a service-principal grant is for the service calling as itself
        return f"grantee `{grantee}` is a service principal: it stands only for that service acting as itself"
    return f"grantee `{grantee}` is not `{caller.arn}`"


def _source_arn(grant: Grant, req: _Req) -> tuple[bool, str]:
    """Whether the request meets the grant's `SourceArn` constraint (reference §1.5 "Grantee principal").

    Best reading, the reference's own (§9 q1: the exact matching rules are not documented): a grant with a
    `SourceArn` constraint matches only requests whose `aws:SourceArn` equals it. Equal means the same
    string, case included, as the request's only value; no wildcards (a constraint is a value, not a
    pattern). It holds whoever the grantee is (a role grant may carry it too) and, unlike the
    encryption-context constraints, for every operation and key type: it says for which resource a service
    acts, which no operation lacks. A service-principal grantee matches only that service calling as itself
    (`_grantee_match`); the constraint then says for which of its resources.
    """
    constraints = grant.constraints
    source_arn = constraints.source_arn if constraints is not None else None
    if source_arn is None:
        return True, "grant has no `SourceArn` constraint"
    given = req.explicit.get("aws:sourcearn")
    if given == (source_arn,):
        return True, f"request `aws:SourceArn` is the grant's `SourceArn` constraint `{source_arn}`"
    shown = f"`aws:SourceArn` {_show(given)}" if given else "no `aws:SourceArn`"
    return False, f"request has {shown}, not the grant's `SourceArn` constraint `{source_arn}`"


def _constraints(grant: Grant, req: _Req, operation: str, key: Key | None) -> tuple[bool, str]:
    constraints = grant.constraints
    if constraints is None:
        return True, "grant has no constraints"
    held, why = _source_arn(grant, req)
    if not held:
        return False, why
    if constraints.encryption_context_equals is None and constraints.encryption_context_subset is None:
        return True, why if constraints.source_arn is not None else "grant has no constraints"
    if operation not in _CONTEXT_OPERATIONS or (key is not None and key.key_spec != "SYMMETRIC_DEFAULT"):
        # constraints apply only to operations that take an encryption context (§1.5)
        return True, f"grant constraints do not apply to `{operation}`"
    context = req.encryption_context()
    # constraint keys match case-insensitively, values case-sensitively (§1.5 best reading)
    if constraints.encryption_context_equals is not None:
        wanted = {k.lower(): v for k, v in constraints.encryption_context_equals.items()}
        if context != wanted:
            return False, "request encryption context is not exactly the grant's `EncryptionContextEquals`"
    if constraints.encryption_context_subset is not None:
        for k, v in constraints.encryption_context_subset.items():
            if context.get(k.lower()) != v:
                return False, f"request encryption context lacks the grant's pair `{k}`=`{v}`"
    return True, "request encryption context satisfies the grant constraints"


# --------------------------------------------------------------------------- module API


_EVALUATORS: dict[int, tuple[Situation, Evaluator]] = {}


def evaluator(situation: Situation) -> Evaluator:
    """The cached evaluator of a situation object (compile once, evaluate many)."""
    found = _EVALUATORS.get(id(situation))
    if found is not None and found[0] is situation:
        return found[1]
    if len(_EVALUATORS) > 4096:
        _EVALUATORS.clear()
    compiled = Evaluator(situation)
    _EVALUATORS[id(situation)] = (situation, compiled)
    return compiled


def evaluate(situation: Situation, request: Request, *, trace: bool = True) -> Decision:
    """Decide one request (§1.10). With `trace=False` the trace and nearest misses are not built; effect,
    reason and determining statements are the same either way."""
    return evaluator(situation).evaluate(request, trace=trace)


def statement_matches(
    statement: Statement, policy: Policy, request: Request, situation: Situation | None = None
) -> StatementMatch:
    """Whether one statement of `policy` matches `request`, by the evaluator's own matching code.

    The statement is read as its policy's kind says (key policy: principal checked, `Resource` `*` is the
    situation's key). For lint rules: `failed_element` is the first element that did not match.
    """
    layer = _LAYER_OF_KIND[policy.kind]
    compiled = compile_policy(policy, layer)
    target = next((st for st in compiled.statements if st.statement is statement), None)
    if target is None:
        target = CompiledStatement(statement, policy, layer)
    req = _Req(evaluator(situation or _EMPTY), request)
    matched, element, why, _ = target.explain(req)
    return StatementMatch(matched, element, why)


_EMPTY = Situation.trusted()


# --------------------------------------------------------------------------- many decisions at once


@dataclass(frozen=True, slots=True)
class Subject:
    """A caller and everything in force on it: the caller half of a Situation."""

    principal: str
    identity_policies: tuple[Policy, ...] = ()
    permission_boundary: Policy | None = None
    session_policies: tuple[Policy, ...] = ()
    scps: tuple[PolicyLevel, ...] | None = None
    caller_tags: tuple[tuple[str, str], ...] = ()
    caller_org_id: str | None = None
    caller_org_paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """A key and everything attached to it: the key half of a Situation."""

    key: Key
    key_policy: Policy | None = None
    grants: tuple[Grant, ...] = ()
    rcps: tuple[PolicyLevel, ...] | None = None


_PRINCIPAL_KEYS = frozenset({"aws:principalarn", "aws:userid", "aws:username", "aws:principaltype"})


def evaluate_grid(
    subjects: Sequence[Subject],
    targets: Sequence[Target],
    actions: Iterable[str],
    *,
    context: dict[str, str | tuple[str, ...]] | None = None,
) -> dict[tuple[int, int, str], Decision]:
    """Decide every (subject, target, action), without traces, keyed by (subject index, target index,
    action).

    Work is shared between subjects that the policies cannot tell apart: two callers in the same account
    with the same policy objects, tags and organisation get the same decision on a key unless the key's
    policy or grants name one of them, or a policy reads a principal-specific condition key
    (`aws:PrincipalArn`, `aws:userid`, `aws:username`) or uses one in a variable. Policies are compiled
    once per object, so subjects sharing managed policies share their compiled form too.
    """
    action_list = tuple(actions)
    extra = context or {}
    results: dict[tuple[int, int, str], Decision] = {}
    classes = [_subject_class(s) for s in subjects]
    for t_index, target in enumerate(targets):
        memo: dict[tuple[object, ...], Decision] = {}
        target_named, target_reads, grantees, grantee_roles = _target_profile(target)
        resource = _target_arn(target)
        for s_index, subject in enumerate(subjects):
            caller = parse_caller(subject.principal)
            share_key, subject_reads, situation_key = classes[s_index]
            role = (caller.account, caller.role_name)
            personal = (
                bool((target_reads | subject_reads) & _PRINCIPAL_KEYS)
                or "*" in target_named
                or caller.arn in target_named
                or (caller.role_arn is not None and _named_role(caller, target_named))
                or caller.arn in grantees
                or role in grantee_roles
            )
            share = (share_key, caller.kind, caller.account, caller.arn if personal else None)
            compiled: Evaluator | None = None
            for action in action_list:
                found = memo.get((*share, action))
                if found is None:
                    if compiled is None:
                        compiled = _grid_evaluator(subject, situation_key, target)
                    # without a context there is nothing to validate; a given context is validated as before
                    request = (Request.trusted if not extra else Request)(
                        principal=subject.principal,
                        action=action,
                        resource=resource,
                        context=dict(extra),
                    )
                    # a site of its own, not kept by the evaluator: a grid cell's site is seen once
                    site = _Site(compiled, request.principal, request.action, request.resource)
                    found = compiled._evaluate(_Req(compiled, request, site), trace=False)
                    memo[(*share, action)] = found
                results[(s_index, t_index, action)] = found
    return results


# Evaluators of grid situations, by what the situation is made of: subjects with the same policy objects,
# tags and organisation on the same target have equal situations, so they share one compiled evaluator
# (and its per-request caches) across grid calls. Entries hold the subject and target, so ids stay unique.
_GRID_EVALUATORS: dict[tuple[object, ...], tuple[Subject, Target, Evaluator]] = {}
_GRID_EVALUATOR_LIMIT = 16384  # each holds its own request caches: bound the memory they take
_SUBJECT_CLASSES: dict[
    int, tuple[Subject, tuple[tuple[object, ...], frozenset[str], tuple[object, ...]]]
] = {}
_TARGET_PROFILES: dict[
    int, tuple[Target, tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[tuple[str, str]]]]
] = {}


def _grid_evaluator(subject: Subject, situation_key: tuple[object, ...], target: Target) -> Evaluator:
    key = (id(target), situation_key)
    found = _GRID_EVALUATORS.get(key)
    if found is not None and found[1] is target:
        return found[2]
    if len(_GRID_EVALUATORS) >= _GRID_EVALUATOR_LIMIT:
        _GRID_EVALUATORS.clear()
    compiled = Evaluator(_situation(subject, target))
    _GRID_EVALUATORS[key] = (subject, target, compiled)
    return compiled


def _subject_class(subject: Subject) -> tuple[tuple[object, ...], frozenset[str], tuple[object, ...]]:
    """What decides a subject's sharing class, the condition keys its policies read, and the exact make of
    its half of a situation (every policy object in its place)."""
    cached = _SUBJECT_CLASSES.get(id(subject))
    if cached is not None and cached[0] is subject:
        return cached[1]
    policies = (*subject.identity_policies, subject.permission_boundary, *subject.session_policies)
    reads: set[str] = set()
    for policy in policies:
        if policy is not None:
            compiled = compile_policy(policy)
            reads |= compiled.reads
    identity = tuple(id(p) for p in policies)
    scps = id(subject.scps) if subject.scps is not None else None
    situation_key = (
        tuple(id(p) for p in subject.identity_policies),
        id(subject.permission_boundary),
        tuple(id(p) for p in subject.session_policies),
        scps,
        subject.caller_tags,
        subject.caller_org_id,
        subject.caller_org_paths,
    )
    found = (
        (identity, scps, subject.caller_tags, subject.caller_org_id, subject.caller_org_paths),
        frozenset(reads),
        situation_key,
    )
    if len(_SUBJECT_CLASSES) >= _MEMO_SIZE:
        _SUBJECT_CLASSES.clear()
    _SUBJECT_CLASSES[id(subject)] = (subject, found)
    return found


def _target_profile(
    target: Target,
) -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[tuple[str, str]]]:
    """The principals the target's policy names, the condition keys it reads, and the principals its
    grants name (as ARNs, and as (account, role name) for roles)."""
    cached = _TARGET_PROFILES.get(id(target))
    if cached is not None and cached[0] is target:
        return cached[1]
    policy = target.key_policy or target.key.policy
    named: frozenset[str] = frozenset()
    reads: frozenset[str] = frozenset()
    if policy is not None:
        compiled = compile_policy(policy, "key_policy")
        named, reads = compiled.named, compiled.reads
    values = [
        p for g in target.grants for p in (g.grantee_principal, g.retiring_principal) if isinstance(p, str)
    ]
    roles = frozenset(r for r in map(_role_name_of, values) if r is not None)
    found = (named, reads, frozenset(values), roles)
    if len(_TARGET_PROFILES) >= _MEMO_SIZE:
        _TARGET_PROFILES.clear()
    _TARGET_PROFILES[id(target)] = (target, found)
    return found


def _named_role(caller: Caller, named: frozenset[str]) -> bool:
    return any(_role_name_of(v) == (caller.account, caller.role_name) for v in named)


def _target_arn(target: Target) -> str:
    return target.key.arn if isinstance(target.key.arn, str) else "*"


def _situation(subject: Subject, target: Target) -> Situation:
    return Situation.trusted(
        key=target.key,
        key_policy=target.key_policy,
        identity_policies=subject.identity_policies,
        permission_boundary=subject.permission_boundary,
        session_policies=subject.session_policies,
        scps=subject.scps,
        rcps=target.rcps,
        grants=target.grants,
        caller_tags=dict(subject.caller_tags),
        caller_org_id=subject.caller_org_id,
        caller_org_paths=subject.caller_org_paths,
    )


__all__ = [
    "CONSISTENCY_WINDOW_SECONDS",
    "DEFAULT_TIME",
    "Caller",
    "CompiledPolicy",
    "Evaluator",
    "StatementMatch",
    "Subject",
    "Target",
    "compile_policy",
    "evaluate",
    "evaluate_grid",
    "evaluator",
    "parse_caller",
    "statement_matches",
]
