"""Authorisation on the simulated world, through the API: every layer of reference §1.10 in play."""

from __future__ import annotations

import json
from typing import Any

import pytest
from estate import REGION, A, B, Estate, allow, new_key

from kmspolicy.simulator import KMSError, World

DELEGATE_A = {
    "Sid": "Delegate",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
    "Action": "kms:*",
    "Resource": "*",
}


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [DELEGATE_A, *statements]})


def _denied(call: Any, **params: Any) -> KMSError:
    with pytest.raises(KMSError) as err:
        call(**params)
    assert err.value.code == "AccessDeniedException"
    return err.value


def test_delegation_needs_an_iam_allow(estate: Estate) -> None:
    """W1/W2: the account statement only delegates; alice has IAM kms:*, the app role has nothing."""
    key = new_key(estate.alice)
    estate.alice.encrypt(KeyId=key, Plaintext=b"p")
    error = _denied(estate.app.encrypt, KeyId=key, Plaintext=b"p")
    assert error.message == (
        f"User: {estate.app.principal} is not authorized to perform: kms:Encrypt on resource: {key} "
        "because no identity-based policy allows the kms:Encrypt action"
    )


def test_key_policy_naming_the_role_needs_no_iam(estate: Estate) -> None:
    """W4."""
    key = new_key(estate.alice)
    estate.alice.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {
                "Sid": "AppUse",
                "Effect": "Allow",
                "Principal": {"AWS": estate.app_role},
                "Action": ["kms:Encrypt"],
                "Resource": "*",
            }
        ),
    )
    estate.app.encrypt(KeyId=key, Plaintext=b"p")
    assert estate.app.last_decisions[0][2].determining[0].sid == "AppUse"


def test_cross_account_needs_both_sides(estate: Estate) -> None:
    """W6-W9."""
    key = new_key(estate.alice)
    error = _denied(estate.partner.describe_key, KeyId=key)  # W7: only the IAM side allows
    assert "because no resource-based policy allows" in error.message
    estate.alice.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {
                "Sid": "Partner",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
            }
        ),
    )
    estate.partner.describe_key(KeyId=key)  # W8
    bare_role = estate.world.add_role(B, "Bare")
    bare = estate.world.client(estate.world.assume_role(bare_role, "b1"), REGION)
    error = _denied(bare.describe_key, KeyId=key)  # W6
    assert "because no identity-based policy allows" in error.message


def test_cross_account_events_land_in_both_logs_unless_denied(estate: Estate) -> None:
    key = new_key(estate.alice)
    estate.alice.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
            }
        ),
    )
    before_a, before_b = len(estate.world.audit_events(A)), len(estate.world.audit_events(B))
    estate.partner.describe_key(KeyId=key)
    assert len(estate.world.audit_events(A)) == before_a + 1
    assert len(estate.world.audit_events(B)) == before_b + 1
    assert estate.world.audit_events(A)[-1]["recipientAccountId"] == A
    _denied(estate.partner.encrypt, KeyId=key, Plaintext=b"p")
    assert len(estate.world.audit_events(A)) == before_a + 1  # denied: only the caller's log
    assert estate.world.audit_events(B)[-1]["errorCode"] == "AccessDeniedException"


def test_iam_deny_beats_key_policy_allow(estate: Estate) -> None:
    """W11."""
    key = new_key(estate.alice)
    estate.alice.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": estate.app_role},
                "Action": "kms:Encrypt",
                "Resource": "*",
            }
        ),
    )
    estate.world.put_identity_policy(
        estate.app_role,
        "deny",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"}],
        },
    )
    error = _denied(estate.app.encrypt, KeyId=key, Plaintext=b"p")
    assert error.message.endswith("with an explicit deny in an identity-based policy")


