"""Replay an access scenario for real: build a world from it and make the call through a client.

`replay(scenario)` takes anything with a `situation` and a `request` (a `kmspolicy.scenario.Scenario`),
builds the accounts, the caller (user, role session, root, federated user or service), the
organisation with its SCPs/RCPs, the key with its policy, aliases and grants, then calls the API
operation the request's action belongs to with parameters that reproduce the request's context
(encryption context, grant operations, ...). For Decrypt, ReEncrypt, Verify and VerifyMac it first
makes the ciphertext, signature or MAC directly, so the call tests authorisation and not set-up.

The request's context is handed to the client as its recorded environment, so keys the world would
otherwise make up (source IP, time, MFA) are exactly the scenario's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from kmspolicy.model import Grant, Key, Policy, PolicyKind, PolicyLevel, Request, Situation, Span
from kmspolicy.simulator import crypto
from kmspolicy.simulator.client import Client
from kmspolicy.simulator.crypto import KIND_MULTI_REGION, KIND_REGIONAL, SUPPORTED_SPECS, new_material
from kmspolicy.simulator.kmserror import KMSError
from kmspolicy.simulator.matching import epoch_seconds
from kmspolicy.simulator.operations.keys import new_key, register
from kmspolicy.simulator.state import AliasRecord, GrantRecord, KeyRecord, NamedPolicy
from kmspolicy.simulator.world import World

DEFAULT_REGION = "us-east-1"
_EC_PREFIX = "kms:encryptioncontext:"


class ReplayError(ValueError):
    """A scenario the simulator cannot act out; the message names the value that stops it."""


class ScenarioLike(Protocol):
    """What replay needs of a `kmspolicy.scenario.Scenario` (not imported: it reaches the parser)."""

    @property
    def situation(self) -> Situation: ...

    @property
    def request(self) -> Request: ...


def replay(scenario: ScenarioLike) -> dict[str, Any]:
    """Run the scenario's request through the simulated API.

    Returns `{"decision": effect or None, "effect": effect or None, "error": error code or None,
    "event": audit event}`. The decision is the one for the request's own action and resource (None if
    the call failed before authorisation, e.g. on validation). The effect is what the scenario's `expect`
    is compared with: the decision, or IMPLICIT_DENY when the call failed with NotFoundException before
    any decision (its KeyId names no key there, so nothing can authorize it: reference §1.4, §2.4). A
    scenario that cannot be acted out (no key for an operation whose parameters need one, a role as the
    caller) raises `ReplayError`.
    """
    situation, request = scenario.situation, scenario.request
    world = World(quotas_enabled=False)
    given_time = _lower_get(request.context, "aws:currenttime")
    when = epoch_seconds(given_time) if isinstance(given_time, str) else None
    if when is not None:
        world.clock.set(datetime.fromtimestamp(when, UTC))
    region = _region(situation, request)
    caller_account = _account_of(request.principal)
    key_model = situation.key
    if key_model is not None and key_model.account:
        world.add_account(key_model.account)
    if caller_account:
        world.add_account(caller_account)
    _organisation(world, situation, caller_account, key_model.account if key_model else None)
    _caller(world, situation, request)
    key = _key(world, situation, request, region) if key_model is not None else None
    for token in request.grant_tokens:
        world.issued_tokens.add(token)  # tokens the scenario names were issued somewhere

    via = request.context.get("kms:ViaService") or _lower_get(request.context, "kms:viaservice")
    service = via.split(".")[0] if isinstance(via, str) else None
    if service is not None:
        client = world.service_client(service, request.principal, region, environment=request.context)
    else:
        client = world.client(request.principal, region, environment=request.context)
    error: str | None = None
    try:
        _invoke(world, client, key, request, region)
    except KMSError as exc:
        error = exc.code
    decision = _decision(client, request, key)
    effect = "IMPLICIT_DENY" if decision is None and error == "NotFoundException" else decision
    return {"decision": decision, "effect": effect, "error": error, "event": client.last_event}


# --------------------------------------------------------------------------- building the world


def _lower_get(context: dict[str, Any], key: str) -> Any:
    return next((v for k, v in context.items() if k.lower() == key), None)


def _account_of(principal: str) -> str | None:
    parts = principal.split(":")
    if principal.isdigit():
        return principal
    return parts[4] if principal.startswith("arn:") and len(parts) > 5 else None


def _region(situation: Situation, request: Request) -> str:
    for arn in (situation.key.arn if situation.key else None, request.resource):
        if isinstance(arn, str) and arn.startswith("arn:") and arn.split(":")[3]:
            return arn.split(":")[3]
    found = _lower_get(request.context, "aws:requestedregion")
    return found if isinstance(found, str) else DEFAULT_REGION


def _caller(world: World, situation: Situation, request: Request) -> None:
    principal = request.principal
    if principal.isdigit() or not principal.startswith("arn:") or principal.endswith(":root"):
        return
    account = principal.split(":")[4]
    resource = principal.split(":", 5)[5]
    policies = _unique_names(situation.identity_policies)
    tags = situation.caller_tags
    if resource.startswith("user/"):
        path, name = resource.removeprefix("user").rsplit("/", 1)
        world.add_user(
            account,
            name,
            policies=policies,
            boundary=situation.permission_boundary,
            tags=tags,
            path=path + "/",
        )
    elif resource.startswith("assumed-role/"):
        _, role, session = resource.split("/", 2)
        path = "/"
        given = _lower_get(request.context, "aws:principalarn")
        if isinstance(given, str) and ":role/" in given and given.endswith("/" + role):
            path = given.split(":role", 1)[1].rsplit("/", 1)[0] + "/"
        role_arn = world.add_role(
            account, role, policies=policies, boundary=situation.permission_boundary, tags=tags, path=path
        )
        world.assume_role(role_arn, session, session_policies=situation.session_policies)
    elif resource.startswith("federated-user/"):
        world.add_federated_user(
            account,
            resource.split("/", 1)[1],
            policies=situation.identity_policies,
            boundary=situation.permission_boundary,
            session_policies=situation.session_policies,
            tags=tags,
        )
    elif resource.startswith("role/"):
        raise ReplayError(f"a role cannot call KMS itself; use a session of `{principal}`")


def _unique_names(policies: tuple[Policy, ...]) -> dict[str, Policy]:
    out: dict[str, Policy] = {}
    for i, policy in enumerate(policies):
        out[policy.name if policy.name not in out else f"{policy.name}#{i}"] = policy
    return out


def _organisation(world: World, situation: Situation, caller: str | None, owner: str | None) -> None:
    if situation.scps is None and situation.rcps is None and not situation.caller_org_id:
        return
    root, ous = "r-replay", []
    for path in situation.caller_org_paths[:1]:
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2:
            root, ous = parts[1], parts[2:]
    # SCPs do not apply to a management account: without SCPs in the scenario the caller is one
    management = caller if situation.scps is None else None
    world.create_organization(
        situation.caller_org_id or "o-replay", root_id=root, management_account=management
    )
    assert world.org is not None
    parent = root
    for ou in ous:
        world.add_ou(ou, parent=parent)
        parent = ou
    if caller:
        _place(world, caller, parent, situation.scps)
    if owner and owner != caller:
        _place(world, owner, root, situation.rcps)
    if situation.rcps is not None and owner:
        _levels(world, world.org.path(owner), situation.rcps, "rcp")
    if situation.scps is not None and caller:
        _levels(world, world.org.path(caller), situation.scps, "scp")


def _place(world: World, account: str, parent: str, levels: tuple[PolicyLevel, ...] | None) -> None:
    """Put the account under `parent`, adding OUs until the path is as deep as the scenario's levels."""
    assert world.org is not None
    depth = len(world.org.path(parent)) + 1
    for extra in range(max(0, len(levels or ()) - depth)):
        ou = f"ou-replay-{account}-{extra}"
        world.add_ou(ou, parent=parent)
        parent = ou
    world.add_account(account, parent=parent)


