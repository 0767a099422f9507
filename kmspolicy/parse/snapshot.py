"""Read an account snapshot: a folder of AWS CLI outputs, one file per call (see samples/account/).

```
account.json                              {"account_id", "org_id", "partition"} (optional)
iam.json                                  aws iam get-account-authorization-details
kms/<region>/aliases.json                 aws kms list-aliases
kms/<region>/<key-id>/describe-key.json   aws kms describe-key
kms/<region>/<key-id>/key-policy.json     aws kms get-key-policy --policy-name default
kms/<region>/<key-id>/grants.json         aws kms list-grants
kms/<region>/<key-id>/rotation.json       aws kms get-key-rotation-status (optional)
kms/<region>/<key-id>/tags.json           aws kms list-resource-tags (optional)
organizations/scps.json, rcps.json        [{"name", "target", "policy"}] (optional)
```

Every principal gets every policy in force on it: inline and attached managed policies (the default
version only), a user's group policies, a role's trust policy and any permissions boundary. Each file
is read with its own `ReadContext`, so findings point into the file they are about.

A file the layout requires but the folder lacks is an `input-error` against the path it should have:
severity error where the answer would be wrong (a key without `describe-key.json` or
`key-policy.json`), medium where it is only incomplete (no `iam.json`, no `grants.json`). A file
holding `null`, or a list field of another shape, is a `syn-structure` error: never read as empty.
The same scale holds inside `iam.json`: a policy or group an entity names but the file lacks is medium, a
permissions boundary it lacks is an error (the boundary could deny what the answer shows); a page with
`IsTruncated`/`Marker` is medium. A key folder not named after its describe-key `KeyId` is an error.
`account.json` takes only its three fields, and `account_id` must be 12 digits.

Managed policies keep their ARN (`Policy.arn`, from `Policies[].Arn`, which is also the `PolicyArn`
that entities attach): customer managed ones (`arn:aws:iam::<account>:policy/...`) are what
`iam:CreatePolicyVersion` rewrites; AWS managed ones (`arn:aws:iam::aws:policy/...`) no customer can.
The non-default versions of `PolicyVersionList` are read too, into the default's `other_versions`
(each named `<policy> <VersionId>`, with the same ARN): `iam:SetDefaultPolicyVersion` can put any of
them in force. They are not in force, so they are not among the document's policies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from kmspolicy.model import (
    Account,
    Alias,
    Document,
    Finding,
    Grant,
    IamEntity,
    IamEntityType,
    InputKind,
    Key,
    OrgPolicyAttachment,
    Policy,
    PolicyKind,
    Severity,
)
from kmspolicy.parse.context import (
    INPUT_ERROR,
    INPUT_UNEXPECTED_FILE,
    SYN_STRUCTURE,
    ReadContext,
    pointer_join,
)
from kmspolicy.parse.policy import read_grant, read_key_metadata, read_policy
from kmspolicy.parse.source import SourceSet, load_embedded_json, load_json_text, read_file_text

_ACCOUNT_FIELDS = ("account_id", "org_id", "partition")
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_KEY_FILES = ("describe-key.json", "key-policy.json", "grants.json", "rotation.json", "tags.json")
_ORG_FILES = {"scps.json": PolicyKind.SCP, "rcps.json": PolicyKind.RCP}
# GAAD lists: (list, entity type, name field, id field, inline policies field)
_GAAD_LISTS: tuple[tuple[str, IamEntityType, str, str, str], ...] = (
    ("GroupDetailList", "group", "GroupName", "GroupId", "GroupPolicyList"),
    ("UserDetailList", "user", "UserName", "UserId", "UserPolicyList"),
    ("RoleDetailList", "role", "RoleName", "RoleId", "RolePolicyList"),
)


def is_snapshot(root: Path) -> bool:
    """A folder laid out as a snapshot: it has `kms/`, `organizations/`, `iam.json` or `account.json`."""
    return root.is_dir() and (
        (root / "kms").is_dir()
        or (root / "organizations").is_dir()
        or (root / "iam.json").is_file()
        or (root / "account.json").is_file()
    )


def _expected_extra(path: Path) -> bool:
    """Files a snapshot may hold besides the layout: its README and hidden files."""
    return path.name.startswith(".") or path.name.upper().startswith("README")


@dataclass
class _Snapshot:
    root: Path
    sources: SourceSet
    account: str | None
    max_bytes: int
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    expected: set[Path] = field(default_factory=set)

    def load(self, path: Path) -> tuple[object | None, ReadContext]:
        """A file of the layout, parsed; its findings and notes are kept under its own name."""
        self.expected.add(path)
        ctx = ReadContext(file=str(path), sources=self.sources, account=self.account)
        text = read_file_text(path, ctx, self.max_bytes)
        obj = None if text is None else load_json_text(text, ctx)
        if text is not None and obj is None and not ctx.findings:
            # valid JSON `null`: no CLI command writes it, and reading it as "nothing" would lose the file
            ctx.report(SYN_STRUCTURE, f"`{path.name}` holds `null`, not the AWS CLI output it should", "")
        return obj, ctx

    def missing(self, path: Path, consequence: str, severity: Severity) -> None:
        """A file the layout requires is absent: reported against the path it should have."""
        self.expected.add(path)
        ctx = ReadContext(file=str(path), sources=self.sources)
        where = "the snapshot" if path.parent == self.root else f"key folder `{path.parent.name}`"
        ctx.report(
            INPUT_ERROR,
            f"`{path.name}` is missing from {where}; {consequence}",
            "",
            severity=severity,
            help="see the snapshot layout in samples/account/README.md",
        )
        self.done(ctx)

    def done(self, ctx: ReadContext) -> None:
        self.findings.extend(ctx.findings)
        self.notes.extend(ctx.notes)
        ctx.findings, ctx.notes = [], []

    def keep(self, policy: Policy | None) -> Policy | None:
        if policy is not None and policy not in self.policies:
            self.policies.append(policy)
        return policy

    # ----------------------------------------------------------------- account.json

    def read_account(self) -> tuple[str | None, str | None, str]:
        path = self.root / "account.json"
        if not path.is_file():
            return self.account, None, "aws"
        obj, ctx = self.load(path)
        values = obj if isinstance(obj, dict) else {}
        if obj is not None and not isinstance(obj, dict):
            ctx.report(SYN_STRUCTURE, "`account.json` must be an object with `account_id`", "")
        for name in values:
            if name not in _ACCOUNT_FIELDS:
                ctx.report(
                    SYN_STRUCTURE,
                    f"unknown field `{name}` in `account.json`",
                    pointer_join("", name),
                    help="`account.json` holds `account_id`, `org_id` and `partition`",
                )
        found = {name: values.get(name) for name in _ACCOUNT_FIELDS}
        for name, value in found.items():
            if value is not None and not isinstance(value, str):
                ctx.report(SYN_STRUCTURE, f"`{name}` must be a string", pointer_join("", name))
        account_id = found["account_id"] if isinstance(found["account_id"], str) else None
        if account_id is not None and not _ACCOUNT_ID.fullmatch(account_id):
            ctx.report(
                SYN_STRUCTURE,
                f"`account_id` `{account_id}` is not an AWS account ID (12 digits)",
                "/account_id",
            )
            account_id = None
        if self.account and account_id and self.account != account_id:
            ctx.notes.append(
                f"`--account {self.account}` differs from `{account_id}` in `account.json`; using the file"
            )
        self.done(ctx)
        org = found["org_id"] if isinstance(found["org_id"], str) else None
        partition = found["partition"] if isinstance(found["partition"], str) else "aws"
        return account_id or self.account, org, partition

    # ----------------------------------------------------------------- iam.json

    def document(
        self, value: object, ctx: ReadContext, pointer: str, kind: PolicyKind, name: str
    ) -> Policy | None:
        """A GAAD policy document: an object, or (from the raw API) a URL-encoded JSON string."""
        if isinstance(value, str):
            if value.lstrip().startswith("{"):
                embedded = _embedded(value, ctx, pointer)
                return None if embedded is None else read_policy(embedded, ctx, pointer, kind=kind, name=name)
            try:
                value = json.loads(unquote(value))
            except json.JSONDecodeError as error:
                ctx.report(
                    SYN_STRUCTURE,
                    f"the URL-encoded policy document is not JSON once decoded: {error.msg.lower()}",
                    pointer,
                )
                return None
            # Positions inside a URL-encoded document cannot be mapped back: they resolve to the string.
        return read_policy(value, ctx, pointer, kind=kind, name=name)

    def read_iam(self, account: str | None) -> list[IamEntity]:
        path = self.root / "iam.json"
        if not path.is_file():
            self.missing(path, "no IAM principals or identity policies are known", Severity.MEDIUM)
            self.notes.append("the snapshot has no `iam.json`; no IAM principals are known")
            return []
        obj, ctx = self.load(path)
        if not isinstance(obj, dict):
            if obj is not None:
                ctx.report(
                    SYN_STRUCTURE, "`iam.json` must be the output of `get-account-authorization-details`", ""
                )
            self.done(ctx)
            return []
        if obj.get("IsTruncated") is True or obj.get("Marker") is not None:
            ctx.report(
                INPUT_ERROR,
                "the listing is truncated (`IsTruncated`/`Marker`): the users, groups, roles and policies "
                "on later pages are not in this file and were not checked",
                "/Marker" if "Marker" in obj else "/IsTruncated",
                severity=Severity.MEDIUM,
                help="fetch every page (the AWS CLI does unless `--max-items` or `--no-paginate` is given)",
            )
        managed = self.managed_policies(obj, ctx)
        group_policies: dict[str, list[Policy]] = {}
        entities: list[IamEntity] = []
        for list_name, entity_type, name_field, id_field, inline_field in _GAAD_LISTS:
            for index, item in enumerate(_items(obj, list_name, ctx, "")):
                pointer = pointer_join("", list_name, index)
                if not isinstance(item, dict) or not isinstance(item.get(name_field), str):
                    ctx.report(SYN_STRUCTURE, f"this entry of `{list_name}` has no `{name_field}`", pointer)
                    continue
                name = str(item[name_field])
                policies = self.inline_policies(item, inline_field, ctx, pointer, name)
                policies.extend(self.attached(item, managed, ctx, pointer, name))
                groups = tuple(_strings(item, "GroupList", ctx, pointer))
                if entity_type == "group":
                    group_policies[name] = list(policies)
                for position, group in enumerate(groups):
                    if group not in group_policies:
                        at = pointer_join(pointer, "GroupList", position)
                        what = f"group `{group}` of user `{name}`"
                        _absent_policy(ctx, at, what, _INCOMPLETE.format("its policies"), Severity.MEDIUM)
                    policies.extend(p for p in group_policies.get(group, []) if p not in policies)
                trust = None
                if entity_type == "role" and "AssumeRolePolicyDocument" in item:
                    trust = self.keep(
                        self.document(
                            item["AssumeRolePolicyDocument"],
                            ctx,
                            pointer_join(pointer, "AssumeRolePolicyDocument"),
                            PolicyKind.TRUST,
                            f"{name} trust policy",
                        )
                    )
                arn = item.get("Arn")
                entities.append(
                    IamEntity.trusted(
                        arn=arn
                        if isinstance(arn, str)
                        else f"arn:aws:iam::{account or ''}:{entity_type}/{name}",
                        type=entity_type,
                        name=name,
                        account=arn.split(":")[4]
                        if isinstance(arn, str) and arn.count(":") >= 5
                        else account or "",
                        path=item.get("Path") if isinstance(item.get("Path"), str) else "/",
                        unique_id=item.get(id_field) if isinstance(item.get(id_field), str) else None,
                        tags=_tag_map(item, "Tags", ("Key", "Value"), ctx, pointer),
                        policies=tuple(policies),
                        permission_boundary=self.boundary(item, managed, ctx, pointer, name),
                        permission_boundary_arn=_boundary_arn(item),
                        trust_policy=trust,
                        groups=groups,
                        span=ctx.span(pointer),
                    )
                )
        self.done(ctx)
        return entities

    def managed_policies(self, obj: dict[str, object], ctx: ReadContext) -> dict[str, Policy]:
        """Managed policies by ARN, each as its default version, with its other versions."""
        found: dict[str, Policy] = {}
        for index, item in enumerate(_items(obj, "Policies", ctx, "")):
            pointer = pointer_join("", "Policies", index)
            if not isinstance(item, dict) or not isinstance(item.get("Arn"), str):
                ctx.report(SYN_STRUCTURE, "this managed policy has no `Arn`", pointer)
                continue
            arn = str(item["Arn"])
            default = item.get("DefaultVersionId")
            listed = list(enumerate(_items(item, "PolicyVersionList", ctx, pointer)))
            for position, version in listed:
                if not isinstance(version, dict):
                    at = pointer_join(pointer, "PolicyVersionList", position)
                    ctx.report(SYN_STRUCTURE, "a policy version must be an object", at)
            chosen = next(
                (
                    (position, version)
                    for position, version in listed
                    if isinstance(version, dict)
                    and (version.get("IsDefaultVersion") is True or version.get("VersionId") == default)
                ),
                None,
            )
            name = str(item.get("PolicyName") or arn)
            if chosen is None:
                ctx.report(SYN_STRUCTURE, f"managed policy `{name}` has no default version", pointer)
                continue
            others: list[Policy] = []
            for position, version in listed:
                if isinstance(version, dict) and position != chosen[0]:
                    label = f"{name} {_version_id(version, position)}"
                    other = self.version(version, ctx, pointer, position, label)
                    if other is not None:
                        others.append(other.model_copy(update={"arn": arn}))
            policy = self.version(chosen[1], ctx, pointer, chosen[0], name)
            if policy is not None:
                found[arn] = policy.model_copy(update={"arn": arn, "other_versions": tuple(others)})
        return found

    def version(
        self, version: dict[str, object], ctx: ReadContext, pointer: str, position: int, name: str
    ) -> Policy | None:
        """One entry of a managed policy's `PolicyVersionList`, as an identity policy."""
        document_pointer = pointer_join(pointer, "PolicyVersionList", position, "Document")
        return self.document(version.get("Document"), ctx, document_pointer, PolicyKind.IDENTITY, name)

    def inline_policies(
        self, item: dict[str, object], field_name: str, ctx: ReadContext, pointer: str, holder: str
    ) -> list[Policy]:
        policies: list[Policy] = []
        for index, entry in enumerate(_items(item, field_name, ctx, pointer)):
            at = pointer_join(pointer, field_name, index)
            if not isinstance(entry, dict):
                ctx.report(SYN_STRUCTURE, "an inline policy must be an object", at)
                continue
            name = str(entry.get("PolicyName") or f"{holder} inline policy {index}")
            document = pointer_join(at, "PolicyDocument")
            policy = self.keep(
                self.document(entry.get("PolicyDocument"), ctx, document, PolicyKind.IDENTITY, name)
            )
            if policy is not None:
                policies.append(policy)
        return policies

    def attached(
        self, item: dict[str, object], managed: dict[str, Policy], ctx: ReadContext, pointer: str, holder: str
    ) -> list[Policy]:
        policies: list[Policy] = []
        for index, entry in enumerate(_items(item, "AttachedManagedPolicies", ctx, pointer)):
            arn = entry.get("PolicyArn") if isinstance(entry, dict) else None
            if not isinstance(arn, str):
                at = pointer_join(pointer, "AttachedManagedPolicies", index)
                ctx.report(SYN_STRUCTURE, "this attached policy has no `PolicyArn`", at)
                continue
            policy = managed.get(arn)
            if policy is None:
                at = pointer_join(pointer, "AttachedManagedPolicies", index, "PolicyArn")
                what = f"managed policy `{arn}` attached to `{holder}`"
                _absent_policy(ctx, at, what, _INCOMPLETE.format("its statements"), Severity.MEDIUM)
                continue
            policies.append(policy)
            self.keep(policy)
        return policies

    def boundary(
        self, item: dict[str, object], managed: dict[str, Policy], ctx: ReadContext, pointer: str, holder: str
    ) -> Policy | None:
        arn = _boundary_arn(item)
        if arn is None:
            return None
        policy = managed.get(arn)
        if policy is None:
            at = pointer_join(pointer, "PermissionsBoundary", "PermissionsBoundaryArn")
            what = f"the permissions boundary `{arn}` of `{holder}`"
            _absent_policy(
                ctx,
                at,
                what,
                # incomplete, not unreadable: the review takes it to allow everything (access is never
                # under-reported) and still counts it as a boundary for `NotPrincipal` (§2.2)
                "its limits were not applied, so the access shown for this principal may be more than it has",
                Severity.MEDIUM,
            )
            return None
        return policy.model_copy(update={"kind": PolicyKind.BOUNDARY})

    # ----------------------------------------------------------------- kms/

    def read_kms(self, account: str | None, partition: str) -> tuple[list[Key], list[Alias]]:
        keys: list[Key] = []
        aliases: list[Alias] = []
        kms = self.root / "kms"
        if not kms.is_dir():
            self.notes.append("the snapshot has no `kms/` folder; no keys are known")
            return keys, aliases
        for region_dir in sorted(p for p in kms.iterdir() if p.is_dir() and not p.name.startswith(".")):
            region = region_dir.name
            region_aliases = self.read_aliases(region_dir / "aliases.json")
            aliases.extend(region_aliases)
            for key_dir in sorted(
                p for p in region_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
            ):
                key = self.read_key(key_dir, region, account, partition)
                names = tuple(
                    alias.name
                    for alias in region_aliases
                    if alias.target_key_id in (key.key_id, str(key.arn))
                )
                keys.append(key.model_copy(update={"aliases": names}) if names else key)
        return keys, aliases

    def read_aliases(self, path: Path) -> list[Alias]:
        if not path.is_file():
            return []
        obj, ctx = self.load(path)
        items = obj.get("Aliases") if isinstance(obj, dict) else None
        if obj is not None and not isinstance(items, list):
            ctx.report(SYN_STRUCTURE, "`aliases.json` must be the output of `aws kms list-aliases`", "")
        aliases = []
        for index, item in enumerate(items if isinstance(items, list) else []):
            pointer = pointer_join("", "Aliases", index)
            name = item.get("AliasName") if isinstance(item, dict) else None
            if not isinstance(name, str):
                ctx.report(SYN_STRUCTURE, "this alias has no `AliasName`", pointer)
                continue
            arn, target = item.get("AliasArn"), item.get("TargetKeyId")
            aliases.append(
                Alias.trusted(
                    name=name,
                    arn=arn if isinstance(arn, str) else None,
                    target_key_id=target if isinstance(target, str) else None,
                    span=ctx.span(pointer),
                )
            )
        self.done(ctx)
        return aliases

    def read_key(self, key_dir: Path, region: str, account: str | None, partition: str) -> Key:
        key_id = key_dir.name
        key: Key | None = None
        describe = key_dir / "describe-key.json"
        if describe.is_file():
            obj, ctx = self.load(describe)
            if isinstance(obj, dict) and "KeyMetadata" in obj:
                key = read_key_metadata(obj["KeyMetadata"], ctx, "/KeyMetadata")
                if key is not None and key_id not in (key.key_id, key.arn):
                    ctx.report(
                        INPUT_ERROR,
                        f"key folder `{key_id}` holds the describe-key output of key `{key.key_id}`",
                        "/KeyMetadata/KeyId",
                        help="name each key folder after the `KeyId` of the key whose outputs it holds",
                    )
            elif obj is not None:
                ctx.report(
                    SYN_STRUCTURE, "`describe-key.json` must be the output of `aws kms describe-key`", ""
                )
            self.done(ctx)
        else:
            self.missing(describe, "its metadata (owner, state, usage) is assumed", Severity.ERROR)
        if key is None:
            self.notes.append(f"key `{key_id}` has no usable `describe-key.json`; its metadata is assumed")
            key = Key.trusted(
                arn=f"arn:{partition}:kms:{region}:{account or ''}:key/{key_id}",
                key_id=key_id,
                account=account,
                region=region,
                partition=partition,
                span=None,
            )
        updates: dict[str, object] = {}
        policy_path = key_dir / "key-policy.json"
        if policy_path.is_file():
            updates["policy"] = self.read_key_policy(policy_path, key.key_id)
        else:
            self.missing(policy_path, "the key's policy is not known", Severity.ERROR)
        grants_path = key_dir / "grants.json"
        if grants_path.is_file():
            updates["grants"] = tuple(self.read_grants(grants_path))
        else:
            self.missing(grants_path, "the key's grants are not known", Severity.MEDIUM)
        rotation_path = key_dir / "rotation.json"
        if rotation_path.is_file():
            updates.update(self.read_rotation(rotation_path))
        tags_path = key_dir / "tags.json"
        if tags_path.is_file():
            obj, ctx = self.load(tags_path)
            if isinstance(obj, dict) and "Tags" in obj:
                updates["tags"] = _tag_map(obj, "Tags", ("TagKey", "TagValue"), ctx, "")
            elif obj is not None:
                ctx.report(
                    SYN_STRUCTURE, "`tags.json` must be the output of `aws kms list-resource-tags`", ""
                )
            self.done(ctx)
        for path in sorted(key_dir.iterdir()):
            if path.name not in _KEY_FILES and not _expected_extra(path):
                self.unexpected(path)
            self.expected.add(path)
        return key.model_copy(update=updates) if updates else key

    def read_key_policy(self, path: Path, key_id: str) -> Policy | None:
        obj, ctx = self.load(path)
        policy = None
        if isinstance(obj, dict) and isinstance(obj.get("Policy"), str):
            pointer = "/Policy"
            embedded = _embedded(str(obj["Policy"]), ctx, pointer)
            if embedded is not None:
                policy = read_policy(embedded, ctx, pointer, kind=PolicyKind.KEY, name=key_id)
        elif isinstance(obj, dict) and "Statement" in obj:
            # The policy itself, as saved by `--query Policy --output text`.
            policy = read_policy(obj, ctx, "", kind=PolicyKind.KEY, name=key_id)
        elif obj is not None:
            ctx.report(SYN_STRUCTURE, "`key-policy.json` must be the output of `aws kms get-key-policy`", "")
        self.done(ctx)
        return policy

    def read_grants(self, path: Path) -> list[Grant]:
        obj, ctx = self.load(path)
        items = obj.get("Grants") if isinstance(obj, dict) else None
        if obj is not None and not isinstance(items, list):
            ctx.report(SYN_STRUCTURE, "`grants.json` must be the output of `aws kms list-grants`", "")
        grants = []
        for index, item in enumerate(items if isinstance(items, list) else []):
            grant = read_grant(item, ctx, pointer_join("", "Grants", index))
            if grant is not None:
                grants.append(grant)
        self.done(ctx)
        return grants

    def read_rotation(self, path: Path) -> dict[str, object]:
        obj, ctx = self.load(path)
        found: dict[str, object] = {}
        values = obj if isinstance(obj, dict) else {}
        enabled, period = values.get("KeyRotationEnabled"), values.get("RotationPeriodInDays")
        if isinstance(enabled, bool):
            found["rotation_enabled"] = enabled
        elif obj is not None:
            ctx.report(SYN_STRUCTURE, "`KeyRotationEnabled` must be true or false", "/KeyRotationEnabled")
        if isinstance(period, int) and not isinstance(period, bool):
            found["rotation_period_days"] = period
        elif period is not None:
            ctx.report(
                SYN_STRUCTURE, "`RotationPeriodInDays` must be a number of days", "/RotationPeriodInDays"
            )
        self.done(ctx)
        return found

    # ----------------------------------------------------------------- organizations/

    def read_org(self, name: str, kind: PolicyKind) -> list[OrgPolicyAttachment]:
        path = self.root / "organizations" / name
        if not path.is_file():
            return []
        obj, ctx = self.load(path)
        if obj is not None and not isinstance(obj, list):
            ctx.report(SYN_STRUCTURE, f"`{name}` must be a list of `name`, `target` and `policy` entries", "")
        attachments = []
        for index, item in enumerate(obj if isinstance(obj, list) else []):
            pointer = pointer_join("", index)
            if not isinstance(item, dict) or not isinstance(item.get("target"), str) or "policy" not in item:
                ctx.report(SYN_STRUCTURE, "this entry needs a `target` and a `policy`", pointer)
                continue
            policy_name = str(item.get("name") or f"{name} #{index}")
            value, at = item["policy"], pointer_join(pointer, "policy")
            document = _embedded(value, ctx, at) if isinstance(value, str) else value
            policy = None if document is None else read_policy(document, ctx, at, kind=kind, name=policy_name)
            if policy is not None:
                self.keep(policy)
                attachments.append(OrgPolicyAttachment.trusted(target=str(item["target"]), policy=policy))
        self.done(ctx)
        return attachments

    # ----------------------------------------------------------------- the rest

    def unexpected(self, path: Path) -> None:
        self.findings.append(
            Finding.trusted(
                id=INPUT_UNEXPECTED_FILE[0],
                rule=INPUT_UNEXPECTED_FILE[1],
                severity=Severity.INFO,
                message=f"`{path.name}` is not part of the snapshot layout and was not read",
                help="see the snapshot layout in samples/account/README.md",
                span=ReadContext(file=str(path), sources=self.sources).span(""),
            )
        )

    def report_unexpected(self) -> None:
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if any(part.startswith(".") for part in relative.parts) or path.is_dir():
                continue
            if path not in self.expected and not _expected_extra(path):
                self.unexpected(path)


