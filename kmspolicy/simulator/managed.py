"""AWS managed keys: `alias/aws/<service>`, created on first use by that service (reference §5.1).

Their policy has the real shape: everyone in the account may use the key through the service
(kms:ViaService + kms:CallerAccount), and the account may read its metadata and revoke grants. The
key cannot be changed, deleted or rotated by hand, and direct use is denied by that policy.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from kmspolicy.simulator.crypto import new_material
from kmspolicy.simulator.state import AliasRecord, KeyRecord, PolicyDoc

if TYPE_CHECKING:
    from kmspolicy.simulator.client import Call

# services whose predefined alias ListAliases shows even before first use
PREDEFINED_SERVICES = (
    "acm",
    "dynamodb",
    "ebs",
    "elasticfilesystem",
    "lambda",
    "rds",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
)
# the kms:ViaService host of a service, where it differs from the alias name (reference §3.1)
VIA_SERVICE_HOST = {"ebs": "ec2"}


def managed_policy(account: str, service: str, region: str) -> PolicyDoc:
    host = VIA_SERVICE_HOST.get(service, service)
    return {
        "Version": "2012-10-17",
        "Id": f"auto-{service}-1",
        "Statement": [
            {
                "Sid": f"Allow access through {service} for all principals in the account that may use it",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:CreateGrant",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"{host}.{region}.amazonaws.com",
                        "kms:CallerAccount": account,
                    }
                },
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*",
            },
        ],
    }


def managed_key_for(call: Call, account: str | None, alias: str) -> KeyRecord | None:
    """The service's managed key, created now if the calling service front uses its alias first."""
    from kmspolicy.simulator.operations.keys import new_key, register

    service = alias.removeprefix("alias/aws/")
    via = call.client.via_service
    if account is None or not alias.startswith("alias/aws/") or via is None:
        return None
    if VIA_SERVICE_HOST.get(service, service) != via:
        return None
    world = call.world
    key = new_key(
        world,
        account=account,
        region=call.region,
        spec="SYMMETRIC_DEFAULT",
        usage="ENCRYPT_DECRYPT",
        manager="AWS",
        policy=managed_policy(account, service, call.region),
        description=f"Default key that protects my {service} data when no other key is defined",
    )
    key.rotation_enabled, key.rotation_period = True, 365
    key.next_rotation = call.now + timedelta(days=365)
    key.aliases.append(alias)
    register(world, key, new_material("SYMMETRIC_DEFAULT"))
    world.aliases[(account, call.region, alias)] = AliasRecord(
        alias, account, call.region, key.key_id, call.now, call.now
    )
    call.aliases_used[key.arn] = alias
    return key