def _levels(world: World, path: list[str], levels: tuple[PolicyLevel, ...], kind: str) -> None:
    """Attach level i's policies at path[i] (root first), replacing the default full-access policy."""
    assert world.org is not None
    attached = world.org.scps if kind == "scp" else world.org.rcps
    for target, level in zip(path, levels, strict=False):
        attached[target] = [NamedPolicy.from_model(p, p.name) for p in level.policies]
    if kind == "rcp":
        world.org.rcps_enabled = True
    world.add_account(path[-1], parent=world.org.parents.get(path[-1]))  # forget cached callers


def _key(world: World, situation: Situation, request: Request, region: str) -> KeyRecord:
    model: Key = situation.key  # type: ignore[assignment]
    assert isinstance(model.arn, str)
    account = model.account or model.arn.split(":")[4]
    policy = (
        situation.key_policy
        or model.policy
        or Policy(kind=PolicyKind.KEY, name="default", span=Span(file="replay"))
    )
    key = new_key(
        world,
        account=account,
        region=model.region or region,
        spec=model.key_spec,
        usage=model.key_usage,
        manager=model.key_manager,
        policy={"Statement": []},
        description=model.description or "",
        multi_region=model.multi_region,
    )
    key.arn, key.key_id = model.arn, model.key_id
    key.policy = NamedPolicy.from_model(policy, "default")
    key.state, key.origin, key.tags = model.key_state, model.origin, dict(model.tags)
    key.mrk_type = model.multi_region_key_type
    spec = model.key_spec if model.key_spec in SUPPORTED_SPECS else "SYMMETRIC_DEFAULT"
    register(world, key, new_material(spec))
    aliases = list(model.aliases)
    # a key that lists no aliases has the one the request names (the scenario does not say otherwise); one
    # that lists its aliases has only those, so another alias names no key here (reference §2.4)
    if not aliases and ":alias/" in request.resource:
        aliases.append("alias/" + request.resource.split(":alias/", 1)[1])
    elif not aliases and request.resource.startswith("alias/"):
        aliases.append(request.resource)
    for name in dict.fromkeys(aliases):
        world.aliases[(account, key.region, name)] = AliasRecord(
            name, account, key.region, key.key_id, key.created, key.created
        )
        key.aliases.append(name)
    given_time = _lower_get(request.context, "aws:currenttime")
    timed = isinstance(given_time, str) and epoch_seconds(given_time) is not None
    for grant in situation.grants or model.grants:
        if grant.key_id in (key.arn, key.key_id):  # a grant on another key has no part here (§1.5)
            _grant(world, key, grant, timed)
    key.touch()
    return key