def test_not_principal_deny_exempts_only_listed_levels(estate: Estate) -> None:
    """W13."""
    key = new_key(estate.alice)
    glass = estate.world.add_role(A, "BreakGlass", policies={"use": allow("kms:*")})
    s1 = estate.world.client(estate.world.assume_role(glass, "s1"), REGION)
    s2 = estate.world.client(estate.world.assume_role(glass, "s2"), REGION)
    estate.alice.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {
                "Effect": "Deny",
                "NotPrincipal": {
                    "AWS": [
                        f"arn:aws:sts::{A}:assumed-role/BreakGlass/s1",
                        glass,
                        f"arn:aws:iam::{A}:root",
                        f"arn:aws:iam::{A}:user/alice",
                    ]
                },
                "Action": "kms:Encrypt",
                "Resource": "*",
            }
        ),
    )
    s1.encrypt(KeyId=key, Plaintext=b"p")
    _denied(s2.encrypt, KeyId=key, Plaintext=b"p")


def test_via_service_and_request_alias(estate: Estate) -> None:
    """W14/W15 and W37."""
    key = new_key(estate.alice)
    estate.alice.create_alias(AliasName="alias/app-data", TargetKeyId=key)
    estate.alice.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": estate.app_role},
                "Action": "kms:GenerateDataKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": estate.app_role},
                "Action": "kms:Encrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:RequestAlias": "alias/app-data"}},
            },
        ),
    )
    _denied(estate.app.generate_data_key, KeyId=key, KeySpec="AES_256")
    s3 = estate.world.service_client("s3", estate.app.principal, REGION)
    s3.generate_data_key(KeyId=key, KeySpec="AES_256")
    event = estate.world.audit_events(A)[-1]
    assert event["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    estate.app.encrypt(KeyId="alias/app-data", Plaintext=b"p")
    estate.app.encrypt(KeyId=f"arn:aws:kms:{REGION}:{A}:alias/app-data", Plaintext=b"p")
    _denied(estate.app.encrypt, KeyId=key, Plaintext=b"p")


def test_re_encrypt_needs_from_and_to(estate: Estate) -> None:
    """W38."""
    one, two = new_key(estate.alice), new_key(estate.alice)
    estate.alice.put_key_policy(
        KeyId=one,
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": estate.app_role},
                "Action": "kms:ReEncryptFrom",
                "Resource": "*",
            }
        ),
    )
    blob = estate.alice.encrypt(KeyId=one, Plaintext=b"p")["CiphertextBlob"]
    error = _denied(estate.app.re_encrypt, CiphertextBlob=blob, DestinationKeyId=two)
    assert "kms:ReEncryptTo" in error.message
    assert two in error.message
    estate.alice.put_key_policy(
        KeyId=two,
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": estate.app_role},
                "Action": "kms:ReEncrypt*",
                "Resource": "*",
            }
        ),
    )
    estate.app.re_encrypt(CiphertextBlob=blob, DestinationKeyId=two)
    assert {r["ARN"] for r in estate.world.audit_events(A)[-1]["resources"]} == {one, two}


def test_grant_is_for_aws_resource(estate: Estate) -> None:
    """W36."""
    key = new_key(estate.alice)
    dev = estate.world.add_user(A, "dev-ana")
    estate.alice.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": dev},
                "Action": ["kms:CreateGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            }
        ),
    )
    grant = {"KeyId": key, "GranteePrincipal": estate.app_role, "Operations": ["Decrypt"]}
    _denied(estate.world.client(dev, REGION).create_grant, **grant)
    estate.world.service_client("ec2", dev, REGION).create_grant(**grant)


def test_permissions_boundary_and_session_policy(estate: Estate) -> None:
    """W34: a key policy naming the role is cut by the role's boundary; the session ARN is not."""
    key = new_key(estate.alice)
    bounded = estate.world.add_role(A, "Bounded", boundary=allow("s3:*"), policies={"kms": allow("kms:*")})
    session = estate.world.assume_role(bounded, "s1")
    client = estate.world.client(session, REGION)
    estate.alice.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {"Effect": "Allow", "Principal": {"AWS": bounded}, "Action": "kms:Encrypt", "Resource": "*"}
        ),
    )
    error = _denied(client.encrypt, KeyId=key, Plaintext=b"p")
    assert "because no permissions boundary allows" in error.message
    estate.alice.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {"Effect": "Allow", "Principal": {"AWS": session}, "Action": "kms:Encrypt", "Resource": "*"}
        ),
    )
    client.encrypt(KeyId=key, Plaintext=b"p")
    narrow = estate.world.assume_role(estate.app_role, "narrow", session_policies=[allow("kms:Decrypt")])
    estate.world.put_identity_policy(estate.app_role, "kms", allow("kms:*"))
    app_narrow = estate.world.client(narrow, REGION)
    error = _denied(app_narrow.encrypt, KeyId=key, Plaintext=b"p")
    assert "because no session policy allows" in error.message


