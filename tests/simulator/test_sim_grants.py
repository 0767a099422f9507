"""Grants: creation rules, use with tokens and consistency, constraints, delegation, retire and revoke."""

from __future__ import annotations

import json

import pytest
from estate import REGION, A, B, Estate, new_key

from kmspolicy.simulator import KMSError

APP_ROLE = f"arn:aws:iam::{A}:role/AppRole"


def _grant(estate: Estate, key: str, **params: object) -> dict[str, str]:
    base: dict[str, object] = {
        "KeyId": key,
        "GranteePrincipal": APP_ROLE,
        "Operations": ["Decrypt", "Encrypt"],
    }
    return estate.alice.create_grant(**(base | params))


def test_grant_lets_the_grantee_use_the_key(estate: Estate) -> None:
    key = new_key(estate.alice)
    with pytest.raises(KMSError, match="AccessDeniedException"):
        estate.app.encrypt(KeyId=key, Plaintext=b"p")
    grant = _grant(estate, key)
    assert len(grant["GrantId"]) == 64
    assert grant["GrantToken"]
    blob = estate.app.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    assert estate.app.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
    decision = estate.app.last_decisions[-1][2]
    assert decision.determining[0].layer == "grant"
    assert decision.determining[0].grant_id == grant["GrantId"]
    with pytest.raises(KMSError, match="AccessDeniedException"):
        estate.app.generate_data_key(KeyId=key, KeySpec="AES_256")  # not a granted operation


def test_new_grant_needs_its_token_until_consistent(estate: Estate) -> None:
    estate.world.grant_consistency_seconds = 300
    key = new_key(estate.alice)
    token = _grant(estate, key)["GrantToken"]
    with pytest.raises(KMSError, match="AccessDeniedException"):
        estate.app.encrypt(KeyId=key, Plaintext=b"p")  # W41 a
    estate.app.encrypt(KeyId=key, Plaintext=b"p", GrantTokens=[token])  # W41 b
    estate.world.clock.advance(300)
    estate.app.encrypt(KeyId=key, Plaintext=b"p")


def test_unknown_grant_token_is_rejected(estate: Estate) -> None:
    key = new_key(estate.alice)
    with pytest.raises(KMSError, match="InvalidGrantTokenException"):
        estate.alice.encrypt(KeyId=key, Plaintext=b"p", GrantTokens=["made-up"])
    with pytest.raises(KMSError, match="ValidationException"):
        estate.alice.encrypt(KeyId=key, Plaintext=b"p", GrantTokens=["t"] * 11)


def test_constraints(estate: Estate) -> None:
    key = new_key(estate.alice)
    _grant(estate, key, Constraints={"EncryptionContextSubset": {"Project": "alpha"}})
    estate.app.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"project": "alpha", "stage": "prod"})
    with pytest.raises(KMSError, match="AccessDeniedException"):
        estate.app.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"Project": "Alpha"})
    other = new_key(estate.alice)
    _grant(estate, other, Constraints={"EncryptionContextEquals": {"Project": "alpha"}})
    estate.app.encrypt(KeyId=other, Plaintext=b"p", EncryptionContext={"Project": "alpha"})
    with pytest.raises(KMSError, match="AccessDeniedException"):  # W22
        estate.app.encrypt(
            KeyId=other, Plaintext=b"p", EncryptionContext={"Project": "alpha", "Stage": "prod"}
        )


@pytest.mark.parametrize(
    "params",
    [
        {"Operations": ["ScheduleKeyDeletion"]},  # W24
        {"Operations": ["Sign"]},  # not supported by a symmetric key
        {"Operations": []},
        {"GranteePrincipal": "s3.amazonaws.com"},
        {"Constraints": {"EncryptionContextSubset": {f"k{i}": "v" for i in range(9)}}},
        {"Constraints": {"Other": {}}},
        {"Constraints": {"SourceArn": "my-bucket"}},  # not an ARN
        {"Constraints": {"SourceArn": ["arn:aws:s3:::my-bucket"]}},
        {"Name": "bad name"},
    ],
)
def test_create_grant_validation(estate: Estate, params: dict[str, object]) -> None:
    key = new_key(estate.alice)
    with pytest.raises(KMSError) as err:
        _grant(estate, key, **params)
    assert err.value.code == "ValidationException"