_INCOMPLETE = "{} were not applied, so the access analysis of this principal is incomplete"


def _absent_policy(ctx: ReadContext, pointer: str, what: str, lost: str, severity: Severity) -> None:
    """A policy (or group) an entity names but `iam.json` lacks (a filtered or partial GAAD call): its access
    cannot be worked out, so it is a finding, not a note. As for missing files, the severity says how
    wrong the answer gets: a lost attached policy only hides access (medium), a lost boundary shows
    access the boundary may deny (error)."""
    ctx.report(
        INPUT_ERROR,
        f"{what} is not in `iam.json`: {lost}",
        pointer,
        severity=severity,
        help="take `iam.json` from one unfiltered, unpaginated `get-account-authorization-details` call",
    )


def _version_id(version: dict[str, object], position: int) -> str:
    """A version's `VersionId`, or where it has none, its place in the list (`#2`)."""
    version_id = version.get("VersionId")
    return version_id if isinstance(version_id, str) else f"#{position}"


def _embedded(text: str, ctx: ReadContext, pointer: str) -> object | None:
    """The policy held as a JSON string; a string holding `null` is reported, not read as no policy."""
    before = len(ctx.findings)
    value = load_embedded_json(text, ctx, pointer)
    if value is None and len(ctx.findings) == before:
        ctx.report(SYN_STRUCTURE, "the policy string holds `null`, not a policy document", pointer)
    return value