def test_scps_and_rcps() -> None:
    """W35 and the RCP perimeter."""
    world = World(quotas_enabled=False)
    world.create_organization("o-a1b2c3d4e5", members=[A, B])
    admin = world.add_user(A, "admin", policies={"all": allow("kms:*")})
    client = world.client(admin, REGION)
    key = new_key(client)
    world.attach_scp(
        A,
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}],
        },
        name="no-delete",
    )
    error = _denied(client.schedule_key_deletion, KeyId=key)
    assert error.message.endswith("with an explicit deny in a service control policy")
    world.detach_scp(A, "FullAWSAccess")
    error = _denied(client.describe_key, KeyId=key)
    assert "because no service control policy allows" in error.message
    world.attach_scp(A, allow("kms:Describe*"), name="describe-only")
    client.describe_key(KeyId=key)
    world.attach_rcp(
        "r-root",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
                }
            ],
        },
        name="perimeter",
    )
    client.describe_key(KeyId=key)
    world.detach_scp(A, "describe-only")
    world.attach_scp(A, allow("*"), name="all")
    outsider_account = "777788889999"
    world.add_account(outsider_account, member=False)
    stranger = world.add_role(outsider_account, "Stranger", policies={"all": allow("kms:*")})
    client.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{outsider_account}:root"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
            }
        ),
    )
    error = _denied(world.client(world.assume_role(stranger, "s"), REGION).describe_key, KeyId=key)
    assert error.message.endswith("with an explicit deny in a resource control policy")


def test_abac_with_resource_tags_in_iam(estate: Estate) -> None:
    key = new_key(estate.alice, Tags=[{"TagKey": "team", "TagValue": "blue"}])
    other = new_key(estate.alice, Tags=[{"TagKey": "team", "TagValue": "red"}])
    estate.world.put_identity_policy(
        estate.app_role,
        "abac",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "kms:Encrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
                }
            ],
        },
    )
    tagged = estate.world.add_role(A, "Blue", tags={"team": "blue"})
    estate.world.put_identity_policy(
        tagged, "abac", estate.world.principals[estate.app_role].policies[0].document
    )
    blue = estate.world.client(estate.world.assume_role(tagged, "s1"), REGION)
    blue.encrypt(KeyId=key, Plaintext=b"p")
    _denied(blue.encrypt, KeyId=other, Plaintext=b"p")


def test_iam_only_operations(estate: Estate) -> None:
    _denied(estate.app.create_key)
    _denied(estate.app.list_keys)
    _denied(estate.app.generate_random, NumberOfBytes=8)
    estate.alice.list_keys()


def test_resource_property_keys_are_dead_on_key_less_actions(estate: Estate) -> None:
    """§3.2: kms:ViaService and kms:CallerAccount never hold on ListKeys, even when a service calls it;
    CreateKey has kms:CallerAccount (§3.1)."""
    estate.world.put_identity_policy(
        estate.app_role,
        "through-s3",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["kms:ListKeys", "kms:CreateKey"],
                    "Resource": "*",
                    "Condition": {"StringLike": {"kms:ViaService": "*", "kms:CallerAccount": A}},
                },
                {
                    "Effect": "Allow",
                    "Action": "kms:CreateKey",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:CallerAccount": A}},
                },
            ],
        },
    )
    _denied(estate.world.service_client("s3", estate.app.principal, REGION).list_keys)
    _denied(estate.app.list_keys)
    estate.app.create_key()


