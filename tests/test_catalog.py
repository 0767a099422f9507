"""The KMS action and condition-key catalogue: schema, agreement with the reference and the SDK, lookups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from kmspolicy import catalog
from kmspolicy.catalog import CROSS_ACCOUNT_ACTIONS, GRANT_OPERATIONS, ActionInfo, ConditionKeyInfo

PACKAGE = Path(catalog.__file__).parent
REFERENCE = Path("/work/shared/reference/kms-actions.json")


@pytest.mark.parametrize(
    ("file", "model"), [("actions.json", ActionInfo), ("condition_keys.json", ConditionKeyInfo)]
)
def test_data_files_follow_the_schema(file: str, model: type[ActionInfo | ConditionKeyInfo]) -> None:
    entries = json.loads((PACKAGE / file).read_text(encoding="utf-8"))
    TypeAdapter(list[model]).validate_python(entries)  # type: ignore[valid-type]
    with pytest.raises(ValidationError):
        model.model_validate({**entries[0], "surprise": 1})


def test_names_are_unique() -> None:
    assert len({a.action.lower() for a in catalog.all_actions()}) == len(catalog.all_actions())
    assert len({k.name.lower() for k in catalog.all_condition_keys()}) == len(catalog.all_condition_keys())


@pytest.mark.skipif(not REFERENCE.exists(), reason="reference material not available")
def test_actions_agree_with_the_reference() -> None:
    reference = {a["action"]: a for a in json.loads(REFERENCE.read_text(encoding="utf-8"))}
    assert {a.action for a in catalog.all_actions()} == set(reference)
    for info in catalog.all_actions():
        ref = reference[info.action]
        assert info.cross_account == ref["cross_account"]
        assert list(info.policy_location) == ref["policy_location"]
        assert info.grant_operation == ref["grant_operation"]
        assert list(info.condition_keys) == ref["condition_keys"]


def test_every_condition_key_of_an_action_is_catalogued() -> None:
    for info in catalog.all_actions():
        for key in info.condition_keys:
            assert catalog.condition_key(
                key.replace("${EncryptionContextKey}", "x").replace("${TagKey}", "t")
            ), key


def test_cross_account_actions_match_section_1_4() -> None:
    # §1.4: the operations with "Cross-account use: Yes"; ReEncrypt is the two permissions
    expected = {
        "CreateGrant",
        "Decrypt",
        "DeriveSharedSecret",
        "DescribeKey",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "GetKeyRotationStatus",
        "GetPublicKey",
        "ListGrants",
        "ReEncryptFrom",
        "ReEncryptTo",
        "RetireGrant",
        "RevokeGrant",
        "Sign",
        "Verify",
        "VerifyMac",
    }
    assert {f"kms:{name}" for name in expected} == CROSS_ACCOUNT_ACTIONS


def test_against_botocore_service_model() -> None:
    session_module = pytest.importorskip("botocore.session")
    model = session_module.get_session().get_service_model("kms")
    assert set(model.shape_for("GrantOperation").enum) == GRANT_OPERATIONS
    operations = {op for info in catalog.all_actions() for op in info.api_operations}
    missing = set(model.operation_names) - operations
    assert not missing, f"operations of the SDK model not in the catalogue: {sorted(missing)}"


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("kms:Decrypt", "kms:Decrypt"),
        ("KMS:decrypt", "kms:Decrypt"),
        ("kms:ReEncrypt", None),
        ("s3:GetObject", None),
    ],
)
def test_action_lookup(name: str, found: str | None) -> None:
    info = catalog.action(name)
    assert (info.action if info else None) == found


def test_action_properties() -> None:
    create_key = catalog.action("kms:CreateKey")
    retire = catalog.action("kms:RetireGrant")
    assert create_key is not None
    assert create_key.key_less
    assert not create_key.in_key_policy
    assert retire is not None
    assert not retire.in_key_policy
    assert retire.name == "RetireGrant"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("kms:ReEncrypt*", {"kms:ReEncryptFrom", "kms:ReEncryptTo"}),
        (
            "KMS:generatedatakey*",
            {
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyPair",
                "kms:GenerateDataKeyPairWithoutPlaintext",
                "kms:GenerateDataKeyWithoutPlaintext",
            },
        ),
        ("kms:Create*", {"kms:CreateAlias", "kms:CreateGrant", "kms:CreateKey", "kms:CreateCustomKeyStore"}),
        ("kms:Delete*", {"kms:DeleteAlias", "kms:DeleteCustomKeyStore", "kms:DeleteImportedKeyMaterial"}),
        ("kms:Describe*", {"kms:DescribeKey", "kms:DescribeCustomKeyStores"}),
        ("kms:?ecrypt", {"kms:Decrypt"}),
        ("s3:*", set()),
    ],
)
def test_expand_actions(pattern: str, expected: set[str]) -> None:
    assert catalog.expand_actions(pattern) == expected


def test_star_means_every_kms_action() -> None:
    everything = {a.action for a in catalog.all_actions()}
    assert catalog.expand_actions("*") == everything
    assert catalog.expand_actions("kms:*") == everything
    assert {"kms:CreateKey", "kms:DescribeKey", "kms:ListKeys"} <= catalog.expand_actions("kms:*Key*")


@pytest.mark.parametrize(
    ("name", "canonical", "key_type", "multi"),
    [
        ("kms:EncryptionContext:Project", "kms:EncryptionContext:${EncryptionContextKey}", "String", False),
        ("KMS:ENCRYPTIONCONTEXTKEYS", "kms:EncryptionContextKeys", "String", True),
        ("aws:PrincipalTag/team", "aws:PrincipalTag/${TagKey}", "String", False),
        ("aws:requesttag/Env", "aws:RequestTag/${TagKey}", "String", False),
        ("aws:ResourceTag/Env", "aws:ResourceTag/${TagKey}", "String", False),
        ("kms:RecipientAttestation:PCR31", "kms:RecipientAttestation:PCR${PCRIndex}", "String", False),
        ("kms:RecipientAttestation:ImageSha384", "kms:RecipientAttestation:ImageSha384", "String", False),
        ("aws:SourceIP", "aws:SourceIp", "IP", False),
        ("kms:GrantIsForAWSResource", "kms:GrantIsForAWSResource", "Bool", False),
        ("kms:ValidTo", "kms:ValidTo", "Date", False),
        ("aws:PrincipalArn", "aws:PrincipalArn", "ARN", False),
    ],
)
def test_condition_key_lookup(name: str, canonical: str, key_type: str, multi: bool) -> None:
    info = catalog.condition_key(name)
    assert info is not None
    assert (info.name, info.type, info.multi_valued) == (canonical, key_type, multi)


@pytest.mark.parametrize(
    "name",
    ["kms:RecipientAttestation:PCR32", "kms:RecipientAttestation:NitroTPMPCR24", "kms:Nope", "aws:Nope"],
)
def test_unknown_condition_keys(name: str) -> None:
    assert catalog.condition_key(name) is None


def test_iam_only_keys() -> None:
    for name in ("kms:ResourceAliases", "aws:ResourceTag/x"):
        info = catalog.condition_key(name)
        assert info is not None
        assert info.policy_location == ("iam_policy",)
