"""Account snapshots: case files under tests/iac_cases/snapshot/ (written to a folder here, objects as
JSON indented by four spaces like the AWS CLI, strings as they are) and the bundled samples/account."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from iac_cases.expect import check

from kmspolicy.model import Document, Finding, PolicyKind, Severity
from kmspolicy.parse.snapshot import is_snapshot, read_snapshot
from kmspolicy.parse.source import SourceSet

CASES = sorted((Path(__file__).parent / "iac_cases" / "snapshot").glob("*.yaml"))
SAMPLE = Path(__file__).parent.parent / "samples" / "account"
MAX_BYTES = 10_000_000


def write_snapshot(root: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=4) + "\n")


@pytest.mark.parametrize("case_path", CASES, ids=lambda p: p.stem)
def test_case(case_path: Path, tmp_path: Path) -> None:
    case: dict[str, Any] = yaml.safe_load(case_path.read_text())
    write_snapshot(tmp_path, case["files"])
    assert is_snapshot(tmp_path)
    sources = SourceSet()
    document, findings = read_snapshot(tmp_path, sources, account=case.get("account"), max_bytes=MAX_BYTES)
    check(document, findings, sources, case["expect"], str(tmp_path))


def test_unexpected_files_are_info_not_errors(tmp_path: Path) -> None:
    write_snapshot(
        tmp_path, {"iam.json": {}, "extra/dump.json": {}, "README.md": "# notes\n", ".DS_Store": ""}
    )
    _, findings = read_snapshot(tmp_path, SourceSet(), account=None, max_bytes=MAX_BYTES)
    assert [(f.id, f.rule, f.severity, Path(f.span.file).name) for f in findings] == [
        ("KMS097", "input-unexpected-file", Severity.INFO, "dump.json")
    ]


def test_not_a_snapshot(tmp_path: Path) -> None:
    write_snapshot(tmp_path, {"policy.json": {}})
    assert not is_snapshot(tmp_path)
    assert not is_snapshot(tmp_path / "policy.json")


@pytest.fixture(scope="module")
def sample() -> tuple[Document, list[Finding], SourceSet]:
    sources = SourceSet()
    document, findings = read_snapshot(SAMPLE, sources, account=None, max_bytes=MAX_BYTES)
    return document, findings, sources


def test_sample_account(sample: tuple[Document, list[Finding], SourceSet]) -> None:
    document, _, _ = sample
    account = document.account
    assert account is not None
    assert (account.account_id, account.org_id, account.partition) == ("111122223333", "o-a1b2c3d4e5", "aws")
    assert account.keys == document.keys
    assert account.principals == document.principals
    assert [(a.target, a.policy.name) for a in account.scps] == [
        ("r-a1b2", "FullAWSAccess"),
        ("ou-a1b2-k9x8y7z6", "FullAWSAccess"),
        ("ou-a1b2-k9x8y7z6", "DenyKeyDeletionExceptBreakGlass"),
        ("111122223333", "FullAWSAccess"),
    ]
    assert {a.policy.kind for a in account.rcps} == {PolicyKind.RCP}


def test_sample_keys(sample: tuple[Document, list[Finding], SourceSet]) -> None:
    document, _, sources = sample
    keys = {key.aliases[0]: key for key in document.keys}
    assert sorted(keys) == [
        "alias/app-data",
        "alias/atlas-reports",
        "alias/aws/ebs",
        "alias/backup-eu",
        "alias/partner-exchange",
    ]
    ebs = keys["alias/aws/ebs"]
    assert (ebs.key_manager, ebs.rotation_enabled, ebs.tags) == ("AWS", True, {})
    assert [g.constraints.encryption_context_subset for g in ebs.grants if g.constraints] == [
        {"aws:ebs:id": "vol-0f1e2d3c4b5a69788"}
    ]
    app = keys["alias/app-data"]
    assert [g.name for g in app.grants] == ["asg-launch-template", "analyst-atlas-reports"]
    assert app.policy is not None
    assert [s.sid for s in app.policy.statements][-1] == "Allow attachment of persistent resources"
    where = sources.locate(app.policy.statements[3].span)
    assert where is not None
    assert (where.line, where.column) == (2, 1513)  # inside the `Policy` string of get-key-policy output
    partner = keys["alias/partner-exchange"]
    assert (partner.rotation_enabled, partner.grants[0].grantee_principal) == (
        False,
        "arn:aws:iam::444455556666:role/PartnerIngest",
    )
    backup = keys["alias/backup-eu"]
    assert (backup.region, backup.multi_region_key_type) == ("eu-west-1", "PRIMARY")
    assert keys["alias/atlas-reports"].tags == {"Project": "atlas", "Environment": "prod"}


def test_sample_principals(sample: tuple[Document, list[Finding], SourceSet]) -> None:
    document, findings, _ = sample
    by_name = {p.name: p for p in document.principals}
    ana = by_name["dev-ana"]
    assert (ana.groups, [p.name for p in ana.policies]) == (
        ("Developers",),
        ["assume-analyst", "read-kms-metadata", "DeveloperAccess"],
    )
    app = by_name["AppRole"]
    secrets = next(p for p in app.policies if p.name == "AppSecretsRead")
    assert [s.sid for s in secrets.statements] == [
        "ReadAppSecrets",
        "DecryptSecretsThroughSecretsManager",
    ]  # v2
    assert by_name["KeyAdmin"].permission_boundary is not None
    assert by_name["KeyAdmin"].permission_boundary.kind is PolicyKind.BOUNDARY
    chain = [by_name[name].trust_policy for name in ("DeployRole", "DataRole")]
    assert [t.statements[0].principal[0].value for t in chain if t and t.statements[0].principal] == [
        "arn:aws:iam::111122223333:role/CiDeployer",
        "arn:aws:iam::111122223333:role/DeployRole",
    ]
    # Nothing in the sample is malformed; trust policies without `Resource` are the policy reader's call.
    assert all("AssumeRolePolicyDocument" in f.span.pointer for f in findings if f.severity is Severity.ERROR)
    assert not [f for f in findings if f.id == "KMS097"]


LAYOUT = [
    "account.json",
    "iam.json",
    "kms/us-east-1/aliases.json",
    "kms/us-east-1/k1/describe-key.json",
    "kms/us-east-1/k1/key-policy.json",
    "kms/us-east-1/k1/grants.json",
    "kms/us-east-1/k1/rotation.json",
    "kms/us-east-1/k1/tags.json",
    "organizations/scps.json",
    "organizations/rcps.json",
]
FIELDS = [
    "account_id",
    "UserDetailList",
    "RoleDetailList",
    "GroupDetailList",
    "Policies",
    "PolicyVersionList",
    "Document",
    "PolicyDocument",
    "AssumeRolePolicyDocument",
    "RoleName",
    "UserName",
    "GroupName",
    "Arn",
    "AttachedManagedPolicies",
    "PolicyArn",
    "KeyMetadata",
    "KeyId",
    "Policy",
    "Grants",
    "Aliases",
    "AliasName",
    "KeyRotationEnabled",
    "Tags",
    "name",
    "target",
    "policy",
    "IsDefaultVersion",
    "GroupList",
]
file_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from(["", "x", "%7B%7D", "{", "arn:aws:iam::1:root"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.sampled_from(LAYOUT), file_values, min_size=1, max_size=6))
@settings(max_examples=100, deadline=None)
def test_any_snapshot_is_read_without_exceptions(files: dict[str, Any]) -> None:
    """Whatever the files hold, problems end as findings or notes, never as exceptions."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_snapshot(root, {name: json.dumps(value) for name, value in files.items()})
        sources = SourceSet()
        document, findings = read_snapshot(root, sources, account=None, max_bytes=MAX_BYTES)
        assert document.account is not None
        for finding in findings:
            assert Path(finding.span.file).is_relative_to(root)