def test_constraints_only_on_symmetric_keys(estate: Estate) -> None:
    key = new_key(estate.alice, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    with pytest.raises(KMSError, match="ValidationException"):
        _grant(estate, key, Operations=["Sign"], Constraints={"EncryptionContextSubset": {"a": "b"}})
    _grant(estate, key, Operations=["Sign", "Verify", "GetPublicKey"])


BUCKET = "arn:aws:s3:::app-bucket"


def test_source_arn_constraint(estate: Estate) -> None:
    # reference §1.5 best reading: a grant with a SourceArn constraint is used only by requests whose
    # aws:SourceArn equals it; CreateGrant takes the constraint (the SDK model's GrantConstraints has it)
    key = new_key(estate.alice)
    grant = _grant(estate, key, Constraints={"SourceArn": BUCKET})
    (entry,) = estate.alice.list_grants(KeyId=key)["Grants"]
    assert entry["Constraints"] == {"SourceArn": BUCKET}
    with pytest.raises(KMSError, match="AccessDeniedException"):
        estate.app.encrypt(KeyId=key, Plaintext=b"p")  # no aws:SourceArn
    session = estate.world.assume_role(estate.app_role, "s2")
    for source, allowed in ((BUCKET, True), (BUCKET + "-2", False)):
        client = estate.world.client(session, REGION, environment={"aws:SourceArn": source})
        if allowed:
            client.encrypt(KeyId=key, Plaintext=b"p")
            assert client.last_decisions[-1][2].determining[0].grant_id == grant["GrantId"]
        else:
            with pytest.raises(KMSError, match="AccessDeniedException"):
                client.encrypt(KeyId=key, Plaintext=b"p")


def test_source_arn_constraint_with_context_constraint_and_on_asymmetric_keys(estate: Estate) -> None:
    # the symmetric-only rule of §1.5 is about encryption-context constraints; both kinds may be combined
    key = new_key(estate.alice)
    both = {"SourceArn": BUCKET, "EncryptionContextSubset": {"Project": "alpha"}}
    _grant(estate, key, Constraints=both)
    (entry,) = estate.alice.list_grants(KeyId=key)["Grants"]
    assert entry["Constraints"] == both
    signing = new_key(estate.alice, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    _grant(estate, signing, Operations=["Sign"], Constraints={"SourceArn": BUCKET})
    with pytest.raises(KMSError, match="ValidationException"):
        _grant(estate, signing, Operations=["Sign"], Constraints={**both})


def test_create_grant_sets_grant_constraint_source_arn(estate: Estate) -> None:
    # §3.1 kms:GrantConstraintSourceArn: the SourceArn constraint of the new grant; absent without one, so
    # a Deny with ArnNotEquals also refuses grants without the constraint
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
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"ArnNotEquals": {"kms:GrantConstraintSourceArn": BUCKET}},
            },
        ],
    }
    estate.alice.put_key_policy(KeyId=key, Policy=json.dumps(policy))
    _grant(estate, key, Constraints={"SourceArn": BUCKET})
    for refused in ({}, {"Constraints": {"SourceArn": BUCKET + "-2"}}):
        with pytest.raises(KMSError, match="AccessDeniedException"):
            _grant(estate, key, **refused)
    assert estate.alice.last_decisions[-1][2].effect == "EXPLICIT_DENY"


def test_child_grant_keeps_the_source_arn_constraint(estate: Estate) -> None:
    # §1.5 "at least as strict", best reading for SourceArn: the child carries the parent's constraint
    key = new_key(estate.alice)
    _grant(estate, key, Operations=["Decrypt", "CreateGrant"], Constraints={"SourceArn": BUCKET})
    session = estate.world.assume_role(estate.app_role, "s2")
    app = estate.world.client(session, REGION, environment={"aws:SourceArn": BUCKET})
    child = {"KeyId": key, "GranteePrincipal": f"arn:aws:iam::{A}:user/alice", "Operations": ["Decrypt"]}
    app.create_grant(**child, Constraints={"SourceArn": BUCKET})
    for looser in ({}, {"Constraints": {"SourceArn": BUCKET + "-2"}}):
        with pytest.raises(KMSError, match="AccessDeniedException"):
            app.create_grant(**child, **looser)


def test_name_makes_create_grant_idempotent_per_key(estate: Estate) -> None:
    key, other = new_key(estate.alice), new_key(estate.alice)
    first = _grant(estate, key, Name="app-grant")
    assert _grant(estate, key, Name="app-grant")["GrantId"] == first["GrantId"]
    assert _grant(estate, other, Name="app-grant")["GrantId"] != first["GrantId"]
    assert len(estate.alice.list_grants(KeyId=key)["Grants"]) == 1


def test_list_grants_shape(estate: Estate) -> None:
    key = new_key(estate.alice)
    grant = _grant(estate, key, RetiringPrincipal=f"arn:aws:iam::{A}:user/alice", Name="n")
    (entry,) = estate.alice.list_grants(KeyId=key)["Grants"]
    assert entry["KeyId"] == key
    assert entry["GrantId"] == grant["GrantId"]
    assert entry["IssuingAccount"] == f"arn:aws:iam::{A}:root"
    assert "CreationDate" in entry
    assert entry["Operations"] == ["Decrypt", "Encrypt"]
    assert entry["Name"] == "n"
    assert estate.alice.list_grants(KeyId=key, GrantId="0" * 64)["Grants"] == []
    retirable = estate.alice.list_retirable_grants(RetiringPrincipal=f"arn:aws:iam::{A}:user/alice")["Grants"]
    assert [g["GrantId"] for g in retirable] == [grant["GrantId"]]


