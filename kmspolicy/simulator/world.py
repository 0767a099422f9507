"""The simulated world: accounts, IAM principals, an organisation, and KMS per account and Region.

`World` is set up directly by tests (accounts, users, roles, sessions, SCPs/RCPs) and driven through
`Client`s, one per caller, that mirror the boto3 KMS client. Every call runs under the world's lock,
draws on a request quota, is authorised by `authorize()` on the world's state, and leaves one
CloudTrail-shaped event in the caller's log (and in the key owner's, across accounts, unless access
was denied).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kmspolicy.model import Key, PolicyKind, PolicyLevel, Request, Situation
from kmspolicy.simulator import audit
from kmspolicy.simulator.authorize import CONSISTENCY_WINDOW_SECONDS, AuthzResult, authorize
from kmspolicy.simulator.clock import SimClock
from kmspolicy.simulator.crypto import Material
from kmspolicy.simulator.kmserror import KMSError
from kmspolicy.simulator.quotas import THROTTLED, Quotas
from kmspolicy.simulator.state import (
    AliasRecord,
    IamPrincipal,
    KeyRecord,
    NamedPolicy,
    PolicyDoc,
    PolicyInput,
    RoleSession,
    from_iso,
    iso,
    named_policy,
)

if TYPE_CHECKING:
    from kmspolicy.simulator.client import Client

FULL_ACCESS: PolicyDoc = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
RCP_FULL_ACCESS: PolicyDoc = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


@dataclass
class CallerInfo:
    """Everything the world knows about one caller, resolved once per IAM change."""

    arn: str
    kind: str  # root | user | session | service
    account: str | None
    principal_arn: str | None  # aws:PrincipalArn: the role ARN (with path) for sessions
    identity_policies: tuple[NamedPolicy, ...] = ()
    boundary: NamedPolicy | None = None
    session_policies: tuple[NamedPolicy, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    unique_id: str | None = None
    org_id: str | None = None
    org_paths: tuple[str, ...] = ()
    scps: tuple[PolicyLevel, ...] | None = None

    def user_identity(self) -> dict[str, Any]:
        """CloudTrail's userIdentity block."""
        if self.kind == "service":
            return {"type": "AWSService", "invokedBy": self.arn}
        out: dict[str, Any] = {"arn": self.arn, "accountId": self.account, "principalId": self.unique_id}
        if self.kind == "root":
            out["type"] = "Root"
        elif self.kind == "federated":
            out["type"] = "FederatedUser"
        elif self.kind == "user":
            out["type"] = "IAMUser"
            out["userName"] = self.arn.rsplit("/", 1)[1]
        else:
            out["type"] = "AssumedRole"
            out["sessionContext"] = {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": self.principal_arn,
                    "accountId": self.account,
                    "userName": (self.principal_arn or "").rsplit("/", 1)[-1],
                }
            }
        return out


@dataclass
class Organization:
    org_id: str
    root_id: str
    management_account: str | None
    parents: dict[str, str] = field(default_factory=dict)  # OU or account -> parent (root or OU)
    scps: dict[str, list[NamedPolicy]] = field(default_factory=dict)  # target -> attached SCPs
    rcps: dict[str, list[NamedPolicy]] = field(default_factory=dict)
    scps_enabled: bool = True
    rcps_enabled: bool = False

    def path(self, account: str) -> list[str]:
        """Root first, then each OU, then the account."""
        out = [account]
        while out[-1] in self.parents:
            out.append(self.parents[out[-1]])
        return list(reversed(out))

    def levels(self, account: str, attached: dict[str, list[NamedPolicy]]) -> tuple[PolicyLevel, ...]:
        return tuple(
            PolicyLevel(name=target, policies=tuple(p.model for p in attached.get(target, [])))
            for target in self.path(account)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "root_id": self.root_id,
            "management_account": self.management_account,
            "parents": self.parents,
            "scps": {t: [p.to_json() for p in ps] for t, ps in self.scps.items()},
            "rcps": {t: [p.to_json() for p in ps] for t, ps in self.rcps.items()},
            "scps_enabled": self.scps_enabled,
            "rcps_enabled": self.rcps_enabled,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Organization:
        return cls(
            data["org_id"],
            data["root_id"],
            data["management_account"],
            data["parents"],
            {t: [NamedPolicy.from_json(p) for p in ps] for t, ps in data["scps"].items()},
            {t: [NamedPolicy.from_json(p) for p in ps] for t, ps in data["rcps"].items()},
            data["scps_enabled"],
            data["rcps_enabled"],
        )


def _unique_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:17].upper()


