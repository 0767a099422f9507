"""Data encrypted with an AWS managed key that the same template shares with another account.

## What it flags
A resource of a CloudFormation template or Terraform plan encrypted under an AWS managed key
(`alias/aws/<service>`, named or used by default; see `cfg-aws-managed-key-used`) whose data the
same input lets another account read:

- a Secrets Manager secret without a customer managed key whose resource policy
  (`AWS::SecretsManager::ResourcePolicy`, `aws_secretsmanager_secret_policy`) allows a principal of
  another account;
- an EBS volume encrypted under `alias/aws/ebs` whose snapshot is shared with another account
  (`aws_snapshot_create_volume_permission`; CloudFormation has no such resource);
- an S3 bucket encrypted under `alias/aws/s3` that replicates to a bucket of another account
  (`ReplicationConfiguration` rules with `Destination.Account`, `aws_s3_bucket_replication_configuration`
  with `destination.account`).

Another account is any account but the owner (`--account`, or what the input says), trusted ones
included: trust is about who is allowed, and the AWS managed key refuses every other account all the
same. A resource policy that allows every principal (`"*"`, whatever its conditions, such as an
`aws:PrincipalOrgID` pin) shares with other accounts too. Accounts known only at deployment are not
judged.

## Why it is risky
The policy of an AWS managed key allows only principals of its own account, and nobody can change
it. The other account cannot decrypt: the secret cannot be read from there, the shared snapshot
cannot be copied or restored, objects encrypted with the key are not replicated. The share fails at
run time, and fixing it means re-encrypting the data under a customer managed key.

## Example
```yaml
Secret:
  Type: AWS::SecretsManager::Secret
  Properties: {Name: shared-token}
SecretPolicy:
  Type: AWS::SecretsManager::ResourcePolicy
  Properties:
    SecretId: !Ref Secret
    ResourcePolicy:
      Statement:
        - {Effect: Allow, Principal: {AWS: "arn:aws:iam::444455556666:root"},
           Action: secretsmanager:GetSecretValue, Resource: "*"}
```

## Use instead
A customer managed key whose key policy allows the other account to decrypt (`kms:Decrypt`, and
`kms:CreateGrant` for EBS), named by the resource: `KmsKeyId: !Ref SharedKey`,
`kms_key_id = aws_kms_key.shared.arn`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
- https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html
- https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
- https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.cfg_aws_managed_key_used import aws_managed_alias
from kmspolicy.rules.framework import DocumentRule, DocumentTarget
from kmspolicy.rules.statements import principal_account


def check(target: DocumentTarget) -> Iterator[Finding]:
    managed: dict[str, tuple[str, str]] = {}  # consumer name -> (alias, purpose)
    for consumer in target.document.consumers:
        alias = None if consumer.key is None else aws_managed_alias(consumer.key)
        if alias is not None:
            managed.setdefault(consumer.name, (alias, consumer.purpose))
    for share in target.document.shares:
        if share.resource not in managed or not isinstance(share.account, str):
            continue
        if share.account == "*":
            shared_with = "every account it admits (`*`)"
        else:
            account = principal_account(share.account)
            if account is None or account == target.trust.owner:
                continue
            shared_with = f"account `{account}`"
        alias, purpose = managed[share.resource]
        # Not the zone of trust: the key's policy admits its own account only (reference §5.1).
        message = (
            f"`{share.resource}` encrypts its {purpose} with the AWS managed key `{alias}`, but"
            f" {share.how} shares it with {shared_with}, which that key's policy cannot allow"
        )
        yield target.make(RULE, message, share.span)


RULE = DocumentRule(
    id="KMS075",
    name="cfg-aws-managed-key-cross-account",
    severity=Severity.MEDIUM,
    summary="data encrypted with an AWS managed key is shared with another account",
    help="encrypt the shared data with a customer managed key whose policy allows the other account",
    check=check,
)