def test_create_grant_through_a_grant_is_limited_to_a_subset(estate: Estate) -> None:
    key = new_key(estate.alice)
    _grant(
        estate,
        key,
        Operations=["Decrypt", "CreateGrant"],
        Constraints={"EncryptionContextSubset": {"Project": "alpha"}},
    )
    child = {"KeyId": key, "GranteePrincipal": f"arn:aws:iam::{A}:user/alice"}
    estate.app.create_grant(
        **child,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": {"Project": "alpha", "Stage": "x"}},
    )
    estate.app.create_grant(
        **child, Operations=["Decrypt"], Constraints={"EncryptionContextEquals": {"Project": "alpha"}}
    )
    for bad in (
        {"Operations": ["Encrypt"]},
        {"Operations": ["Decrypt"]},  # no constraint: looser than the parent
        {"Operations": ["Decrypt"], "Constraints": {"EncryptionContextSubset": {"Project": "beta"}}},
    ):
        with pytest.raises(KMSError, match="AccessDeniedException"):
            estate.app.create_grant(**child, **bad)


def test_retire_by_retiring_principal_grantee_and_token(estate: Estate) -> None:
    key = new_key(estate.alice)
    g1 = _grant(estate, key, RetiringPrincipal=f"arn:aws:iam::{A}:user/alice")
    with pytest.raises(KMSError, match="AccessDeniedException"):  # W42 a: grantee without RetireGrant
        estate.app.retire_grant(KeyId=key, GrantId=g1["GrantId"])
    estate.alice.retire_grant(KeyId=key, GrantId=g1["GrantId"])  # W42 b
    g2 = _grant(estate, key, Operations=["Decrypt", "RetireGrant"])
    estate.app.retire_grant(GrantToken=g2["GrantToken"])
    event = estate.world.audit_events(A)[-1]
    assert event["eventName"] == "RetireGrant"
    assert event["additionalEventData"] == {"grantId": g2["GrantId"]}
    assert estate.alice.list_grants(KeyId=key)["Grants"] == []


def test_retire_by_issuing_account_root_and_iam_deny(estate: Estate) -> None:
    key = new_key(estate.alice)
    root = estate.world.client(f"arn:aws:iam::{A}:root")
    grant = _grant(estate, key)
    root.retire_grant(KeyId=key, GrantId=grant["GrantId"])
    estate.world.put_identity_policy(
        f"arn:aws:iam::{A}:user/alice",
        "no-retire",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "kms:RetireGrant", "Resource": "*"}],
        },
    )
    grant = _grant(estate, key, RetiringPrincipal=f"arn:aws:iam::{A}:user/alice")
    with pytest.raises(KMSError) as err:
        estate.alice.retire_grant(KeyId=key, GrantId=grant["GrantId"])
    assert err.value.code == "AccessDeniedException"
    assert "explicit deny" in err.value.message


def test_revoke_needs_the_permission_and_no_token(estate: Estate) -> None:
    key = new_key(estate.alice)
    grant = _grant(estate, key, Operations=["Decrypt", "RetireGrant"])
    with pytest.raises(KMSError, match="AccessDeniedException"):
        estate.app.revoke_grant(KeyId=key, GrantId=grant["GrantId"])
    with pytest.raises(KMSError, match="ValidationException"):
        estate.alice.revoke_grant(KeyId=key, GrantId=grant["GrantId"], GrantTokens=[grant["GrantToken"]])
    estate.alice.revoke_grant(KeyId=key, GrantId=grant["GrantId"])
    with pytest.raises(KMSError, match="NotFoundException"):
        estate.alice.revoke_grant(KeyId=key, GrantId=grant["GrantId"])
    with pytest.raises(KMSError, match="AccessDeniedException"):
        estate.app.decrypt(CiphertextBlob=estate.alice.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"])


def test_cross_account_grant_needs_no_iam_in_the_grantee_account(estate: Estate) -> None:
    """W25: a grant stands in for both halves of cross-account access."""
    key = new_key(estate.alice)
    bare_role = estate.world.add_role(B, "Bare")
    bare = estate.world.client(estate.world.assume_role(bare_role, "b1"))
    with pytest.raises(KMSError, match="AccessDeniedException"):
        bare.describe_key(KeyId=key)
    estate.alice.create_grant(KeyId=key, GranteePrincipal=bare_role, Operations=["Decrypt", "DescribeKey"])
    bare.describe_key(KeyId=key)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    assert bare.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
    policy = json.loads(estate.alice.get_key_policy(KeyId=key)["Policy"])
    assert len(policy["Statement"]) == 1  # nothing in the key policy names account B
