"""Key management, key policy, rotation, tags, aliases and parameter validation through the API."""

from __future__ import annotations

import json

import pytest
from estate import REGION, A, B, Estate, new_key

from kmspolicy.simulator import KMSError


def test_create_key_metadata(estate: Estate) -> None:
    meta = estate.alice.create_key(Description="app data", Tags=[{"TagKey": "team", "TagValue": "a"}])[
        "KeyMetadata"
    ]
    assert meta["AWSAccountId"] == A
    assert meta["Arn"].startswith(f"arn:aws:kms:{REGION}:{A}:key/")
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeySpec"] == meta["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["Origin"] == "AWS_KMS"
    assert meta["MultiRegion"] is False
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert len(meta["CurrentKeyMaterialId"]) == 64
    assert estate.alice.list_resource_tags(KeyId=meta["KeyId"])["Tags"] == [
        {"TagKey": "team", "TagValue": "a"}
    ]


def test_default_key_policy_delegates_to_the_account(estate: Estate) -> None:
    key = new_key(estate.alice)
    policy = json.loads(estate.alice.get_key_policy(KeyId=key)["Policy"])
    assert policy["Statement"] == [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    assert estate.alice.list_key_policies(KeyId=key)["PolicyNames"] == ["default"]
    with pytest.raises(KMSError, match="NotFoundException"):
        estate.alice.get_key_policy(KeyId=key, PolicyName="other")


def test_list_keys_paginates(estate: Estate) -> None:
    keys = {new_key(estate.alice) for _ in range(3)}
    first = estate.alice.list_keys(Limit=2)
    assert first["Truncated"] is True
    assert len(first["Keys"]) == 2
    rest = estate.alice.list_keys(Limit=2, Marker=first["NextMarker"])
    assert rest["Truncated"] is False
    assert {k["KeyArn"] for k in first["Keys"] + rest["Keys"]} == keys
    with pytest.raises(KMSError, match="InvalidMarkerException"):
        estate.alice.list_keys(Marker="nope")


def test_put_key_policy_lockout_check(estate: Estate) -> None:
    key = new_key(estate.alice)
    other_only = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": estate.app_role}, "Action": "kms:*", "Resource": "*"}
            ],
        }
    )
    with pytest.raises(KMSError) as err:
        estate.alice.put_key_policy(KeyId=key, Policy=other_only)
    assert err.value.code == "MalformedPolicyDocumentException"
    assert (
        err.value.message == "The new key policy will not allow you to update the key policy in the future."
    )
    estate.alice.put_key_policy(KeyId=key, Policy=other_only, BypassPolicyLockoutSafetyCheck=True)
    # alice is now locked out; the role named in the policy is not
    with pytest.raises(KMSError, match="AccessDeniedException"):
        estate.alice.describe_key(KeyId=key)
    estate.app.describe_key(KeyId=key)


@pytest.mark.parametrize(
    ("policy", "code"),
    [
        ("not json", "MalformedPolicyDocumentException"),
        ('{"Statement": []}', "MalformedPolicyDocumentException"),
        (
            '{"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}',
            "MalformedPolicyDocumentException",
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": '
            '{"AWS": "arn:aws:iam::111122223333:role/Nobody"}, "Action": "kms:*", "Resource": "*"}]}',
            "MalformedPolicyDocumentException",
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",'
            ' "Condition": {"StringEqualz": {"a": "b"}}}]}',
            "MalformedPolicyDocumentException",
        ),
        (json.dumps({"Statement": [], "Pad": "x" * 33000}), "LimitExceededException"),
    ],
    ids=["json", "empty", "no-principal", "unknown-principal", "bad-operator", "too-large"],
)
def test_put_key_policy_validation(estate: Estate, policy: str, code: str) -> None:
    key = new_key(estate.alice)
    with pytest.raises(KMSError) as err:
        estate.alice.put_key_policy(KeyId=key, Policy=policy, BypassPolicyLockoutSafetyCheck=True)
    assert err.value.code == code


def test_create_key_with_policy_runs_the_lockout_check(estate: Estate) -> None:
    nobody = json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": estate.app_role}, "Action": "kms:*", "Resource": "*"}
            ]
        }
    )
    with pytest.raises(KMSError, match="MalformedPolicyDocumentException"):
        estate.alice.create_key(Policy=nobody)
    estate.alice.create_key(Policy=nobody, BypassPolicyLockoutSafetyCheck=True)


def test_rotation_settings(estate: Estate) -> None:
    key = new_key(estate.alice)
    assert estate.alice.get_key_rotation_status(KeyId=key) == {"KeyRotationEnabled": False, "KeyId": key}
    estate.alice.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    status = estate.alice.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"]
    assert status["RotationPeriodInDays"] == 90
    for bad in (89, 2561):
        with pytest.raises(KMSError, match="ValidationException"):
            estate.alice.enable_key_rotation(KeyId=key, RotationPeriodInDays=bad)
    estate.world.clock.advance(90 * 86400)
    estate.alice.describe_key(KeyId=key)
    assert [r["RotationType"] for r in estate.alice.list_key_rotations(KeyId=key)["Rotations"]] == [
        "AUTOMATIC"
    ]
    estate.alice.disable_key_rotation(KeyId=key)
    assert estate.alice.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False


