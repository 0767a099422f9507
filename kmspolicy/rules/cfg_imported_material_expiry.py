"""Imported (EXTERNAL-origin) key material that expires.

## What it flags
A customer managed key whose key material was imported (`Origin: EXTERNAL`) with the expiration
model `KEY_MATERIAL_EXPIRES`, as `aws kms describe-key` (or an account snapshot) reports it, or a
Terraform `aws_kms_external_key` with `valid_to` declares it. The message gives the expiry date
(`ValidTo`) when the input has it. Keys with KMS-generated material,
imported material that does not expire, and keys already pending deletion are not reported.

## Why it is risky
When imported material expires, KMS deletes it and the key becomes unusable (`PendingImport`): every
decrypt of data under it fails until the same material is imported again. Whoever holds the only copy
of that material holds the data; if it is lost, the data is lost with it.

## Example
```json
{"KeyMetadata": {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Origin": "EXTERNAL",
  "ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": "2027-01-01T00:00:00+00:00"}}
```

## Use instead
Import the material with `--expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE`, or track `ValidTo` and
re-import before it (an alarm on the `SecondsUntilKeyMaterialExpiration` CloudWatch metric).

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys.html
- https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-set-expiration.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import KeyRule, KeyTarget
from kmspolicy.rules.key_fields import key_field_span


def check(target: KeyTarget) -> Iterator[Finding]:
    key = target.key
    if (
        key.origin != "EXTERNAL"
        or key.expiration_model != "KEY_MATERIAL_EXPIRES"
        or key.key_state == "PendingDeletion"
    ):
        return
    if key.valid_to is None:
        message = f"the imported key material of key `{key.key_id}` expires; the input does not say when"
        yield target.make(RULE, message, key_field_span(target, "expiration_model"))
    else:
        message = f"the imported key material of key `{key.key_id}` expires on `{key.valid_to}`"
        yield target.make(RULE, message, key_field_span(target, "expiry"))


RULE = KeyRule(
    id="KMS078",
    name="cfg-imported-material-expiry",
    severity=Severity.LOW,
    summary="imported key material with an expiry date: the key becomes unusable when it expires",
    help="re-import the material without expiry, or re-import it before `ValidTo`",
    check=check,
)
