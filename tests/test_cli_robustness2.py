"""Second robustness round, written from the README and the brief only: realistic AWS outputs with
their quirks, odd snapshot folders, CloudFormation and Terraform variants, encodings, exact positions,
every output format, exit codes, options and the query grammar.

The brief: every bad input gets a clear error naming the file, the place (line:col) and the problem;
the process exits non-zero (2 for input errors, 1 for findings, 0 clean), never a traceback, never a
silent skip, and the other files of the run are still processed.

Each case writes its files under `tmp_path` (templates that read better as files are in
`tests/robustness2/`), runs the CLI in-process and checks the exit code, that no exception escaped and
that the output holds what it must. `at=(file, needle, text)` asks for a finding at the line and column
where `needle` starts in `file` (its first occurrence), on the same output line as `text`. Cases marked
`xfail(strict=True)` are believed defects: the assertion states the behaviour the README or the brief
asks for, so a fix turns the mark into a failure that asks for it to be removed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from kmspolicy.cli import app

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "robustness2"
SARIF_SCHEMA = Path("/work/shared/reference/schemas/sarif-schema-2.1.0.json")
ACCOUNT = "111122223333"
PARTNER = "444455556666"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
CALLER = f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/s1"
KEY_DIR = f"snap/kms/us-east-1/{KEY_ID}"
MRK = "mrk-1234abcd12ab34cd56ef1234567890ab"

runner = CliRunner()


# ---- documents ---------------------------------------------------------------------------------


def doc(*statements: object) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ROOT_STMT = {
    "Sid": "Root",
    "Effect": "Allow",
    "Principal": {"AWS": ROOT_ARN},
    "Action": "kms:*",
    "Resource": "*",
}
PUBLIC_STMT = {"Sid": "Pub", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
ADMIN_STAR = {"Effect": "Allow", "Action": "*", "Resource": "*"}
CLEAN_IDENTITY = doc({"Sid": "Use", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN})
KEY_POLICY = doc(ROOT_STMT)
PUBLIC_POLICY = doc(ROOT_STMT, PUBLIC_STMT)


def dumps(value: object) -> str:
    return json.dumps(value, indent=4)


def get_key_policy(policy: dict[str, object] | str) -> str:
    text = policy if isinstance(policy, str) else json.dumps(policy, indent=2)
    return dumps({"Policy": text, "PolicyName": "default"})


def describe_key(**changes: object) -> dict[str, object]:
    meta: dict[str, object] = {
        "AWSAccountId": ACCOUNT,
        "KeyId": KEY_ID,
        "Arn": KEY_ARN,
        "CreationDate": "2024-03-11T09:12:44.512000+00:00",
        "Enabled": True,
        "Description": "app data",
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": False,
    }
    for name, value in changes.items():
        if value is None:
            meta.pop(name, None)
        else:
            meta[name] = value
    return {"KeyMetadata": meta}


def grant(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "KeyId": KEY_ARN,
        "GrantId": "0c237476b39f8bc44e45212e08498fbe3151305030726c0590dd8d3e9f3d6a60",
        "Name": "app",
        "CreationDate": "2025-01-01T00:00:00+00:00",
        "GranteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/AppRole",
        "IssuingAccount": ROOT_ARN,
        "Operations": ["Decrypt"],
        "Constraints": {"EncryptionContextSubset": {"app": "orders"}},
    }
    body.update(changes)
    return body


def list_grants(*grants: dict[str, object], **extra: object) -> str:
    return dumps({"Grants": list(grants), "Truncated": False, **extra})


def gaad(user_policy: object = None, managed_document: object = None, **extra: object) -> str:
    """`aws iam get-account-authorization-details`: one user with an inline policy, one role, one
    customer managed policy."""
    user_doc = user_policy if user_policy is not None else CLEAN_IDENTITY
    managed = managed_document if managed_document is not None else CLEAN_IDENTITY
    body: dict[str, object] = {
        "UserDetailList": [
            {
                "Path": "/",
                "UserName": "dev",
                "UserId": "AIDAA2NUYTWGMYU4RMF6Y",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/dev",
                "CreateDate": "2024-02-19T10:02:33+00:00",
                "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": user_doc}],
                "GroupList": [],
                "AttachedManagedPolicies": [],
                "Tags": [],
            }
        ],
        "GroupDetailList": [],
        "RoleDetailList": [
            {
                "Path": "/",
                "RoleName": "AppRole",
                "RoleId": "AROAOIW3YAHGTQ4K4UQ4E",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/AppRole",
                "CreateDate": "2023-05-02T14:21:00+00:00",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "InstanceProfileList": [],
                "RolePolicyList": [],
                "AttachedManagedPolicies": [
                    {"PolicyName": "AppKms", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/AppKms"}
                ],
                "Tags": [],
                "RoleLastUsed": {},
            }
        ],
        "Policies": [
            {
                "PolicyName": "AppKms",
                "PolicyId": "ANPAKDFXPKCP5KU5ABFYP",
                "Arn": f"arn:aws:iam::{ACCOUNT}:policy/AppKms",
                "Path": "/",
                "DefaultVersionId": "v1",
                "AttachmentCount": 1,
                "PermissionsBoundaryUsageCount": 0,
                "IsAttachable": True,
                "CreateDate": "2024-03-11T09:20:00+00:00",
                "UpdateDate": "2024-03-11T09:20:00+00:00",
                "PolicyVersionList": [
                    {
                        "Document": managed,
                        "VersionId": "v1",
                        "IsDefaultVersion": True,
                        "CreateDate": "2024-03-11T09:20:00+00:00",
                    }
                ],
            }
        ],
    }
    body.update(extra)
    return dumps(body)


def gaad_role(**changes: object) -> str:
    """GAAD whose role `AppRole` has `changes`; list values are appended to the role's lists."""
    body = json.loads(gaad())
    role = body["RoleDetailList"][0]
    for name, value in changes.items():
        if isinstance(value, list):
            role[name] = role.get(name, []) + value
        else:
            role[name] = value
    return dumps(body)


def snapshot(**overrides: str | bytes | None) -> dict[str, str | bytes]:
    """A small, clean account snapshot; `overrides` replace (or with None remove) files by the path
    below `snap/` with `/` written as `__`."""
    files: dict[str, str | bytes] = {
        "snap/account.json": dumps({"account_id": ACCOUNT, "org_id": "o-a1b2c3d4e5", "partition": "aws"}),
        "snap/iam.json": gaad(),
        "snap/kms/us-east-1/aliases.json": dumps(
            {
                "Aliases": [
                    {
                        "AliasName": "alias/app",
                        "AliasArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app",
                        "TargetKeyId": KEY_ID,
                    }
                ]
            }
        ),
        f"{KEY_DIR}/describe-key.json": dumps(describe_key()),
        f"{KEY_DIR}/key-policy.json": get_key_policy(KEY_POLICY),
        f"{KEY_DIR}/grants.json": list_grants(grant()),
        f"{KEY_DIR}/rotation.json": dumps({"KeyRotationEnabled": True, "KeyId": KEY_ARN}),
    }
    for name, content in overrides.items():
        path = "snap/" + name.replace("__", "/")
        if not path.endswith(".json"):
            path += ".json"
        if content is None:
            files.pop(path, None)
        else:
            files[path] = content
    return files


def key_files(key_id: str, **files: str) -> dict[str, str]:
    return {f"kms/us-east-1/{key_id}/{name.replace('_', '-')}.json": text for name, text in files.items()}


# ---- CloudFormation and Terraform ----------------------------------------------------------------


def cfn(principal: str, head: str = "", extra: str = "") -> str:
    """A template with one key whose second statement's principal is the YAML expression `principal`
    (on line 17, column 30)."""
    return (
        'AWSTemplateFormatVersion: "2010-09-09"\n' + head + "Resources:\n"
        "  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      EnableKeyRotation: true\n"
        '      KeyPolicy:\n        Version: "2012-10-17"\n        Statement:\n'
        "          - Sid: Root\n            Effect: Allow\n"
        f'            Principal: {{AWS: "{ROOT_ARN}"}}\n'
        '            Action: "kms:*"\n            Resource: "*"\n'
        f"          - Sid: S\n            Effect: Allow\n            Principal: {{AWS: {principal}}}\n"
        '            Action: kms:Decrypt\n            Resource: "*"\n' + extra
    )


TF_PUBLIC = json.dumps(PUBLIC_POLICY)


def tf_key(address: str, policy: object = TF_PUBLIC, index: object = None) -> dict[str, object]:
    values: dict[str, object] = {
        "description": "k",
        "enable_key_rotation": True,
        "key_usage": "ENCRYPT_DECRYPT",
        "customer_master_key_spec": "SYMMETRIC_DEFAULT",
        "is_enabled": True,
        "deletion_window_in_days": 30,
        "multi_region": False,
    }
    if policy is not _ABSENT:
        values["policy"] = policy
    resource: dict[str, object] = {
        "address": address,
        "mode": "managed",
        "type": "aws_kms_key",
        "name": address.split(".")[-1].split("[")[0],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0,
        "values": values,
        "sensitive_values": {},
    }
    if index is not None:
        resource["index"] = index
    return resource


_ABSENT = object()


def tf_change(resource: dict[str, object], actions: tuple[str, ...] = ("create",)) -> dict[str, object]:
    change: dict[str, object] = {
        "actions": list(actions),
        "before": None,
        "after": resource["values"],
        "after_unknown": {},
        "before_sensitive": False,
        "after_sensitive": {},
    }
    entry: dict[str, object] = {
        k: resource[k] for k in ("address", "mode", "type", "name", "provider_name") if k in resource
    }
    if "index" in resource:
        entry["index"] = resource["index"]
    entry["change"] = change
    return entry


