"""CloudFormation templates and the YAML loader: case files under tests/iac_cases/cloudformation/,
the bundled samples, and properties of `load_yaml` (round trip, every value located)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from iac_cases.expect import check

from kmspolicy.model import Document, Finding, Span, Unknown
from kmspolicy.parse.cloudformation import read_cloudformation
from kmspolicy.parse.context import ReadContext, pointer_join
from kmspolicy.parse.source import SourceSet, load_json_text
from kmspolicy.parse.yamlload import load_yaml

CASES = sorted((Path(__file__).parent / "iac_cases" / "cloudformation").glob("*.yaml"))
SAMPLES = Path(__file__).parent.parent / "samples" / "cloudformation"


def read(text: str, file: str, account: str | None = None) -> tuple[Document, list[Finding], SourceSet]:
    sources = SourceSet()
    ctx = ReadContext(file=file, sources=sources, account=account)
    obj = load_json_text(text, ctx) if file.endswith(".json") else load_yaml(text, ctx)
    document = (
        read_cloudformation(obj, ctx) if obj is not None else Document(file=file, kind="cloudformation")
    )
    return document, ctx.findings, sources


@pytest.mark.parametrize("case_path", CASES, ids=lambda p: p.stem)
def test_case(case_path: Path) -> None:
    case: dict[str, Any] = yaml.safe_load(case_path.read_text())
    document, findings, sources = read(case["template"], "template.yaml", case.get("account"))
    check(document, findings, sources, case["expect"], "template.yaml")


def test_sample_app_keys() -> None:
    path = SAMPLES / "app-keys.yaml"
    document, findings, sources = read(path.read_text(), str(path), "111122223333")
    keys = {key.key_id: key for key in document.keys}
    assert sorted(keys) == ["DataKey", "LogsKey", "SigningKey"]
    data = keys["DataKey"]
    assert data.aliases == ("alias/orders/prod/data",)
    assert (data.rotation_enabled, data.rotation_period_days, data.policy_declared) == (True, 180, True)
    assert data.policy is not None
    sids = [statement.sid for statement in data.policy.statements]
    assert sids[-1] == "Deny key deletion in production"  # the `!If` on IsProd took its first branch
    deny = data.policy.statements[-1]
    assert deny.span.pointer == "/Resources/DataKey/Properties/KeyPolicy/Statement/4/Fn::If/1"
    where = sources.locate(deny.span)
    assert where is not None
    assert (where.line, where.column) == (74, 15)
    assert data.policy.statements[2].principal is not None
    assert data.policy.statements[2].principal[0].value == Unknown(expr="GetAtt(AppRole.Arn)")
    assert (keys["LogsKey"].policy, keys["LogsKey"].policy_declared) == (None, False)
    assert keys["SigningKey"].bypass_policy_lockout_safety_check is True
    (role,) = document.principals
    assert role.arn == "arn:aws:iam::111122223333:role/service/orders-app-prod"
    assert [policy.name for policy in role.policies] == ["use-data-key", "orders-read-keys-prod"]
    # The only finding is the trust policy's missing Resource, which is the policy reader's call.
    assert all("AssumeRolePolicyDocument" in finding.span.pointer for finding in findings)


def test_sample_replica_key_json() -> None:
    path = SAMPLES / "replica-key.json"
    document, findings, sources = read(path.read_text(), str(path))
    (key,) = document.keys
    assert (key.multi_region_key_type, key.aliases, key.pending_window_days) == (
        "REPLICA",
        ("alias/orders/prod/data",),
        7,
    )
    assert key.policy is not None
    root, s3 = key.policy.statements
    assert root.principal is not None
    assert root.principal[0].value == Unknown(expr="Join(arn:aws:iam::${AWS::AccountId}:root)")
    assert [c.values for c in s3.conditions] == [
        (Unknown(expr="Sub(s3.${AWS::Region}.amazonaws.com)"),),
        (Unknown(expr="Ref(AWS::AccountId)"),),
    ]
    where = sources.locate(s3.conditions[0].span)
    assert where is not None
    assert (where.line, where.column) == (35, 55)
    assert findings == []


SHORT_FORMS = [
    ("!Ref Key", {"Ref": "Key"}),
    ('!Sub "a-${B}"', {"Fn::Sub": "a-${B}"}),
    ('!Sub ["a-${B}", {B: x}]', {"Fn::Sub": ["a-${B}", {"B": "x"}]}),
    ("!GetAtt Key.Arn", {"Fn::GetAtt": ["Key", "Arn"]}),
    ("!GetAtt Stack.Outputs.Name", {"Fn::GetAtt": ["Stack", "Outputs.Name"]}),
    ("!GetAtt [Key, Arn]", {"Fn::GetAtt": ["Key", "Arn"]}),
    ('!Join [":", [a, !Ref B]]', {"Fn::Join": [":", ["a", {"Ref": "B"}]]}),
    ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
    ('!Split [",", "a,b"]', {"Fn::Split": [",", "a,b"]}),
    ("!If [C, a, b]", {"Fn::If": ["C", "a", "b"]}),
    ("!Equals [a, b]", {"Fn::Equals": ["a", "b"]}),
    ("!Not [!Condition C]", {"Fn::Not": [{"Condition": "C"}]}),
    ("!And [!Condition C, !Condition D]", {"Fn::And": [{"Condition": "C"}, {"Condition": "D"}]}),
    ("!Or [!Condition C, !Condition D]", {"Fn::Or": [{"Condition": "C"}, {"Condition": "D"}]}),
    ("!FindInMap [M, a, b]", {"Fn::FindInMap": ["M", "a", "b"]}),
    ("!Base64 text", {"Fn::Base64": "text"}),
    ('!Cidr ["10.0.0.0/16", 4, 8]', {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
    ("!ImportValue shared-key-arn", {"Fn::ImportValue": "shared-key-arn"}),
    (
        "!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
        {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}},
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    SHORT_FORMS,
    ids=[text.split()[0] + str(i) for i, (text, _) in enumerate(SHORT_FORMS)],
)
def test_short_form_tags_become_long_forms(text: str, expected: object) -> None:
    ctx = ReadContext(file="t.yaml", sources=SourceSet())
    assert load_yaml(f"v: {text}\n", ctx) == {"v": expected}
    assert ctx.findings == []
    # The long form's key points at the tagged node, as does the value itself.
    assert isinstance(expected, dict)
    (name,) = expected
    inner, outer = (ctx.sources.locate(Span(file="t.yaml", pointer=p)) for p in (f"/v/{name}", "/v"))
    assert inner is not None
    assert outer is not None
    assert (
        (inner.line, inner.column, inner.end_column)
        == (outer.line, outer.column, outer.end_column)
        == (1, 4, len(text) + 4)
    )


def test_yaml_scalars_stay_json_like() -> None:
    ctx = ReadContext(file="t.yaml", sources=SourceSet())
    text = "Version: 2012-10-17\nn: 12\nf: 1.5\nb: true\nz: null\nq: '0123'\nx: !!binary aGk=\n"
    value = load_yaml(text, ctx)
    assert value == {
        "Version": "2012-10-17",
        "n": 12,
        "f": 1.5,
        "b": True,
        "z": None,
        "q": "0123",
        "x": "aGk=",
    }


def test_unknown_tag_is_reported_and_read_untagged() -> None:
    ctx = ReadContext(file="t.yaml", sources=SourceSet())
    assert load_yaml("a: !Fancy b\n", ctx) == {"a": "b"}
    assert [(f.id, f.span.pointer) for f in ctx.findings] == [("KMS092", "/a")]
    assert "unknown YAML tag `!Fancy`" in ctx.findings[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [1, *a]\n", "a YAML alias refers to the collection that contains it"),
        ("[" * 300 + "]" * 300, "nested more than 200 levels deep"),
        ("", "the YAML document is empty"),
        ("a: 1\n---\nb: 2\n", "more than one YAML document"),
    ],
)
def test_refused_documents(text: str, message: str) -> None:
    ctx = ReadContext(file="t.yaml", sources=SourceSet())
    assert load_yaml(text, ctx) is None
    assert len(ctx.findings) == 1
    assert message in ctx.findings[0].message


def test_merge_keys_fill_only_missing_keys() -> None:
    ctx = ReadContext(file="t.yaml", sources=SourceSet())
    value = load_yaml("base: &b {Effect: Allow, Action: x}\nstmt: {<<: *b, Action: y}\n", ctx)
    assert value == {"base": {"Effect": "Allow", "Action": "x"}, "stmt": {"Action": "y", "Effect": "Allow"}}


# YAML allows only printable characters in a document (JSON escapes others; templates do not need them).
printable = st.characters(categories=["L", "N", "P", "S", "Zs"], exclude_characters="\ufeff\ufffe\uffff")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(printable, max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(printable, max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)


def _pointers(value: object, pointer: str = "") -> list[str]:
    found = [pointer]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_pointers(item, pointer_join(pointer, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_pointers(item, pointer_join(pointer, index)))
    return found


@given(json_values, st.sampled_from(["block", "flow", "json"]))
@settings(max_examples=150, deadline=None)
def test_round_trip_and_every_value_located(value: object, style: str) -> None:
    if style == "json":
        text = json.dumps(value, indent=2, ensure_ascii=False)  # JSON is YAML: templates may be either
    else:
        text = yaml.safe_dump(value, default_flow_style=style == "flow", allow_unicode=True)
    ctx = ReadContext(file="t.yaml", sources=SourceSet())
    assert load_yaml(text, ctx) == value
    assert ctx.findings == []
    lines = text.split("\n")
    for pointer in _pointers(value):
        where = ctx.sources.locate(Span(file="t.yaml", pointer=pointer))
        assert where is not None
        assert where.pointer == pointer
        assert 1 <= where.line <= len(lines)
        assert 1 <= where.column <= len(lines[where.line - 1]) + 1


SUB_PARTS = [
    "${Env}",
    "${Missing}",
    "${AWS::AccountId}",
    "${AWS::Region}",
    "${AWS::Partition}",
    "${!Literal}",
]
SUB_KNOWN = {"${Env}": "prod", "${AWS::Partition}": "aws", "${!Literal}": "${Literal}"}


@given(st.lists(st.text("ab:/-", max_size=4) | st.sampled_from(SUB_PARTS), max_size=6), st.booleans())
@settings(max_examples=100, deadline=None)
def test_sub_is_text_only_when_every_variable_is_known(parts: list[str], with_account: bool) -> None:
    template = {
        "Parameters": {"Env": {"Type": "String", "Default": "prod"}, "Missing": {"Type": "String"}},
        "Resources": {
            "K": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "kms:Decrypt",
                                "Resource": "*",
                                "Condition": {
                                    "StringEquals": {"aws:PrincipalTag/t": {"Fn::Sub": "".join(parts)}}
                                },
                            }
                        ],
                    }
                },
            }
        },
    }
    account = "111122223333" if with_account else None
    document, _, _ = read(json.dumps(template), "t.json", account)
    assert document.keys[0].policy is not None
    (value,) = document.keys[0].policy.statements[0].conditions[0].values
    known = {**SUB_KNOWN, **({"${AWS::AccountId}": account} if account else {})}
    if all(part in known or part not in SUB_PARTS for part in parts):
        assert value == "".join(known.get(part, part) for part in parts)
    else:
        assert isinstance(value, Unknown)
        assert value.expr == "Sub(" + "".join(known.get(part, part) for part in parts) + ")"


RESOURCE_TYPES = [
    "AWS::KMS::Key",
    "AWS::KMS::ReplicaKey",
    "AWS::KMS::Alias",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::IAM::Group",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::RolePolicy",
]
PROPERTIES = [
    "KeyPolicy",
    "EnableKeyRotation",
    "Enabled",
    "Tags",
    "AliasName",
    "TargetKeyId",
    "PrimaryKeyArn",
    "RoleName",
    "Policies",
    "PolicyDocument",
    "Roles",
    "Groups",
    "ManagedPolicyArns",
    "PermissionsBoundary",
    "AssumeRolePolicyDocument",
    "RotationPeriodInDays",
    "KeySpec",
]
intrinsics = st.sampled_from(
    [
        {"Ref": "K"},
        {"Ref": "AWS::NoValue"},
        {"Fn::GetAtt": ["K", "Arn"]},
        {"Fn::Sub": "${X}"},
        {"Fn::If": ["C", "a", {"Ref": "AWS::NoValue"}]},
        {"Fn::Join": [",", {"Ref": "L"}]},
        {"Fn::Select": ["x", []]},
    ]
)
template_values = st.recursive(
    json_values | intrinsics,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(PROPERTIES), children, max_size=3)
    ),
    max_leaves=15,
)


@given(
    st.dictionaries(
        st.sampled_from(["K", "L", "M"]),
        st.fixed_dictionaries(
            {"Type": st.sampled_from(RESOURCE_TYPES)},
            optional={
                "Properties": st.dictionaries(st.sampled_from(PROPERTIES), template_values, max_size=4)
            },
        ),
        max_size=3,
    ),
    st.dictionaries(st.just("C"), st.sampled_from([{"Fn::Equals": ["a", "a"]}, {"Condition": "C"}, "x"])),
)
@settings(max_examples=200, deadline=None)
def test_any_template_is_read_without_exceptions(
    resources: dict[str, object], conditions: dict[str, object]
) -> None:
    """Whatever the template holds, problems end as findings or notes, never as exceptions."""
    text = json.dumps({"Conditions": conditions, "Resources": resources})
    document, findings, sources = read(text, "t.json", "111122223333")
    assert len(document.keys) <= len(resources)
    for finding in findings:
        assert sources.locate(finding.span) is not None


@pytest.mark.parametrize("text", ["\ufeffa: 1\r\nb: xy\r\n", "a: 1\nb: xy\n"], ids=["bom-crlf", "plain"])
def test_positions_ignore_byte_order_mark_and_crlf(text: str) -> None:
    ctx = ReadContext(file="t.yaml", sources=SourceSet())
    assert load_yaml(text, ctx) == {"a": 1, "b": "xy"}
    where = ctx.sources.locate(Span(file="t.yaml", pointer="/b"))
    assert where is not None
    assert (where.line, where.column, where.end_column) == (2, 4, 6)