def _created(world: World, grant: Grant, timed: bool) -> datetime:
    """The grant's own creation date; without one it is old enough to be consistent.

    A request without a time of its own is made after every grant the scenario lists (authorize.py reads
    it so, §1.5): such a grant is never newer than a day before the world's clock.
    """
    found = epoch_seconds(grant.creation_date) if grant.creation_date else None
    settled = world.clock.now() - timedelta(days=1)
    if found is None:
        return settled
    created = datetime.fromtimestamp(found, UTC)
    return created if timed else min(created, settled)


def _grant(world: World, key: KeyRecord, grant: Grant, timed: bool) -> None:
    constraints: dict[str, Any] = {}
    if grant.constraints and grant.constraints.encryption_context_equals is not None:
        constraints["EncryptionContextEquals"] = dict(grant.constraints.encryption_context_equals)
    if grant.constraints and grant.constraints.encryption_context_subset is not None:
        constraints["EncryptionContextSubset"] = dict(grant.constraints.encryption_context_subset)
    if grant.constraints and grant.constraints.source_arn is not None:
        constraints["SourceArn"] = grant.constraints.source_arn
    issuing = (grant.issuing_account or key.account).removeprefix("arn:aws:iam::").removesuffix(":root")
    token = grant.token or os.urandom(32).hex()
    key.grants[grant.grant_id] = GrantRecord(
        grant_id=grant.grant_id,
        key_arn=key.arn,
        name=grant.name,
        grantee=grant.grantee_principal if isinstance(grant.grantee_principal, str) else "",
        retiring=grant.retiring_principal if isinstance(grant.retiring_principal, str) else None,
        issuing_account=issuing,
        operations=list(grant.operations),
        constraints=constraints or None,
        created=_created(world, grant, timed),
        token=token,
    )
    world.issued_tokens.add(token)


# --------------------------------------------------------------------------- making the call


