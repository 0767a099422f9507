"""A key declared without a key policy, so the default policy applies silently.

## What it flags
A customer managed key in CloudFormation or Terraform with no `KeyPolicy` / `policy` and no separate
`aws_kms_key_policy` resource.

## Why it is risky
KMS then applies its default policy: the account principal with `kms:*`, so every IAM principal of
the account whose IAM policies say `kms:*` on `*` can use and manage the key. Nobody reviewed who
should use the key, and the policy exists nowhere in the code.

## Example
```json
{"Type": "AWS::KMS::Key", "Properties": {"Description": "app data"}}
```

## Use instead
Write the key policy in the template, naming key administrators and key users.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
- checkov CKV2_AWS_64
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity, Span
from kmspolicy.rules.framework import KeyRule, KeyTarget


def check(target: KeyTarget) -> Iterator[Finding]:
    key = target.key
    if key.key_manager == "CUSTOMER" and not key.policy_declared:
        yield target.make(
            RULE,
            f"key `{key.key_id}` has no key policy; the default policy (account principal with `kms:*`) "
            "applies",
            key.span or Span(file=target.document.file, pointer=""),
        )


RULE = KeyRule(
    id="KMS018",
    name="kp-policy-missing",
    severity=Severity.LOW,
    summary="key declared without an explicit key policy",
    help="declare the key policy explicitly, naming administrators and users",
    check=check,
)
