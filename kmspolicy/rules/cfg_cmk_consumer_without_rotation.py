"""A resource encrypted with a customer managed key of the same template or plan whose rotation is off.

## What it flags
A resource (see `cfg-aws-managed-key-used` for the resource types read) that names a customer managed
key declared in the same CloudFormation template or Terraform plan (by `Ref` / `Fn::GetAtt`, through
one of the key's aliases, or by its ARN or id) when that key could rotate automatically and does not.
The finding points at the resource, next to the key's own `cfg-rotation-disabled` finding, so that
whoever owns the resource sees it. Keys that cannot rotate automatically (asymmetric, HMAC, imported
material, custom key stores) are never reported, and neither are keys named only by a value the input
does not resolve.

## Why it is risky
Every object, secret or volume of the resource stays under one key version for as long as the key
lives; rotation limits how much data one version protects, and frameworks that require rotation
judge the data by the key that protects it.

## Example
```yaml
DataKey:
  Type: AWS::KMS::Key
  Properties: {EnableKeyRotation: false}
Secret:
  Type: AWS::SecretsManager::Secret
  Properties: {KmsKeyId: !Ref DataKey}
```

## Use instead
`EnableKeyRotation: true` on the key (CloudFormation), `enable_key_rotation = true` (Terraform).

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
- checkov CKV2_AWS_67 (S3 only)
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Key, KeyConsumer, Severity, Unknown
from kmspolicy.rules.cfg_rotation_disabled import rotatable
from kmspolicy.rules.framework import KeyRule, KeyTarget


def names_key(consumer: KeyConsumer, key: Key) -> bool:
    """Whether the consumer names this key: its ARN (or ARN placeholder), id, or one of its aliases."""
    named = consumer.key
    if isinstance(named, Unknown):
        return isinstance(key.arn, Unknown) and named.expr == key.arn.expr
    if named is None:
        return False
    if named in (key.arn, key.key_id):
        return True
    return any(named == alias or named.endswith(f":{alias}") for alias in key.aliases)


def check(target: KeyTarget) -> Iterator[Finding]:
    key = target.key
    if not rotatable(key) or key.rotation_enabled is not False or key.key_state == "PendingDeletion":
        return
    for consumer in target.document.consumers:
        if names_key(consumer, key):
            message = (
                f"`{consumer.name}` encrypts its {consumer.purpose} with key `{key.key_id}`,"
                " whose automatic rotation is off"
            )
            yield target.make(RULE, message, consumer.span)


RULE = KeyRule(
    id="KMS076",
    name="cfg-cmk-consumer-without-rotation",
    severity=Severity.MEDIUM,
    summary="resource encrypted with a customer managed key whose automatic rotation is off",
    help="enable automatic rotation on the key the resource uses",
    check=check,
)