def _items(container: dict[str, object], name: str, ctx: ReadContext, pointer: str) -> list[object]:
    """The list `container[name]`; absent is empty, any other shape is reported (never skipped)."""
    value = container.get(name)
    if isinstance(value, list):
        return value
    if name in container:
        ctx.report(SYN_STRUCTURE, f"`{name}` must be a list", pointer_join(pointer, name))
    return []


def _strings(container: dict[str, object], name: str, ctx: ReadContext, pointer: str) -> list[str]:
    found: list[str] = []
    for index, value in enumerate(_items(container, name, ctx, pointer)):
        if isinstance(value, str):
            found.append(value)
        else:
            ctx.report(SYN_STRUCTURE, f"`{name}` must hold only strings", pointer_join(pointer, name, index))
    return found


def _boundary_arn(item: dict[str, object]) -> str | None:
    """The ARN of the permissions boundary attached to a user or role, whether `iam.json` has it or not."""
    boundary = item.get("PermissionsBoundary")
    arn = boundary.get("PermissionsBoundaryArn") if isinstance(boundary, dict) else None
    return arn if isinstance(arn, str) else None


def _tag_map(
    container: dict[str, object], name: str, fields: tuple[str, str], ctx: ReadContext, pointer: str
) -> dict[str, str]:
    """Tags as a map; `fields` name key and value (`Key`/`Value` in IAM, `TagKey`/`TagValue` in KMS)."""
    key_field, value_field = fields
    tags: dict[str, str] = {}
    for index, tag in enumerate(_items(container, name, ctx, pointer)):
        key = tag.get(key_field) if isinstance(tag, dict) else None
        value = tag.get(value_field) if isinstance(tag, dict) else None
        if isinstance(key, str) and isinstance(value, str):
            tags[key] = value
        else:
            at = pointer_join(pointer, name, index)
            ctx.report(SYN_STRUCTURE, f"a tag must have string `{key_field}` and `{value_field}`", at)
    return tags