class World:
    """The whole simulated AWS estate. Set it up directly; call KMS through `client()`."""

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        quotas_enabled: bool = True,
        grant_consistency_seconds: float = CONSISTENCY_WINDOW_SECONDS,
        on_demand_rotation_limit: int = 25,
    ) -> None:
        self.clock = clock or SimClock()
        self.quotas = Quotas(enabled=quotas_enabled)
        self.grant_consistency_seconds = grant_consistency_seconds
        self.on_demand_rotation_limit = on_demand_rotation_limit
        self.lock = threading.RLock()
        self.accounts: set[str] = set()
        self.principals: dict[str, IamPrincipal] = {}
        self.sessions: dict[str, RoleSession] = {}
        self.org: Organization | None = None
        self.keys: dict[str, KeyRecord] = {}
        self.aliases: dict[tuple[str, str, str], AliasRecord] = {}
        self.handles: dict[bytes, str] = {}  # key handle -> key ARN
        self.issued_tokens: set[str] = set()  # every grant token ever returned, for InvalidGrantToken
        self.secrets: dict[str, bytes] = {}  # Region (or `multi-region`) -> simulator secret
        self.audit: dict[str, list[dict[str, Any]]] = {}
        self._aead: dict[str, AESGCM] = {}
        self._callers: dict[str, CallerInfo] = {}
        self._events_checked_at: datetime | None = None
        self._decisions: dict[tuple[Any, ...], tuple[AuthzResult, CallerInfo, Any]] = {}
        self._situations: dict[tuple[int, int], tuple[Situation, CallerInfo, Key | None]] = {}

    # ------------------------------------------------------------------ set-up (not audited)

    def add_account(self, account_id: str, *, parent: str | None = None, member: bool = True) -> str:
        """Add an account; with an organisation it joins it (under `parent`, default the root) if `member`."""
        with self.lock:
            self.accounts.add(account_id)
            if self.org is not None and member:
                self._place(account_id, parent or self.org.root_id)
            self._changed()
            return f"arn:aws:iam::{account_id}:root"

    def create_organization(
        self,
        org_id: str = "o-a1b2c3d4e5",
        *,
        root_id: str = "r-root",
        management_account: str | None = None,
        members: Sequence[str] = (),
        rcps_enabled: bool = False,
    ) -> None:
        """An organisation with SCPs enabled: `FullAWSAccess` on every level, as AWS attaches it."""
        with self.lock:
            self.org = Organization(org_id, root_id, management_account, rcps_enabled=rcps_enabled)
            self._attach_defaults(root_id)
            for account in members:
                self.add_account(account)
            self._changed()  # callers resolved before the organisation existed must see it

    def add_ou(self, ou_id: str, *, parent: str | None = None) -> None:
        with self.lock:
            assert self.org is not None, "create_organization first"
            self._place(ou_id, parent or self.org.root_id)
            self._changed()

    def _place(self, target: str, parent: str) -> None:
        assert self.org is not None
        self.org.parents[target] = parent
        self._attach_defaults(target)

    def _attach_defaults(self, target: str) -> None:
        assert self.org is not None
        self.org.scps.setdefault(target, [NamedPolicy("FullAWSAccess", FULL_ACCESS, PolicyKind.SCP)])
        self.org.rcps.setdefault(target, [NamedPolicy("RCPFullAWSAccess", RCP_FULL_ACCESS, PolicyKind.RCP)])

    def attach_scp(self, target: str, document: PolicyInput, *, name: str | None = None) -> None:
        with self.lock:
            assert self.org is not None, "create_organization first"
            attached = self.org.scps.setdefault(target, [])
            attached.append(named_policy(name or f"scp-{len(attached)}", document, PolicyKind.SCP))
            self._changed()

    def detach_scp(self, target: str, name: str) -> None:
        with self.lock:
            assert self.org is not None
            self.org.scps[target] = [p for p in self.org.scps.get(target, []) if p.name != name]
            self._changed()

    def detach_rcp(self, target: str, name: str) -> None:
        with self.lock:
            assert self.org is not None
            self.org.rcps[target] = [p for p in self.org.rcps.get(target, []) if p.name != name]
            self._changed()

    def attach_rcp(self, target: str, document: PolicyInput, *, name: str | None = None) -> None:
        with self.lock:
            assert self.org is not None, "create_organization first"
            self.org.rcps_enabled = True
            attached = self.org.rcps.setdefault(target, [])
            attached.append(named_policy(name or f"rcp-{len(attached)}", document, PolicyKind.RCP))
            self._changed()

    def _add_principal(
        self,
        kind: str,
        account: str,
        name: str,
        policies: Mapping[str, PolicyInput] | Sequence[PolicyInput],
        boundary: PolicyInput | None,
        tags: Mapping[str, str] | None,
        path: str,
    ) -> str:
        with self.lock:
            self.accounts.add(account)
            arn = f"arn:aws:iam::{account}:{kind}{path}{name}"
            if isinstance(policies, Mapping):
                named = list(policies.items())
            else:
                named = [(f"{name}-policy-{i}", d) for i, d in enumerate(policies)]
            self.principals[arn] = IamPrincipal(
                arn,
                kind,
                account,
                name,
                _unique_id("AIDA" if kind == "user" else "AROA"),
                dict(tags or {}),
                [named_policy(n, d, PolicyKind.IDENTITY) for n, d in named],
                named_policy(f"{name}-boundary", boundary, PolicyKind.BOUNDARY) if boundary else None,
            )
            self._changed()
            return arn

    def add_user(
        self,
        account: str,
        name: str,
        *,
        policies: Mapping[str, PolicyInput] | Sequence[PolicyInput] = (),
        boundary: PolicyInput | None = None,
        tags: Mapping[str, str] | None = None,
        path: str = "/",
    ) -> str:
        """Add an IAM user; returns its ARN. `policies` are its identity policies (group ones included)."""
        return self._add_principal("user", account, name, policies, boundary, tags, path)

    def add_role(
        self,
        account: str,
        name: str,
        *,
        policies: Mapping[str, PolicyInput] | Sequence[PolicyInput] = (),
        boundary: PolicyInput | None = None,
        tags: Mapping[str, str] | None = None,
        path: str = "/",
    ) -> str:
        """Add an IAM role; returns the role ARN. Call as a session: `assume_role()`."""
        return self._add_principal("role", account, name, policies, boundary, tags, path)

    def add_federated_user(
        self,
        account: str,
        name: str,
        *,
        policies: Sequence[PolicyInput] = (),
        boundary: PolicyInput | None = None,
        session_policies: Sequence[PolicyInput] = (),
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """A GetFederationToken session: `policies` and `boundary` are those of the IAM user who federated,
        `session_policies` those passed to GetFederationToken (they cap the session, reference §1.3, §1.7)."""
        with self.lock:
            self.accounts.add(account)
            arn = f"arn:aws:sts::{account}:federated-user/{name}"
            self.principals[arn] = IamPrincipal(
                arn,
                "federated-user",
                account,
                name,
                f"{account}:{name}",
                dict(tags or {}),
                [named_policy(f"{name}-policy-{i}", d, PolicyKind.IDENTITY) for i, d in enumerate(policies)],
                named_policy(f"{name}-boundary", boundary, PolicyKind.BOUNDARY) if boundary else None,
                [
                    named_policy(f"{name}-session-{i}", d, PolicyKind.SESSION)
                    for i, d in enumerate(session_policies)
                ],
            )
            self._changed()
            return arn

    def put_identity_policy(self, principal_arn: str, name: str, document: PolicyInput) -> None:
        with self.lock:
            principal = self.principals[principal_arn]
            principal.policies = [p for p in principal.policies if p.name != name]
            principal.policies.append(named_policy(name, document, PolicyKind.IDENTITY))
            self._changed()

    def assume_role(
        self,
        role_arn: str,
        session_name: str,
        *,
        session_policies: Sequence[PolicyInput] = (),
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Start a role session; returns the session ARN to pass to `client()`."""
        with self.lock:
            role = self.principals[role_arn]
            arn = f"arn:aws:sts::{role.account}:assumed-role/{role.name}/{session_name}"
            self.sessions[arn] = RoleSession(
                arn,
                role_arn,
                [
                    named_policy(f"{session_name}-session-{i}", d, PolicyKind.SESSION)
                    for i, d in enumerate(session_policies)
                ],
                dict(tags or {}),
            )
            self._changed()
            return arn

    def client(
        self,
        principal_arn: str,
        region: str = "us-east-1",
        *,
        source_ip: str = "203.0.113.10",
        source_vpce: str | None = None,
        environment: Mapping[str, Any] | None = None,
    ) -> Client:
        """A boto3-like KMS client calling as `principal_arn` (user, role session, root or service).

        `environment` replaces the request-environment condition keys the client would otherwise make up
        (aws:SourceIp, aws:CurrentTime, aws:MultiFactorAuthPresent, ...), for replaying a recorded request.
        """
        from kmspolicy.simulator.client import Client  # the client module builds on this one

        self.caller(principal_arn)  # fail early on an unknown principal
        return Client(
            self, principal_arn, region, source_ip=source_ip, source_vpce=source_vpce, environment=environment
        )

    def service_client(
        self,
        service: str,
        principal_arn: str,
        region: str = "us-east-1",
        *,
        environment: Mapping[str, Any] | None = None,
    ) -> Client:
        """An integrated service (`s3`, `secretsmanager`, `ec2`, ...) calling KMS on the principal's behalf.

        Its calls carry kms:ViaService `<service>.<region>.amazonaws.com` and aws:CalledVia, and it
        creates the AWS managed key `alias/aws/<service>` on first use.
        """
        from kmspolicy.simulator.client import Client

        self.caller(principal_arn)
        return Client(self, principal_arn, region, via_service=service, environment=environment)

    # ------------------------------------------------------------------ reading the world

    def _changed(self) -> None:
        self._callers.clear()

    def caller(self, principal_arn: str) -> CallerInfo:
        found = self._callers.get(principal_arn)
        if found is None:
            found = self._callers[principal_arn] = self._resolve_caller(principal_arn)
        return found

    def _resolve_caller(self, arn: str) -> CallerInfo:
        if not arn.startswith("arn:"):
            return CallerInfo(arn, "service", None, None)
        account = arn.split(":")[4]
        if account not in self.accounts:
            raise KMSError(
                "UnrecognizedClientException", "The security token included in the request is invalid."
            )
        org_id, org_paths, scps = self._org_facts(account)
        if arn.endswith(":root"):
            return CallerInfo(
                arn, "root", account, arn, unique_id=account, org_id=org_id, org_paths=org_paths, scps=scps
            )
        if ":assumed-role/" in arn:
            session = self.sessions.get(arn)
            if session is None:
                role_name = arn.split("/")[1]
                role = next(
                    (
                        p
                        for p in self.principals.values()
                        if p.type == "role" and p.account == account and p.name == role_name
                    ),
                    None,
                )
                if role is None:
                    raise KMSError(
                        "UnrecognizedClientException",
                        "The security token included in the request is invalid.",
                    )
                session = self.sessions[arn] = RoleSession(arn, role.arn)
            role = self.principals[session.role_arn]
            return CallerInfo(
                arn,
                "session",
                account,
                role.arn,
                tuple(role.policies),
                role.boundary,
                tuple(session.policies),
                {**role.tags, **session.tags},
                f"{role.unique_id}:{arn.rsplit('/', 1)[1]}",
                org_id,
                org_paths,
                scps,
            )
        principal = self.principals.get(arn)
        if principal is not None and principal.type == "federated-user":
            return CallerInfo(
                arn,
                "federated",
                account,
                arn,
                tuple(principal.policies),
                principal.boundary,
                tuple(principal.session_policies),
                dict(principal.tags),
                principal.unique_id,
                org_id,
                org_paths,
                scps,
            )
        if principal is None or principal.type != "user":
            raise KMSError(
                "UnrecognizedClientException", "The security token included in the request is invalid."
            )
        return CallerInfo(
            arn,
            "user",
            account,
            arn,
            tuple(principal.policies),
            principal.boundary,
            (),
            dict(principal.tags),
            principal.unique_id,
            org_id,
            org_paths,
            scps,
        )

    def _org_facts(self, account: str) -> tuple[str | None, tuple[str, ...], tuple[PolicyLevel, ...] | None]:
        org = self.org
        if org is None or (account not in org.parents):
            return None, (), None
        path = org.path(account)
        org_path = f"{org.org_id}/" + "".join(f"{p}/" for p in path[:-1])
        scps = (
            None
            if account == org.management_account or not org.scps_enabled
            else org.levels(account, org.scps)
        )
        return org.org_id, (org_path,), scps

    def rcps_for(self, account: str) -> tuple[PolicyLevel, ...] | None:
        org = self.org
        if org is None or not org.rcps_enabled or account not in org.parents:
            return None
        return org.levels(account, org.rcps)

    def situation(self, caller: CallerInfo, key: KeyRecord | None) -> Situation:
        """The authoriser's view of the caller and key, shared while neither object is replaced.

        Like the decision memo below: a change to IAM or the organisation replaces the caller record
        (`_changed`), a change to the key replaces its model, so an entry is reused only while every
        object it was built from is still current (checked by identity, not just by id).
        """
        key_model = key.model() if key is not None else None
        memo_key = (id(caller), id(key_model))
        hit = self._situations.get(memo_key)
        if hit is not None and hit[1] is caller and hit[2] is key_model:
            return hit[0]
        found = self._build_situation(caller, key)
        if len(self._situations) > 256:
            self._situations.clear()
        self._situations[memo_key] = (found, caller, key_model)
        return found

    def _build_situation(self, caller: CallerInfo, key: KeyRecord | None) -> Situation:
        return Situation.trusted(
            key=key.model() if key is not None else None,
            key_policy=key.policy.model if key is not None else None,
            identity_policies=tuple(p.model for p in caller.identity_policies),
            permission_boundary=caller.boundary.model if caller.boundary else None,
            session_policies=tuple(p.model for p in caller.session_policies),
            scps=caller.scps,
            rcps=self.rcps_for(key.account) if key is not None else None,
            grants=(),
            caller_tags=caller.tags,
            caller_org_id=caller.org_id,
            caller_org_paths=caller.org_paths,
        )

    def decide(
        self,
        caller: CallerInfo,
        action: str,
        key: KeyRecord | None,
        *,
        resource: str | None = None,
        context: dict[str, Any] | None = None,
        grant_tokens: Sequence[str] = (),
        grant_id: str | None = None,
    ) -> AuthzResult:
        """Authorise one request on the current state.

        Decisions are memoised per (caller record, key model, request): any change to IAM, the
        organisation or the key replaces those objects, so a stale entry can never match again.
        """
        ctx = context or {}
        key_model = key.model() if key is not None else None
        memo_key = (
            id(caller),
            id(key_model),
            action,
            resource,
            # keys and values as two flat tuples (the same facts as the items): no per-entry pair tuples
            # for the garbage collector to carry into its oldest generation
            tuple(ctx),
            tuple(ctx.values()),
            tuple(grant_tokens),
            grant_id,
            self.grant_consistency_seconds,
            self.clock.now(),
        )
        hit = self._decisions.get(memo_key)
        if hit is not None and hit[1] is caller and hit[2] is key_model:
            return hit[0]
        request = Request.trusted(
            principal=caller.arn,
            action=action,
            resource=resource or (key.arn if key is not None else "*"),
            context=ctx,
            grant_tokens=tuple(grant_tokens),
            grant_id=grant_id,
        )
        result = authorize(
            self.situation(caller, key),
            request,
            now=self.clock.now(),
            grant_consistency_seconds=self.grant_consistency_seconds,
        )
        if len(self._decisions) > 1024:
            self._decisions.clear()
        self._decisions[memo_key] = (result, caller, key_model)
        return result

    def secret(self, name: str) -> AESGCM:
        """The per-Region (or multi-Region) simulator secret that seals key handles in blobs."""
        found = self._aead.get(name)
        if found is None:
            raw = self.secrets.setdefault(name, os.urandom(32))
            found = self._aead[name] = AESGCM(raw)
        return found

    def key_in(self, account: str, region: str, key_id: str) -> KeyRecord | None:
        return self.keys.get(f"arn:aws:kms:{region}:{account}:key/{key_id}")

    def charge(self, account: str | None, region: str, name: str | None) -> None:
        if account is not None and not self.quotas.take(account, region, name, self.clock.now().timestamp()):
            raise KMSError("ThrottlingException", THROTTLED)

    # ------------------------------------------------------------------ time-driven events

    def run_due_events(self) -> None:
        """Scheduled deletions and automatic rotations that are due on the simulated clock."""
        now = self.clock.now()
        if now == self._events_checked_at:
            return
        self._events_checked_at = now
        for key in list(self.keys.values()):
            if key.state == "PendingDeletion" and key.deletion_date is not None and key.deletion_date <= now:
                self._delete_key(key)
            elif (
                key.rotation_enabled
                and key.next_rotation is not None
                and key.next_rotation <= now
                and key.state == "Enabled"
            ):
                self.rotate(key, "AUTOMATIC")
                assert key.rotation_period is not None
                key.next_rotation = now + timedelta(days=key.rotation_period)
                self._service_event(key, "RotateKey")

    def _delete_key(self, key: KeyRecord) -> None:
        del self.keys[key.arn]
        if self.handles.get(key.handle) == key.arn:
            sibling = next((k.arn for k in self.keys.values() if k.handle == key.handle), None)
            if sibling is None:
                del self.handles[key.handle]
            else:
                self.handles[key.handle] = sibling
        for alias in key.aliases:
            self.aliases.pop((key.account, key.region, alias), None)
        self._service_event(key, "DeleteKey")

    def rotate(self, key: KeyRecord, kind: str) -> None:
        material_id = key.material.rotate()
        key.rotations.append(
            {
                "KeyId": key.arn,
                "KeyMaterialId": material_id,
                "RotationDate": self.clock.now(),
                "RotationType": kind,
            }
        )
        key.touch()

    def _service_event(self, key: KeyRecord, name: str) -> None:
        self.log(
            key.account,
            audit.build_event(
                operation=name,
                identity={"type": "AWSService", "invokedBy": "kms.amazonaws.com"},
                invoked_by="kms.amazonaws.com",
                region=key.region,
                when=self.clock.now(),
                source_ip="kms.amazonaws.com",
                params={},
                response=None,
                resources=[{"accountId": key.account, "type": "AWS::KMS::Key", "ARN": key.arn}],
                error=None,
                additional={"keyId": key.arn},
                recipient_account=key.account,
                request_id=str(uuid.uuid4()),
            ),
        )

    # ------------------------------------------------------------------ audit

    def log(self, account: str, event: dict[str, Any]) -> None:
        self.audit.setdefault(account, []).append(event)

    def audit_events(self, account: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.audit.get(account, []))

    def export_audit(self, account: str) -> str:
        """The account's events as JSON lines."""
        return audit.to_json_lines(self.audit_events(account))

    # ------------------------------------------------------------------ save and load

    def save(self, path: str | Path) -> None:
        with self.lock:
            materials: dict[int, str] = {}
            material_json: dict[str, Any] = {}
            keys = []
            for key in self.keys.values():
                ref = materials.setdefault(id(key.material), f"m{len(materials)}")
                material_json[ref] = key.material.to_json()
                keys.append(key.to_json(ref))
            data = {
                "format": "kmspolicy-simulator/1",
                "clock": iso(self.clock.now()),
                "quotas": self.quotas.to_json(),
                "grant_consistency_seconds": self.grant_consistency_seconds,
                "on_demand_rotation_limit": self.on_demand_rotation_limit,
                "accounts": sorted(self.accounts),
                "principals": [p.to_json() for p in self.principals.values()],
                "sessions": [s.to_json() for s in self.sessions.values()],
                "org": self.org.to_json() if self.org else None,
                "materials": material_json,
                "keys": keys,
                "aliases": [a.to_json() for a in self.aliases.values()],
                "secrets": {k: v.hex() for k, v in self.secrets.items()},
                "issued_tokens": sorted(self.issued_tokens),
                "audit": self.audit,
            }
            Path(path).write_text(json.dumps(data))

    @classmethod
    def load(cls, path: str | Path) -> World:
        data = json.loads(Path(path).read_text())
        world = cls(
            clock=SimClock(from_iso(data["clock"])),
            quotas_enabled=data["quotas"]["enabled"],
            grant_consistency_seconds=data["grant_consistency_seconds"],
            on_demand_rotation_limit=data["on_demand_rotation_limit"],
        )
        world.quotas.limits = data["quotas"]["limits"]
        world.accounts = set(data["accounts"])
        world.principals = {p["arn"]: IamPrincipal.from_json(p) for p in data["principals"]}
        world.sessions = {s["arn"]: RoleSession.from_json(s) for s in data["sessions"]}
        world.org = Organization.from_json(data["org"]) if data["org"] else None
        materials = {ref: Material.from_json(m) for ref, m in data["materials"].items()}
        for raw in data["keys"]:
            key = KeyRecord.from_json(raw, materials[raw["material"]])
            world.keys[key.arn] = key
            world.handles[key.handle] = key.arn
        world.aliases = {
            (a["account"], a["region"], a["name"]): AliasRecord.from_json(a) for a in data["aliases"]
        }
        world.secrets = {k: bytes.fromhex(v) for k, v in data["secrets"].items()}
        world.issued_tokens = set(data["issued_tokens"])
        world.audit = data["audit"]
        return world