def tf_plan(
    resources: list[dict[str, object]],
    modules: tuple[dict[str, object], ...] = (),
    format_version: str = "1.2",
    terraform_version: str = "1.7.5",
    mutate: Callable[[dict[str, object]], None] | None = None,
    **extra: object,
) -> str:
    root: dict[str, object] = {"resources": resources}
    if modules:
        root["child_modules"] = list(modules)
    changes = [tf_change(r) for r in resources] + [
        tf_change(r)
        for m in modules
        for r in m["resources"]  # type: ignore[attr-defined]
    ]
    body: dict[str, object] = {
        "format_version": format_version,
        "terraform_version": terraform_version,
        "planned_values": {"root_module": root},
        "resource_changes": changes,
        **extra,
    }
    if mutate:
        mutate(body)
    return json.dumps(body, indent=2)


def _policy_unknown_at_plan(body: dict[str, object]) -> None:
    change = body["resource_changes"][0]["change"]  # type: ignore[index]
    change["after_unknown"] = {"policy": True}
    change["after"] = {k: v for k, v in change["after"].items() if k != "policy"}
    body["planned_values"]["root_module"]["resources"][0]["values"].pop("policy", None)  # type: ignore[index]


def _destroyed(body: dict[str, object]) -> None:
    change = body["resource_changes"][0]["change"]  # type: ignore[index]
    change["actions"], change["before"], change["after"] = ["delete"], change["after"], None
    body["planned_values"]["root_module"]["resources"] = []  # type: ignore[index]


# ---- the cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One command run. `files` are written below tmp_path, `setup` may then change the tree
    (symlinks, permissions); `{tmp}` and `{data}` are replaced in arguments and expected texts. In `at`,
    a `§` in the needle marks the expected position inside it."""

    id: str
    args: list[str]
    code: int | tuple[int, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    expect: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    at: tuple[str, str, str] | None = None
    stdin: str | None = None
    same_line: bool = False
    setup: Callable[[Path], None] | None = None
    bug: str | None = None
    root_cannot: bool = False  # needs file permissions that root ignores
    json_out: bool = False  # standard output must parse as JSON
    count: tuple[str, int] | None = None  # this text occurs exactly so many times
    cwd: str | None = None  # run from this folder below tmp_path
    process: bool = False  # run as a real process (the C.UTF-8 locale of CI), not in-process


def _symlink(link: str, target: str) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        path = tmp / link
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        path.symlink_to(target if target.startswith(("/", ".")) else tmp / target)

    return setup


def _replace_with_folder(name: str) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        (tmp / name).unlink()
        (tmp / name).mkdir()

    return setup


def _chmod_000(name: str) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        (tmp / name).chmod(0)

    return setup


def _bytes_named(folder: str, raw_name: bytes, content: bytes) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        target = os.fsencode(tmp / folder) + b"/" + raw_name
        os.makedirs(os.fsencode(tmp / folder), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(content)

    return setup


def urlencoded(value: object) -> str:
    return urllib.parse.quote(json.dumps(value))


def _position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column (in characters) where `needle` first starts, or where its `§` marker
    is; lines end at LF or CRLF."""
    index = text.index(needle.replace("§", "")) + max(needle.find("§"), 0)
    before = text[:index]
    line = before.count("\n") + 1
    column = index - (before.rfind("\n") + 1) + 1
    return line, column


LONG_SID = "x" * 200_000
DUPLICATE_EFFECT = get_key_policy(
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",\n"Effect": "Deny", '
    f'"Principal": {{"AWS": "{ROOT_ARN}"}}, "Action": "kms:*", "Resource": "*"}}]}}'
)
BLOCK = (DATA / "get-key-policy-block.yaml").read_text()
QUOTED = (DATA / "get-key-policy-quoted.yaml").read_text()
Q = f"can {CALLER} kms:Decrypt {KEY_ARN}"


def query_case(name: str, tail: str, column: int, text: str) -> Case:
    """An `explain --query` grammar error: the message must give the column where the query goes
    wrong (1-based, in the whole query)."""
    return Case(
        f"query_{name}",
        ["explain", "--key-policy", "{tmp}/kp.json", "--query", Q + tail],
        2,
        {"kp.json": json.dumps(KEY_POLICY)},
        (f"column {column}", text),
        same_line=True,
    )


def q_col(tail: str, token: str | None) -> int:
    full = Q + tail
    return len(full) + 1 if token is None else full.index(token, len(Q)) + 1