def read_snapshot(
    root: Path, sources: SourceSet, *, account: str | None, max_bytes: int
) -> tuple[Document, list[Finding]]:
    """Read a snapshot folder into one Document (kind SNAPSHOT) and the findings of its files."""
    snapshot = _Snapshot(root=root, sources=sources, account=account, max_bytes=max_bytes)
    account_id, org_id, partition = snapshot.read_account()
    snapshot.account = account_id
    principals = snapshot.read_iam(account_id)
    keys, aliases = snapshot.read_kms(account_id, partition)
    scps = snapshot.read_org("scps.json", PolicyKind.SCP)
    rcps = snapshot.read_org("rcps.json", PolicyKind.RCP)
    snapshot.report_unexpected()
    if account_id is None:
        account_id = next((key.account for key in keys if key.account), None)
    result = Account.trusted(
        account_id=account_id,
        org_id=org_id,
        partition=partition,
        principals=tuple(principals),
        keys=tuple(keys),
        aliases=tuple(aliases),
        scps=tuple(scps),
        rcps=tuple(rcps),
    )
    document = Document.trusted(
        file=str(root),
        kind=InputKind.SNAPSHOT,
        policies=tuple(snapshot.policies),
        keys=tuple(keys),
        aliases=tuple(aliases),
        principals=tuple(principals),
        account=result,
        notes=tuple(snapshot.notes),
    )
    return document, snapshot.findings
