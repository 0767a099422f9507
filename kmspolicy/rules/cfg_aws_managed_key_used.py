"""A resource encrypted with an AWS managed key (`alias/aws/<service>`), or with no customer managed key
where the configuration requires one.

## What it flags
A resource of a CloudFormation template or Terraform plan whose data is encrypted under an AWS
managed key: it names one (`alias/aws/sqs`, or an ARN or `Fn::Sub` of such an alias), or it turns on
KMS encryption without naming a key, so that the service uses its AWS managed key. Read: S3 bucket
default encryption (`AWS::S3::Bucket` `BucketEncryption` `ServerSideEncryptionByDefault`
`SSEAlgorithm: aws:kms` / `KMSMasterKeyID`; `aws_s3_bucket_server_side_encryption_configuration`),
Secrets Manager secrets (`KmsKeyId` / `kms_key_id`; none means `alias/aws/secretsmanager`), SNS
topics and SQS queues (`KmsMasterKeyId` / `kms_master_key_id`), EBS volumes (`KmsKeyId` with
`Encrypted`; none means `alias/aws/ebs`), RDS instances and clusters (`KmsKeyId` with
`StorageEncrypted`; none means `alias/aws/rds`), CloudWatch Logs log groups and CloudTrail trails
(`KmsKeyId`, `KMSKeyId` / `kms_key_id`). Resources encrypted under a key the service owns (SSE-S3,
SSE-SQS, log groups without a key) or not encrypted at all are reported only when the configuration
requires a customer managed key for their resource type: `cmk_required_for` lists CloudFormation or
Terraform resource types, with `*` and `?` wildcards (`["AWS::SQS::Queue", "aws_sqs_queue",
"AWS::RDS::*"]`). The legacy inline `server_side_encryption_configuration` of `aws_s3_bucket` is not
read.

## Why it is risky
Nobody can edit the policy of an AWS managed key: every principal of the account that may use the
service may decrypt through it, access cannot be narrowed by key policy or grants, the data cannot be
shared with another account, and the key cannot be disabled or scheduled for deletion in an incident.

## Example
```yaml
Secret:
  Type: AWS::SecretsManager::Secret
  Properties: {Name: db-password}
```

## Use instead
A customer managed key with a policy that names who may use it: `KmsKeyId: !Ref SecretsKey`
(CloudFormation), `kms_key_id = aws_kms_key.secrets.arn` (Terraform). To require one for every
resource of a type, whatever key the service would otherwise use:

```toml
[tool.kmspolicy]
cmk_required_for = ["AWS::SQS::Queue", "aws_sqs_queue", "AWS::Logs::LogGroup"]
```

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
- checkov CKV_AWS_149 (Secrets Manager), CKV_AWS_158 (log groups), CKV_AWS_189 (EBS); AWS Config
  secretsmanager-using-cmk
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase

from kmspolicy.model import Finding, Scalar, Severity
from kmspolicy.rules.framework import DocumentRule, DocumentTarget

# Customers cannot create aliases under `alias/aws/`: the prefix is reserved for AWS managed keys.
_AWS_MANAGED_ALIAS = re.compile(r"(?:^|[:(])(alias/aws/[A-Za-z0-9_./-]+?)(?:\)|$)")


def aws_managed_alias(key: Scalar) -> str | None:
    """The `alias/aws/<service>` that a key id, ARN or unresolved expression names, if any."""
    found = _AWS_MANAGED_ALIAS.search(key if isinstance(key, str) else key.expr)
    return found.group(1) if found else None


def check(target: DocumentTarget) -> Iterator[Finding]:
    required = target.options.cmk_required_for
    for consumer in target.document.consumers:
        alias = None if consumer.key is None else aws_managed_alias(consumer.key)
        if alias is not None:
            message = (
                f"`{consumer.name}` encrypts its {consumer.purpose} with the AWS managed key `{alias}`,"
                " whose policy nobody can change"
            )
            yield target.make(RULE, message, consumer.span)
        elif consumer.key is None and any(fnmatchcase(consumer.resource_type, t) for t in required):
            done = (
                f"encrypts its {consumer.purpose} with a key the service owns"
                if consumer.encrypted
                else f"does not encrypt its {consumer.purpose}"
            )
            message = (
                f"`{consumer.name}` {done}, but `cmk_required_for` requires a customer managed key for"
                f" `{consumer.resource_type}`"
            )
            yield target.make(RULE, message, consumer.span)


RULE = DocumentRule(
    id="KMS074",
    name="cfg-aws-managed-key-used",
    severity=Severity.MEDIUM,
    summary="resource encrypted with an AWS managed key where a customer managed key is expected",
    help="encrypt with a customer managed key whose policy you control",
    check=check,
)
