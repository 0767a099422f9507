"""AWS managed keys: created by a service on first use, used only through it, never changed by hand."""

from __future__ import annotations

import json

import pytest
from estate import REGION, A, Estate

from kmspolicy.simulator import KMSError


def test_created_on_first_use_by_the_service(estate: Estate) -> None:
    with pytest.raises(KMSError, match="NotFoundException"):
        estate.alice.describe_key(KeyId="alias/aws/s3")
    s3 = estate.world.service_client("s3", estate.alice.principal, REGION)
    out = s3.generate_data_key(KeyId="alias/aws/s3", KeySpec="AES_256")
    meta = estate.alice.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    assert meta["Arn"] == out["KeyId"]
    assert s3.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"] == out["Plaintext"]
    alias = [a for a in estate.alice.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/s3"]
    assert alias[0]["TargetKeyId"] == meta["KeyId"]
    assert estate.alice.get_key_rotation_status(KeyId=meta["Arn"])["KeyRotationEnabled"] is True


def test_policy_has_the_real_shape(estate: Estate) -> None:
    s3 = estate.world.service_client("s3", estate.alice.principal, REGION)
    key = s3.encrypt(KeyId="alias/aws/s3", Plaintext=b"p")["KeyId"]
    policy = json.loads(estate.alice.get_key_policy(KeyId=key)["Policy"])
    use, meta = policy["Statement"]
    assert use["Principal"] == {"AWS": "*"}
    assert use["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:CallerAccount": A}
    }
    assert meta["Principal"] == {"AWS": f"arn:aws:iam::{A}:root"}
    assert "kms:RevokeGrant" in meta["Action"]


def test_direct_use_and_changes_are_refused(estate: Estate) -> None:
    """W29: alice has kms:* in IAM, yet cannot use or change the key directly."""
    s3 = estate.world.service_client("s3", estate.alice.principal, REGION)
    out = s3.encrypt(KeyId="alias/aws/s3", Plaintext=b"p")
    key = out["KeyId"]
    for call, params in (
        (estate.alice.decrypt, {"CiphertextBlob": out["CiphertextBlob"]}),
        (estate.alice.encrypt, {"KeyId": key, "Plaintext": b"p"}),
        (estate.alice.schedule_key_deletion, {"KeyId": key}),
        (estate.alice.disable_key, {"KeyId": key}),
        (estate.alice.put_key_policy, {"KeyId": key, "Policy": "{}"}),
        (estate.alice.enable_key_rotation, {"KeyId": key}),
        (estate.alice.tag_resource, {"KeyId": key, "Tags": [{"TagKey": "a", "TagValue": "b"}]}),
    ):
        with pytest.raises(KMSError, match="AccessDeniedException"):
            call(**params)
    estate.alice.describe_key(KeyId=key)  # metadata is delegated to the account
    estate.alice.list_grants(KeyId=key)
    with pytest.raises(KMSError):
        estate.alice.create_alias(AliasName="alias/aws/mine", TargetKeyId=key)


def test_other_accounts_and_services_cannot_use_it(estate: Estate) -> None:
    s3 = estate.world.service_client("s3", estate.alice.principal, REGION)
    out = s3.encrypt(KeyId="alias/aws/s3", Plaintext=b"p")
    other_service = estate.world.service_client("secretsmanager", estate.alice.principal, REGION)
    with pytest.raises(KMSError, match="AccessDeniedException"):
        other_service.decrypt(CiphertextBlob=out["CiphertextBlob"])
    partner_via_s3 = estate.world.service_client("s3", estate.partner.principal, REGION)
    with pytest.raises(KMSError, match="AccessDeniedException"):
        partner_via_s3.decrypt(CiphertextBlob=out["CiphertextBlob"])
