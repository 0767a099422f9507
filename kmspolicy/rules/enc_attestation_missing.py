"""An enclave principal allowed to decrypt without attestation.

## What it flags
In a key policy that uses `kms:RecipientAttestation:*` conditions (an enclave key), an `Allow` that
gives a principal who elsewhere must present attestation (`kms:Decrypt`, `kms:GenerateDataKey`,
`kms:GenerateDataKeyPair`, `kms:DeriveSharedSecret`) without any attestation condition, or with
only `...IfExists` ones, which hold for a request that carries no attestation.

## Why it is risky
The enclave role is also the parent instance's role: without attestation, any process on the parent
instance can decrypt, so the enclave's isolation protects nothing.

## Example
```json
[{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Enclave"},
 "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "<hash>"}}},
 {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Enclave"},
  "Action": "kms:GenerateDataKey", "Resource": "*"}]
```

## Use instead
Put the attestation condition on every statement that gives the enclave role sensitive operations.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-nitro-enclaves.html
- prowler kms_key_missing_enclave_attestation_condition
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.attestation import SENSITIVE, attestations, attested_principals, is_enclave_policy
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not is_enclave_policy(target):
        return
    enclave = attested_principals(target)
    for facts in target.facts:
        actions = facts.kms_actions & SENSITIVE
        if not facts.allow or not actions:
            continue
        found = attestations(facts)
        # `...IfExists` (and a negated operator) holds for a request that carries no attestation.
        if any(c.operator is not None and not c.operator.if_exists and not c.operator.negated for c in found):
            continue
        named = [v for _, v in facts.principal_values("AWS") if v in enclave]
        if named:
            item, _ = facts.first_item_covering(actions)
            weak = f" (only `{found[0].operator_raw}`, which holds without one)" if found else ""
            yield target.report(
                RULE,
                f"`{named[0]}` may call {', '.join(f'`{a}`' for a in sorted(actions))} here without an "
                f"attestation condition{weak}",
                item.span if item is not None else facts.element_span("NotAction"),
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS079",
    name="enc-attestation-missing",
    severity=Severity.HIGH,
    summary="enclave principal allowed Decrypt / GenerateDataKey* without `kms:RecipientAttestation`",
    help="add the attestation condition to every statement giving the enclave role sensitive operations",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"condition:kms:recipientattestation:"}),
)
