"""Snapshot files that are missing, `null` or of the wrong shape: each is one finding in the file it is
about (or the path it should have), at the place that is wrong; nothing is skipped silently."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kmspolicy.model import Severity
from kmspolicy.parse.snapshot import read_snapshot
from kmspolicy.parse.source import SourceSet

SAMPLE = Path(__file__).parent.parent / "samples" / "account"
KEY = "kms/us-east-1/1234abcd-12ab-34cd-56ef-1234567890ab"
NEW_KEY = "kms/us-east-1/feedface-0000-4000-8000-000000000000"

# (files to write, files to remove, (file, pointer, severity, text in the message))
CASES: dict[str, tuple[dict[str, str], tuple[str, ...], tuple[str, str, Severity, str]]] = {
    "iam_null": ({"iam.json": "null"}, (), ("iam.json", "", Severity.ERROR, "`null`")),
    "tags_null": ({f"{KEY}/tags.json": "null"}, (), (f"{KEY}/tags.json", "", Severity.ERROR, "`null`")),
    "key_policy_string_null": (
        {f"{KEY}/key-policy.json": '{"Policy": "null"}'},
        (),
        (f"{KEY}/key-policy.json", "/Policy", Severity.ERROR, "`null`"),
    ),
    "role_list_object": (
        {"iam.json": '{"RoleDetailList": {"a": 1}}'},
        (),
        ("iam.json", "/RoleDetailList", Severity.ERROR, "`RoleDetailList` must be a list"),
    ),
    "policies_string": (
        {"iam.json": '{"Policies": "x"}'},
        (),
        ("iam.json", "/Policies", Severity.ERROR, "`Policies` must be a list"),
    ),
    "group_list_number": (
        {"iam.json": '{"UserDetailList": [{"UserName": "u", "GroupList": [1]}]}'},
        (),
        ("iam.json", "/UserDetailList/0/GroupList/0", Severity.ERROR, "only strings"),
    ),
    "attached_without_arn": (
        {"iam.json": '{"RoleDetailList": [{"RoleName": "r", "AttachedManagedPolicies": [{}]}]}'},
        (),
        ("iam.json", "/RoleDetailList/0/AttachedManagedPolicies/0", Severity.ERROR, "`PolicyArn`"),
    ),
    "iam_tag_without_value": (
        {"iam.json": '{"RoleDetailList": [{"RoleName": "r", "Tags": [{"Key": "team"}]}]}'},
        (),
        ("iam.json", "/RoleDetailList/0/Tags/0", Severity.ERROR, "`Key` and `Value`"),
    ),
    "tags_number": (
        {f"{KEY}/tags.json": '{"Tags": 5}'},
        (),
        (f"{KEY}/tags.json", "/Tags", Severity.ERROR, "list"),
    ),
    "tags_without_tags": (
        {f"{KEY}/tags.json": "{}"},
        (),
        (f"{KEY}/tags.json", "", Severity.ERROR, "list-resource-tags"),
    ),
    "rotation_period_string": (
        {f"{KEY}/rotation.json": '{"KeyRotationEnabled": true, "RotationPeriodInDays": "365"}'},
        (),
        (f"{KEY}/rotation.json", "/RotationPeriodInDays", Severity.ERROR, "number of days"),
    ),
    "iam_missing": ({}, ("iam.json",), ("iam.json", "", Severity.MEDIUM, "missing from the snapshot")),
    "key_policy_missing": (
        {
            f"{NEW_KEY}/describe-key.json": (SAMPLE / KEY / "describe-key.json")
            .read_text()
            .replace(KEY.rsplit("/", 1)[1], NEW_KEY.rsplit("/", 1)[1]),
            f"{NEW_KEY}/grants.json": '{"Grants": []}',
        },
        (),
        (f"{NEW_KEY}/key-policy.json", "", Severity.ERROR, "policy is not known"),
    ),
    "grants_missing": ({}, (f"{KEY}/grants.json",), (f"{KEY}/grants.json", "", Severity.MEDIUM, "grants")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reported_once_where_it_is_wrong(name: str, tmp_path: Path) -> None:
    files, removed, (file, pointer, severity, text) = CASES[name]
    root = tmp_path / "snap"
    shutil.copytree(SAMPLE, root)
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content)
    for relative in removed:
        (root / relative).unlink()
    _, findings = read_snapshot(root, SourceSet(), account=None, max_bytes=10_000_000)
    problems = [f for f in findings if f.rule in ("input-error", "syn-structure")]
    assert [(f.span.file, f.span.pointer, f.severity) for f in problems] == [
        (str(root / file), pointer, severity)
    ]
    assert text in problems[0].message


def test_empty_key_folder_names_every_missing_file(tmp_path: Path) -> None:
    root = tmp_path / "snap"
    shutil.copytree(SAMPLE, root)
    (root / NEW_KEY).mkdir()
    _, findings = read_snapshot(root, SourceSet(), account=None, max_bytes=10_000_000)
    missing = sorted(Path(f.span.file).name for f in findings if f.rule == "input-error")
    assert missing == ["describe-key.json", "grants.json", "key-policy.json"]
    assert all(f.span.file.startswith(str(root / NEW_KEY)) for f in findings if f.rule == "input-error")


def test_the_sample_account_has_no_input_problems() -> None:
    _, findings = read_snapshot(SAMPLE, SourceSet(), account=None, max_bytes=10_000_000)
    assert [f for f in findings if f.rule in ("input-error", "syn-structure")] == []
