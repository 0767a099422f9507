"""Template and plan mistakes that CloudFormation or Terraform would reject are reported at the
offending element (never resolved in silence); correct uses of the same features are not reported."""

from __future__ import annotations

import json

import pytest

from kmspolicy.model import Document, Finding, Unknown
from kmspolicy.parse.cloudformation import read_cloudformation
from kmspolicy.parse.context import SYN_STRUCTURE, ReadContext
from kmspolicy.parse.source import SourceSet
from kmspolicy.parse.terraform import read_terraform_plan
from kmspolicy.parse.yamlload import load_yaml

PRINCIPAL = "/Resources/Key/Properties/KeyPolicy/Statement/0/Principal/AWS"
HEAD = (
    "Parameters:\n  Env: {Type: String, Default: prod}\n"
    "Mappings:\n  Accounts: {prod: {id: '111122223333'}}\n"
    "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n"
)


def template(principal: str, head: str = HEAD, extra: str = "") -> str:
    return (
        head + "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n"
        "        Statement:\n          - Effect: Allow\n            Principal:\n"
        f"              AWS: {principal}\n            Action: kms:Decrypt\n            Resource: '*'\n"
        + extra
    )


def read_template(text: str) -> tuple[Document, list[Finding]]:
    ctx = ReadContext(file="t.yaml", sources=SourceSet(), account="111122223333")
    obj = load_yaml(text, ctx)
    assert obj is not None
    return read_cloudformation(obj, ctx), ctx.findings


def principal_value(document: Document) -> object:
    (key,) = document.keys
    assert key.policy is not None
    principal = key.policy.statements[0].principal
    assert principal is not None
    return principal[0].value


MISTAKES = [
    ("select_out_of_range", template("!Select [5, [a, b]]"), PRINCIPAL, "out of range"),
    ("select_negative", template("!Select [-1, [a, b]]"), PRINCIPAL, "negative"),
    ("select_negative_text", template("!Select ['-1', [a, b]]"), PRINCIPAL, "negative"),
    ("if_missing_condition", template("!If [Nope, a, b]"), PRINCIPAL, "`Nope`"),
    ("ref_missing", template("!Ref Nope"), PRINCIPAL, "`Nope`"),
    ("getatt_missing", template("!GetAtt Nope.Arn"), PRINCIPAL, "`Nope`"),
    ("getatt_list_missing", template("!GetAtt [Nope, Arn]"), PRINCIPAL, "`Nope`"),
    ("sub_undefined", template("!Sub 'arn:aws:iam::${Nope}:root'"), PRINCIPAL, "`Nope`"),
    ("sub_undefined_attribute", template("!Sub '${Nope.Arn}'"), PRINCIPAL, "`Nope.Arn`"),
    ("sub_variable_value", template("!Sub ['${A}', {A: !Ref Nope}]"), PRINCIPAL + "/Fn::Sub/1/A", "`Nope`"),
    ("unknown_function", template("{'Fn::Nope': [1, 2]}"), PRINCIPAL, "`Fn::Nope`"),
    ("nested_in_argument", template("!Join ['', [!Ref Nope]]"), PRINCIPAL + "/Fn::Join/1/0", "`Nope`"),
    ("findinmap_missing_map", template("!FindInMap [NoMap, a, b]"), PRINCIPAL, "`NoMap`"),
    ("findinmap_missing_key", template("!FindInMap [Accounts, dev, id]"), PRINCIPAL, "`dev`"),
    ("join_not_a_list", template("!Join [',', notalist]"), PRINCIPAL, "`Fn::Join`"),
    ("join_without_delimiter", template("!Join [[a]]"), PRINCIPAL, "`Fn::Join`"),
    (
        "circular_conditions",
        template("a", "Conditions:\n  A: !Not [!Condition B]\n  B: !And [!Condition A, !Condition A]\n"),
        "/Conditions/A",
        "circular conditions: `A` → `B` → `A`",
    ),
    (
        "condition_refers_to_itself",
        template("a", "Conditions:\n  A: !Not [!Condition A]\n"),
        "/Conditions/A",
        "circular",
    ),
    (
        "condition_missing",
        template("a", "Conditions:\n  A: !Not [!Condition B]\n"),
        "/Conditions/A/Fn::Not/0",
        "`B`",
    ),
    (
        "resource_condition_missing",
        template("a", extra="    Condition: Nope\n"),
        "/Resources/Key/Condition",
        "`Nope`",
    ),
    (
        "role_without_trust_policy",
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n",
        "/Resources/R",
        "`AssumeRolePolicyDocument`",
    ),
]