CASES: list[Case] = [
    # ---- AWS CLI outputs ---------------------------------------------------------------------
    Case(
        "gaad_urlencoded_inline_policy_is_decoded",
        ["lint", "{tmp}/snap"],
        1,
        snapshot(iam=gaad(user_policy=urlencoded(doc(ADMIN_STAR)))),
        ("{tmp}/snap/iam.json:", "KMS041"),
        same_line=True,
    ),
    Case(
        "gaad_urlencoded_managed_policy_version_is_decoded",
        ["lint", "{tmp}/snap"],
        1,
        snapshot(iam=gaad(managed_document=urlencoded(doc(ADMIN_STAR)))),
        ("{tmp}/snap/iam.json:", "KMS041"),
        same_line=True,
    ),
    Case(
        "gaad_urlencoded_garbled_document",
        ["lint", "{tmp}/snap"],
        2,
        snapshot(iam=gaad(user_policy=urllib.parse.quote('{"Version": "2012-10-17", "Statement": ['))),
        ("{tmp}/snap/iam.json:12:39:", "URL-encoded policy document is not JSON"),
        same_line=True,
    ),
    Case(
        "gaad_policy_document_as_json_string",
        ["lint", "{tmp}/snap"],
        1,
        snapshot(iam=gaad(user_policy=json.dumps(doc(ADMIN_STAR)))),
        at=("snap/iam.json", '\\"Action\\": §\\"*\\"', "KMS041"),
    ),
    Case(
        "gaad_attached_policy_missing_from_policies",
        ["lint", "{tmp}/snap"],
        (1, 2),
        snapshot(
            iam=gaad_role(
                AttachedManagedPolicies=[
                    {"PolicyName": "Gone", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/Gone"}
                ]
            )
        ),
        ("iam.json", "Gone"),
        same_line=True,
    ),
    Case(
        "gaad_permissions_boundary_missing_from_policies",
        ["access", "{tmp}/snap", "--key", "alias/app", "--action", "kms:Decrypt"],
        (0, 1, 2),
        snapshot(
            iam=gaad_role(
                PermissionsBoundary={
                    "PermissionsBoundaryType": "Policy",
                    "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/Missing",
                }
            )
        ),
        ("Missing",),
    ),
    Case(
        "gaad_is_truncated_marker_reported",
        ["lint", "{tmp}/snap"],
        (1, 2),
        snapshot(iam=gaad(IsTruncated=True, Marker="AAAAAQ==")),
        ("iam.json",),
        any_of=("IsTruncated", "Marker", "truncated", "incomplete", "more pages"),
    ),
    Case(
        "gaad_unknown_top_level_field",
        ["lint", "{tmp}/snap"],
        (0, 1),
        snapshot(iam=gaad(IsTruncated=False)),
        forbid=("Traceback", "IsTruncated"),
    ),
    Case(
        "list_grants_truncated_next_marker_reported",
        ["lint", "{tmp}/g.json"],
        (1, 2),
        {"g.json": list_grants(grant(), Truncated=True, NextMarker="AAAA")},
        ("g.json",),
        any_of=("Truncated", "NextMarker", "truncated", "incomplete", "more pages"),
    ),
    Case(
        "list_grants_newer_service_principal_fields",
        ["lint", "{tmp}/g.json"],
        (0, 1),
        {
            "g.json": list_grants(
                grant(
                    GranteePrincipal=None,
                    GranteeServicePrincipal="logs.us-east-1.amazonaws.com",
                    RetiringServicePrincipal="logs.us-east-1.amazonaws.com",
                    Constraints={"EncryptionContextEquals": {"a": "b"}},
                )
            ).replace('"GranteePrincipal": null,', "")
        },
        forbid=("unknown field `GranteeServicePrincipal`", "unknown field `RetiringServicePrincipal`"),
    ),
    Case(
        "list_grants_future_field_named",
        ["lint", "{tmp}/g.json"],
        (0, 1, 2),
        {"g.json": list_grants(grant(FutureField=1))},
        at=("g.json", "1\n", "`FutureField`"),
    ),
    Case(
        "list_grants_unknown_operation",
        ["lint", "{tmp}/g.json"],
        2,
        {"g.json": list_grants(grant(Operations=["Decrypt", "Frobnicate"]))},
        at=("g.json", '"Frobnicate"', "`Frobnicate`"),
    ),
    Case(
        "list_grants_operations_null_entry",
        ["lint", "{tmp}/g.json"],
        2,
        {"g.json": list_grants(grant(Operations=["Decrypt", None]))},
        at=("g.json", "null", "found `null`"),
    ),
    Case(
        "list_grants_stdin_positions",
        ["lint", "-", "--kind", "list-grants"],
        (0, 1, 2),
        stdin=list_grants(grant(Constraints={"EncryptionContextSubset": "x"})),
        at=("<stdin>", '"x"', "EncryptionContextSubset"),
    ),
    Case(
        "describe_key_replica",
        ["lint", "{tmp}/dk.json"],
        0,
        {
            "dk.json": dumps(
                describe_key(
                    KeyId=MRK,
                    Arn=f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{MRK}",
                    MultiRegion=True,
                    MultiRegionConfiguration={
                        "MultiRegionKeyType": "REPLICA",
                        "PrimaryKey": {
                            "Arn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{MRK}",
                            "Region": "us-east-1",
                        },
                        "ReplicaKeys": [],
                    },
                )
            )
        },
        at=("dk.json", 'true,\n        "MultiRegionConfiguration', "replica"),
    ),
    Case(
        "describe_key_external_material_expires",
        ["lint", "{tmp}/dk.json"],
        1,
        {
            "dk.json": dumps(
                describe_key(
                    Origin="EXTERNAL",
                    ExpirationModel="KEY_MATERIAL_EXPIRES",
                    ValidTo="2026-12-31T00:00:00+00:00",
                    KeyState="PendingImport",
                )
            )
        },
        at=("dk.json", '"2026-12-31', "KMS078"),
    ),
    Case(
        "describe_key_hmac_not_asked_to_rotate",
        ["lint", "{tmp}/dk.json"],
        0,
        {
            "dk.json": dumps(
                describe_key(
                    KeyUsage="GENERATE_VERIFY_MAC",
                    KeySpec="HMAC_256",
                    CustomerMasterKeySpec="HMAC_256",
                    MacAlgorithms=["HMAC_SHA_256"],
                    EncryptionAlgorithms=None,
                )
            )
        },
        forbid=("KMS067",),
    ),
    Case(
        "describe_key_cloudhsm_key_store",
        ["lint", "{tmp}/dk.json"],
        0,
        {
            "dk.json": dumps(
                describe_key(
                    Origin="AWS_CLOUDHSM",
                    CustomKeyStoreId="cks-1234567890abcdef0",
                    CloudHsmClusterId="cluster-1a23b4cdefg",
                )
            )
        },
        forbid=("KMS067",),
    ),
    Case(
        "describe_key_external_key_store",
        ["lint", "{tmp}/dk.json"],
        0,
        {
            "dk.json": dumps(
                describe_key(
                    Origin="EXTERNAL_KEY_STORE",
                    CustomKeyStoreId="cks-1234567890abcdef0",
                    XksKeyConfiguration={"Id": "bb8562717f809024"},
                )
            )
        },
        forbid=("KMS067",),
    ),
    Case(
        "describe_key_pending_deletion_position",
        ["lint", "{tmp}/dk.json"],
        1,
        {
            "dk.json": dumps(
                describe_key(
                    KeyState="PendingDeletion",
                    DeletionDate="2026-12-01T00:00:00+00:00",
                    PendingDeletionWindowInDays=7,
                )
            )
        },
        at=("dk.json", '"PendingDeletion"', "KMS069"),
    ),
    Case(
        "describe_key_metadata_list",
        ["lint", "{tmp}/dk.json", "--kind", "describe-key"],
        2,
        {"dk.json": dumps({"KeyMetadata": [1]})},
        at=("dk.json", "[", "must be an object"),
    ),
    Case(
        "describe_key_enabled_string",
        ["lint", "{tmp}/dk.json"],
        2,
        {"dk.json": dumps(describe_key(Enabled="yes"))},
        at=("dk.json", '"yes"', "`Enabled`"),
    ),
    Case(
        "get_key_policy_stdin_exact_position",
        ["lint", "-", "--account", ACCOUNT],
        1,
        stdin=get_key_policy(PUBLIC_POLICY),
        at=("<stdin>", '\\"Principal\\": §\\"*\\"', "KMS001"),
    ),
    Case(
        "get_key_policy_embedded_error_exact_position",
        ["lint", "{tmp}/gkp.json", "--account", ACCOUNT],
        2,
        {"gkp.json": get_key_policy(doc(ROOT_STMT, {**PUBLIC_STMT, "Effect": "Alow"}))},
        at=("gkp.json", '\\"Alow\\"', "`Alow`"),
    ),
    Case(
        "get_key_policy_embedded_duplicate_keys_both_places",
        ["lint", "{tmp}/gkp.json", "--account", ACCOUNT],
        2,
        {"gkp.json": DUPLICATE_EFFECT},
        (
            "{{tmp}}/gkp.json:{}:{}:".format(*_position(DUPLICATE_EFFECT, '\\"Effect\\": \\"Allow')),
            "{{tmp}}/gkp.json:{}:{}:".format(*_position(DUPLICATE_EFFECT, '\\"Effect\\": \\"Deny')),
            "duplicate key `Effect`",
        ),
    ),
    Case(
        "get_key_policy_policy_number",
        ["lint", "{tmp}/gkp.json", "--kind", "get-key-policy"],
        2,
        {"gkp.json": dumps({"Policy": 5, "PolicyName": "default"})},
        at=("gkp.json", "5", "`Policy`"),
    ),
    Case(
        "get_key_policy_yaml_block_scalar_exact_position",
        ["lint", "{data}/get-key-policy-block.yaml", "--account", ACCOUNT],
        1,
        expect=("get-key-policy-block.yaml:{}:{}:".format(*_position(BLOCK, '"Principal": §"*"')), "KMS001"),
        same_line=True,
    ),
    Case(
        "get_key_policy_yaml_quoted_exact_position",
        ["lint", "{data}/get-key-policy-quoted.yaml", "--account", ACCOUNT],
        1,
        expect=(
            "get-key-policy-quoted.yaml:{}:{}:".format(*_position(QUOTED, '"Principal": §"*"')),
            "KMS001",
        ),
        same_line=True,
    ),
    Case(
        "list_aliases_without_target",
        ["lint", "{tmp}/a.json"],
        0,
        {
            "a.json": dumps(
                {
                    "Aliases": [
                        {
                            "AliasName": "alias/aws/s3",
                            "AliasArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/s3",
                        }
                    ]
                }
            )
        },
    ),
    Case(
        "rotation_status_newer_fields",
        ["lint", "{tmp}/r.json"],
        0,
        {
            "r.json": dumps(
                {
                    "KeyRotationEnabled": True,
                    "KeyId": KEY_ARN,
                    "RotationPeriodInDays": 365,
                    "NextRotationDate": "2026-03-11T09:12:44+00:00",
                    "OnDemandRotationStartDate": "2025-03-11T09:12:44+00:00",
                }
            )
        },
        forbid=("unknown field",),
    ),
    # ---- snapshot folders ----------------------------------------------------------------------
    Case("snapshot_clean", ["lint", "{tmp}/snap"], (0, 1), snapshot(), forbid=("KMS000", "KMS092", "KMS097")),
    Case(
        "snapshot_empty_region_folder",
        ["lint", "{tmp}/snap"],
        (0, 1),
        {**snapshot(), "snap/kms/ap-south-1/.keep": ""},
        forbid=("error",),
    ),
    Case(
        "snapshot_extra_file_in_region",
        ["lint", "{tmp}/snap"],
        (0, 1),
        {**snapshot(), "snap/kms/us-east-1/notes.json": "{}"},
        ("notes.json", "not part of the snapshot layout"),
        same_line=True,
    ),
    Case(
        "snapshot_hidden_and_readme_ignored",
        ["lint", "{tmp}/snap"],
        (0, 1),
        {
            **snapshot(),
            "snap/.DS_Store": b"\x00\x00\x00\x01Bud1\xff",
            "snap/README.md": "# notes\n",
            f"{KEY_DIR}/.key-policy.json.swp": b"\xff\xfe",
        },
        forbid=(".DS_Store", "README.md", ".swp", "KMS000", "KMS092"),
    ),
    Case(
        "snapshot_grants_unreadable",
        ["lint", "{tmp}/snap"],
        2,
        snapshot(),
        ("grants.json",),
        setup=_chmod_000(f"{KEY_DIR}/grants.json"),
        root_cannot=True,
    ),
    Case(
        "snapshot_key_policy_is_a_folder",
        ["lint", "{tmp}/snap"],
        2,
        snapshot(),
        ("key-policy.json",),
        setup=_replace_with_folder(f"{KEY_DIR}/key-policy.json"),
    ),
    Case(
        "snapshot_key_policy_dangling_symlink",
        ["lint", "{tmp}/snap"],
        2,
        snapshot(),
        ("key-policy.json",),
        setup=_symlink(f"{KEY_DIR}/key-policy.json", "/nonexistent/kmspolicy-test"),
    ),
    Case(
        "snapshot_key_policy_symlink_to_file_is_read",
        ["lint", "{tmp}/snap", "--select", "KMS001"],
        1,
        {**snapshot(), "elsewhere/kp.json": get_key_policy(PUBLIC_POLICY)},
        ("KMS001",),
        setup=_symlink(f"{KEY_DIR}/key-policy.json", "elsewhere/kp.json"),
    ),
    Case(
        "snapshot_symlink_loop_terminates",
        ["lint", "{tmp}/snap"],
        (1, 2),
        snapshot(),
        ("loop",),
        setup=_symlink("snap/kms/us-east-1/loop", ".."),
    ),
    Case(
        "snapshot_account_json_bad_account_id",
        ["lint", "{tmp}/snap"],
        2,
        snapshot(account=dumps({"account_id": "abc", "partition": "aws"})),
        at=("snap/account.json", '"abc"', "`abc`"),
    ),
    Case(
        "snapshot_account_json_unknown_field",
        ["lint", "{tmp}/snap"],
        (1, 2),
        snapshot(account=dumps({"account_id": ACCOUNT, "colour": "blue"})),
        at=("snap/account.json", '"blue"', "`colour`"),
    ),
    Case(
        "snapshot_key_folder_name_differs_from_key_id",
        ["lint", "{tmp}/snap"],
        (1, 2),
        {
            **snapshot(
                **{
                    f"kms__us-east-1__{KEY_ID}__{n}.json": None
                    for n in ("describe-key", "key-policy", "grants", "rotation")
                }
            ),
            **{
                f"snap/{k}": v
                for k, v in key_files(
                    "ffffffff-12ab-34cd-56ef-1234567890ab",
                    describe_key=dumps(describe_key()),
                    key_policy=get_key_policy(KEY_POLICY),
                    grants=list_grants(),
                ).items()
            },
        },
        ("ffffffff-12ab-34cd-56ef-1234567890ab", KEY_ID),
        same_line=True,
    ),
    Case(
        "snapshot_file_in_kms_root",
        ["lint", "{tmp}/snap"],
        (0, 1),
        {**snapshot(), "snap/kms/stray.json": "{}"},
        ("stray.json", "not part of the snapshot layout"),
        same_line=True,
    ),
    Case(
        "snapshot_non_utf8_file_name_text",
        ["lint", "{tmp}/d"],
        2,
        {"d/ok.json": json.dumps(KEY_POLICY)},
        ("invalid JSON",),
        setup=_bytes_named("d", b"\xff.json", b"{"),
        process=True,
        forbid=("internal error",),
    ),
    Case(
        "non_utf8_file_name_json_format",
        ["lint", "{tmp}/d", "--format", "json"],
        2,
        {"d/ok.json": json.dumps(KEY_POLICY)},
        ("invalid JSON",),
        setup=_bytes_named("d", b"\xff.json", b"{"),
        process=True,
        forbid=("internal error",),
    ),
    Case(
        "non_utf8_file_name_sarif_format",
        ["lint", "{tmp}/d", "--format", "sarif"],
        2,
        {"d/ok.json": json.dumps(KEY_POLICY)},
        ("invalid JSON",),
        setup=_bytes_named("d", b"\xff.json", b"{"),
        process=True,
        forbid=("internal error",),
    ),
    # ---- mixed folders -------------------------------------------------------------------------
    Case(
        "folder_good_bad_unknown_all_reported",
        ["lint", "{tmp}/d", "--account", ACCOUNT],
        2,
        {
            "d/a.json": json.dumps(PUBLIC_POLICY),
            "d/b.yaml": "Version: '2012-10-17'\nStatement: [\n",
            "d/c.json": '{"foo": 1}',
        },
        ("{tmp}/d/a.json:", "{tmp}/d/b.yaml:", "{tmp}/d/c.json:1:1:"),
    ),
    Case(
        "folder_hidden_folder_not_read",
        ["lint", "{tmp}/d"],
        0,
        {"d/a.json": json.dumps(CLEAN_IDENTITY), "d/.git/config.json": "{"},
        forbid=(".git",),
    ),
    Case(
        "folder_terraform_source_reported",
        ["lint", "{tmp}/d"],
        (0, 1, 2),
        {
            "d/a.json": json.dumps(CLEAN_IDENTITY),
            "d/main.tf": 'resource "aws_kms_key" "k" {\n  policy = "x"\n}\n',
        },
        ("main.tf",),
    ),
    Case(
        "folder_empty_is_not_clean",
        ["lint", "{tmp}/d"],
        2,
        {"d/.keep": ""},
        ("{tmp}/d",),
    ),
    Case(
        "folder_upper_case_extensions",
        ["lint", "{tmp}/d", "--account", ACCOUNT],
        1,
        {
            "d/P.JSON": json.dumps(PUBLIC_POLICY),
            "d/Q.YML": "Version: '2012-10-17'\nStatement:\n"
            "  - {Sid: Pub, Effect: Allow, Principal: '*', Action: kms:Decrypt, Resource: '*'}\n",
        },
        ("P.JSON:", "Q.YML:"),
    ),
    Case(
        "two_paths_one_missing_other_processed",
        ["lint", "{tmp}/p.json", "{tmp}/nope.json", "--account", ACCOUNT],
        2,
        {"p.json": json.dumps(PUBLIC_POLICY)},
        ("{tmp}/nope.json", "KMS001"),
    ),
    # ---- CloudFormation ------------------------------------------------------------------------
    Case(
        "cfn_every_intrinsic",
        ["lint", "{data}/cfn_all_intrinsics.yaml"],
        (0, 1),
        forbid=("Traceback", "internal error", "KMS092"),
    ),
    Case(
        "cfn_every_intrinsic_access",
        ["access", "{data}/cfn_all_intrinsics.yaml"],
        0,
        forbid=("internal error",),
    ),
    Case(
        "cfn_merge_key_position",
        ["lint", "{data}/cfn_merge_key.yaml"],
        1,
        expect=("cfn_merge_key.yaml:18:24:", "KMS001"),
        same_line=True,
    ),
    Case(
        "cfn_sam_transform_reported",
        ["lint", "{data}/cfn_sam.yaml"],
        (1, 2),
        any_of=("Transform", "AWS::Serverless", "Serverless"),
    ),
    Case(
        "cfn_parameter_without_default_is_unknown",
        ["lint", "{tmp}/t.yaml"],
        (0, 1),
        {"t.yaml": cfn('!Sub "arn:aws:iam::${Partner}:root"', "Parameters:\n  Partner: {Type: String}\n")},
        forbid=("Partner}:root` is not", "KMS092"),
    ),
    Case(
        "cfn_unknown_owner_not_taken_from_partner_root",
        ["lint", "{tmp}/t.yaml"],
        1,
        {
            "t.yaml": cfn(f'"arn:aws:iam::{PARTNER}:root"').replace(
                f'{{AWS: "{ROOT_ARN}"}}', '{AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}'
            )
            + "          - Sid: T\n            Effect: Allow\n            Principal: {AWS: '555566667777'}\n"
            '            Action: kms:Decrypt\n            Resource: "*"\n'
        },
        ("KMS013", f"`arn:aws:iam::{PARTNER}:root`"),
        forbid=(f"owner account `{PARTNER}`",),
        same_line=True,
    ),
    Case(
        "cfn_sub_with_number",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": cfn("!Sub 5")},
        at=("t.yaml", "!Sub 5", "Sub"),
        bug="`!Sub 5` (Fn::Sub takes a string or [string, map]; CloudFormation rejects the template) gives "
        "only KMS086 `principal 5` and exit 1: README 'wrong element types' are broken input, exit 2. "
        "Left open: a YAML short-form tag makes its plain scalar a string (`!Sub 5` reads as `Fn::Sub: '5'`, "
        "a valid Fn::Sub); whether CloudFormation rejects it needs checking before kmspolicy does",
    ),
    Case(
        "cfn_getatt_without_attribute",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": cfn("!GetAtt Key")},
        at=("t.yaml", "!GetAtt Key", "GetAtt"),
    ),
    Case(
        "cfn_equals_three_arguments",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": cfn(f'!If [C, "{ROOT_ARN}", "*"]', "Conditions:\n  C: !Equals [a, b, c]\n")},
        at=("t.yaml", "!Equals", "Equals"),
    ),
    Case(
        "cfn_if_two_arguments",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": cfn("!If [C, x]", "Conditions:\n  C: !Equals [a, b]\n")},
        at=("t.yaml", "!If", "Fn::If"),
    ),
    Case(
        "cfn_resource_condition_undeclared",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": cfn(f'"{ROOT_ARN}"', extra="    Condition: Nope\n")},
        at=("t.yaml", "Nope", "`Nope`"),
    ),
    Case(
        "cfn_yaml_tab_indentation",
        ["lint", "{tmp}/t.yaml"],
        2,
        {
            "t.yaml": cfn(f'"{ROOT_ARN}"').replace(
                "            Action: kms:Decrypt", "\t    Action: kms:Decrypt"
            )
        },
        ("{tmp}/t.yaml:18:1:", "invalid YAML"),
        same_line=True,
    ),
    Case(
        "cfn_json_template_crlf_position",
        ["lint", "{tmp}/t.json"],
        1,
        {
            "t.json": json.dumps(
                {
                    "AWSTemplateFormatVersion": "2010-09-09",
                    "Resources": {
                        "Key": {
                            "Type": "AWS::KMS::Key",
                            "Properties": {"EnableKeyRotation": True, "KeyPolicy": PUBLIC_POLICY},
                        }
                    },
                },
                indent=2,
            ).replace("\n", "\r\n")
        },
        at=("t.json", '"*",\r\n', "KMS001"),
    ),
    Case(
        "cfn_json_fn_sub_list_wrong_length",
        ["lint", "{tmp}/t.json"],
        2,
        {
            "t.json": json.dumps(
                {
                    "AWSTemplateFormatVersion": "2010-09-09",
                    "Resources": {
                        "Key": {
                            "Type": "AWS::KMS::Key",
                            "Properties": {
                                "KeyPolicy": doc(
                                    {**ROOT_STMT, "Principal": {"AWS": {"Fn::Sub": ["a", {}, 3]}}}
                                )
                            },
                        }
                    },
                },
                indent=2,
            )
        },
        ("{tmp}/t.json:", "Sub"),
        same_line=True,
    ),
    # ---- Terraform plans -----------------------------------------------------------------------
    Case(
        "tf_format_version_0_1",
        ["lint", "{tmp}/plan.json"],
        1,
        {"plan.json": tf_plan([tf_key("aws_kms_key.a")], format_version="0.1", terraform_version="0.12.31")},
        at=("plan.json", '\\"Principal\\": §\\"*\\"', "KMS001"),
    ),
    Case(
        "tf_format_version_1_0",
        ["lint", "{tmp}/plan.json"],
        1,
        {"plan.json": tf_plan([tf_key("aws_kms_key.a")], format_version="1.0", terraform_version="1.0.0")},
        at=("plan.json", '\\"Principal\\": §\\"*\\"', "KMS001"),
    ),
    Case(
        "tf_resource_drift_not_double_counted",
        ["lint", "{tmp}/plan.json", "--select", "KMS001"],
        1,
        {
            "plan.json": tf_plan(
                [tf_key("aws_kms_key.a")], resource_drift=[tf_change(tf_key("aws_kms_key.a"), ("update",))]
            )
        },
        at=("plan.json", '\\"Principal\\": §\\"*\\"', "KMS001"),
        forbid=("resource_drift",),
    ),
    Case(
        "tf_output_changes",
        ["lint", "{tmp}/plan.json"],
        1,
        {
            "plan.json": tf_plan(
                [tf_key("aws_kms_key.a")],
                output_changes={
                    "arn": {
                        "actions": ["create"],
                        "before": None,
                        "after": None,
                        "after_unknown": True,
                        "before_sensitive": False,
                        "after_sensitive": False,
                    }
                },
            )
        },
        at=("plan.json", '\\"Principal\\": §\\"*\\"', "KMS001"),
    ),
    Case(
        "tf_module_count_and_for_each",
        ["lint", "{tmp}/plan.json", "--select", "KMS001", "--format", "json"],
        1,
        {
            "plan.json": tf_plan(
                [],
                modules=(
                    {
                        "address": "module.m",
                        "resources": [
                            tf_key("module.m.aws_kms_key.a[0]", index=0),
                            tf_key("module.m.aws_kms_key.a[1]", index=1),
                        ],
                    },
                    {"address": 'module.f["x"]', "resources": [tf_key('module.f["x"].aws_kms_key.a')]},
                ),
            )
        },
        json_out=True,
        count=('"id": "KMS001"', 3),
    ),
    Case(
        "tf_for_each_string_index",
        ["lint", "{tmp}/plan.json", "--select", "KMS001", "--format", "json"],
        1,
        {
            "plan.json": tf_plan(
                [
                    tf_key('aws_kms_key.a["blue"]', index="blue"),
                    tf_key('aws_kms_key.a["green"]', index="green"),
                ]
            )
        },
        json_out=True,
        count=('"id": "KMS001"', 2),
    ),
    Case(
        "tf_null_policy_is_default_policy",
        ["lint", "{tmp}/plan.json"],
        (0, 1),
        {"plan.json": tf_plan([tf_key("aws_kms_key.a", policy=None)])},
        ("KMS018",),
        forbid=("KMS092",),
    ),
    Case(
        "tf_policy_unknown_until_apply",
        ["lint", "{tmp}/plan.json"],
        (0, 1),
        {"plan.json": tf_plan([tf_key("aws_kms_key.a")], mutate=_policy_unknown_at_plan)},
        forbid=("has no key policy", "KMS018"),
    ),
    Case(
        "tf_sensitive_policy",
        ["lint", "{tmp}/plan.json", "--select", "KMS001"],
        1,
        {"plan.json": tf_plan([{**tf_key("aws_kms_key.a"), "sensitive_values": {"policy": True}}])},
        ("KMS001",),
    ),
    Case(
        "tf_destroyed_key_not_linted",
        ["lint", "{tmp}/plan.json", "--select", "KMS001"],
        0,
        {"plan.json": tf_plan([tf_key("aws_kms_key.a")], mutate=_destroyed)},
        forbid=("KMS001",),
    ),
    Case(
        "tf_embedded_policy_unknown_element_position",
        ["lint", "{tmp}/plan.json", "--account", ACCOUNT],
        2,
        {
            "plan.json": tf_plan(
                [tf_key("aws_kms_key.a", policy=json.dumps(doc(ROOT_STMT, {**PUBLIC_STMT, "Bogus": 1})))]
            )
        },
        at=("plan.json", '\\"Bogus\\": §1', "unknown statement element `Bogus`"),
    ),
    Case(
        "tf_show_json_of_state_not_plan",
        ["lint", "{tmp}/state.json"],
        2,
        {
            "state.json": json.dumps(
                {
                    "format_version": "1.0",
                    "terraform_version": "1.7.5",
                    "values": {"root_module": {"resources": [tf_key("aws_kms_key.a")]}},
                }
            )
        },
        ("{tmp}/state.json:1:1:",),
    ),
    # ---- encodings, long lines, nesting, odd characters ----------------------------------------
    Case(
        "lone_surrogate_escape_text",
        ["lint", "{tmp}/p.json", "--account", ACCOUNT],
        (1, 2),
        {"p.json": json.dumps(PUBLIC_POLICY).replace('"Pub"', '"\\ud800x"')},
        ("KMS001",),
        forbid=("internal error",),
        process=True,
    ),
    Case(
        "lone_surrogate_escape_json",
        ["lint", "{tmp}/p.json", "--account", ACCOUNT, "--format", "json"],
        (1, 2),
        {"p.json": json.dumps(PUBLIC_POLICY).replace('"Pub"', '"\\ud800x"')},
        ("KMS001",),
        forbid=("internal error",),
        process=True,
    ),
    Case(
        "control_characters_do_not_break_the_finding_line",
        ["lint", "{tmp}/p.json", "--account", ACCOUNT, "--no-color"],
        1,
        {"p.json": json.dumps(PUBLIC_POLICY).replace('"Pub"', '"line1\\nline2\\u001b[31m"')},
        ("KMS091", "line2"),
        same_line=True,
    ),
    Case(
        "nul_character_in_value",
        ["lint", "{tmp}/p.json", "--account", ACCOUNT],
        1,
        {"p.json": json.dumps(PUBLIC_POLICY).replace('"Pub"', '"a\\u0000b"')},
        ("KMS001",),
    ),
    Case(
        "very_long_line_position",
        ["lint", "{tmp}/p.json", "--account", ACCOUNT],
        1,
        {"p.json": json.dumps(PUBLIC_POLICY).replace('"Pub"', f'"{LONG_SID}"')},
        at=("p.json", '"*", "Action": "kms:Decrypt"', "KMS001"),
    ),
    Case(
        "bom_does_not_shift_columns",
        ["lint", "{tmp}/p.json", "--account", ACCOUNT],
        1,
        {"p.json": "\ufeff" + json.dumps(PUBLIC_POLICY)},
        expect=(
            "{tmp}/p.json:1:" + str(json.dumps(PUBLIC_POLICY).index('"*", "Action"') + 1) + ":",
            "KMS001",
        ),
        same_line=True,
    ),
    Case(
        "tabs_count_as_one_column",
        ["lint", "{tmp}/p.json"],
        2,
        {
            "p.json": '{\n\t"Version": "2012-10-17",\n\t"Statement": [{\n'
            '\t\t"Effect": "Alow", "Action": "kms:Decrypt", "Resource": "*"}]}\n'
        },
        ("{tmp}/p.json:4:13:", "`Alow`"),
        same_line=True,
    ),
    Case(
        "astral_characters_count_as_one_column",
        ["lint", "{tmp}/p.json", "--account", ACCOUNT],
        1,
        {"p.json": json.dumps(PUBLIC_POLICY, ensure_ascii=False).replace('"Pub"', '"ééé😀"')},
        at=("p.json", '"*", "Action"', "KMS001"),
    ),
    Case(
        "unicode_escaped_element_name",
        ["lint", "{tmp}/p.json", "--account", ACCOUNT],
        1,
        {"p.json": json.dumps(PUBLIC_POLICY).replace('"Principal": "*"', '"Princ\\u0069pal": "*"')},
        at=("p.json", '"*", "Action"', "KMS001"),
    ),
    Case(
        "yaml_crlf_position",
        ["lint", "{tmp}/p.yaml"],
        2,
        {
            "p.yaml": "Version: '2012-10-17'\r\nStatement:\r\n  - Effect: Alow\r\n"
            "    Action: kms:Decrypt\r\n    Resource: '*'\r\n"
        },
        ("{tmp}/p.yaml:3:13:", "`Alow`"),
        same_line=True,
    ),
    Case(
        "yaml_latin1_bytes",
        ["lint", "{tmp}/p.yaml"],
        2,
        {"p.yaml": b"Version: '2012-10-17'\nStatement:\n  - Sid: caf\xe9\n"},
        ("{tmp}/p.yaml:3:", "not UTF-8"),
        same_line=True,
    ),
    Case(
        "yaml_flow_nesting_300",
        ["lint", "{tmp}/p.yaml"],
        2,
        {"p.yaml": "a: " + "[" * 300 + "]" * 300 + "\n"},
        ("{tmp}/p.yaml:1:", "200 levels"),
        same_line=True,
    ),
    Case(
        "yaml_alias_bomb",
        ["lint", "{tmp}/p.yaml"],
        2,
        {
            "p.yaml": 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
            + "".join(
                f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            )
        },
        ("{tmp}/p.yaml:",),
    ),
    Case(
        "yaml_duplicate_keys_both_places",
        ["lint", "{tmp}/p.yaml"],
        2,
        {
            "p.yaml": "Version: '2012-10-17'\nStatement:\n  - Effect: Allow\n    Principal: '*'\n"
            "    Action: kms:Decrypt\n    Resource: '*'\n    Effect: Deny\n"
        },
        ("{tmp}/p.yaml:3:5:", "{tmp}/p.yaml:7:5:"),
    ),
    Case(
        "json_with_comment",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": "// key policy\n" + json.dumps(KEY_POLICY)},
        ("{tmp}/p.json:1:1:", "invalid JSON"),
        same_line=True,
    ),
    Case(
        "json_raw_tab_inside_string",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": json.dumps(PUBLIC_POLICY).replace('"Pub"', '"a\tb"')},
        ("{tmp}/p.json:1:", "control character"),
        same_line=True,
    ),
    Case(
        "json_nan_literal",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": json.dumps(PUBLIC_POLICY).replace('"Pub"', "NaN")},
        at=("p.json", "NaN", "Sid"),
    ),
    Case(
        "nesting_150_is_not_a_depth_error",
        ["lint", "{tmp}/p.json"],
        (1, 2),
        {
            "p.json": json.dumps(
                doc({**ROOT_STMT, "Condition": {"StringEquals": {"kms:CallerAccount": "X"}}})
            ).replace('"X"', "[" * 150 + '"1"' + "]" * 150)
        },
        forbid=("nesting deeper",),
    ),
    # ---- options -------------------------------------------------------------------------------
    Case(
        "fail_on_critical_with_medium_only",
        ["lint", "{tmp}/p.json", "--fail-on", "critical", "--select", "KMS089"],
        0,
        {"p.json": json.dumps(doc({"Effect": "Allow", "Action": "kms:Describe*", "Resource": KEY_ARN}))},
        ("KMS089",),
    ),
    Case(
        "fail_on_info_with_info_only",
        ["lint", "{tmp}/p.json", "--fail-on", "info"],
        1,
        {
            "p.json": json.dumps(
                doc(ROOT_STMT, {**ROOT_STMT, "Sid": "Dup", "Action": ["kms:Decrypt", "kms:Decrypt"]})
            )
        },
        ("info",),
    ),
    Case(
        "fail_on_does_not_hide_input_errors",
        ["lint", "{tmp}/p.json", "{tmp}/bad.json", "--fail-on", "critical"],
        2,
        {"p.json": json.dumps(KEY_POLICY), "bad.json": "{"},
        ("{tmp}/bad.json:1:",),
    ),
    Case(
        "ignore_does_not_hide_input_errors",
        ["lint", "{tmp}/bad.json", "--ignore", "KMS092", "--ignore", "KMS000"],
        2,
        {"bad.json": "{"},
        ("{tmp}/bad.json",),
    ),
    Case(
        "select_id_prefix",
        ["lint", "{tmp}/p.json", "--select", "KMS00", "--account", ACCOUNT],
        1,
        {"p.json": json.dumps(PUBLIC_POLICY)},
        ("KMS001",),
        forbid=("KMS016", "KMS089"),
    ),
    Case(
        "select_name_prefix_not_at_hyphen",
        ["lint", "{tmp}/p.json", "--select", "kp-pub"],
        2,
        {"p.json": json.dumps(PUBLIC_POLICY)},
        ("`kp-pub`",),
    ),
    Case(
        "config_select_unknown_rule",
        ["lint", "{tmp}/p.json", "--config", "{tmp}/c.toml"],
        2,
        {"p.json": json.dumps(PUBLIC_POLICY), "c.toml": 'select = ["NOPE"]\n'},
        ("c.toml", "`NOPE`"),
    ),
    Case(
        "config_severity_unknown_rule",
        ["lint", "{tmp}/p.json", "--config", "{tmp}/c.toml"],
        2,
        {"p.json": json.dumps(PUBLIC_POLICY), "c.toml": '[severity]\nkp-publik-principal = "low"\n'},
        ("c.toml", "kp-publik-principal"),
    ),
    Case(
        "config_unknown_key_named",
        ["lint", "{tmp}/p.json", "--config", "{tmp}/c.toml"],
        2,
        {"p.json": json.dumps(KEY_POLICY), "c.toml": "trusted_accounts = []\nbogus_key = 1\n"},
        ("c.toml", "`bogus_key`"),
    ),
    Case(
        "config_unknown_key_position",
        ["lint", "{tmp}/p.json", "--config", "{tmp}/c.toml"],
        2,
        {"p.json": json.dumps(KEY_POLICY), "c.toml": "trusted_accounts = []\nbogus_key = 1\n"},
        ("c.toml:2:",),
    ),
    Case(
        "config_wrong_type_named",
        ["lint", "{tmp}/p.json", "--config", "{tmp}/c.toml"],
        2,
        {"p.json": json.dumps(KEY_POLICY), "c.toml": 'trusted_accounts = "111122223333"\n'},
        ("c.toml", "`trusted_accounts`"),
    ),
    Case(
        "config_toml_syntax_error_position",
        ["lint", "{tmp}/p.json", "--config", "{tmp}/c.toml"],
        2,
        {"p.json": json.dumps(KEY_POLICY), "c.toml": 'fail_on = "low"\nselect = [\n  "kp-",\n  oops\n]\n'},
        ("c.toml", "line 4"),
    ),
    Case(
        "config_is_a_folder",
        ["lint", "{tmp}/p.json", "--config", "{tmp}"],
        2,
        {"p.json": json.dumps(KEY_POLICY)},
        ("{tmp}",),
        forbid=("Errno",),
    ),
    Case(
        "config_found_upward_is_used",
        ["lint", "p.json"],
        2,
        {"sub/p.json": json.dumps(KEY_POLICY), ".kmspolicy.toml": "nope = 1\n"},
        (".kmspolicy.toml", "`nope`"),
        cwd="sub",
    ),
    Case(
        "baseline_truncated_position",
        ["lint", "{tmp}/p.json", "--baseline", "{tmp}/b.json"],
        2,
        {"p.json": json.dumps(KEY_POLICY), "b.json": '{"version": 1,\n "findings": ['},
        ("b.json:2:",),
    ),
    Case(
        "write_baseline_into_missing_folder",
        ["lint", "{tmp}/p.json", "--write-baseline", "{tmp}/no/such/b.json"],
        2,
        {"p.json": json.dumps(KEY_POLICY)},
        ("{tmp}/no/such/b.json",),
    ),
    Case(
        "max_bytes_refuses_before_reading",
        ["lint", "{tmp}/big.json", "{tmp}/p.json", "--max-bytes", "1000", "--account", ACCOUNT],
        2,
        {
            "big.json": json.dumps(doc(*[{**ROOT_STMT, "Sid": f"S{i}"} for i in range(40)])),
            "p.json": json.dumps(PUBLIC_POLICY),
        },
        ("{tmp}/big.json", "too large", "KMS001"),
    ),
    Case(
        "max_bytes_negative_is_an_option_error",
        ["lint", "{tmp}/p.json", "--max-bytes", "-1"],
        2,
        {"p.json": json.dumps(KEY_POLICY)},
        ("--max-bytes",),
        forbid=("too large",),
    ),
    Case(
        "trusted_org_malformed",
        ["lint", "{tmp}/p.json", "--trusted-org", "nope"],
        2,
        {"p.json": json.dumps(KEY_POLICY)},
        ("`nope`",),
    ),
    Case(
        "kind_snapshot_on_a_file",
        ["lint", "{tmp}/p.json", "--kind", "snapshot"],
        2,
        {"p.json": json.dumps(KEY_POLICY)},
        ("{tmp}/p.json", "folder"),
    ),
    Case(
        "kind_list_grants_on_a_policy",
        ["lint", "{tmp}/p.json", "--kind", "list-grants"],
        2,
        {"p.json": json.dumps(KEY_POLICY)},
        ("{tmp}/p.json:1:1:", "`Grants`"),
        same_line=True,
    ),
    Case("no_command", [], 2),
    Case("unknown_command", ["frobnicate"], 2, expect=("frobnicate",)),
    Case("lint_no_path", ["lint"], 2),
    # ---- explain / test / simulate -------------------------------------------------------------
    Case(
        "explain_denied_exits_0",
        ["explain", "--key-policy", "{tmp}/kp.json", "--query", Q],
        0,
        {"kp.json": json.dumps(KEY_POLICY)},
        ("DENIED",),
    ),
    Case(
        "explain_key_policy_get_key_policy_stdin",
        ["explain", "--key-policy", "-", "--query", Q],
        0,
        stdin=get_key_policy(
            doc(ROOT_STMT, {**PUBLIC_STMT, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/AppRole"}})
        ),
        expect=("ALLOWED",),
    ),
    Case(
        "explain_scenario_yaml_unknown_field_position",
        ["explain", "{tmp}/s.yaml"],
        2,
        {
            "s.yaml": "key_policy:\n  Version: '2012-10-17'\n  Statement: []\n"
            f"request:\n  principal: {CALLER}\n"
            f"  action: kms:Decrypt\n  resource: {KEY_ARN}\n  contxt: {{a: b}}\n"
        },
        ("{tmp}/s.yaml:8:", "`contxt`"),
        same_line=True,
    ),
    Case(
        "explain_scenario_bad_and_good_both_processed",
        ["explain", "{tmp}/bad.json", "{tmp}/good.json"],
        2,
        {
            "bad.json": "{",
            "good.json": json.dumps(
                {
                    "key_policy": KEY_POLICY,
                    "request": {"principal": CALLER, "action": "kms:Decrypt", "resource": KEY_ARN},
                }
            ),
        },
        ("{tmp}/bad.json:1:", "DENIED"),
    ),
    Case(
        "explain_grants_newer_fields",
        ["explain", "--key-policy", "{tmp}/kp.json", "--grants", "{tmp}/g.json", "--query", Q],
        0,
        {
            "kp.json": json.dumps(KEY_POLICY),
            "g.json": list_grants(
                grant(
                    GranteePrincipal=CALLER.replace(":sts:", ":iam:").replace(
                        "assumed-role/AppRole/s1", "role/AppRole"
                    ),
                    Constraints={"EncryptionContextSubset": {"app": "orders"}},
                )
            ),
        },
        forbid=("unknown field",),
    ),
    Case(
        "test_mismatch_exits_1",
        ["test", "{tmp}/s.json"],
        1,
        {
            "s.json": json.dumps(
                {
                    "key_policy": KEY_POLICY,
                    "request": {"principal": CALLER, "action": "kms:Decrypt", "resource": KEY_ARN},
                    "expect": "ALLOW",
                }
            )
        },
        ("FAIL",),
    ),
    Case(
        "test_pass_exits_0",
        ["test", "{tmp}/s.json"],
        0,
        {
            "s.json": json.dumps(
                {
                    "key_policy": KEY_POLICY,
                    "request": {"principal": CALLER, "action": "kms:Decrypt", "resource": KEY_ARN},
                    "expect": "IMPLICIT_DENY",
                }
            )
        },
        ("1 passed",),
    ),
    Case(
        "test_bad_file_beside_passing_one",
        ["test", "{tmp}/d"],
        2,
        {
            "d/a.json": json.dumps(
                {
                    "key_policy": KEY_POLICY,
                    "request": {"principal": CALLER, "action": "kms:Decrypt", "resource": KEY_ARN},
                    "expect": "IMPLICIT_DENY",
                }
            ),
            "d/b.yaml": "key_policy: [\n",
        },
        ("{tmp}/d/b.yaml:", "1 passed"),
    ),
    Case(
        "simulate_as_expected_exits_0",
        ["simulate", "{tmp}/s.json"],
        0,
        {
            "s.json": json.dumps(
                {
                    "key_policy": KEY_POLICY,
                    "request": {"principal": CALLER, "action": "kms:Decrypt", "resource": KEY_ARN},
                    "expect": "IMPLICIT_DENY",
                }
            )
        },
        ("as expected",),
    ),
    Case(
        "simulate_mismatch_exits_1",
        ["simulate", "{tmp}/s.json"],
        1,
        {
            "s.json": json.dumps(
                {
                    "key_policy": KEY_POLICY,
                    "request": {"principal": CALLER, "action": "kms:Decrypt", "resource": KEY_ARN},
                    "expect": "ALLOW",
                }
            )
        },
        ("FAIL",),
    ),
    # ---- explain --query grammar: the column where the query goes wrong -------------------------
    Case(
        "query_does_not_start_with_can",
        ["explain", "--key-policy", "{tmp}/kp.json", "--query", "cna" + Q[3:]],
        2,
        {"kp.json": json.dumps(KEY_POLICY)},
        ("column 1", "`can`"),
        same_line=True,
    ),
    query_case("with_at_end", " with", q_col(" with", None), "key=value"),
    query_case("dangling_and", " with a=b and", q_col(" with a=b and", None), "key=value"),
    query_case("or_instead_of_and", " with a=b or c=d", q_col(" with a=b or c=d", " or") + 1, "`with`"),
    query_case("missing_key", " with =b", q_col(" with =b", "="), "key=value"),
    query_case("double_equals", " with a==b", q_col(" with a==b", "==") + 1, "value"),
    query_case("trailing_word", " extra", q_col(" extra", "extra"), "`with`"),
    query_case("grant_token_missing", " using grant-token", q_col(" using grant-token", None), "grant token"),
    query_case(
        "using_without_grant_token", " using token x", q_col(" using token x", "token"), "`grant-token`"
    ),
    Case(
        "query_principal_only",
        ["explain", "--key-policy", "{tmp}/kp.json", "--query", f"can {CALLER}"],
        2,
        {"kp.json": json.dumps(KEY_POLICY)},
        (f"column {len('can ' + CALLER) + 1}", "action"),
        same_line=True,
    ),
    # ---- access / paths / diff -----------------------------------------------------------------
    Case(
        "access_snapshot_ok",
        ["access", "{tmp}/snap", "--key", "alias/app", "--action", "kms:Decrypt"],
        0,
        snapshot(),
        ("alias/app",),
    ),
    Case(
        "access_key_garbage",
        ["access", "{tmp}/snap", "--key", "arn:aws:kms:nope"],
        2,
        snapshot(),
        ("`arn:aws:kms:nope`",),
    ),
    Case(
        "access_principal_unknown",
        ["access", "{tmp}/snap", "--principal", "Nobody"],
        2,
        snapshot(),
        ("`Nobody`",),
    ),
    Case(
        "access_action_wildcard", ["access", "{tmp}/snap", "--action", "kms:*"], 2, snapshot(), ("`kms:*`",)
    ),
    Case(
        "access_output_missing_folder",
        ["access", "{tmp}/snap", "--format", "html", "-o", "{tmp}/no/r.html"],
        2,
        snapshot(),
        ("{tmp}/no/r.html",),
    ),
    Case(
        "access_broken_file_in_snapshot",
        ["access", "{tmp}/snap"],
        2,
        snapshot(**{f"kms__us-east-1__{KEY_ID}__grants.json": '{"Grants": ['}),
        ("grants.json:1:",),
    ),
    Case(
        "access_json_format_bad_input_still_json",
        ["access", "{tmp}/bad.json", "--format", "json"],
        2,
        {"bad.json": "{"},
        ("{tmp}/bad.json:1:",),
        json_out=True,
    ),
    Case(
        "paths_no_path_exits_1",
        ["paths", "{tmp}/snap", "--from", "dev", "--to", "alias/app", "--action", "kms:ScheduleKeyDeletion"],
        (1,),
        snapshot(),
        ("no path",),
    ),
    Case("paths_missing_to", ["paths", "{tmp}/snap", "--from", "dev"], 2, snapshot(), ("--to",)),
    Case(
        "paths_unknown_key",
        ["paths", "{tmp}/snap", "--from", "dev", "--to", "alias/nope"],
        2,
        snapshot(),
        ("`alias/nope`",),
    ),
    Case(
        "paths_bad_format",
        ["paths", "{tmp}/snap", "--from", "dev", "--to", "alias/app", "--format", "sarif"],
        2,
        snapshot(),
        ("sarif",),
    ),
    Case("diff_missing_new", ["diff", "{tmp}/p.json"], 2, {"p.json": json.dumps(KEY_POLICY)}, ("new",)),
    Case(
        "diff_extra_argument",
        ["diff", "{tmp}/p.json", "{tmp}/p.json", "{tmp}/p.json"],
        2,
        {"p.json": json.dumps(KEY_POLICY)},
    ),
    Case(
        "diff_same_file_no_new_access",
        ["diff", "{tmp}/p.json", "{tmp}/p.json"],
        0,
        {"p.json": json.dumps(KEY_POLICY)},
        ("new access: 0",),
    ),
    Case(
        "diff_public_is_new_access",
        ["diff", "{tmp}/a.json", "{tmp}/b.json", "--account", ACCOUNT],
        1,
        {"a.json": json.dumps(KEY_POLICY), "b.json": json.dumps(PUBLIC_POLICY)},
        ("kms:Decrypt",),
    ),
    Case(
        "diff_stdin_twice",
        ["diff", "-", "-"],
        2,
        stdin=json.dumps(KEY_POLICY),
        expect=("<stdin>",),
    ),
    Case(
        "diff_snapshot_with_broken_file",
        ["diff", "{tmp}/snap", "{tmp}/snap2"],
        2,
        {
            **snapshot(),
            **{
                k.replace("snap/", "snap2/", 1): v
                for k, v in snapshot(
                    **{f"kms__us-east-1__{KEY_ID}__key-policy.json": '{"Policy": "{\\"Version\\": "}'}
                ).items()
            },
        },
        ("snap2/kms/us-east-1", "key-policy.json:1:"),
        same_line=True,
    ),
    Case(
        "diff_json_format_bad_input_still_json",
        ["diff", "{tmp}/p.json", "{tmp}/bad.json", "--format", "json"],
        2,
        {"p.json": json.dumps(KEY_POLICY), "bad.json": "{"},
        ("{tmp}/bad.json:1:",),
        json_out=True,
    ),
    Case(
        "paths_from_any_principal_no_path",
        ["paths", "{tmp}/snap", "--from", "*", "--to", "alias/app"],
        1,
        snapshot(),
        ("no path",),
    ),
    Case(
        "test_second_request_bad_expect_position",
        ["test", "{tmp}/s.yaml"],
        2,
        {
            "s.yaml": f"key_policy: {json.dumps(KEY_POLICY)}\nrequests:\n"
            f"  - {{principal: {CALLER}, action: kms:Decrypt, resource: {KEY_ARN}, expect: IMPLICIT_DENY}}\n"
            f"  - {{principal: {CALLER}, action: kms:Decrypt, resource: {KEY_ARN}, expect: ALOW}}\n"
        },
        at=("s.yaml", "ALOW", "`expect`"),
    ),
    Case("rules_one", ["rules", "kp-public-principal"], 0, expect=("KMS001",)),
    Case("rules_json_unknown", ["rules", "KMS000000", "--format", "json"], 2, expect=("`KMS000000`",)),
]


# ---- running a case ------------------------------------------------------------------------------


def _prepare(case: Case, tmp: Path) -> None:
    for name, content in case.files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    if case.setup:
        case.setup(tmp)


def _subst(text: str, tmp: Path) -> str:
    return text.replace("{tmp}", str(tmp)).replace("{data}", str(DATA))


def _output(result: object) -> str:
    stdout: str = result.stdout  # type: ignore[attr-defined]
    try:
        stderr: str = result.stderr  # type: ignore[attr-defined]
    except ValueError:
        stderr = ""
    return stdout + stderr


def run_process(args: list[str], cwd: Path) -> tuple[int, str, str, BaseException | None]:
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv[0] = 'kmspolicy'; from kmspolicy.cli import main; main()",
            *args,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    stdout = done.stdout.decode("utf-8", "surrogateescape")
    return done.returncode, stdout, stdout + done.stderr.decode("utf-8", "surrogateescape"), None


def run(args: list[str], stdin: str | None = None) -> tuple[int, str, str, BaseException | None]:
    result = runner.invoke(app, args, input=stdin)
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.stdout, _output(result), escaped


def _param(case: Case) -> object:
    marks: list[pytest.MarkDecorator] = []
    if case.bug:
        marks.append(pytest.mark.xfail(strict=True, reason=case.bug))
    if case.root_cannot:
        marks.append(pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode"))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_cli_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _prepare(case, tmp_path)
    args = [_subst(a, tmp_path) for a in case.args]
    cwd = tmp_path / case.cwd if case.cwd else Path.cwd()
    monkeypatch.chdir(cwd)
    if case.process:
        code, stdout, output, escaped = run_process(args, cwd)
    else:
        code, stdout, output, escaped = run(args, case.stdin)
    assert escaped is None, f"{type(escaped).__name__}: {escaped}"
    assert "Traceback" not in output
    codes = case.code if isinstance(case.code, tuple) else (case.code,)
    assert code in codes, f"exit {code}\n{output[-3000:]}"
    expected = [_subst(text, tmp_path) for text in case.expect]
    for text in expected:
        assert text in output, output[-3000:]
    if case.same_line:
        assert any(all(t in line for t in expected) for line in output.splitlines()), output[-3000:]
    for text in case.forbid:
        assert _subst(text, tmp_path) not in output, output[-3000:]
    if case.any_of:
        assert any(text in output for text in case.any_of), output[-3000:]
    if case.count:
        assert output.count(case.count[0]) == case.count[1], output[-3000:]
    if case.json_out:
        json.loads(stdout)
    if case.at:
        name, needle, text = case.at
        source = case.stdin if name == "<stdin>" else (tmp_path / name).read_bytes().decode("utf-8-sig")
        assert source is not None
        line, column = _position(source, needle)
        where = name if name == "<stdin>" else f"{tmp_path}/{name}"
        prefix = f"{where}:{line}:{column}:"
        assert any(prefix in out and text in out for out in output.splitlines()), (
            f"expected `{prefix}` with `{text}`\n{output[-3000:]}"
        )


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 100


# ---- every output format is valid and agrees with the others --------------------------------------

FORMAT_INPUTS: dict[str, dict[str, str | bytes]] = {
    "findings": {"in/p.json": json.dumps(PUBLIC_POLICY, indent=2)},
    "clean": {"in/p.json": json.dumps(CLEAN_IDENTITY, indent=2)},
    "truncated": {"in/p.json": '{"Version": "2012-10-17",\n "Statement": ['},
    "embedded_string": {"in/gkp.json": get_key_policy(PUBLIC_POLICY)},
    "mixed_folder": {
        "in/a.json": json.dumps(PUBLIC_POLICY),
        "in/b.yaml": "Statement: [\n",
        "in/c.json": "[1]",
        "in/my policy#1.json": json.dumps(PUBLIC_POLICY),
        "in/a,b:c.json": json.dumps(PUBLIC_POLICY),
    },
    "unicode": {"in/p.json": json.dumps(PUBLIC_POLICY, ensure_ascii=False).replace('"Pub"', '"ééé😀 100%"')},
    "crlf_yaml_template": {"in/t.yaml": cfn('"*"').replace("\n", "\r\n")},
    "big_numbers": {
        "in/p.json": json.dumps(
            doc(
                {
                    **ROOT_STMT,
                    "Condition": {
                        "NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 1},
                        "NumericEquals": {"kms:RotationPeriodInDays": 2},
                    },
                }
            )
        )
        .replace(": 1}", ": 1e400}")
        .replace(": 2}", ": NaN}")
    },
    "snapshot_missing_file": {
        k.replace("snap/", "in/", 1): v
        for k, v in snapshot(**{f"kms__us-east-1__{KEY_ID}__grants.json": None}).items()
    },
}

GITHUB_LINE = re.compile(
    r"^::(error|warning|notice) file=(?P<file>[^,:]+)"
    r"(,line=(?P<line>\d+),endLine=\d+,col=(?P<col>\d+),endColumn=\d+)?"
    r",title=(?P<title>KMS\d{3} [a-z0-9-]+)::(?P<message>.+)$"
)
FINDING_KEYS = {
    "id",
    "rule",
    "severity",
    "message",
    "file",
    "line",
    "column",
    "end_line",
    "end_column",
    "pointer",
    "statement",
    "help",
    "fingerprint",
}


def strict_json(text: str) -> object:
    """JSON as the standard has it: `NaN` and `Infinity` are not JSON."""

    def refuse(constant: str) -> object:
        raise ValueError(f"`{constant}` is not JSON")

    return json.loads(text, parse_constant=refuse)


def _lint(tmp: Path, fmt: str) -> tuple[int, str]:
    code, stdout, output, escaped = run(["lint", str(tmp / "in"), "--account", ACCOUNT, "--format", fmt])
    assert escaped is None, f"{type(escaped).__name__}: {escaped}"
    assert "Traceback" not in output and "internal error" not in output, output[-2000:]
    return code, stdout


def _json_findings(tmp: Path) -> tuple[int, list[dict[str, object]]]:
    code, stdout = _lint(tmp, "json")
    data = strict_json(stdout)
    assert isinstance(data, dict) and isinstance(data["findings"], list) and "summary" in data
    return code, data["findings"]


def _where(finding: dict[str, object]) -> tuple[object, ...]:
    return (finding["id"], finding["line"], finding["column"])


@pytest.mark.parametrize("name", list(FORMAT_INPUTS))
def test_json_format(name: str, tmp_path: Path) -> None:
    _prepare(Case("x", [], 0, FORMAT_INPUTS[name]), tmp_path)
    text_code, _ = _lint(tmp_path, "text")
    code, findings = _json_findings(tmp_path)
    assert code == text_code
    for finding in findings:
        assert set(finding) >= FINDING_KEYS, finding
        line, column = finding["line"], finding["column"]
        if line is not None:
            assert isinstance(line, int) and isinstance(column, int) and line >= 1 and column >= 1, finding
            end_line, end_column = finding["end_line"], finding["end_column"]
            assert isinstance(end_line, int) and isinstance(end_column, int)
            assert (end_line, end_column) >= (line, column), finding
        assert Path(str(finding["file"])).parent.is_dir(), finding


@pytest.mark.parametrize("name", list(FORMAT_INPUTS))
def test_sarif_format(name: str, tmp_path: Path) -> None:
    _prepare(Case("x", [], 0, FORMAT_INPUTS[name]), tmp_path)
    json_code, findings = _json_findings(tmp_path)
    code, stdout = _lint(tmp_path, "sarif")
    assert code == json_code
    sarif: Any = strict_json(stdout)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    run_ = sarif["runs"][0]
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    got = []
    for result in run_["results"]:
        assert result["ruleId"] in rule_ids
        if "ruleIndex" in result:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert not re.search(r"[ #\\]", uri), uri  # a URI reference: spaces and '#' percent-encoded
        region = location.get("region")
        got.append(
            (
                result["ruleId"],
                region["startLine"] if region else None,
                region["startColumn"] if region else None,
            )
        )
        if region:
            assert (region.get("endLine", region["startLine"]), region.get("endColumn", 0)) >= (
                region["startLine"],
                region["startColumn"],
            )
    assert sorted(got, key=repr) == sorted((_where(f) for f in findings), key=repr)


@pytest.mark.parametrize("name", list(FORMAT_INPUTS))
def test_github_format(name: str, tmp_path: Path) -> None:
    _prepare(Case("x", [], 0, FORMAT_INPUTS[name]), tmp_path)
    json_code, findings = _json_findings(tmp_path)
    code, stdout = _lint(tmp_path, "github")
    assert code == json_code
    lines = [line for line in stdout.splitlines() if line.strip()]
    unmatched = [line for line in lines if not GITHUB_LINE.match(line)]
    assert not unmatched, unmatched
    annotations = [m for m in map(GITHUB_LINE.match, lines) if m is not None]
    got = sorted(
        (
            (
                m["title"].split()[0],
                int(m["line"]) if m["line"] else None,
                int(m["col"]) if m["col"] else None,
            )
            for m in annotations
        ),
        key=repr,
    )
    assert got == sorted((_where(f) for f in findings), key=repr)
    for m in annotations:
        assert "\n" not in m["message"] and "\r" not in m["message"]
        assert not re.search(r"%(?!25|0A|0D)", m["message"]), m["message"]


OTHER_JSON = {
    "explain": ["explain", "--key-policy", "{tmp}/kp.json", "--query", Q, "--format", "json"],
    "test": ["test", "{tmp}/s.json", "--format", "json"],
    "simulate": ["simulate", "{tmp}/s.json", "--format", "json"],
    "access": ["access", "{tmp}/snap", "--format", "json"],
    "access_principal": ["access", "{tmp}/snap", "--principal", "dev", "--format", "json"],
    "paths": ["paths", "{tmp}/snap", "--from", "AppRole", "--to", "alias/app", "--format", "json"],
    "diff": ["diff", "{tmp}/kp.json", "{tmp}/pub.json", "--account", ACCOUNT, "--format", "json"],
    "rules": ["rules", "--format", "json"],
    "explain_bad_scenario": ["explain", "{tmp}/bad.json", "--format", "json"],
}


@pytest.mark.parametrize("name", list(OTHER_JSON))
def test_other_commands_print_json(name: str, tmp_path: Path) -> None:
    _prepare(
        Case(
            "x",
            [],
            0,
            {
                **snapshot(),
                "kp.json": json.dumps(KEY_POLICY),
                "pub.json": json.dumps(PUBLIC_POLICY),
                "bad.json": "{",
                "s.json": json.dumps(
                    {
                        "key_policy": KEY_POLICY,
                        "request": {"principal": CALLER, "action": "kms:Decrypt", "resource": KEY_ARN},
                        "expect": "IMPLICIT_DENY",
                    }
                ),
            },
        ),
        tmp_path,
    )
    code, stdout, output, escaped = run([_subst(a, tmp_path) for a in OTHER_JSON[name]])
    assert escaped is None and "Traceback" not in output
    assert code in (0, 1, 2), output[-2000:]
    strict_json(stdout)
