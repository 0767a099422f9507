"""A grant for encryption or decryption with no encryption-context constraint.

## What it flags
A grant whose operations include an operation that takes an encryption context (`Decrypt`,
`Encrypt`, `GenerateDataKey*`, `ReEncrypt*`) and that has neither `EncryptionContextEquals` nor
`EncryptionContextSubset`. Grants AWS services create for their own resources are not reported.

## Why it is risky
Without a constraint the grantee may use the operations on every ciphertext of the key, not only on
the data the grant was created for.

## Example
```json
{"GrantId": "g1", "GranteePrincipal": "arn:aws:iam::111122223333:role/Batch", "Operations": ["Decrypt"]}
```

## Use instead
Create the grant with `--constraints EncryptionContextSubset={tenant=t-17}`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/create-grant-overview.html#grant-constraints
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import GrantRule, GrantTarget
from kmspolicy.rules.grantees import field_span, is_aws_service_grant

WITH_CONTEXT = frozenset(
    {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
    }
)


def check(target: GrantTarget) -> Iterator[Finding]:
    grant = target.grant
    used = [o for o in grant.operations if o in WITH_CONTEXT]
    if not used or is_aws_service_grant(grant):
        return
    constraints = grant.constraints
    if constraints is not None and (
        constraints.encryption_context_equals or constraints.encryption_context_subset
    ):
        return
    yield target.report(
        RULE,
        f"grant `{grant.grant_id}` allows {', '.join(f'`{o}`' for o in used)} on every ciphertext of "
        "the key: "
        "it has no encryption-context constraint",
        field_span(grant, "Operations"),
    )


RULE = GrantRule(
    id="KMS030",
    name="grant-no-constraints",
    severity=Severity.LOW,
    summary="grant for encrypt/decrypt operations without encryption-context constraints",
    help="recreate the grant with an `EncryptionContextSubset` or `EncryptionContextEquals` constraint",
    check=check,
)
