"""Request quotas: token buckets on the simulated clock, shared by operation class (kms-simulator.md §2.7)."""

from __future__ import annotations

import pytest
from estate import REGION, A, B, allow

from kmspolicy.simulator import KMSError, World
from kmspolicy.simulator.quotas import THROTTLED


def _world() -> World:
    world = World()
    world.add_account(A)
    world.add_account(B)
    return world


def test_create_key_quota_and_refill() -> None:
    world = _world()
    client = world.client(world.add_user(A, "u", policies=[allow("kms:*")]), REGION)
    for _ in range(5):
        client.create_key()
    with pytest.raises(KMSError) as err:
        client.create_key()
    assert (err.value.code, err.value.message) == ("ThrottlingException", THROTTLED)
    assert world.audit_events(A)[-1]["errorCode"] == "ThrottlingException"
    world.clock.advance(0.2)
    client.create_key()  # one request's worth refilled
    with pytest.raises(KMSError, match="ThrottlingException"):
        client.create_key()


def test_crypto_operations_share_one_pool() -> None:
    world = _world()
    world.quotas.limits["crypto:symmetric"] = 3
    client = world.client(world.add_user(A, "u", policies=[allow("kms:*")]), REGION)
    key = client.create_key()["KeyMetadata"]["Arn"]
    blob = client.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    client.decrypt(CiphertextBlob=blob)
    client.generate_data_key(KeyId=key, KeySpec="AES_256")
    with pytest.raises(KMSError, match="ThrottlingException"):
        client.generate_random(NumberOfBytes=8)
    client.describe_key(KeyId=key)  # a different quota


def test_quotas_are_per_account_and_region_and_can_be_disabled() -> None:
    world = _world()
    world.quotas.limits["CreateKey"] = 1
    east = world.client(world.add_user(A, "u", policies=[allow("kms:*")]), REGION)
    west = world.client("arn:aws:iam::111122223333:user/u", "us-west-2")
    other = world.client(world.add_user(B, "v", policies=[allow("kms:*")]), REGION)
    east.create_key()
    west.create_key()
    other.create_key()
    with pytest.raises(KMSError, match="ThrottlingException"):
        east.create_key()
    world.quotas.enabled = False
    east.create_key()
