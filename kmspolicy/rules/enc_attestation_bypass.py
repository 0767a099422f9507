"""Another path to an enclave key's sensitive operations that skips attestation.

## What it flags
In an enclave key policy, an `Allow` for principals other than the attested enclave role (the account
principal, other roles, `*`, `kms:*` or `NotAction` statements) that reaches `kms:Decrypt`,
`kms:GenerateDataKey*` or `kms:DeriveSharedSecret` without attestation, when no `Deny` statement
with an attestation condition covers that operation.

## Why it is risky
Attestation only protects the key if every path to plaintext requires it. The account principal's
`kms:*` lets any IAM role of the account with a matching IAM policy decrypt outside the enclave.

## Example
```json
[{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
 "Resource": "*"},
 {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Enclave"},
  "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "<hash>"}}}]
```

## Use instead
Add a Deny that requires attestation for the sensitive operations:
```json
{"Effect": "Deny", "Principal": "*", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
 "Condition": {"StringNotEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "<hash>"}}}
```

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-nitro-enclaves.html
- prowler kms_key_enclave_attestation_bypassable_path
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.attestation import attestations, attested_principals, is_enclave_policy, unattested
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not is_enclave_policy(target):
        return
    enclave = attested_principals(target)
    guarded = frozenset().union(*(f.kms_actions for f in target.facts if f.deny and attestations(f)))
    for facts, actions in unattested(target):
        if any(v in enclave for _, v in facts.principal_values("AWS")):
            continue  # KMS079
        open_actions = actions - guarded
        if not open_actions:
            continue
        item, _ = facts.first_item_covering(open_actions)
        yield target.report(
            RULE,
            f"this statement reaches {', '.join(f'`{a}`' for a in sorted(open_actions))} without attestation "
            "and no Deny requires it: plaintext can leave outside the enclave",
            item.span if item is not None else facts.element_span("NotAction"),
            facts.statement,
        )


RULE = PolicyRule(
    id="KMS080",
    name="enc-attestation-bypass",
    severity=Severity.HIGH,
    summary="another Allow reaches the enclave key's sensitive operations without attestation",
    help="add a Deny that requires the attestation condition for the sensitive operations",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"condition:kms:recipientattestation:"}),
)