def test_rotation_is_for_symmetric_keys_only(estate: Estate) -> None:
    key = new_key(estate.alice, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    for call in (estate.alice.enable_key_rotation, estate.alice.rotate_key_on_demand):
        with pytest.raises(KMSError, match="UnsupportedOperationException"):
            call(KeyId=key)


def test_on_demand_rotation_limit(estate: Estate) -> None:
    estate.world.on_demand_rotation_limit = 2
    key = new_key(estate.alice)
    estate.alice.rotate_key_on_demand(KeyId=key)
    estate.alice.rotate_key_on_demand(KeyId=key)
    with pytest.raises(KMSError, match="LimitExceededException"):
        estate.alice.rotate_key_on_demand(KeyId=key)


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ([{"TagKey": "aws:x", "TagValue": "v"}], "TagException"),
        ([{"TagKey": "k" * 129, "TagValue": "v"}], "TagException"),
        ([{"TagKey": "k", "TagValue": "v" * 257}], "TagException"),
        ([{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)], "TagException"),
    ],
    ids=["reserved", "long-key", "long-value", "too-many"],
)
def test_tag_validation(estate: Estate, tags: list[dict[str, str]], code: str) -> None:
    key = new_key(estate.alice)
    with pytest.raises(KMSError) as err:
        estate.alice.tag_resource(KeyId=key, Tags=tags)
    assert err.value.code == code


def test_tag_and_untag(estate: Estate) -> None:
    key = new_key(estate.alice)
    estate.alice.tag_resource(
        KeyId=key, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}]
    )
    estate.alice.untag_resource(KeyId=key, TagKeys=["a"])
    assert estate.alice.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]


def test_update_key_description(estate: Estate) -> None:
    key = new_key(estate.alice)
    estate.alice.update_key_description(KeyId=key, Description="new")
    assert estate.alice.describe_key(KeyId=key)["KeyMetadata"]["Description"] == "new"


def test_aliases(estate: Estate) -> None:
    one, two = new_key(estate.alice), new_key(estate.alice)
    estate.alice.create_alias(AliasName="alias/app", TargetKeyId=one)
    with pytest.raises(KMSError, match="AlreadyExistsException"):
        estate.alice.create_alias(AliasName="alias/app", TargetKeyId=two)
    assert estate.alice.describe_key(KeyId="alias/app")["KeyMetadata"]["Arn"] == one
    estate.alice.update_alias(AliasName="alias/app", TargetKeyId=two)
    assert estate.alice.describe_key(KeyId="alias/app")["KeyMetadata"]["Arn"] == two
    mine = [a for a in estate.alice.list_aliases()["Aliases"] if a["AliasName"] == "alias/app"]
    assert mine[0]["TargetKeyId"] == two.rsplit("/", 1)[1]
    assert [a["AliasName"] for a in estate.alice.list_aliases(KeyId=two)["Aliases"]] == ["alias/app"]
    predefined = [a for a in estate.alice.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/s3"]
    assert predefined
    assert "TargetKeyId" not in predefined[0]
    estate.alice.delete_alias(AliasName="alias/app")
    with pytest.raises(KMSError, match="NotFoundException"):
        estate.alice.describe_key(KeyId="alias/app")
    with pytest.raises(KMSError, match="NotFoundException"):
        estate.alice.delete_alias(AliasName="alias/app")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("app", "ValidationException"),
        ("alias/has space", "ValidationException"),
        ("alias/aws/mine", "InvalidAliasNameException"),
        ("alias/" + "a" * 251, "ValidationException"),
    ],
)
def test_alias_name_validation(estate: Estate, name: str, code: str) -> None:
    key = new_key(estate.alice)
    with pytest.raises(KMSError) as err:
        estate.alice.create_alias(AliasName=name, TargetKeyId=key)
    assert err.value.code == code


