"""The world's decision memo and situation cache return exactly what the literal authoriser decides."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmspolicy.model import Request
from kmspolicy.simulator import KMSError, World
from kmspolicy.simulator.authorize import authorize
from kmspolicy.simulator.client import encryption_context_keys

ACCOUNT = "111122223333"
REGION = "us-east-1"


def _world() -> tuple[World, str, str]:
    """A role session whose key-policy statement depends on one encryption-context value."""
    world = World(quotas_enabled=False)
    world.add_account(ACCOUNT)
    root = world.client(f"arn:aws:iam::{ACCOUNT}:root", REGION)
    role = world.add_role(ACCOUNT, "App")
    key = root.create_key()["KeyMetadata"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "AppUse", "Effect": "Allow", "Principal": {"AWS": role},
             "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "a"}}},
            {"Sid": "NoB", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringLike": {"kms:EncryptionContext:stage": "b*"}}},
        ],
    }  # fmt: skip
    root.put_key_policy(KeyId=key, Policy=json.dumps(policy))
    return world, world.assume_role(role, "s"), key


contexts = st.dictionaries(
    st.sampled_from(["tenant", "stage", "Tenant", "other"]), st.sampled_from(["a", "b", "bb", ""]), max_size=3
)


@settings(max_examples=150, deadline=None)
@given(requests=st.lists(st.tuples(st.sampled_from(["kms:Encrypt", "kms:Decrypt"]), contexts), max_size=12))
def test_memoised_decisions_equal_fresh_ones(requests: list[tuple[str, dict[str, str]]]) -> None:
    world, session, key = _world()
    caller, record = world.caller(session), world.keys[key]
    for action, context in requests * 2:  # the repeat hits the memo and the situation cache
        ctx: dict[str, Any] = {"aws:RequestedRegion": REGION, **encryption_context_keys(context)}
        memoised = world.decide(caller, action, record, context=dict(ctx))
        request = Request.trusted(
            principal=caller.arn, action=action, resource=key, context=ctx, grant_tokens=(), grant_id=None
        )
        fresh = authorize(world._build_situation(caller, record), request, now=world.clock.now())
        assert memoised == fresh


def test_a_changed_key_policy_is_seen_at_once() -> None:
    world, session, key = _world()
    app = world.client(session, REGION)
    app.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"tenant": "a"})
    root = world.client(f"arn:aws:iam::{ACCOUNT}:root", REGION)
    only_root = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
             "Resource": "*"}
        ],
    }  # fmt: skip
    root.put_key_policy(KeyId=key, Policy=json.dumps(only_root))
    with pytest.raises(KMSError) as error:  # the cached situation must not outlive the old key policy
        app.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"tenant": "a"})
    assert error.value.code == "AccessDeniedException"


def test_a_changed_identity_policy_is_seen_at_once() -> None:
    world, session, key = _world()
    app = world.client(session, REGION)
    app.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"tenant": "a"})
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}]}
    world.put_identity_policy(f"arn:aws:iam::{ACCOUNT}:role/App", "deny", deny)
    with pytest.raises(KMSError) as error:  # nor the old identity policies of the caller
        app.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"tenant": "a"})
    assert "explicit deny in an identity-based policy" in error.value.message
