"""The boto3-like client and the per-call pipeline every operation goes through.

Check order (kms-simulator.md §2.2): parameter validation, key resolution (NotFoundException),
request quota, authorisation (AccessDeniedException), key state, key usage, cryptography.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from kmspolicy.simulator import audit
from kmspolicy.simulator.authorize import AuthzResult
from kmspolicy.simulator.catalogue import STATE_ROW
from kmspolicy.simulator.kmserror import KMSError, validation
from kmspolicy.simulator.quotas import quota_name
from kmspolicy.simulator.state import KeyRecord
from kmspolicy.simulator.world import CallerInfo, World

KEY_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9:/_-]+$")

Handler = Callable[["Call"], dict[str, Any]]
Decided = tuple[str, str, AuthzResult]  # (action, resource, decision) of one authorisation in a call
HANDLERS: dict[str, Handler] = {}
KEYED_QUOTA: set[str] = set()  # operations that charge their quota themselves, once the key type is known
MEMBERS: dict[str, frozenset[str]] = {}


def operation(name: str, members: str, *, keyed_quota: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler with the request members it accepts."""

    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        MEMBERS[name] = frozenset(members.split())
        if keyed_quota:
            KEYED_QUOTA.add(name)
        return fn

    return register


class Call:
    """One API call in flight: its parameters, caller, and what the audit event will record."""

    def __init__(self, client: Client, operation: str, params: dict[str, Any]) -> None:
        self.client = client
        self.world: World = client.world
        self.operation = operation
        self.p = params
        self.caller: CallerInfo = self.world.caller(client.principal)
        self.region = client.region
        self.now: datetime = self.world.clock.now()
        self.keys: list[KeyRecord] = []
        self.additional: dict[str, Any] | None = None
        self.decisions: list[Decided] = []
        self.aliases_used: dict[str, str] = {}  # key ARN -> alias the request named it by (kms:RequestAlias)

    # ------------------------------------------------------------------ parameters

    def required(self, name: str) -> Any:
        value = self.p.get(name)
        if value is None:
            raise validation(audit.camel(name), "null", "Member must not be null")
        return value

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        max_len: int = 2048,
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        value = self.required(name) if required else self.p.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise KMSError("ValidationException", f"`{name}` must be a string")
        if len(value) < 1 and name != "Description":
            raise validation(audit.camel(name), value, "Member must have length greater than or equal to 1")
        if len(value) > max_len:
            raise validation(
                audit.camel(name), value, f"Member must have length less than or equal to {max_len}"
            )
        if pattern is not None and not pattern.match(value):
            raise validation(
                audit.camel(name), value, f"Member must satisfy regular expression pattern: {pattern.pattern}"
            )
        return value

    def integer(self, name: str, low: int, high: int, *, required: bool = False) -> int | None:
        value = self.required(name) if required else self.p.get(name)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise KMSError("ValidationException", f"`{name}` must be an integer")
        if value < low:
            raise validation(
                audit.camel(name), value, f"Member must have value greater than or equal to {low}"
            )
        if value > high:
            raise validation(audit.camel(name), value, f"Member must have value less than or equal to {high}")
        return value

    def blob(self, name: str, *, max_len: int = 4096, required: bool = True) -> bytes:
        value = self.required(name) if required else self.p.get(name, b"")
        if isinstance(value, str):
            value = value.encode()
        if not isinstance(value, bytes | bytearray):
            raise KMSError("ValidationException", f"`{name}` must be bytes")
        if required and len(value) < 1:
            raise validation(audit.camel(name), "", "Member must have length greater than or equal to 1")
        if len(value) > max_len:
            raise validation(
                audit.camel(name), "...", f"Member must have length less than or equal to {max_len}"
            )
        return bytes(value)

    def enum(
        self, name: str, values: Sequence[str], *, required: bool = False, default: str | None = None
    ) -> str:
        value = self.required(name) if required else self.p.get(name, default)
        if value not in values:
            raise validation(
                audit.camel(name), value, f"Member must satisfy enum value set: [{', '.join(values)}]"
            )
        assert isinstance(value, str)
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.p.get(name)
        if value is not None and not isinstance(value, bool):
            raise KMSError("ValidationException", f"`{name}` must be a boolean")
        return value

    def context(self, name: str = "EncryptionContext") -> dict[str, str] | None:
        value = self.p.get(name)
        if value is None:
            return None
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise KMSError("ValidationException", f"`{name}` must map strings to strings")
        return value

    def grant_tokens(self) -> tuple[str, ...]:
        tokens = self.p.get("GrantTokens") or []
        if not isinstance(tokens, list | tuple) or not all(isinstance(t, str) for t in tokens):
            raise KMSError("ValidationException", "`GrantTokens` must be a list of strings")
        if len(tokens) > 10:
            raise validation("grantTokens", tokens, "Member must have length less than or equal to 10")
        for t in tokens:
            if t not in self.world.issued_tokens:
                raise KMSError("InvalidGrantTokenException", "The grant token is invalid.")
        return tuple(tokens)

    def dry_run(self) -> None:
        """Called after authorisation: a DryRun that would have succeeded stops here."""
        if self.boolean("DryRun"):
            raise KMSError(
                "DryRunOperationException", "The request would have succeeded, but the DryRun option is set."
            )

    # ------------------------------------------------------------------ keys

    def resolve_key(
        self, name: str = "KeyId", *, aliases: bool = False, value: str | None = None
    ) -> KeyRecord:
        """Find the key a KeyId-like member names, in the caller's account unless it is an ARN."""
        text = value if value is not None else self.string(name, required=True)
        assert text is not None
        account = self.caller.account
        if text.startswith("arn:"):
            parts = text.split(":", 5)
            if len(parts) != 6 or parts[2] != "kms":
                raise KMSError("NotFoundException", f"Invalid arn {text}")
            if parts[3] != self.region:
                raise KMSError("NotFoundException", f"Invalid arn {parts[3]}")
            account, resource = parts[4], parts[5]
            if resource.startswith("alias/") and aliases:
                return self._by_alias(account, resource, text)
            if not resource.startswith("key/"):
                raise KMSError("NotFoundException", f"Invalid keyId '{text}'")
            text = resource.removeprefix("key/")
        elif text.startswith("alias/"):
            if not aliases:
                raise KMSError("NotFoundException", f"Invalid keyId '{text}'")
            return self._by_alias(account, text, None)
        if not KEY_ID.match(text):
            raise KMSError("NotFoundException", f"Invalid keyId '{text}'")
        key = self.world.key_in(account or "", self.region, text)
        if key is None:
            raise KMSError(
                "NotFoundException", f"Key 'arn:aws:kms:{self.region}:{account}:key/{text}' does not exist"
            )
        return self.touch(key)

    def _by_alias(self, account: str | None, name: str, arn: str | None) -> KeyRecord:
        from kmspolicy.simulator.managed import managed_key_for

        alias = self.world.aliases.get((account or "", self.region, name))
        if alias is None:
            created = managed_key_for(self, account, name)
            if created is None:
                raise KMSError(
                    "NotFoundException",
                    f"Alias {arn or f'arn:aws:kms:{self.region}:{account}:{name}'} is not found.",
                )
            return self.touch(created)
        key = self.world.key_in(alias.account, self.region, alias.target_key_id)
        assert key is not None
        self.aliases_used[key.arn] = name
        return self.touch(key)

    def touch(self, key: KeyRecord) -> KeyRecord:
        """Record the key as a resource of this call (CloudTrail `resources`)."""
        if key not in self.keys:
            self.keys.append(key)
        return key

    def check_state(self, key: KeyRecord, operation: str | None = None) -> None:
        """The key-state matrix of kms-simulator.md §2.2."""
        row = STATE_ROW.get(operation or self.operation, "any")
        state, arn = key.state, key.arn
        if row == "any" or state == "Enabled":
            if row == "onlyPD" and state != "PendingDeletion":
                raise KMSError("KMSInvalidStateException", f"{arn} is not pending deletion.")
            return
        if row == "onlyPD":
            if state != "PendingDeletion":
                raise KMSError("KMSInvalidStateException", f"{arn} is not pending deletion.")
            return
        if state in ("PendingDeletion", "PendingReplicaDeletion"):
            raise KMSError("KMSInvalidStateException", f"{arn} is pending deletion.")
        if state == "Disabled":
            if row in ("crypto", "crypto*", "asym", "rot", "repl"):
                raise KMSError("DisabledException", f"{arn} is disabled.")
            return
        if state == "PendingImport" and row in ("crypto", "crypto*", "toggle", "repl"):
            raise KMSError("KMSInvalidStateException", f"{arn} is pending import.")
        if state == "Creating" and row != "notPD":
            raise KMSError("KMSInvalidStateException", f"{arn} is creating.")
        if state == "Updating" and row in ("toggle", "repl"):
            raise KMSError("KMSInvalidStateException", f"{arn} is updating.")

    def charge(self, key_spec: str | None = None, pair_spec: str | None = None) -> None:
        """Spend the caller account's quota (the key owner's for a service principal)."""
        account = self.caller.account or (self.keys[0].account if self.keys else None)
        self.world.charge(account, self.region, quota_name(self.operation, key_spec, pair_spec))

    # ------------------------------------------------------------------ authorisation

    def base_context(self) -> dict[str, Any]:
        """Request-time global keys; the authoriser derives the caller- and key-derived ones."""
        environment = self.client.environment
        if environment is not None:
            identity = (
                {"aws:PrincipalArn": self.caller.principal_arn} if self.caller.kind != "service" else {}
            )
            return {**identity, **environment}
        current_time, epoch_time = _request_times(self.now)
        ctx: dict[str, Any] = {
            "aws:CurrentTime": current_time,
            "aws:EpochTime": epoch_time,
            "aws:RequestedRegion": self.region,
        }
        if self.caller.principal_arn and self.caller.kind != "service":
            ctx["aws:PrincipalArn"] = self.caller.principal_arn
        if self.caller.unique_id and self.caller.kind in ("user", "session"):
            ctx["aws:userid"] = self.caller.unique_id
        via = self.client.via_service
        if via:
            ctx["kms:ViaService"] = f"{via}.{self.region}.amazonaws.com"
            ctx["aws:CalledVia"] = (f"{via}.amazonaws.com",)
            ctx["aws:CalledViaFirst"] = ctx["aws:CalledViaLast"] = f"{via}.amazonaws.com"
            ctx["aws:ViaAWSService"] = "true"
        else:
            ctx["aws:ViaAWSService"] = "false"
            if self.client.source_vpce:
                ctx["aws:SourceVpce"] = self.client.source_vpce
            else:
                ctx["aws:SourceIp"] = self.client.source_ip
        if self.caller.kind == "session":
            ctx["aws:MultiFactorAuthPresent"] = "false"
        return ctx

    def authorize(
        self,
        action: str,
        key: KeyRecord | None,
        *,
        extra: dict[str, Any] | None = None,
        resource: str | None = None,
        grant_id: str | None = None,
        tokens: tuple[str, ...] = (),
    ) -> AuthzResult:
        ctx = self.base_context()
        if key is not None and resource is None and key.arn in self.aliases_used:
            ctx["kms:RequestAlias"] = self.aliases_used[key.arn]
        if extra:
            ctx.update(extra)
        if self.client.environment:
            ctx.update(self.client.environment)  # a replayed request's recorded context is the truth
        result = self.world.decide(
            self.caller, action, key, resource=resource, context=ctx, grant_tokens=tokens, grant_id=grant_id
        )
        return self.record(action, resource or (key.arn if key is not None else "*"), result)

    def record(self, action: str, resource: str, result: AuthzResult) -> AuthzResult:
        """Keep a decision for the caller to inspect; raise AccessDeniedException unless it allows."""
        self.decisions.append((action, resource, result))
        if result.effect != "ALLOW":
            raise KMSError("AccessDeniedException", result.denial_message(self.caller.arn, action, resource))
        return result


