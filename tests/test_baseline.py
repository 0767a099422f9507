"""Fingerprints survive reformatting and reordering; baselines round-trip and report only new findings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmspolicy.baseline import BaselineError, filter_new, fingerprint, read_baseline, write_baseline
from kmspolicy.model import Finding, Severity, Span
from kmspolicy.parse.context import ReadContext
from kmspolicy.parse.source import SourceSet
from kmspolicy.parse.yamlload import load_yaml

STATEMENTS = [
    {
        "Sid": "Root",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "kms:*",
    },
    {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt", "kms:Encrypt"]},
    {
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::999988887777:root", "123456789012"]},
        "Action": "kms:*",
    },
    {"Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion"},
]

# (rule id, statement number in STATEMENTS, pointer below the statement)
FINDINGS = [
    ("KMS001", 1, "/Principal"),
    ("KMS013", 2, "/Principal/AWS/0"),
    ("KMS013", 2, "/Principal/AWS/1"),
    ("KMS040", 1, "/Action/0"),
    ("KMS018", 3, ""),
    ("KMS033", 0, "/Condition"),  # an element the statement does not have
]


def policy_text(order: list[int], indent: int | None, sort_keys: bool) -> str:
    policy = {"Version": "2012-10-17", "Statement": [STATEMENTS[i] for i in order]}
    return json.dumps(policy, indent=indent, sort_keys=sort_keys)


def findings_for(
    order: list[int], file: str = "key.json", prefix: str = "", before: int = 0
) -> list[Finding]:
    """FINDINGS for a policy with STATEMENTS in `order`, after `before` other statements."""
    return [
        Finding(
            id=rule_id,
            rule="rule-" + rule_id.lower(),
            severity=Severity.HIGH,
            message=f"message of {rule_id}",
            span=Span(file=file, pointer=f"{prefix}/Statement/{before + order.index(number)}{below}"),
        )
        for rule_id, number, below in FINDINGS
    ]


def prints(order: list[int], indent: int | None = 2, sort_keys: bool = False) -> list[str]:
    sources = SourceSet()
    sources.add("key.json", policy_text(order, indent, sort_keys))
    return [fingerprint(f, sources) for f in findings_for(order)]


ORIGINAL = prints([0, 1, 2, 3])


def test_fingerprints_tell_findings_apart() -> None:
    assert len(set(ORIGINAL)) == len(ORIGINAL)


@settings(max_examples=40, deadline=None)
@given(
    order=st.permutations([0, 1, 2, 3]),
    indent=st.sampled_from([None, 0, 2, 4, "\t"]),
    sort_keys=st.booleans(),
)
def test_fingerprints_survive_reformatting_and_reordering(
    order: list[int], indent: int | str | None, sort_keys: bool
) -> None:
    assert prints(order, indent, sort_keys) == ORIGINAL  # type: ignore[arg-type]


def test_unrelated_statements_do_not_change_fingerprints() -> None:
    sources = SourceSet()
    extra = {"Sid": "New", "Effect": "Allow", "Principal": "*", "Action": "kms:Describe*"}
    policy = {"Version": "2012-10-17", "Statement": [extra, *STATEMENTS]}
    sources.add("key.json", json.dumps(policy))
    assert [fingerprint(f, sources) for f in findings_for([0, 1, 2, 3], before=1)] == ORIGINAL


def test_a_changed_value_changes_the_fingerprint() -> None:
    changed = json.loads(policy_text([0, 1, 2, 3], 2, False))
    changed["Statement"][2]["Principal"]["AWS"][0] = "arn:aws:iam::444455556666:root"
    sources = SourceSet()
    sources.add("key.json", json.dumps(changed))
    new = [fingerprint(f, sources) for f in findings_for([0, 1, 2, 3])]
    assert new[1] != ORIGINAL[1]
    assert new[0] == ORIGINAL[0]


@pytest.mark.parametrize("inner_indent", [None, 4])
def test_embedded_policy_reformatting_keeps_fingerprints(inner_indent: int | None) -> None:
    sources = SourceSet()
    text = json.dumps({"Policy": policy_text([3, 2, 1, 0], inner_indent, False)})
    sources.add("get.json", text)
    got = [fingerprint(f, sources) for f in findings_for([3, 2, 1, 0], file="get.json", prefix="/Policy")]
    reference = SourceSet()
    reference.add("get.json", json.dumps({"Policy": policy_text([0, 1, 2, 3], 2, False)}))
    expected = [
        fingerprint(f, reference) for f in findings_for([0, 1, 2, 3], file="get.json", prefix="/Policy")
    ]
    assert got == expected


def test_yaml_and_json_spellings_of_a_template_agree() -> None:
    template = {"Resources": {"Key": {"Properties": {"KeyPolicy": {"Statement": STATEMENTS}}}}}
    as_json, as_yaml = SourceSet(), SourceSet()
    as_json.add("t", json.dumps(template))
    load_yaml(
        "Resources:\n  Key:\n    Properties:\n      KeyPolicy:\n        Statement:\n"
        + "".join(f"          - {json.dumps(s)}\n" for s in STATEMENTS),
        ReadContext(file="t", sources=as_yaml),
    )
    findings = findings_for([0, 1, 2, 3], file="t", prefix="/Resources/Key/Properties/KeyPolicy")
    assert [fingerprint(f, as_yaml) for f in findings] == [fingerprint(f, as_json) for f in findings]


def _finding(rule_id: str, rule: str, pointer: str) -> Finding:
    return Finding(
        id=rule_id,
        rule=rule,
        severity=Severity.HIGH,
        message="m",
        span=Span(file="key.json", pointer=pointer),
    )


def test_baseline_reports_only_new_findings_and_never_hides_input_errors(tmp_path: Path) -> None:
    sources = SourceSet()
    sources.add("key.json", policy_text([0, 1, 2, 3], 2, False))
    old = [_finding("KMS001", "kp-public-principal", "/Statement/1/Principal")]
    broken = _finding("KMS092", "syn-structure", "/Statement")
    path = tmp_path / "baseline.json"
    write_baseline(path, [*old, broken], sources)
    known = read_baseline(path)
    assert known == {fingerprint(old[0], sources)}  # input errors are never recorded
    new = _finding("KMS013", "xacct-principal", "/Statement/2/Principal/AWS/0")
    assert filter_new([*old, new, broken], known, sources) == [new, broken]


def test_baseline_file_is_sorted_and_reviewable(tmp_path: Path) -> None:
    sources = SourceSet()
    sources.add("key.json", policy_text([0, 1, 2, 3], 2, False))
    path = tmp_path / "baseline.json"
    write_baseline(path, findings_for([0, 1, 2, 3])[::-1], sources)
    body = json.loads(path.read_text())
    assert body["version"] == 1
    assert body["tool"] == "kmspolicy"
    assert [e["id"] for e in body["findings"]] == sorted(e["id"] for e in body["findings"])
    assert set(body["findings"][0]) == {"fingerprint", "id", "rule", "file", "message"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "not a kmspolicy baseline (not JSON"),
        ('{"findings": []}', "at `version`: is required"),
        ('{"version": 2, "tool": "kmspolicy", "findings": []}', "at `version`"),
        ('{"version": 1, "tool": "kmspolicy", "findings": [{"fingerprint": "x"}]}', "at `findings/0/id`"),
        ("[]", "at `top level`"),
    ],
)
def test_bad_baseline_files_are_named_and_explained(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(BaselineError) as error:
        read_baseline(path)
    assert re.match(rf"{re.escape(str(path))}(:\d+:\d+)?: ", str(error.value))  # with the place if JSON fails
    assert expected in str(error.value)


def test_missing_baseline_file_is_a_baseline_error(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read the baseline: No such file or directory"):
        read_baseline(tmp_path / "missing.json")
