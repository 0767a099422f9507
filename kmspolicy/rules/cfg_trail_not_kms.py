"""A CloudTrail trail whose log files are not encrypted with a KMS key (SSE-KMS).

## What it flags
A CloudFormation `AWS::CloudTrail::Trail` without `KMSKeyId`, or a Terraform `aws_cloudtrail` without
`kms_key_id`. A trail that names a key (of the template or plan, or any key id, ARN or alias) is not
reported, even when the key is known only after deployment.

## Why it is risky
Without SSE-KMS, trail log files get only the S3-managed encryption of their bucket: anyone who may
read the bucket reads the account's API history. With SSE-KMS, reading the logs also needs
`kms:Decrypt` on the key, so a second, separately audited permission guards them, and every read of
a log file is itself logged.

## Example
```yaml
Trail:
  Type: AWS::CloudTrail::Trail
  Properties: {IsLogging: true, S3BucketName: audit-logs}
```

## Use instead
`KMSKeyId: !Ref TrailKey` (CloudFormation) or `kms_key_id = aws_kms_key.trail.arn` (Terraform), with a
key policy that lets `cloudtrail.amazonaws.com` encrypt for this trail only (`aws:SourceArn`).

## References
- https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html
- checkov CKV_AWS_35; prowler cloudtrail_kms_encryption_enabled; AWS Config cloud-trail-encryption-enabled
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import DocumentRule, DocumentTarget

_TRAILS = frozenset({"AWS::CloudTrail::Trail", "aws_cloudtrail"})


def check(target: DocumentTarget) -> Iterator[Finding]:
    for consumer in target.document.consumers:
        if consumer.resource_type in _TRAILS and consumer.key is None:
            message = f"trail `{consumer.name}` does not encrypt its log files with a KMS key"
            yield target.make(RULE, message, consumer.span)


RULE = DocumentRule(
    id="KMS077",
    name="cfg-trail-not-kms",
    severity=Severity.MEDIUM,
    summary="CloudTrail trail whose log files are not encrypted with SSE-KMS",
    help="set the trail's KMS key (`KMSKeyId` / `kms_key_id`)",
    check=check,
)