@pytest.mark.parametrize(
    ("text", "pointer", "fragment"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_template_mistake_is_reported(text: str, pointer: str, fragment: str) -> None:
    _, findings = read_template(text)
    reported = [(f.rule, f.span.pointer, f.severity) for f in findings if fragment in f.message]
    assert reported == [(SYN_STRUCTURE[1], pointer, "error")], [(f.span.pointer, f.message) for f in findings]


@pytest.mark.parametrize(
    "principal",
    [
        "!Select [5, [a, b]]",
        "!Select [-1, [a, b]]",
        "!Ref Nope",
        "!If [Nope, a, b]",
        "!FindInMap [NoMap, a, b]",
    ],
)
def test_a_mistake_still_resolves_to_unknown(principal: str) -> None:
    document, _ = read_template(template(principal))
    assert isinstance(principal_value(document), Unknown)


CORRECT = [
    ("ref_parameter", "!Ref Env", "prod"),
    ("ref_pseudo", "!Ref AWS::AccountId", "arn:aws:iam::111122223333:root"),
    ("ref_resource", "!Ref Key", None),
    ("getatt_resource", "!GetAtt Key.Arn", None),
    (
        "sub_known",
        "!Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${Env}'",
        "arn:aws:iam::111122223333:role/prod",
    ),
    ("sub_local_and_escaped", "!Sub ['${A}-${!Literal}-${Key.Arn}', {A: x}]", None),
    ("select_in_range", "!Select [1, [a, b]]", "b"),
    ("select_from_split", "!Select [0, !Split [',', 'a,b']]", "a"),
    ("if_declared", "!If [IsProd, a, b]", "a"),
    ("findinmap", "!FindInMap [Accounts, prod, id]", "arn:aws:iam::111122223333:root"),
    ("findinmap_default", "!FindInMap [Accounts, dev, id, {DefaultValue: d}]", "d"),
    ("join_of_function", "!Join [',', !Split [',', 'a']]", "a"),
    ("getazs", "!Select [0, !GetAZs '']", None),
]


@pytest.mark.parametrize(("principal", "value"), [c[1:] for c in CORRECT], ids=[c[0] for c in CORRECT])
def test_correct_template_is_not_reported(principal: str, value: str | None) -> None:
    document, findings = read_template(template(principal))
    assert [f.message for f in findings if f.rule == SYN_STRUCTURE[1]] == []
    resolved = principal_value(document)
    assert resolved == value if value is not None else isinstance(resolved, Unknown)


def test_a_transform_declares_names_of_its_own() -> None:
    text = template("!GetAtt MyFunctionRole.Arn", "Transform: AWS::Serverless-2016-10-31\n")
    _, findings = read_template(text + "  Fn:\n    Type: AWS::Serverless::Function\n")
    assert [f.message for f in findings if f.rule == SYN_STRUCTURE[1]] == []


# ---- Terraform ----------------------------------------------------------------------------------

RESOURCE = {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "values": {"policy": None}}
CHANGE = {
    "address": "aws_kms_key.k",
    "mode": "managed",
    "type": "aws_kms_key",
    "change": {"actions": ["create"], "after": {}},
}
PLAN: dict[str, object] = {
    "format_version": "1.2",
    "planned_values": {"root_module": {"resources": [RESOURCE]}},
    "resource_changes": [CHANGE],
}


def read_plan(plan: dict[str, object]) -> list[tuple[str, str]]:
    ctx = ReadContext(file="plan.json", sources=SourceSet())
    read_terraform_plan(json.loads(json.dumps(plan)), ctx)
    return [(f.span.pointer, f.message) for f in ctx.findings if f.rule == SYN_STRUCTURE[1]]


PLAN_MISTAKES = [
    (
        "planned_values_list",
        {**PLAN, "planned_values": [1]},
        "/planned_values",
        "`planned_values` must be a mapping, not a list",
    ),
    (
        "resource_changes_object",
        {**PLAN, "resource_changes": {"a": 1}},
        "/resource_changes",
        "`resource_changes` must be a list",
    ),
    (
        "missing_planned_values",
        {"format_version": "1.2", "resource_changes": [CHANGE]},
        "",
        "no `planned_values`",
    ),
    (
        "missing_resource_changes",
        {"format_version": "1.2", "planned_values": PLAN["planned_values"]},
        "",
        "no `resource_changes`",
    ),
    (
        "policy_number",
        {**PLAN, "planned_values": {"root_module": {"resources": [{**RESOURCE, "values": {"policy": 5}}]}}},
        "/planned_values/root_module/resources/0/values/policy",
        "`policy` of `aws_kms_key.k` must be a policy document as a JSON string, not a number",
    ),
]


@pytest.mark.parametrize(
    ("plan", "pointer", "fragment"), [m[1:] for m in PLAN_MISTAKES], ids=[m[0] for m in PLAN_MISTAKES]
)
def test_plan_mistake_is_reported(plan: dict[str, object], pointer: str, fragment: str) -> None:
    found = read_plan(plan)
    assert [p for p, message in found if fragment in message] == [pointer], found


@pytest.mark.parametrize(
    "plan",
    [
        PLAN,
        {
            "format_version": "1.2",
            "planned_values": {"root_module": {}},
        },  # nothing planned: no changes either
        {"format_version": "1.0", "values": {"root_module": {"resources": [RESOURCE]}}},  # a state
    ],
    ids=["complete", "empty_plan", "state"],
)
def test_complete_plan_is_not_reported(plan: dict[str, object]) -> None:
    assert read_plan(plan) == []