def _encryption_context(request: Request) -> dict[str, str] | None:
    found = {k[len(_EC_PREFIX) :]: v for k, v in request.context.items() if k.lower().startswith(_EC_PREFIX)}
    out = {k: v for k, v in found.items() if isinstance(v, str)}
    return out or None


def _context_value(request: Request, name: str) -> Any:
    return _lower_get(request.context, name.lower())


def _blob(world: World, key: KeyRecord, region: str, context: dict[str, str] | None) -> bytes:
    """Ciphertext made directly with the key's material, as an earlier Encrypt would have."""
    if key.spec != "SYMMETRIC_DEFAULT":
        return (
            crypto.rsa_encrypt(key.material, "RSAES_OAEP_SHA_256", b"replay")
            if key.spec.startswith("RSA")
            else b"x"
        )
    kind = KIND_MULTI_REGION if key.multi_region else KIND_REGIONAL
    secret = world.secret("multi-region" if key.multi_region else region)
    header = crypto.seal_reference(secret, kind, key.handle, key.material.current_version)
    return crypto.encrypt_symmetric(header, key.material, b"replay", context)


def _sink(world: World, request: Request, region: str) -> KeyRecord:
    """The other key of a ReEncrypt, in the caller's account, usable by anyone."""
    account = _account_of(request.principal) or "000000000000"
    key = new_key(
        world,
        account=account,
        region=region,
        spec="SYMMETRIC_DEFAULT",
        usage="ENCRYPT_DECRYPT",
        manager="CUSTOMER",
        policy={"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]},
    )
    return register(world, key, new_material("SYMMETRIC_DEFAULT"))


def _invoke(world: World, client: Client, key: KeyRecord | None, request: Request, region: str) -> None:
    action = request.action.removeprefix("kms:").removeprefix("KMS:")
    key_id = request.resource if request.resource != "*" else (key.arn if key is not None else None)
    context = _encryption_context(request)
    tokens = list(request.grant_tokens)
    params: dict[str, Any] = {}
    if key_id is not None:
        params["KeyId"] = key_id
    if tokens:
        params["GrantTokens"] = tokens
    builder = _BUILDERS.get(action.lower())
    if builder is None:
        raise KMSError("UnknownOperationException", f"no API operation for `{request.action}`")
    operation = builder(_Call(world, key, request, region, context, params))
    client.call(operation, params)


@dataclass
class _Call:
    """One replayed request on its way to the API: builders fill in `params` and name the operation."""

    world: World
    key: KeyRecord | None
    request: Request
    region: str
    ctx: dict[str, str] | None
    params: dict[str, Any]


Builder = Callable[[_Call], str]


def _known_key(call: _Call) -> KeyRecord:
    """The scenario's key, for operations whose parameters (a ciphertext, a signature) come from it."""
    if call.key is None:
        raise ReplayError(
            f"`{call.request.action}` on `{call.request.resource}` cannot be replayed: the scenario has "
            "no key to make its parameters with (give the request's `resource` as a key ARN)"
        )
    return call.key


def _crypto_in(operation: str, *, plaintext: bool = False, data_key: bool = False) -> Builder:
    def build(call: _Call) -> str:
        if call.ctx:
            call.params["EncryptionContext"] = call.ctx
        if plaintext:
            call.params["Plaintext"] = b"replay"
            if call.key is not None and call.key.spec.startswith("RSA"):
                call.params["EncryptionAlgorithm"] = "RSAES_OAEP_SHA_256"
        if data_key:
            call.params["NumberOfBytes"] = 32
        return operation

    return build


def _decrypt(call: _Call) -> str:
    key = _known_key(call)
    call.params["CiphertextBlob"] = _blob(call.world, key, call.region, call.ctx)
    if call.ctx:
        call.params["EncryptionContext"] = call.ctx
    if key.spec.startswith("RSA"):
        call.params["EncryptionAlgorithm"] = "RSAES_OAEP_SHA_256"
    elif call.request.resource == "*":
        call.params.pop("KeyId", None)  # symmetric Decrypt without KeyId finds the key in the blob
    return "Decrypt"


def _re_encrypt(source_side: bool) -> Builder:
    def build(call: _Call) -> str:
        key = _known_key(call)
        sink = _sink(call.world, call.request, call.region)
        named = call.params.pop("KeyId")
        source, dest = (key, sink) if source_side else (sink, key)
        call.params["CiphertextBlob"] = _blob(
            call.world, source, call.region, call.ctx if source_side else None
        )
        call.params["DestinationKeyId"] = named if not source_side else dest.arn
        if source_side:
            call.params["SourceKeyId"] = named
            if call.ctx:
                call.params["SourceEncryptionContext"] = call.ctx
        elif call.ctx:
            call.params["DestinationEncryptionContext"] = call.ctx
        return "ReEncrypt"

    return build


def _data_key_pair(operation: str) -> Builder:
    def build(call: _Call) -> str:
        call.params["KeyPairSpec"] = _context_value(call.request, "kms:DataKeyPairSpec") or "ECC_NIST_P256"
        if call.ctx:
            call.params["EncryptionContext"] = call.ctx
        return operation

    return build


def _signing(operation: str) -> Builder:
    def build(call: _Call) -> str:
        key = _known_key(call)
        algorithms = crypto.algorithms_for(key.spec, key.usage).get("SigningAlgorithms", ["ECDSA_SHA_256"])
        algorithm = _context_value(call.request, "kms:SigningAlgorithm") or algorithms[0]
        message_type = _context_value(call.request, "kms:MessageType") or "RAW"
        message = b"replay" if message_type == "RAW" else b"\x00" * 32
        call.params.update(Message=message, SigningAlgorithm=algorithm, MessageType=message_type)
        if operation == "Verify":
            call.params["Signature"] = b"\x00"
            if key.material.private is not None and algorithm in algorithms:
                call.params["Signature"] = crypto.sign(key.material, algorithm, message, message_type)
        return operation

    return build


def _mac(operation: str) -> Builder:
    def build(call: _Call) -> str:
        key = _known_key(call)
        own = f"HMAC_SHA_{key.spec.removeprefix('HMAC_')}" if key.spec.startswith("HMAC") else "HMAC_SHA_256"
        algorithm = _context_value(call.request, "kms:MacAlgorithm") or own
        call.params.update(Message=b"replay", MacAlgorithm=algorithm)
        if operation == "VerifyMac":
            call.params["Mac"] = (
                crypto.mac(key.material, algorithm, b"replay") if key.spec.startswith("HMAC") else b"x"
            )
        return operation

    return build


def _plain(operation: str, **fixed: Any) -> Builder:
    def build(call: _Call) -> str:
        if operation not in _TAKES_TOKENS:
            call.params.pop("GrantTokens", None)
        call.params.update(fixed)
        return operation

    return build


def _numbered(operation: str, member: str, context_key: str) -> Builder:
    def build(call: _Call) -> str:
        value = _context_value(call.request, context_key)
        if isinstance(value, str) and value.isdigit():
            call.params[member] = int(value)
        return operation

    return build


def _keyless(operation: str, **fixed: Any) -> Builder:
    def build(call: _Call) -> str:
        call.params.clear()
        call.params.update(fixed)
        if operation == "ListRetirableGrants":
            call.params["RetiringPrincipal"] = (
                _context_value(call.request, "kms:RetiringPrincipal") or call.request.principal
            )
        if operation == "CreateKey":
            _create_key_params(call.request, call.params)
        return operation

    return build


def _create_key_params(request: Request, params: dict[str, Any]) -> None:
    for member, name in (("KeySpec", "kms:KeySpec"), ("KeyUsage", "kms:KeyUsage")):
        value = _context_value(request, name)
        if isinstance(value, str):
            params[member] = value
    if "KeySpec" in params and "KeyUsage" not in params:
        params["KeyUsage"] = (crypto.usages_for(params["KeySpec"]) or ("ENCRYPT_DECRYPT",))[0]
    if _context_value(request, "kms:MultiRegion") == "true":
        params["MultiRegion"] = True
    bypass = _context_value(request, "kms:BypassPolicyLockoutSafetyCheck")
    if bypass is not None:
        params["BypassPolicyLockoutSafetyCheck"] = bypass == "true"
    tags = _request_tags(request)
    if tags:
        params["Tags"] = tags


def _request_tags(request: Request) -> list[dict[str, str]]:
    prefix = "aws:requesttag/"
    return [
        {"TagKey": k[len(prefix) :], "TagValue": v}
        for k, v in request.context.items()
        if k.lower().startswith(prefix) and isinstance(v, str)
    ]


def _put_key_policy(call: _Call) -> str:
    key = _known_key(call)
    import json

    call.params.pop("GrantTokens", None)
    call.params["Policy"] = json.dumps(key.policy.document or {"Statement": []})
    bypass = _context_value(call.request, "kms:BypassPolicyLockoutSafetyCheck")
    if bypass is not None:
        call.params["BypassPolicyLockoutSafetyCheck"] = bypass == "true"
    return "PutKeyPolicy"


def _tags(operation: str) -> Builder:
    def build(call: _Call) -> str:
        call.params.pop("GrantTokens", None)
        if operation == "TagResource":
            call.params["Tags"] = _request_tags(call.request) or [{"TagKey": "replay", "TagValue": "x"}]
        else:
            keys = _context_value(call.request, "aws:TagKeys")
            call.params["TagKeys"] = list(keys) if isinstance(keys, tuple) else [keys or "replay"]
        return operation

    return build


def _alias(operation: str) -> Builder:
    def build(call: _Call) -> str:
        call.params.pop("GrantTokens", None)
        named = call.params.pop("KeyId", None)
        alias = "alias/replay"
        if isinstance(named, str) and ":alias/" in named:
            alias = "alias/" + named.split(":alias/", 1)[1]
        call.params["AliasName"] = alias
        target = call.key if call.key is not None else _sink(call.world, call.request, call.region)
        if operation != "DeleteAlias":
            call.params["TargetKeyId"] = target.arn
        # the alias exists before DeleteAlias/UpdateAlias and not before CreateAlias, as a real call needs
        where = (target.account, target.region, alias)
        if operation != "CreateAlias" and where not in call.world.aliases:
            call.world.aliases[where] = AliasRecord(
                alias, target.account, target.region, target.key_id, target.created, target.created
            )
            target.aliases.append(alias)
            target.touch()
        if operation == "CreateAlias" and where in call.world.aliases:
            del call.world.aliases[where]
            target.aliases.remove(alias)
            target.touch()
        return operation

    return build


def _multi_region(operation: str, member: str, context_key: str) -> Builder:
    """ReplicateKey and UpdatePrimaryRegion name another Region: the request's, else not the key's."""

    def build(call: _Call) -> str:
        call.params.pop("GrantTokens", None)
        region = _context_value(call.request, context_key)
        if not isinstance(region, str):
            region = "us-west-2" if call.region != "us-west-2" else DEFAULT_REGION
        call.params[member] = region
        return operation

    return build


def _create_grant(call: _Call) -> str:
    operations = _context_value(call.request, "kms:GrantOperations")
    call.params["Operations"] = (
        list(operations) if isinstance(operations, tuple) else [operations or "Decrypt"]
    )
    call.params["GranteePrincipal"] = _context_value(call.request, "kms:GranteePrincipal") or _grantee(
        call.request
    )
    retiring = _context_value(call.request, "kms:RetiringPrincipal")
    if retiring:
        call.params["RetiringPrincipal"] = retiring
    constraints: dict[str, Any] = {}
    kind = _context_value(call.request, "kms:GrantConstraintType")
    if kind and call.ctx:
        constraints[kind] = call.ctx
    source_arn = _context_value(call.request, "kms:GrantConstraintSourceArn")
    if isinstance(source_arn, str):
        constraints["SourceArn"] = source_arn
    if constraints:
        call.params["Constraints"] = constraints
    return "CreateGrant"


def _grantee(request: Request) -> str:
    account = _account_of(request.principal) or "111122223333"
    return f"arn:aws:iam::{account}:root"


def _grant_op(operation: str) -> Builder:
    def build(call: _Call) -> str:
        key = _known_key(call)
        tokens = call.params.pop("GrantTokens", [])
        grant_id = call.request.grant_id or next(iter(key.grants), "0" * 64)
        if operation == "RetireGrant" and call.request.grant_id is None and tokens:
            call.params.clear()
            call.params["GrantToken"] = tokens[0]
        else:
            call.params["GrantId"] = grant_id
        return operation

    return build


_TAKES_TOKENS = frozenset({"DescribeKey", "GetPublicKey"})
_BUILDERS: dict[str, Builder] = {
    "encrypt": _crypto_in("Encrypt", plaintext=True),
    "decrypt": _decrypt,
    "reencryptfrom": _re_encrypt(True),
    "reencryptto": _re_encrypt(False),
    "generatedatakey": _crypto_in("GenerateDataKey", data_key=True),
    "generatedatakeywithoutplaintext": _crypto_in("GenerateDataKeyWithoutPlaintext", data_key=True),
    "generatedatakeypair": _data_key_pair("GenerateDataKeyPair"),
    "generatedatakeypairwithoutplaintext": _data_key_pair("GenerateDataKeyPairWithoutPlaintext"),
    "sign": _signing("Sign"),
    "verify": _signing("Verify"),
    "generatemac": _mac("GenerateMac"),
    "verifymac": _mac("VerifyMac"),
    "getpublickey": _plain("GetPublicKey"),
    "describekey": _plain("DescribeKey"),
    "getkeypolicy": _plain("GetKeyPolicy"),
    "listkeypolicies": _plain("ListKeyPolicies"),
    "listgrants": _plain("ListGrants"),
    "listresourcetags": _plain("ListResourceTags"),
    "getkeyrotationstatus": _plain("GetKeyRotationStatus"),
    "listkeyrotations": _plain("ListKeyRotations"),
    "enablekey": _plain("EnableKey"),
    "disablekey": _plain("DisableKey"),
    "cancelkeydeletion": _plain("CancelKeyDeletion"),
    "disablekeyrotation": _plain("DisableKeyRotation"),
    "rotatekeyondemand": _plain("RotateKeyOnDemand"),
    "updatekeydescription": _plain("UpdateKeyDescription", Description="replay"),
    "schedulekeydeletion": _numbered(
        "ScheduleKeyDeletion", "PendingWindowInDays", "kms:ScheduleKeyDeletionPendingWindowInDays"
    ),
    "enablekeyrotation": _numbered("EnableKeyRotation", "RotationPeriodInDays", "kms:RotationPeriodInDays"),
    "putkeypolicy": _put_key_policy,
    "tagresource": _tags("TagResource"),
    "untagresource": _tags("UntagResource"),
    "createalias": _alias("CreateAlias"),
    "updatealias": _alias("UpdateAlias"),
    "deletealias": _alias("DeleteAlias"),
    "creategrant": _create_grant,
    "revokegrant": _grant_op("RevokeGrant"),
    "retiregrant": _grant_op("RetireGrant"),
    "replicatekey": _multi_region("ReplicateKey", "ReplicaRegion", "kms:ReplicaRegion"),
    "updateprimaryregion": _multi_region("UpdatePrimaryRegion", "PrimaryRegion", "kms:PrimaryRegion"),
    "getkeylastusage": _plain("GetKeyLastUsage"),
    "deleteimportedkeymaterial": _plain("DeleteImportedKeyMaterial"),
    "getparametersforimport": _plain("GetParametersForImport"),
    "importkeymaterial": _plain("ImportKeyMaterial"),
    "derivesharedsecret": _plain("DeriveSharedSecret"),
    "createkey": _keyless("CreateKey"),
    "listkeys": _keyless("ListKeys"),
    "listaliases": _keyless("ListAliases"),
    "generaterandom": _keyless("GenerateRandom", NumberOfBytes=32),
    "listretirablegrants": _keyless("ListRetirableGrants"),
}


def _decision(client: Client, request: Request, key: KeyRecord | None) -> str | None:
    """The decision for the request's own action and resource among those the call made."""
    action = request.action.lower()
    wanted = request.resource if request.resource != "*" else (key.arn if key is not None else "*")
    matching = [r for a, res, r in client.last_decisions if a.lower() == action]
    exact = [r for a, res, r in client.last_decisions if a.lower() == action and res == wanted]
    chosen = exact or matching
    if not chosen and request.resource != "*" and ":alias/" in request.resource and key is not None:
        chosen = [r for a, res, r in client.last_decisions if a.lower() == action and res == key.arn]
    return chosen[0].effect if chosen else None