def test_alias_cannot_target_by_alias_or_across_types(estate: Estate) -> None:
    key = new_key(estate.alice)
    hmac = new_key(estate.alice, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    estate.alice.create_alias(AliasName="alias/one", TargetKeyId=key)
    with pytest.raises(KMSError, match="NotFoundException"):
        estate.alice.create_alias(AliasName="alias/two", TargetKeyId="alias/one")
    with pytest.raises(KMSError, match="ValidationException"):
        estate.alice.update_alias(AliasName="alias/one", TargetKeyId=hmac)


@pytest.mark.parametrize(
    ("key_id", "message"),
    [
        ("not-a-key", "Invalid keyId 'not-a-key'"),
        (
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            f"Key 'arn:aws:kms:{REGION}:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist",
        ),
        (
            f"arn:aws:kms:{REGION}:{A}:alias/missing",
            f"Alias arn:aws:kms:{REGION}:{A}:alias/missing is not found.",
        ),
    ],
)
def test_not_found_messages(estate: Estate, key_id: str, message: str) -> None:
    with pytest.raises(KMSError) as err:
        estate.alice.describe_key(KeyId=key_id)
    assert (err.value.code, err.value.message) == ("NotFoundException", message)


def test_unknown_and_missing_parameters(estate: Estate) -> None:
    with pytest.raises(KMSError, match="ValidationException"):
        estate.alice.describe_key(KeyId="x", Bogus=1)
    with pytest.raises(KMSError) as err:
        estate.alice.describe_key()
    assert err.value.message.endswith("at 'keyId' failed to satisfy constraint: Member must not be null")
    with pytest.raises(KMSError, match="UnknownOperationException"):
        estate.alice.call("Frobnicate", {})


def test_same_account_only_operations_refuse_other_accounts(estate: Estate) -> None:
    key = new_key(estate.alice)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
        ],
    }
    estate.alice.put_key_policy(KeyId=key, Policy=json.dumps(policy))
    estate.partner.describe_key(KeyId=key)  # cross-account capable
    with pytest.raises(KMSError, match="AccessDeniedException"):
        estate.partner.schedule_key_deletion(KeyId=key)  # W10
    with pytest.raises(KMSError, match="NotFoundException"):
        estate.partner.describe_key(
            KeyId=key.rsplit("/", 1)[1]
        )  # a bare key ID resolves in the caller's account


def test_dry_run(estate: Estate) -> None:
    key = new_key(estate.alice)
    with pytest.raises(KMSError) as err:
        estate.alice.encrypt(KeyId=key, Plaintext=b"p", DryRun=True)
    assert err.value.code == "DryRunOperationException"
    with pytest.raises(KMSError, match="AccessDeniedException"):
        estate.app.encrypt(KeyId=key, Plaintext=b"p", DryRun=True)


def test_multi_region_replica_decrypts_primary_ciphertext(estate: Estate) -> None:
    primary = new_key(estate.alice, MultiRegion=True)
    assert primary.rsplit("/", 1)[1].startswith("mrk-")
    out = estate.alice.replicate_key(KeyId=primary, ReplicaRegion="eu-west-1")
    replica = out["ReplicaKeyMetadata"]["Arn"]
    assert replica == primary.replace(REGION, "eu-west-1")
    assert out["ReplicaKeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    blob = estate.alice.encrypt(KeyId=primary, Plaintext=b"p")["CiphertextBlob"]
    eu = estate.world.client("arn:aws:iam::111122223333:user/alice", "eu-west-1")
    assert eu.decrypt(CiphertextBlob=blob)["KeyId"] == replica
    with pytest.raises(KMSError, match="AlreadyExistsException"):
        estate.alice.replicate_key(KeyId=primary, ReplicaRegion="eu-west-1")
    estate.alice.update_primary_region(KeyId=primary, PrimaryRegion="eu-west-1")
    meta = eu.describe_key(KeyId=replica)["KeyMetadata"]
    assert meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    single = new_key(estate.alice)
    with pytest.raises(KMSError, match="UnsupportedOperationException"):
        estate.alice.replicate_key(KeyId=single, ReplicaRegion="eu-west-1")


def test_replicate_key_needs_create_key_in_the_replica_region(estate: Estate) -> None:
    key = new_key(estate.alice, MultiRegion=True)
    only_here = estate.world.add_user(
        A,
        "bob",
        policies={
            "p": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "kms:*",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}},
                    }
                ],
            }
        },
    )
    bob = estate.world.client(only_here, REGION)
    with pytest.raises(KMSError) as err:
        bob.replicate_key(KeyId=key, ReplicaRegion="eu-west-1")
    assert err.value.code == "AccessDeniedException"
    assert "kms:CreateKey" in err.value.message


def test_replica_half_is_authorised_on_the_replicas_properties(estate: Estate) -> None:
    """§1.10 ReplicateKey: kms:CreateKey in the replica Region is about the replica (a multi-Region
    replica of the primary's spec), not about CreateKey's defaults (§3.1, §3.2)."""
    key = new_key(estate.alice, MultiRegion=True)
    estate.world.put_identity_policy(
        estate.alice.principal,
        "replicas-only",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": "kms:CreateKey",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"kms:MultiRegionKeyType": "REPLICA"}},
                }
            ],
        },
    )
    for params in ({}, {"MultiRegion": True}):  # single-Region (no key type), and a new primary
        with pytest.raises(KMSError, match="AccessDeniedException"):
            estate.alice.create_key(**params)
    replica = estate.alice.replicate_key(KeyId=key, ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