def _managed(versions: list[Any]) -> dict[str, Any]:
    arn = "arn:aws:iam::111122223333:policy/Rollback"
    return {
        "RoleDetailList": [
            {
                "RoleName": "App",
                "Arn": "arn:aws:iam::111122223333:role/App",
                "AttachedManagedPolicies": [{"PolicyName": "Rollback", "PolicyArn": arn}],
            }
        ],
        "Policies": [
            {"PolicyName": "Rollback", "Arn": arn, "DefaultVersionId": "v3", "PolicyVersionList": versions}
        ],
    }


def _statement(sid: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": sid, "Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
    }


def test_non_default_versions_are_the_default_s_other_versions(tmp_path: Path) -> None:
    """Objects and URL-encoded strings alike; each named after its version, spans into `iam.json`."""
    encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Sid%22%3A%22Old%22%2C"
    encoded += (
        "%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3ADecrypt%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"
    )
    versions = [
        {"VersionId": "v1", "IsDefaultVersion": False, "Document": encoded},
        {"VersionId": "v3", "IsDefaultVersion": True, "Document": _statement("Current")},
        {"VersionId": "v2", "IsDefaultVersion": False, "Document": _statement("Older")},
    ]
    write_snapshot(tmp_path, {"iam.json": _managed(versions)})
    sources = SourceSet()
    document, findings = read_snapshot(tmp_path, sources, account=None, max_bytes=MAX_BYTES)
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    (policy,) = document.principals[0].policies
    assert policy.name == "Rollback"
    assert [s.sid for s in policy.statements] == ["Current"]
    assert [(v.name, v.arn, [s.sid for s in v.statements]) for v in policy.other_versions] == [
        ("Rollback v1", policy.arn, ["Old"]),
        ("Rollback v2", policy.arn, ["Older"]),
    ]
    assert [v.statements[0].span.pointer for v in policy.other_versions] == [
        "/Policies/0/PolicyVersionList/0/Document/Statement/0",
        "/Policies/0/PolicyVersionList/2/Document/Statement/0",
    ]
    text = (tmp_path / "iam.json").read_text().splitlines()
    encoded_at, nested_at = (sources.locate(v.statements[0].span) for v in policy.other_versions)
    # inside a URL-encoded document, positions resolve to the string itself
    assert encoded_at is not None and text[encoded_at.line - 1].lstrip().startswith('"Document": "%7B')
    assert nested_at is not None and '"Sid": "Older"' in "".join(
        text[nested_at.line - 1 : nested_at.line + 1]
    )
    # versions not in force are not the document's policies (which lint reads)
    assert all(not p.name.startswith("Rollback v") for p in document.policies)


def test_bad_policy_versions_are_findings(tmp_path: Path) -> None:
    versions = [
        "v1",
        {"VersionId": "v3", "IsDefaultVersion": True, "Document": _statement("Current")},
        {"VersionId": "v2", "IsDefaultVersion": False, "Document": "%7B%22Statement"},
        {"IsDefaultVersion": False, "Document": _statement("NoId")},
        {"VersionId": "v4", "IsDefaultVersion": False},
    ]
    write_snapshot(tmp_path, {"iam.json": _managed(versions)})
    document, findings = read_snapshot(tmp_path, SourceSet(), account=None, max_bytes=MAX_BYTES)
    reported = sorted((f.rule, f.span.pointer) for f in findings if f.severity is Severity.ERROR)
    assert reported == [
        ("syn-structure", "/Policies/0/PolicyVersionList/0"),
        ("syn-structure", "/Policies/0/PolicyVersionList/2/Document"),
        ("syn-structure", "/Policies/0/PolicyVersionList/4/Document"),
    ]
    assert all(Path(f.span.file).name == "iam.json" for f in findings)
    (policy,) = document.principals[0].policies
    assert [v.name for v in policy.other_versions] == ["Rollback #3"]
