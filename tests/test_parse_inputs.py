"""Input files: detection, the AWS CLI formats, and bad input ending as located findings.

Every file of tests/corpus/bad/ must end in a finding that names the file, a line and a column, while
the other files of the same run are still read. The pathological inputs (50 MB, 100,000-deep) are
generated here rather than committed.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

import kmspolicy.parse as parse
from kmspolicy.model import Document, Finding, InputKind, PolicyKind, Severity, Unknown
from kmspolicy.parse import ParseResult, detect_kind, parse_paths, parse_text
from kmspolicy.parse.context import ReadContext
from kmspolicy.parse.source import SourceSet, read_file_text

CORPUS = Path(__file__).parent / "corpus"
BAD = CORPUS / "bad"
GOOD = CORPUS / "good"


@pytest.fixture(scope="module")
def mixed_run() -> ParseResult:
    return parse_paths([str(BAD), str(GOOD)])


def located(result: ParseResult, finding: Finding) -> tuple[int, int]:
    where = result.sources.locate(finding.span)
    assert where is not None, finding
    return where.line, where.column


# file, rule, pointer, line, column, and a part of the message
BAD_CASES = [
    (
        "truncated.json",
        "syn-structure",
        "/Statement/0",
        4,
        5,
        "invalid JSON at line 9 column 1: the text ends",
    ),
    (
        "trailing_comma.json",
        "syn-structure",
        "/Statement/0",
        4,
        5,
        "line 9 column 5: trailing comma before `}`",
    ),
    ("not_utf8.json", "input-error", "", 5, 18, "is not UTF-8 text: byte `0xe9` at line 5 column 18"),
    ("empty.json", "input-error", "", 1, 1, "is empty"),
    ("wrong_types.json", "syn-structure", "/Statement/0/Action", 7, 17, "found the number `42`"),
    (
        "unknown_element.json",
        "syn-structure",
        "/Statement/0/Actions",
        7,
        18,
        "unknown statement element `Actions`",
    ),
    (
        "action_and_notaction.json",
        "syn-structure",
        "/Statement/0/NotAction",
        8,
        20,
        "both `Action` and `NotAction`",
    ),
    ("invalid_effect.json", "syn-structure", "/Statement/0/Effect", 5, 17, "found `allow`"),
    ("duplicate_keys.json", "syn-structure", "/Statement/0/Effect~#1", 5, 7, "repeated at line 9 column 7"),
    (
        "duplicate_keys.json",
        "syn-structure",
        "/Statement/0/Effect~#2",
        9,
        7,
        "first defined at line 5 column 7",
    ),
    (
        "unknown_shape.json",
        "input-error",
        "",
        1,
        1,
        "cannot tell what this file is: expected a policy document",
    ),
    # a get-key-policy `Policy` string: positions are in the outer file, through its escapes
    (
        "embedded_invalid.json",
        "syn-structure",
        "/Policy/Statement/0",
        2,
        69,
        "line 2 column 115: trailing comma",
    ),
    ("embedded_bad_effect.json", "syn-structure", "/Policy/Statement/0/Effect", 3, 147, "found `Permit`"),
]


@pytest.mark.parametrize(
    ("file", "rule", "pointer", "line", "column", "message"),
    BAD_CASES,
    ids=[f"{c[0]}:{c[2]}" for c in BAD_CASES],
)
def test_bad_input_ends_in_a_located_finding(
    mixed_run: ParseResult, file: str, rule: str, pointer: str, line: int, column: int, message: str
) -> None:
    matching = [f for f in mixed_run.findings if f.span.file == str(BAD / file) and f.span.pointer == pointer]
    assert [f.rule for f in matching] == [rule]
    assert message in matching[0].message
    assert located(mixed_run, matching[0]) == (line, column)


def test_the_yaml_bomb_is_refused_before_it_expands(mixed_run: ParseResult) -> None:
    [finding] = [f for f in mixed_run.findings if f.span.file == str(BAD / "yaml_bomb.yaml")]
    assert finding.rule == "input-error"
    assert "aliases expand" in finding.message
    assert located(mixed_run, finding)[0] >= 1
    assert not [d for d in mixed_run.documents if d.file.endswith("yaml_bomb.yaml")]


def test_every_bad_file_is_reported_and_every_good_file_still_read(mixed_run: ParseResult) -> None:
    for path in sorted(BAD.iterdir()):
        findings = [f for f in mixed_run.findings if f.span.file == str(path)]
        assert findings, path
        assert all(mixed_run.sources.locate(f.span) is not None for f in findings), path
    read = {Path(d.file).name for d in mixed_run.documents}
    assert {p.name for p in GOOD.iterdir()} <= read


GOOD_KINDS = {
    "key_policy.json": (InputKind.POLICY, PolicyKind.KEY),
    "key_policy.yaml": (InputKind.POLICY, PolicyKind.KEY),
    "bom_key_policy.json": (InputKind.POLICY, PolicyKind.KEY),
    "identity_policy.json": (InputKind.POLICY, PolicyKind.IDENTITY),
    "get_key_policy.json": (InputKind.GET_KEY_POLICY, PolicyKind.KEY),
    "describe_key.json": (InputKind.DESCRIBE_KEY, None),
    "list_grants.json": (InputKind.LIST_GRANTS, None),
    "list_aliases.json": (InputKind.LIST_ALIASES, None),
    "rotation_status.json": (InputKind.ROTATION_STATUS, None),
}


def test_good_inputs_are_detected_and_read_without_errors() -> None:
    result = parse_paths([str(GOOD)])
    assert [f for f in result.findings if f.severity.value == "error"] == []
    documents = {Path(d.file).name: d for d in result.documents}
    assert sorted(documents) == sorted(GOOD_KINDS)
    for name, (kind, policy_kind) in GOOD_KINDS.items():
        assert documents[name].kind is kind, name
        assert [p.kind for p in documents[name].policies] == ([policy_kind] if policy_kind else []), name


def test_a_bom_is_accepted_and_positions_ignore_it() -> None:
    result = parse_paths([str(GOOD / "bom_key_policy.json")])
    [document] = result.documents
    statement = document.policies[0].statements[1]
    assert located(result, _finding_at(statement.span.file, statement.span.pointer + "/Sid")) == (15, 14)
    assert located(result, _finding_at(statement.span.file, "")) == (1, 1)


def _finding_at(file: str, pointer: str) -> Finding:
    return Finding(id="T", rule="t", severity="info", message="m", span={"file": file, "pointer": pointer})


def test_get_key_policy_spans_continue_into_the_policy_string() -> None:
    result = parse_paths([str(GOOD / "get_key_policy.json")])
    [policy] = result.documents[0].policies
    action = policy.statements[1].action
    assert action is not None
    assert action[2].span.pointer == "/Policy/Statement/1/Action/2"
    where = result.sources.locate(action[2].span)
    assert where is not None
    line = result.sources.lines(where.file)[where.line - 1]
    assert line[where.column - 1 : where.end_column - 1] == '\\"kms:GenerateDataKey*\\"'


def test_aws_cli_listings_and_rotation_status() -> None:
    result = parse_paths(
        [str(GOOD / n) for n in ("list_grants.json", "list_aliases.json", "rotation_status.json")]
    )
    grants, aliases, rotation = result.documents
    assert [(g.grant_id[:6], g.operations) for g in grants.grants] == [("0c2374", ("Decrypt", "Encrypt"))]
    assert [(a.name, a.target_key_id) for a in aliases.aliases] == [
        ("alias/app", "1234abcd-12ab-34cd-56ef-1234567890ab"),
        ("alias/aws/ebs", None),
    ]
    [key] = rotation.keys
    assert (key.key_id, key.account, key.region, key.rotation_enabled, key.rotation_period_days) == (
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "111122223333",
        "us-east-1",
        True,
        365,
    )


def test_a_truncated_listing_is_a_finding_at_its_marker() -> None:
    text = json.dumps({"Grants": [], "NextMarker": "abc", "Truncated": True})
    result = parse_text(text, "grants.json")
    assert len(result.documents) == 1
    [finding] = result.findings
    assert (finding.rule, finding.severity, finding.span.pointer) == (
        "input-error",
        Severity.MEDIUM,
        "/NextMarker",
    )
    assert "truncated" in finding.message


def test_rotation_status_with_a_bare_key_id_keeps_the_arn_unknown() -> None:
    text = json.dumps({"KeyRotationEnabled": False, "KeyId": "1234abcd"})
    [document] = parse_text(text, "r.json", account="111122223333").documents
    [key] = document.keys
    assert isinstance(key.arn, Unknown)
    assert (key.key_id, key.account, key.rotation_enabled) == ("1234abcd", "111122223333", False)


@pytest.mark.parametrize(
    ("obj", "kind"),
    [
        ({"Version": "2012-10-17", "Statement": []}, InputKind.POLICY),
        ({"Version": "2012-10-17"}, InputKind.POLICY),
        ({"Policy": "{}", "PolicyName": "default"}, InputKind.GET_KEY_POLICY),
        ({"KeyMetadata": {}}, InputKind.DESCRIBE_KEY),
        ({"Grants": [], "Truncated": False}, InputKind.LIST_GRANTS),
        ({"Aliases": []}, InputKind.LIST_ALIASES),
        ({"KeyRotationEnabled": True}, InputKind.ROTATION_STATUS),
        ({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}, InputKind.CLOUDFORMATION),
        ({"Resources": {"Key": {"Type": "AWS::KMS::Key"}}}, InputKind.CLOUDFORMATION),
        ({"format_version": "1.2", "planned_values": {}}, InputKind.TERRAFORM_PLAN),
        ({"format_version": "1.2", "resource_changes": []}, InputKind.TERRAFORM_PLAN),
        ({"Resources": {"Thing": {"Type": "Custom::X"}}}, None),
        ({"format_version": "1.0"}, None),
        ([{"Statement": []}], None),
        ("just text", None),
    ],
)
def test_detection_by_top_level_shape(obj: object, kind: InputKind | None) -> None:
    assert detect_kind(obj) is kind


def test_kind_overrides_detection() -> None:
    text = json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]})
    [auto] = parse_text(text, "p.json").documents
    [forced] = parse_text(text, "p.json", kind=InputKind.KEY_POLICY).documents
    assert (auto.kind, auto.policies[0].kind) == (InputKind.POLICY, PolicyKind.IDENTITY)
    assert (forced.kind, forced.policies[0].kind) == (InputKind.KEY_POLICY, PolicyKind.KEY)
    snapshot = parse_text(text, "p.json", kind=InputKind.SNAPSHOT)
    assert [f.message for f in snapshot.findings] == ["an account snapshot is a folder, not a single file"]


def test_a_reader_bug_becomes_a_finding_and_the_run_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(obj: object, ctx: ReadContext) -> Document:
        raise KeyError("Grants")

    monkeypatch.setitem(parse._READERS, InputKind.LIST_GRANTS, broken)
    result = parse_paths([str(GOOD / "list_grants.json"), str(GOOD / "list_aliases.json")])
    [finding] = result.findings
    assert finding.rule == "input-error"
    assert finding.message.startswith(f"internal error while reading `{GOOD / 'list_grants.json'}`")
    assert [d.kind for d in result.documents] == [InputKind.LIST_ALIASES]


def test_missing_paths_are_findings_and_the_rest_is_read(tmp_path: Path) -> None:
    result = parse_paths([str(tmp_path / "nope.json"), str(GOOD / "key_policy.json")])
    assert [(f.rule, f.message) for f in result.findings] == [
        ("input-error", f"`{tmp_path / 'nope.json'}` does not exist")
    ]
    assert len(result.documents) == 1


def test_folders_are_walked_in_order_skipping_hidden_folders_and_other_files(tmp_path: Path) -> None:
    policy = (GOOD / "identity_policy.json").read_text()
    for name in (
        "b/z.json",
        "b/a.yml",
        "a.template",
        "c.tf.json",
        ".git/x.json",
        "notes.txt",
        "b/.hidden.json",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(policy)
    result = parse_paths([str(tmp_path)])
    assert [Path(d.file).relative_to(tmp_path).as_posix() for d in result.documents] == [
        "a.template",
        "b/.hidden.json",
        "b/a.yml",
        "b/z.json",
        "c.tf.json",
    ]
    # the other files are named, not read and not silently skipped
    assert [(f.severity, f.message) for f in result.findings] == [
        (
            Severity.INFO,
            f"1 file(s) below `{tmp_path}` not read, not JSON or YAML: `{tmp_path / 'notes.txt'}`",
        )
    ]


def test_a_folder_with_nothing_to_read_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.json").write_text("{}")
    result = parse_paths([str(tmp_path)])
    assert result.documents == []
    assert [(f.rule, f.severity) for f in result.findings] == [("input-error", Severity.ERROR)]
    assert f"`{tmp_path}` holds no input file" in result.findings[0].message


def test_a_folder_given_as_a_file_is_a_finding(tmp_path: Path) -> None:
    ctx = ReadContext(file=str(tmp_path), sources=SourceSet())
    assert read_file_text(tmp_path, ctx, 1000) is None
    assert [f.message for f in ctx.findings] == [f"`{tmp_path}` is a folder, not a file"]


def test_a_50_mb_file_is_refused_without_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)

    real_open = Path.open

    def no_reading(self: Path, *args: object, **kwargs: object) -> object:
        assert self != big, "the file was opened"
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", no_reading)
    result = parse_paths([str(big), str(GOOD / "key_policy.json")])
    [finding] = result.findings
    assert (finding.rule, finding.span.pointer) == ("input-error", "")
    assert finding.message == f"`{big}` is too large: 52,428,800 bytes, the limit is 10,000,000 bytes"
    assert located(result, finding) == (1, 1)
    assert len(result.documents) == 1


def test_the_size_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text((GOOD / "key_policy.json").read_text())
    assert [f.rule for f in parse_paths([str(path)], max_bytes=100).findings] == ["input-error"]
    assert parse_paths([str(path)], max_bytes=100_000).findings == []


@pytest.mark.parametrize(
    ("opening", "closing", "pointer_step"),
    [("[", "]", "/0"), ('{"a":', "}", "/a")],
)
def test_100000_deep_nesting_is_refused_without_recursion(
    tmp_path: Path, opening: str, closing: str, pointer_step: str
) -> None:
    path = tmp_path / "deep.json"
    path.write_text(opening * 100_000 + "1" * (opening == '{"a":') + closing * 100_000)
    result = parse_paths([str(path)])
    [finding] = result.findings
    assert finding.rule == "input-error"
    assert finding.span.pointer == pointer_step * 200
    column = 200 * len(opening) + 1
    assert finding.message == f"nesting deeper than 200 levels at line 1 column {column}"
    assert located(result, finding) == (1, column)


def test_nesting_just_over_the_limit_is_refused_too() -> None:
    text = "[" * 201 + "]" * 201
    result = parse_text(text, "deep.json")
    assert [(f.rule, f.span.pointer) for f in result.findings] == [("input-error", "/0" * 200)]
    at_the_limit = parse_text("[" * 200 + "]" * 200, "ok.json").findings
    assert [f.message[:29] for f in at_the_limit] == ["cannot tell what this file is"]


def test_standard_input_is_read_with_the_same_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (GOOD / "key_policy.json").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    [document] = parse_paths(["-"]).documents
    assert (document.file, document.kind) == ("<stdin>", InputKind.POLICY)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"Sid": "\xff"}')))
    [finding] = parse_paths(["-"]).findings
    assert finding.message == "`<stdin>` is not UTF-8 text: byte `0xff` at line 1 column 10"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert [f.rule for f in parse_paths(["-"], max_bytes=10).findings] == ["input-error"]


def test_parse_text_reads_yaml_by_suffix_and_json_otherwise() -> None:
    text = (GOOD / "key_policy.yaml").read_text()
    [document] = parse_text(text, "kp.yaml").documents
    assert document.policies[0].kind is PolicyKind.KEY
    broken = parse_text(text, "kp.json")
    assert [f.rule for f in broken.findings] == ["syn-structure"]
    [sniffed] = parse_text(text, "kp.template").documents
    assert sniffed.kind is InputKind.POLICY


def test_embedded_documents_report_duplicates_and_depth_in_outer_positions() -> None:
    inner = '{"Statement": [{"Effect": "Deny", "Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}'
    result = parse_text(json.dumps({"Policy": inner}, indent=2), "g.json")
    duplicates = [f for f in result.findings if f.message.startswith("duplicate key")]
    assert [(f.span.pointer, located(result, f)) for f in duplicates] == [
        ("/Policy/Statement/0/Effect~#1", (2, 32)),
        ("/Policy/Statement/0/Effect~#2", (2, 54)),
    ]
    deep = parse_text(json.dumps({"Policy": "[" * 300 + "]" * 300}), "d.json")
    [finding] = deep.findings
    assert finding.span.pointer == "/Policy" + "/0" * 200
    assert finding.message == "nesting deeper than 200 levels at line 1 column 213"
    assert located(deep, finding) == (1, 213)


def test_a_snapshot_folder_is_one_input_even_inside_a_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot_root = tmp_path / "account"
    snapshot_root.mkdir()
    (snapshot_root / "ignored.json").write_text("{}")
    (tmp_path / "p.json").write_text((GOOD / "identity_policy.json").read_text())
    problem = Finding(id="KMS000", rule="input-error", severity="error", message="m", span={"file": "x"})

    def read_snapshot(
        root: Path, sources: SourceSet, *, account: str | None, max_bytes: int
    ) -> tuple[Document, list[Finding]]:
        return Document(file=str(root), kind=InputKind.SNAPSHOT), [problem]

    monkeypatch.setattr(parse.snapshot, "is_snapshot", lambda root: root == snapshot_root)
    monkeypatch.setattr(parse.snapshot, "read_snapshot", read_snapshot)
    result = parse_paths([str(tmp_path)])
    assert [(Path(d.file).name, d.kind) for d in result.documents] == [
        ("account", InputKind.SNAPSHOT),
        ("p.json", InputKind.POLICY),
    ]
    assert result.findings == [problem]


# get-key-policy output as YAML: the policy in a block or single-quoted scalar. `§` marks where the
# public principal's value must be located; the policy is the same JSON in each style.
_YAML_POLICIES = {
    "literal_block": 'Policy: |\n  {"Statement": [\n    {"Principal": §"*"}\n  ]}\nPolicyName: default\n',
    "literal_block_strip": 'Policy: |-\n    {"Statement": [{"Principal": §"*"}]}\nPolicyName: default\n',
    "folded_block": 'Policy: >\n  {"Statement":\n  [{"Principal": §"*"}]}\nPolicyName: default\n',
    "single_quoted": 'Policy: \'{"Statement": [{"Sid": "it\'\'s", "Principal": §"*"}]}\'\n',
    "single_quoted_folded": 'Policy: \'{"Statement":\n  [{"Principal": §"*"}]}\'\n',
}


@pytest.mark.parametrize("style", sorted(_YAML_POLICIES))
def test_yaml_embedded_policy_positions_are_exact(style: str) -> None:
    marked = _YAML_POLICIES[style]
    text = marked.replace("§", "")
    before = marked[: marked.index("§")]
    expected = (before.count("\n") + 1, len(before) - before.rfind("\n"))
    result = parse_text(text, "p.yaml", kind=InputKind.GET_KEY_POLICY)
    assert not [f for f in result.findings if f.span.pointer == "/Policy"]  # the embedded JSON is read
    (policy,) = result.documents[0].policies
    where = result.sources.locate(policy.statements[0].principal[0].span)  # type: ignore[index]
    assert where is not None
    assert (where.line, where.column) == expected
