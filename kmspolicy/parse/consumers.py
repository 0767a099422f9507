"""Resources of other services that name a KMS key, as the CloudFormation and Terraform readers see them.

Each reader finds the raw values (the property or attribute naming the key, and the switch that turns
encryption on, where the service has one) and `consumer` turns them into a `KeyConsumer` with what
the service does when no key is named: use its AWS managed key (`alias/aws/<service>`), use a key
it owns (SSE-S3, SSE-SQS, CloudWatch Logs), or not encrypt at all.

Read: CloudTrail trails, S3 bucket default encryption, Secrets Manager secrets, SNS topics, SQS
queues, EBS volumes, RDS instances and clusters, CloudWatch Logs log groups.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kmspolicy.model import KeyConsumer, Policy, Scalar, Share, Span


@dataclass(frozen=True)
class ConsumerSpec:
    """How one resource type names its key.

    `switch` is the property that turns KMS encryption on (EBS `Encrypted`, RDS `StorageEncrypted`,
    the S3 algorithm `aws:kms`); naming a key turns it on too. `default_key` is the key the service
    uses when encryption is on and no key is named; `encrypted_without_kms` says whether the data is
    still encrypted (under a key the service owns) when KMS is not used.
    """

    key: str
    purpose: str
    default_key: str | None = None
    switch: str | None = None
    encrypted_without_kms: bool = True


CLOUDFORMATION: dict[str, ConsumerSpec] = {
    "AWS::CloudTrail::Trail": ConsumerSpec("KMSKeyId", "trail log files"),
    "AWS::SecretsManager::Secret": ConsumerSpec(
        "KmsKeyId", "secret value", default_key="alias/aws/secretsmanager"
    ),
    "AWS::SNS::Topic": ConsumerSpec("KmsMasterKeyId", "topic messages", encrypted_without_kms=False),
    "AWS::SQS::Queue": ConsumerSpec("KmsMasterKeyId", "queue messages"),
    "AWS::EC2::Volume": ConsumerSpec(
        "KmsKeyId",
        "volume data",
        default_key="alias/aws/ebs",
        switch="Encrypted",
        encrypted_without_kms=False,
    ),
    "AWS::RDS::DBInstance": ConsumerSpec(
        "KmsKeyId",
        "database storage",
        default_key="alias/aws/rds",
        switch="StorageEncrypted",
        encrypted_without_kms=False,
    ),
    "AWS::RDS::DBCluster": ConsumerSpec(
        "KmsKeyId",
        "database storage",
        default_key="alias/aws/rds",
        switch="StorageEncrypted",
        encrypted_without_kms=False,
    ),
    "AWS::Logs::LogGroup": ConsumerSpec("KmsKeyId", "log events"),
}
# S3 default encryption sits in a list of rules; each reader walks it and uses this spec per rule.
CLOUDFORMATION_BUCKET = ConsumerSpec(
    "KMSMasterKeyID", "objects (default encryption)", default_key="alias/aws/s3", switch="SSEAlgorithm"
)

TERRAFORM: dict[str, ConsumerSpec] = {
    "aws_cloudtrail": ConsumerSpec("kms_key_id", "trail log files"),
    "aws_secretsmanager_secret": ConsumerSpec(
        "kms_key_id", "secret value", default_key="alias/aws/secretsmanager"
    ),
    "aws_sns_topic": ConsumerSpec("kms_master_key_id", "topic messages", encrypted_without_kms=False),
    "aws_sqs_queue": ConsumerSpec("kms_master_key_id", "queue messages"),
    "aws_ebs_volume": ConsumerSpec(
        "kms_key_id",
        "volume data",
        default_key="alias/aws/ebs",
        switch="encrypted",
        encrypted_without_kms=False,
    ),
    "aws_db_instance": ConsumerSpec(
        "kms_key_id",
        "database storage",
        default_key="alias/aws/rds",
        switch="storage_encrypted",
        encrypted_without_kms=False,
    ),
    "aws_rds_cluster": ConsumerSpec(
        "kms_key_id",
        "database storage",
        default_key="alias/aws/rds",
        switch="storage_encrypted",
        encrypted_without_kms=False,
    ),
    "aws_cloudwatch_log_group": ConsumerSpec("kms_key_id", "log events"),
}
TERRAFORM_BUCKET = ConsumerSpec(
    "kms_master_key_id", "objects (default encryption)", default_key="alias/aws/s3", switch="sse_algorithm"
)


def kms_algorithm(algorithm: object) -> bool | None:
    """Whether an S3 `SSEAlgorithm` is a KMS one (`aws:kms`, `aws:kms:dsse`); None when not a string."""
    return algorithm.startswith("aws:kms") if isinstance(algorithm, str) else None


def consumer(
    spec: ConsumerSpec,
    resource_type: str,
    name: str,
    key: Scalar | None,
    switched_on: bool | None,
    span: Span,
) -> KeyConsumer:
    """The consumer a resource makes; `switched_on` is None when its spec has no switch or it is unset."""
    if key is not None:
        return KeyConsumer.trusted(
            resource_type=resource_type, name=name, key=key, purpose=spec.purpose, span=span
        )
    uses_kms = spec.switch is None or switched_on is True
    default = spec.default_key if uses_kms else None
    return KeyConsumer.trusted(
        resource_type=resource_type,
        name=name,
        key=default,
        encrypted=default is not None or spec.encrypted_without_kms,
        purpose=spec.purpose,
        span=span,
    )


def policy_shares(policy: Policy, resource: str, how: str) -> Iterator[Share]:
    """The AWS principals that a resource policy's Allow statements name, each a share of `resource`.

    Principals of the owner account are shares too; the rules, which know the owner, tell them apart.
    """
    for statement in policy.statements:
        if statement.effect != "Allow":
            continue
        for principal in statement.principal or ():
            if principal.type == "AWS":
                yield Share.trusted(resource=resource, account=principal.value, how=how, span=principal.span)