def test_alias_operations_need_the_alias_and_the_key(estate: Estate) -> None:
    key = new_key(estate.alice)
    estate.world.put_identity_policy(
        estate.app_role, "alias-only", allow("kms:CreateAlias", f"arn:aws:kms:*:{A}:alias/*")
    )
    _denied(estate.app.create_alias, AliasName="alias/x", TargetKeyId=key)
    estate.world.put_identity_policy(estate.app_role, "key-too", allow("kms:CreateAlias", key))
    estate.app.create_alias(AliasName="alias/x", TargetKeyId=key)


def test_root_user_with_account_statement(estate: Estate) -> None:
    key = new_key(estate.alice)
    estate.world.client(f"arn:aws:iam::{A}:root", REGION).describe_key(KeyId=key)
    _denied(estate.world.client(f"arn:aws:iam::{B}:root", REGION).describe_key, KeyId=key)


def test_condition_keys_from_request_parameters(estate: Estate) -> None:
    key = new_key(estate.alice)
    estate.alice.put_key_policy(
        KeyId=key,
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": estate.app_role},
                "Action": "kms:Encrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:EncryptionContext:Project": "alpha"}},
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": estate.app_role},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {
                    "ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt", "DescribeKey"]}
                },
            },
        ),
    )
    estate.app.encrypt(
        KeyId=key, Plaintext=b"p", EncryptionContext={"PROJECT": "alpha", "Stage": "x"}
    )  # W16/W18
    _denied(estate.app.encrypt, KeyId=key, Plaintext=b"p")  # W17
    estate.app.create_grant(KeyId=key, GranteePrincipal=estate.app_role, Operations=["Decrypt"])  # W39
    _denied(
        estate.app.create_grant,
        KeyId=key,
        GranteePrincipal=estate.app_role,
        Operations=["Decrypt", "Encrypt"],
    )


def test_federated_session_is_capped_by_its_session_policy_and_boundary(
    estate: Estate, tmp_path: Any
) -> None:
    """§1.3 caveat, §1.7: a GetFederationToken session relying on the account statement and an IAM allow
    is limited by the session policy (implicit deny) and by the federating user's boundary (explicit deny),
    also in a saved and reloaded world."""
    key = new_key(estate.alice)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    world = estate.world
    capped = world.add_federated_user(
        A, "Capped", policies=[allow("kms:Decrypt")], session_policies=[allow("s3:*")]
    )
    bounded = world.add_federated_user(
        A,
        "Bounded",
        policies=[allow("kms:Decrypt")],
        boundary={"Statement": [{"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}]},
    )
    free = world.add_federated_user(
        A, "Free", policies=[allow("kms:Decrypt")], session_policies=[allow("kms:Decrypt")]
    )
    path = tmp_path / "world.json"
    world.save(path)
    for current in (world, World.load(path)):
        assert current.client(free, REGION).decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
        error = _denied(current.client(capped, REGION).decrypt, CiphertextBlob=blob)
        assert error.message.endswith("because no session policy allows the kms:Decrypt action")
        error = _denied(current.client(bounded, REGION).decrypt, CiphertextBlob=blob)
        assert error.message.endswith("with an explicit deny in a permissions boundary")


def test_another_accounts_key_by_short_key_id_only_where_the_ciphertext_names_it(estate: Estate) -> None:
    """§1.4 Identification: Decrypt and the ReEncrypt source accept another account's key by its short key
    ID (symmetric ciphertext records its key); elsewhere a key ID is looked up in the caller's account."""
    key = new_key(
        estate.alice,
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ),
    )
    short = key.rsplit("/", 1)[1]
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    assert estate.partner.decrypt(CiphertextBlob=blob, KeyId=short)["KeyId"] == key
    estate.world.put_identity_policy(estate.partner_role, "own-keys", allow("kms:*"))
    mine = new_key(estate.partner)
    moved = estate.partner.re_encrypt(CiphertextBlob=blob, SourceKeyId=short, DestinationKeyId=mine)
    assert moved["SourceKeyId"] == key
    with pytest.raises(KMSError) as err:
        estate.partner.encrypt(KeyId=short, Plaintext=b"p")
    assert err.value.code == "NotFoundException"
