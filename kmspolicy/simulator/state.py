"""The simulated world's mutable records: principals, organisation, keys, aliases and grants.

Each record can turn itself into the frozen `kmspolicy.model` objects the authoriser reads, and into
JSON for save/load. Only `World` mutates them, under its lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kmspolicy.model import Grant, GrantConstraints, Key, Policy, PolicyKind, Span
from kmspolicy.simulator.crypto import Material
from kmspolicy.simulator.policy_json import policy_document, read_policy

PolicyDoc = dict[str, Any]
PolicyInput = PolicyDoc | Policy  # a JSON document, or a model already read (scenarios)


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class NamedPolicy:
    """A policy document as given (kept for save/load) and as read."""

    name: str
    document: PolicyDoc
    kind: PolicyKind
    model: Policy = field(init=False)

    def __post_init__(self) -> None:
        self.model = read_policy(self.document, self.kind, self.name)

    @classmethod
    def from_model(cls, policy: Policy, name: str | None = None) -> NamedPolicy:
        """Keep a model given by a scenario as it is; its document is derived for save/load."""
        named = object.__new__(cls)
        named.name, named.kind, named.model = name or policy.name, policy.kind, policy
        named.document = policy_document(policy)
        return named

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "document": self.document, "kind": self.kind.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NamedPolicy:
        return cls(data["name"], data["document"], PolicyKind(data["kind"]))


def named_policy(name: str, value: PolicyInput, kind: PolicyKind) -> NamedPolicy:
    if isinstance(value, Policy):
        return NamedPolicy.from_model(value, name)
    return NamedPolicy(name, value, kind)


@dataclass
class IamPrincipal:
    """An IAM user or role with its identity policies, boundary and tags; or a GetFederationToken session
    (`federated-user`), with the policies and boundary of the user who federated and its session policies."""

    arn: str
    type: str  # user | role | federated-user
    account: str
    name: str
    unique_id: str
    tags: dict[str, str] = field(default_factory=dict)
    policies: list[NamedPolicy] = field(default_factory=list)
    boundary: NamedPolicy | None = None
    session_policies: list[NamedPolicy] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "type": self.type,
            "account": self.account,
            "name": self.name,
            "unique_id": self.unique_id,
            "tags": self.tags,
            "policies": [p.to_json() for p in self.policies],
            "boundary": self.boundary.to_json() if self.boundary else None,
            "session_policies": [p.to_json() for p in self.session_policies],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IamPrincipal:
        return cls(
            data["arn"],
            data["type"],
            data["account"],
            data["name"],
            data["unique_id"],
            data["tags"],
            [NamedPolicy.from_json(p) for p in data["policies"]],
            NamedPolicy.from_json(data["boundary"]) if data["boundary"] else None,
            [NamedPolicy.from_json(p) for p in data.get("session_policies", [])],
        )


@dataclass
class RoleSession:
    """An assumed-role session: its role, session policies and session tags."""

    arn: str
    role_arn: str
    policies: list[NamedPolicy] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "role_arn": self.role_arn,
            "policies": [p.to_json() for p in self.policies],
            "tags": self.tags,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoleSession:
        return cls(
            data["arn"], data["role_arn"], [NamedPolicy.from_json(p) for p in data["policies"]], data["tags"]
        )


@dataclass
class GrantRecord:
    grant_id: str
    key_arn: str
    name: str | None
    grantee: str
    retiring: str | None
    issuing_account: str
    operations: list[str]
    # as CreateGrant takes and ListGrants shows them: EncryptionContextEquals / EncryptionContextSubset (maps)
    # and SourceArn (a string)
    constraints: dict[str, Any] | None
    created: datetime
    token: str

    def model(self) -> Grant:
        constraints = None
        if self.constraints:
            constraints = GrantConstraints(
                encryption_context_equals=self.constraints.get("EncryptionContextEquals"),
                encryption_context_subset=self.constraints.get("EncryptionContextSubset"),
                source_arn=self.constraints.get("SourceArn"),
            )
        return Grant(
            key_id=self.key_arn,
            grant_id=self.grant_id,
            name=self.name,
            grantee_principal=self.grantee,
            retiring_principal=self.retiring,
            issuing_account=f"arn:aws:iam::{self.issuing_account}:root",
            operations=tuple(self.operations),
            constraints=constraints,
            creation_date=iso(self.created),
            token=self.token,
            span=Span(file="simulator", pointer=f"/grants/{self.grant_id}"),
        )

    def list_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "KeyId": self.key_arn,
            "GrantId": self.grant_id,
            "CreationDate": self.created,
            "GranteePrincipal": self.grantee,
            "IssuingAccount": f"arn:aws:iam::{self.issuing_account}:root",
            "Operations": list(self.operations),
        }
        if self.name is not None:
            entry["Name"] = self.name
        if self.retiring is not None:
            entry["RetiringPrincipal"] = self.retiring
        if self.constraints:
            entry["Constraints"] = self.constraints
        return entry

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "created": iso(self.created)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GrantRecord:
        return cls(**{**data, "created": from_iso(data["created"])})


@dataclass
class KeyRecord:
    """One KMS key in one account and Region."""

    arn: str
    key_id: str
    account: str
    region: str
    spec: str
    usage: str
    manager: str  # CUSTOMER | AWS
    created: datetime
    policy: NamedPolicy
    material: Material
    handle: bytes
    origin: str = "AWS_KMS"
    description: str = ""
    state: str = "Enabled"
    deletion_date: datetime | None = None
    pending_window: int | None = None
    multi_region: bool = False
    mrk_type: str | None = None  # PRIMARY | REPLICA
    rotation_enabled: bool = False
    rotation_period: int | None = None
    next_rotation: datetime | None = None
    rotations: list[dict[str, Any]] = field(default_factory=list)
    on_demand_rotations: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    grants: dict[str, GrantRecord] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    _model: Key | None = field(default=None, repr=False)

    def touch(self) -> None:
        """Forget the cached model after a change."""
        self._model = None

    def model(self) -> Key:
        if self._model is None:
            self._model = Key(
                arn=self.arn,
                key_id=self.key_id,
                account=self.account,
                region=self.region,
                key_manager="AWS" if self.manager == "AWS" else "CUSTOMER",
                key_spec=self.spec,
                key_usage=self.usage,
                origin=self.origin,
                key_state=self.state,
                enabled=self.state == "Enabled",
                description=self.description,
                multi_region=self.multi_region,
                multi_region_key_type="PRIMARY"
                if self.mrk_type == "PRIMARY"
                else ("REPLICA" if self.mrk_type == "REPLICA" else None),
                aliases=tuple(self.aliases),
                tags=dict(self.tags),
                policy=self.policy.model,
                grants=tuple(g.model() for g in self.grants.values()),
            )
        return self._model

    def to_json(self, material_ref: str) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        out["created"] = iso(self.created)
        out["deletion_date"] = iso(self.deletion_date) if self.deletion_date else None
        out["next_rotation"] = iso(self.next_rotation) if self.next_rotation else None
        out["policy"] = self.policy.to_json()
        out["material"] = material_ref
        out["handle"] = self.handle.hex()
        out["grants"] = [g.to_json() for g in self.grants.values()]
        out["rotations"] = [{**r, "RotationDate": iso(r["RotationDate"])} for r in self.rotations]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any], material: Material) -> KeyRecord:
        fields = dict(data)
        fields["created"] = from_iso(data["created"])
        fields["deletion_date"] = from_iso(data["deletion_date"]) if data["deletion_date"] else None
        fields["next_rotation"] = from_iso(data["next_rotation"]) if data["next_rotation"] else None
        fields["policy"] = NamedPolicy.from_json(data["policy"])
        fields["material"] = material
        fields["handle"] = bytes.fromhex(data["handle"])
        fields["grants"] = {g["grant_id"]: GrantRecord.from_json(g) for g in data["grants"]}
        fields["rotations"] = [{**r, "RotationDate": from_iso(r["RotationDate"])} for r in data["rotations"]]
        return cls(**fields)


@dataclass
class AliasRecord:
    name: str
    account: str
    region: str
    target_key_id: str
    created: datetime
    updated: datetime

    @property
    def arn(self) -> str:
        return f"arn:aws:kms:{self.region}:{self.account}:{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "created": iso(self.created), "updated": iso(self.updated)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AliasRecord:
        return cls(**{**data, "created": from_iso(data["created"]), "updated": from_iso(data["updated"])})


def policy_text(document: PolicyDoc) -> str:
    return json.dumps(document, indent=2)
