"""A small simulated estate most simulator tests start from (the `estate` fixture builds it).

Account A (111122223333) owns the keys; B (444455556666) is a partner account. `alice` is an IAM user
in A with full KMS rights in IAM; `app` is a role in A with none; `partner` a role in B with KMS rights
on A's keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from kmspolicy.simulator import Client, World

A = "111122223333"
B = "444455556666"
REGION = "us-east-1"


def allow(actions: str | list[str], resource: str = "*") -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}],
    }


@dataclass
class Estate:
    world: World
    alice: Client  # IAM user in A, kms:* in IAM
    app_role: str  # role ARN in A, no IAM policy
    app: Client  # a session of app_role
    partner: Client  # session of a role in B with kms:* on A's keys in IAM
    partner_role: str


def make_estate() -> Estate:
    world = World(quotas_enabled=False, grant_consistency_seconds=0)
    world.add_account(A)
    world.add_account(B)
    alice = world.add_user(A, "alice", policies={"kms-admin": allow("kms:*")})
    app_role = world.add_role(A, "AppRole")
    app_session = world.assume_role(app_role, "s1")
    partner_role = world.add_role(
        B, "PartnerRole", policies={"use-a": allow("kms:*", f"arn:aws:kms:*:{A}:key/*")}
    )
    partner_session = world.assume_role(partner_role, "p1")
    return Estate(
        world=world,
        alice=world.client(alice, REGION),
        app_role=app_role,
        app=world.client(app_session, REGION),
        partner=world.client(partner_session, REGION),
        partner_role=partner_role,
    )


def new_key(client: Client, **params: object) -> str:
    """Create a key and return its ARN."""
    arn = client.create_key(**params)["KeyMetadata"]["Arn"]
    assert isinstance(arn, str)
    return arn