@lru_cache(maxsize=64)
def _request_times(now: datetime) -> tuple[str, str]:
    """aws:CurrentTime and aws:EpochTime; cached because the simulated clock stands still between calls."""
    return now.isoformat().replace("+00:00", "Z"), str(int(now.timestamp()))


def encryption_context_keys(context: dict[str, str] | None) -> dict[str, Any]:
    """kms:EncryptionContext:<k> and kms:EncryptionContextKeys for a request's context (§3.1)."""
    if not context:
        return {}
    out: dict[str, Any] = {f"kms:EncryptionContext:{k}": v for k, v in context.items()}
    out["kms:EncryptionContextKeys"] = tuple(context)
    return out


class Client:
    """A KMS client for one caller and Region; methods mirror boto3's, errors are `KMSError`."""

    def __init__(
        self,
        world: World,
        principal: str,
        region: str,
        *,
        source_ip: str = "203.0.113.10",
        source_vpce: str | None = None,
        via_service: str | None = None,
        environment: Mapping[str, Any] | None = None,
    ) -> None:
        self.world = world
        self.environment = dict(environment) if environment is not None else None
        self.principal = principal
        self.region = region
        self.source_ip = source_ip
        self.source_vpce = source_vpce
        self.via_service = via_service
        self.last_decisions: tuple[Decided, ...] = ()
        self.last_event: dict[str, Any] | None = None

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run one API operation by name with its PascalCase parameters."""
        handler = HANDLERS.get(operation)
        if handler is None:
            raise KMSError("UnknownOperationException", f"`{operation}` is not a KMS operation")
        with self.world.lock:
            self.world.run_due_events()
            call = Call(self, operation, params)
            response: dict[str, Any] | None = None
            error: KMSError | None = None
            try:
                unknown = sorted(set(params) - MEMBERS[operation])
                if unknown:
                    raise KMSError("ValidationException", f"unknown parameter `{unknown[0]}` for {operation}")
                if operation not in KEYED_QUOTA:
                    call.charge()
                response = handler(call)
                return response
            except KMSError as exc:
                error = exc
                raise
            finally:
                self._record(call, response, error)

    def _record(self, call: Call, response: dict[str, Any] | None, error: KMSError | None) -> None:
        self.last_decisions = tuple(call.decisions)
        request_id = audit.new_id()
        owners = [k.account for k in call.keys]
        caller_account = call.caller.account
        targets = [caller_account] if caller_account else []
        denied = error is not None and error.code == "AccessDeniedException"
        if not denied or not targets:
            targets += [a for a in owners if a not in targets]
        event: dict[str, Any] | None = None
        for account in targets:
            event = audit.build_event(
                operation=call.operation,
                identity=call.caller.user_identity(),
                invoked_by=f"{self.via_service}.amazonaws.com" if self.via_service else None,
                region=self.region,
                when=call.now,
                source_ip=self.source_ip,
                params=call.p,
                response=response,
                resources=[
                    {"accountId": k.account, "type": "AWS::KMS::Key", "ARN": k.arn} for k in call.keys
                ],
                error=(error.code, error.message) if error else None,
                additional=call.additional,
                recipient_account=account,
                request_id=request_id,
            )
            self.world.log(account, event)
        self.last_event = event

    # ------------------------------------------------------------------ boto3-shaped methods

    def cancel_key_deletion(self, **params: Any) -> dict[str, Any]:
        return self.call("CancelKeyDeletion", params)

    def create_alias(self, **params: Any) -> dict[str, Any]:
        return self.call("CreateAlias", params)

    def create_grant(self, **params: Any) -> dict[str, Any]:
        return self.call("CreateGrant", params)

    def create_key(self, **params: Any) -> dict[str, Any]:
        return self.call("CreateKey", params)

    def decrypt(self, **params: Any) -> dict[str, Any]:
        return self.call("Decrypt", params)

    def delete_alias(self, **params: Any) -> dict[str, Any]:
        return self.call("DeleteAlias", params)

    def describe_key(self, **params: Any) -> dict[str, Any]:
        return self.call("DescribeKey", params)

    def disable_key(self, **params: Any) -> dict[str, Any]:
        return self.call("DisableKey", params)

    def disable_key_rotation(self, **params: Any) -> dict[str, Any]:
        return self.call("DisableKeyRotation", params)

    def enable_key(self, **params: Any) -> dict[str, Any]:
        return self.call("EnableKey", params)

    def enable_key_rotation(self, **params: Any) -> dict[str, Any]:
        return self.call("EnableKeyRotation", params)

    def encrypt(self, **params: Any) -> dict[str, Any]:
        return self.call("Encrypt", params)

    def generate_data_key(self, **params: Any) -> dict[str, Any]:
        return self.call("GenerateDataKey", params)

    def generate_data_key_without_plaintext(self, **params: Any) -> dict[str, Any]:
        return self.call("GenerateDataKeyWithoutPlaintext", params)

    def generate_data_key_pair(self, **params: Any) -> dict[str, Any]:
        return self.call("GenerateDataKeyPair", params)

    def generate_data_key_pair_without_plaintext(self, **params: Any) -> dict[str, Any]:
        return self.call("GenerateDataKeyPairWithoutPlaintext", params)

    def generate_mac(self, **params: Any) -> dict[str, Any]:
        return self.call("GenerateMac", params)

    def generate_random(self, **params: Any) -> dict[str, Any]:
        return self.call("GenerateRandom", params)

    def get_key_policy(self, **params: Any) -> dict[str, Any]:
        return self.call("GetKeyPolicy", params)

    def get_key_rotation_status(self, **params: Any) -> dict[str, Any]:
        return self.call("GetKeyRotationStatus", params)

    def get_public_key(self, **params: Any) -> dict[str, Any]:
        return self.call("GetPublicKey", params)

    def list_aliases(self, **params: Any) -> dict[str, Any]:
        return self.call("ListAliases", params)

    def list_grants(self, **params: Any) -> dict[str, Any]:
        return self.call("ListGrants", params)

    def list_key_policies(self, **params: Any) -> dict[str, Any]:
        return self.call("ListKeyPolicies", params)

    def list_key_rotations(self, **params: Any) -> dict[str, Any]:
        return self.call("ListKeyRotations", params)

    def list_keys(self, **params: Any) -> dict[str, Any]:
        return self.call("ListKeys", params)

    def list_resource_tags(self, **params: Any) -> dict[str, Any]:
        return self.call("ListResourceTags", params)

    def list_retirable_grants(self, **params: Any) -> dict[str, Any]:
        return self.call("ListRetirableGrants", params)

    def put_key_policy(self, **params: Any) -> dict[str, Any]:
        return self.call("PutKeyPolicy", params)

    def re_encrypt(self, **params: Any) -> dict[str, Any]:
        return self.call("ReEncrypt", params)

    def replicate_key(self, **params: Any) -> dict[str, Any]:
        return self.call("ReplicateKey", params)

    def retire_grant(self, **params: Any) -> dict[str, Any]:
        return self.call("RetireGrant", params)

    def revoke_grant(self, **params: Any) -> dict[str, Any]:
        return self.call("RevokeGrant", params)

    def rotate_key_on_demand(self, **params: Any) -> dict[str, Any]:
        return self.call("RotateKeyOnDemand", params)

    def schedule_key_deletion(self, **params: Any) -> dict[str, Any]:
        return self.call("ScheduleKeyDeletion", params)

    def sign(self, **params: Any) -> dict[str, Any]:
        return self.call("Sign", params)

    def tag_resource(self, **params: Any) -> dict[str, Any]:
        return self.call("TagResource", params)

    def untag_resource(self, **params: Any) -> dict[str, Any]:
        return self.call("UntagResource", params)

    def update_alias(self, **params: Any) -> dict[str, Any]:
        return self.call("UpdateAlias", params)

    def update_key_description(self, **params: Any) -> dict[str, Any]:
        return self.call("UpdateKeyDescription", params)

    def update_primary_region(self, **params: Any) -> dict[str, Any]:
        return self.call("UpdatePrimaryRegion", params)

    def verify(self, **params: Any) -> dict[str, Any]:
        return self.call("Verify", params)

    def verify_mac(self, **params: Any) -> dict[str, Any]:
        return self.call("VerifyMac", params)
