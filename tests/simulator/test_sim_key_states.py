"""The key-state matrix (kms-simulator.md §2.2), driven through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from estate import Estate, new_key

from kmspolicy.simulator import Client, KMSError

Op = Callable[[Client, str], Any]

OPERATIONS: dict[str, Op] = {
    "Encrypt": lambda c, k: c.encrypt(KeyId=k, Plaintext=b"p"),
    "GenerateDataKey": lambda c, k: c.generate_data_key(KeyId=k, KeySpec="AES_256"),
    "CreateGrant": lambda c, k: c.create_grant(
        KeyId=k, GranteePrincipal="arn:aws:iam::111122223333:role/AppRole", Operations=["Decrypt"]
    ),
    "DescribeKey": lambda c, k: c.describe_key(KeyId=k),
    "GetKeyPolicy": lambda c, k: c.get_key_policy(KeyId=k),
    "ListGrants": lambda c, k: c.list_grants(KeyId=k),
    "ListResourceTags": lambda c, k: c.list_resource_tags(KeyId=k),
    "TagResource": lambda c, k: c.tag_resource(KeyId=k, Tags=[{"TagKey": "t", "TagValue": "v"}]),
    "UpdateKeyDescription": lambda c, k: c.update_key_description(KeyId=k, Description="d"),
    "CreateAlias": lambda c, k: c.create_alias(AliasName="alias/state-test", TargetKeyId=k),
    "EnableKey": lambda c, k: c.enable_key(KeyId=k),
    "DisableKey": lambda c, k: c.disable_key(KeyId=k),
    "ScheduleKeyDeletion": lambda c, k: c.schedule_key_deletion(KeyId=k, PendingWindowInDays=7),
    "CancelKeyDeletion": lambda c, k: c.cancel_key_deletion(KeyId=k),
    "EnableKeyRotation": lambda c, k: c.enable_key_rotation(KeyId=k),
    "RotateKeyOnDemand": lambda c, k: c.rotate_key_on_demand(KeyId=k),
}

OK = None
D = "DisabledException"
IS = "KMSInvalidStateException"
# operation -> expected outcome in (Enabled, Disabled, PendingDeletion)
MATRIX: dict[str, tuple[str | None, str | None, str | None]] = {
    "Encrypt": (OK, D, IS),
    "GenerateDataKey": (OK, D, IS),
    "CreateGrant": (OK, D, IS),
    "DescribeKey": (OK, OK, OK),
    "GetKeyPolicy": (OK, OK, OK),
    "ListGrants": (OK, OK, OK),
    "ListResourceTags": (OK, OK, OK),
    "TagResource": (OK, OK, IS),
    "UpdateKeyDescription": (OK, OK, IS),
    "CreateAlias": (OK, OK, IS),
    "EnableKey": (OK, OK, IS),
    "DisableKey": (OK, OK, IS),
    "ScheduleKeyDeletion": (OK, OK, IS),
    "CancelKeyDeletion": (IS, IS, OK),
    "EnableKeyRotation": (OK, D, IS),
    "RotateKeyOnDemand": (OK, D, IS),
}


def _key_in_state(estate: Estate, state: str) -> str:
    key = new_key(estate.alice)
    if state == "Disabled":
        estate.alice.disable_key(KeyId=key)
    elif state == "PendingDeletion":
        estate.alice.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    return key


@pytest.mark.parametrize("operation", sorted(MATRIX))
@pytest.mark.parametrize("column", [0, 1, 2], ids=["Enabled", "Disabled", "PendingDeletion"])
def test_state_matrix(estate: Estate, operation: str, column: int) -> None:
    state = ("Enabled", "Disabled", "PendingDeletion")[column]
    key = _key_in_state(estate, state)
    expected = MATRIX[operation][column]
    if expected is None:
        OPERATIONS[operation](estate.alice, key)
        return
    with pytest.raises(KMSError) as err:
        OPERATIONS[operation](estate.alice, key)
    assert err.value.code == expected
    wording = {D: "is disabled.", IS: "pending deletion."}[expected]
    assert err.value.message.startswith(key)
    assert wording in err.value.message


def test_cancel_leaves_the_key_disabled(estate: Estate) -> None:
    key = new_key(estate.alice)
    out = estate.alice.schedule_key_deletion(KeyId=key, PendingWindowInDays=10)
    assert out["KeyId"] == key
    assert out["KeyState"] == "PendingDeletion"
    assert out["PendingWindowInDays"] == 10
    meta = estate.alice.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["DeletionDate"] == out["DeletionDate"]
    assert meta["Enabled"] is False
    assert estate.alice.cancel_key_deletion(KeyId=key) == {"KeyId": key}
    meta = estate.alice.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled"
    assert "DeletionDate" not in meta
    estate.alice.enable_key(KeyId=key)
    estate.alice.encrypt(KeyId=key, Plaintext=b"p")


@pytest.mark.parametrize("days", [1, 6, 31, 365])
def test_deletion_window_is_seven_to_thirty_days(estate: Estate, days: int) -> None:
    key = new_key(estate.alice)
    with pytest.raises(KMSError, match="ValidationException"):
        estate.alice.schedule_key_deletion(KeyId=key, PendingWindowInDays=days)


def test_deletion_happens_on_the_simulated_clock(estate: Estate) -> None:
    key = new_key(estate.alice)
    estate.alice.create_alias(AliasName="alias/doomed", TargetKeyId=key)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    estate.alice.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    estate.world.clock.advance(6 * 86400)
    estate.alice.describe_key(KeyId=key)
    estate.world.clock.advance(86400)
    with pytest.raises(KMSError, match="NotFoundException"):
        estate.alice.describe_key(KeyId=key)
    with pytest.raises(KMSError, match="InvalidCiphertextException"):
        estate.alice.decrypt(CiphertextBlob=blob)
    assert all(a["AliasName"] != "alias/doomed" for a in estate.alice.list_aliases()["Aliases"])
    events = [e["eventName"] for e in estate.world.audit_events("111122223333")]
    assert "DeleteKey" in events


def test_disabled_key_re_enabled_works(estate: Estate) -> None:
    key = new_key(estate.alice)
    estate.alice.disable_key(KeyId=key)
    with pytest.raises(KMSError) as err:
        estate.alice.encrypt(KeyId=key, Plaintext=b"p")
    assert err.value.message == f"{key} is disabled."
    estate.alice.enable_key(KeyId=key)
    estate.alice.encrypt(KeyId=key, Plaintext=b"p")
