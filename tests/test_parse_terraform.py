"""Terraform plans (`terraform show -json`): case files under tests/iac_cases/terraform/ and the sample.

A case gives the plan as YAML; the test writes it as JSON indented by two spaces (as `jq .` does), so
the positions pinned in the case are positions in that text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from iac_cases.expect import check

from kmspolicy.model import Document, Finding, Unknown
from kmspolicy.parse.context import ReadContext
from kmspolicy.parse.source import SourceSet, load_json_text
from kmspolicy.parse.terraform import read_terraform_plan

CASES = sorted((Path(__file__).parent / "iac_cases" / "terraform").glob("*.yaml"))
SAMPLE = Path(__file__).parent.parent / "samples" / "terraform" / "plan.json"


def read(text: str, file: str, account: str | None = None) -> tuple[Document, list[Finding], SourceSet]:
    sources = SourceSet()
    ctx = ReadContext(file=file, sources=sources, account=account)
    obj = load_json_text(text, ctx)
    return read_terraform_plan(obj, ctx), ctx.findings, sources


@pytest.mark.parametrize("case_path", CASES, ids=lambda p: p.stem)
def test_case(case_path: Path) -> None:
    case: dict[str, Any] = yaml.safe_load(case_path.read_text())
    document, findings, sources = read(json.dumps(case["plan"], indent=2), "plan.json", case.get("account"))
    check(document, findings, sources, case["expect"], "plan.json")


@pytest.fixture(scope="module")
def sample() -> tuple[Document, list[Finding], SourceSet]:
    return read(SAMPLE.read_text(), str(SAMPLE))


def test_sample_keys(sample: tuple[Document, list[Finding], SourceSet]) -> None:
    document, _, sources = sample
    keys = {key.key_id: key for key in document.keys}
    assert list(keys) == [
        "aws_kms_key.data",
        "aws_kms_key.logs",
        "aws_kms_key.shared",
        "module.audit.aws_kms_key.this",
        "module.audit.aws_kms_replica_key.eu",
    ]
    data = keys["aws_kms_key.data"]
    assert data.arn == Unknown(expr="aws_kms_key.data.arn (known after apply)")
    assert data.account == "111122223333"  # from data.aws_caller_identity.current
    assert (data.aliases, data.rotation_enabled, data.policy_declared) == (("alias/app-data",), True, True)
    assert data.policy is not None
    assert [s.sid for s in data.policy.statements] == [
        "EnableIamUserPermissions",
        "KeyAdministrators",
        "AllowUseThroughS3",
    ]
    where = sources.locate(data.policy.statements[2].span)
    assert where is not None
    assert (where.line, where.column) == (31, 630)
    (grant,) = data.grants
    assert grant.grantee_principal == Unknown(expr="aws_iam_role.app.arn (known after apply)")
    assert grant.constraints is not None
    assert grant.constraints.encryption_context_subset == {"Department": "Finance"}
    logs = keys["aws_kms_key.logs"]
    assert (logs.policy, logs.policy_declared, logs.rotation_enabled) == (None, False, False)
    shared = keys["aws_kms_key.shared"]
    assert shared.policy_declared
    assert shared.policy is not None
    assert [s.principal[0].value for s in shared.policy.statements if s.principal] == [
        Unknown(expr="data.aws_caller_identity.current.account_id (known after apply)"),
        "arn:aws:iam::444455556666:root",
        Unknown(expr="aws_iam_role.app.arn (known after apply)"),
    ]
    replica = keys["module.audit.aws_kms_replica_key.eu"]
    assert (replica.multi_region_key_type, replica.policy is not None) == ("REPLICA", True)


def test_sample_principals(sample: tuple[Document, list[Finding], SourceSet]) -> None:
    document, findings, _ = sample
    app, ci = document.principals
    assert app.arn == "arn:aws:iam::111122223333:role/service/app-prod"
    assert [p.name for p in app.policies] == ["read-parameters"]
    assert app.trust_policy is not None
    assert app.trust_policy.name == "app-prod trust policy"
    assert (ci.name, [p.name for p in ci.policies]) == ("CiDeployer", ["decrypt-artifacts"])
    assert "`policy` of `aws_iam_policy.app_kms` is known only after apply; not read" in document.notes
    # Only the trust policy's missing Resource is reported, which is the policy reader's call.
    assert all("assume_role_policy" in finding.span.pointer for finding in findings)


TYPES = [
    "aws_kms_key",
    "aws_kms_key_policy",
    "aws_kms_grant",
    "aws_kms_alias",
    "aws_kms_replica_key",
    "aws_iam_policy",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_policy_document",
]
ATTRIBUTES = [
    "policy",
    "key_id",
    "arn",
    "name",
    "role",
    "user",
    "group",
    "grantee_principal",
    "operations",
    "constraints",
    "target_key_id",
    "inline_policy",
    "managed_policy_arns",
    "permissions_boundary",
    "assume_role_policy",
    "primary_key_arn",
    "policy_arn",
    "json",
    "tags",
    "enable_key_rotation",
    "is_enabled",
    "multi_region",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from(
        ["", "x", "{", '{"Statement": []}', "arn:aws:kms:us-east-1:111122223333:key/k", "aws_kms_key.a"]
    )
)
attribute_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(ATTRIBUTES), children, max_size=3)
    ),
    max_leaves=10,
)
resources = st.lists(
    st.builds(
        lambda kind, name, mode, values: {
            "address": f"{'data.' if mode == 'data' else ''}{kind}.{name}",
            "mode": mode,
            "type": kind,
            "name": name,
            "values": values,
        },
        st.sampled_from(TYPES),
        st.sampled_from(["a", "b"]),
        st.sampled_from(["managed", "data"]),
        st.dictionaries(st.sampled_from(ATTRIBUTES), attribute_values, max_size=5),
    ),
    max_size=5,
)


@given(resources, st.dictionaries(st.sampled_from(ATTRIBUTES), st.booleans(), max_size=4))
@settings(max_examples=200, deadline=None)
def test_any_plan_is_read_without_exceptions(items: list[dict[str, Any]], unknown: dict[str, bool]) -> None:
    """Whatever the plan holds, problems end as findings or notes, never as exceptions."""
    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": items}},
        "resource_changes": [
            {"address": item["address"], "change": {"after_unknown": unknown}} for item in items
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": item["address"],
                        "expressions": {name: {"references": ["aws_kms_key.a.arn"]} for name in unknown},
                    }
                    for item in items
                ]
            }
        },
    }
    document, findings, sources = read(json.dumps(plan, indent=2), "plan.json")
    assert len(document.keys) <= len(items)
    for finding in findings:
        assert sources.locate(finding.span) is not None
