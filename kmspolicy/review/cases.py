"""Hand-built account cases for the access graph, `tests/review_cases/<behaviour>.yaml`.

A case is a small account written compactly (principals with their policies, trust policies, tags and
boundaries, or only a boundary's ARN where its document is missing; managed policies by name, attached
to principals; keys with policy, grants, tags, aliases; SCPs and RCPs as (target, policy)) plus what the
graph must answer: `expect` entries (this principal can perform this action on this key, by these
kinds of steps, through these roles, justified by these statements or grants, made as `caller` where
only one session of a role or an account's root user holds it) and `absent` entries (it cannot).
Policies are written as YAML mappings and read by the real parser.

A managed policy named `X` is the customer managed `arn:aws:iam::<account>:policy/X`; one named
`aws/X` is the AWS managed `arn:aws:iam::aws:policy/X`. `versions` holds managed policies' other
(non-default) versions, by policy name then version id; as in a snapshot, version `v1` of `X` is named
`X v1`. As in a snapshot, a user's policies include those of its groups. A principal with an `account`
of its own belongs to another account that the input describes (a partner's role and its policies).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kmspolicy.model import (
    Account,
    Grant,
    GrantConstraints,
    IamEntity,
    InputKind,
    Key,
    OrgPolicyAttachment,
    Policy,
    PolicyKind,
    Span,
)
from kmspolicy.parse import parse_text


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PrincipalSpec(_Strict):
    type: str
    name: str
    policies: tuple[dict[str, Any], ...] = ()
    trust: dict[str, Any] | None = None
    boundary: dict[str, Any] | None = None
    # a permissions boundary attached whose document is not in the input (`boundary` left out)
    boundary_arn: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    groups: tuple[str, ...] = ()
    attached: tuple[str, ...] = ()  # names of the case's managed policies
    account: str | None = None  # a principal of another account that the input describes (a partner's)


class GrantSpec(_Strict):
    id: str
    grantee: str
    operations: tuple[str, ...]
    encryption_context_equals: dict[str, str] | None = None
    encryption_context_subset: dict[str, str] | None = None


class KeySpec(_Strict):
    id: str
    policy: dict[str, Any] | None = None
    grants: tuple[GrantSpec, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    usage: str = "ENCRYPT_DECRYPT"
    manager: str = "CUSTOMER"


class OrgSpec(_Strict):
    target: str
    policy: dict[str, Any]


class Expect(_Strict):
    key: str
    action: str
    principal: str
    steps: tuple[str, ...] | None = None
    through: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    method: str | None = None
    external: bool | None = None
    caller: str | None = None  # the one principal of the node that the path's steps are made as


class Absent(_Strict):
    key: str
    action: str
    principal: str


class AccountCase(_Strict):
    account: str
    org: str | None = None
    region: str = "us-east-1"
    managed: dict[str, dict[str, Any]] = Field(default_factory=dict)
    versions: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)
    principals: tuple[PrincipalSpec, ...] = ()
    keys: tuple[KeySpec, ...] = ()
    scps: tuple[OrgSpec, ...] = ()
    rcps: tuple[OrgSpec, ...] = ()
    expect: tuple[Expect, ...] = ()
    absent: tuple[Absent, ...] = ()

    @model_validator(mode="after")
    def _versions_of_managed_policies(self) -> AccountCase:
        unknown = sorted(set(self.versions) - set(self.managed))
        if unknown:
            raise ValueError(f"`versions` names policies that `managed` does not: {unknown}")
        return self

    def key_arn(self, key_id: str) -> str:
        return f"arn:aws:kms:{self.region}:{self.account}:key/{key_id}"

    def managed_arn(self, name: str) -> str:
        if name.startswith("aws/"):
            return f"arn:aws:iam::aws:policy/{name[4:]}"
        return f"arn:aws:iam::{self.account}:policy/{name}"

    def build(self, name: str) -> Account:
        def policy(doc: dict[str, Any], kind: PolicyKind, label: str) -> Policy:
            input_kind = InputKind.KEY_POLICY if kind is PolicyKind.KEY else InputKind.IDENTITY_POLICY
            parsed = parse_text(json.dumps(doc), f"{name}/{label}.json", kind=input_kind)
            found = parsed.documents[0].policies[0]
            return found.model_copy(update={"kind": kind, "name": label})

        def managed_policy(name: str, doc: dict[str, Any]) -> Policy:
            arn = self.managed_arn(name)
            others = tuple(
                policy(d, PolicyKind.IDENTITY, f"{name} {v}").model_copy(update={"arn": arn})
                for v, d in self.versions.get(name, {}).items()
            )
            return policy(doc, PolicyKind.IDENTITY, name).model_copy(
                update={"arn": arn, "other_versions": others}
            )

        managed = {name: managed_policy(name, doc) for name, doc in self.managed.items()}
        own: dict[str, tuple[Policy, ...]] = {
            p.name: (
                *(policy(d, PolicyKind.IDENTITY, f"{p.name}-{i}") for i, d in enumerate(p.policies)),
                *(managed[m] for m in p.attached),
            )
            for p in self.principals
        }
        principals = []
        for p in self.principals:
            account = p.account or self.account
            arn = f"arn:aws:iam::{account}:{p.type}/{p.name}"
            principals.append(
                IamEntity(
                    arn=arn,
                    type=p.type,  # type: ignore[arg-type]
                    name=p.name,
                    account=account,
                    tags=p.tags,
                    groups=p.groups,
                    policies=(*own[p.name], *(q for g in p.groups for q in own.get(g, ()))),
                    permission_boundary=policy(p.boundary, PolicyKind.BOUNDARY, f"{p.name}-boundary")
                    if p.boundary
                    else None,
                    permission_boundary_arn=p.boundary_arn,
                    trust_policy=policy(p.trust, PolicyKind.TRUST, f"{p.name}-trust") if p.trust else None,
                )
            )
        keys = []
        for k in self.keys:
            arn = self.key_arn(k.id)
            grants = tuple(
                Grant(
                    key_id=arn,
                    grant_id=g.id,
                    grantee_principal=g.grantee,
                    operations=g.operations,
                    constraints=GrantConstraints(
                        encryption_context_equals=g.encryption_context_equals,
                        encryption_context_subset=g.encryption_context_subset,
                    )
                    if g.encryption_context_equals or g.encryption_context_subset
                    else None,
                    span=Span(file=f"{name}/grants.json", pointer=f"/{g.id}"),
                )
                for g in k.grants
            )
            keys.append(
                Key(
                    arn=arn,
                    key_id=k.id,
                    account=self.account,
                    region=self.region,
                    key_usage=k.usage,
                    key_manager=k.manager,  # type: ignore[arg-type]
                    tags=k.tags,
                    aliases=k.aliases,
                    policy=policy(k.policy, PolicyKind.KEY, k.id) if k.policy else None,
                    policy_declared=k.policy is not None,
                    grants=grants,
                )
            )

        def attachments(specs: tuple[OrgSpec, ...], kind: PolicyKind) -> tuple[OrgPolicyAttachment, ...]:
            return tuple(
                OrgPolicyAttachment(target=s.target, policy=policy(s.policy, kind, f"{kind.value}-{i}"))
                for i, s in enumerate(specs)
            )

        return Account(
            account_id=self.account,
            org_id=self.org,
            principals=tuple(principals),
            keys=tuple(keys),
            scps=attachments(self.scps, PolicyKind.SCP),
            rcps=attachments(self.rcps, PolicyKind.RCP),
        )


def load_case(path: Path) -> AccountCase:
    return AccountCase.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


class DiffExpect(_Strict):
    """One change `diff(old, new)` must (or must not) report: `resource` is a key id or a role name;
    `steps` the kinds of the path of a transitive change (None: a direct one); `witness` context entries
    its witness request must carry."""

    principal: str
    resource: str
    action: str
    removed: bool = False
    steps: tuple[str, ...] | None = None
    method: str | None = None
    witness: dict[str, str] = Field(default_factory=dict)


class DiffCase(_Strict):
    """Two versions of one account, `tests/review_cases/diff/<behaviour>.yaml`, and what `diff` says."""

    old: AccountCase
    new: AccountCase
    expect: tuple[DiffExpect, ...] = ()
    absent: tuple[DiffExpect, ...] = ()

    def resource_arn(self, name: str) -> str:
        case = self.new
        if any(p.type == "role" and p.name == name for p in (*case.principals, *self.old.principals)):
            return f"arn:aws:iam::{case.account}:role/{name}"
        return case.key_arn(name)


def load_diff_case(path: Path) -> DiffCase:
    return DiffCase.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
