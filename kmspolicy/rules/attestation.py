"""Nitro Enclaves attestation conditions in a key policy: shared by the enclave rules (KMS079-KMS083)."""

from __future__ import annotations

from kmspolicy.model import Condition
from kmspolicy.rules.framework import PolicyTarget
from kmspolicy.rules.statements import StatementFacts

PREFIX = "kms:recipientattestation:"
# Operations that return plaintext (or key material) to the recipient enclave.
SENSITIVE = frozenset(
    {"kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:DeriveSharedSecret"}
)


def attestations(facts: StatementFacts) -> tuple[Condition, ...]:
    return facts.conditions_with_prefix(PREFIX)


def is_enclave_policy(target: PolicyTarget) -> bool:
    """A key policy that uses attestation somewhere protects an enclave key."""
    return target.is_key_policy and any(attestations(f) for f in target.facts)


def attested_principals(target: PolicyTarget) -> frozenset[str]:
    return frozenset(
        value
        for facts in target.facts
        if facts.allow and attestations(facts)
        for _, value in facts.principal_values("AWS")
    )


def unattested(target: PolicyTarget) -> list[tuple[StatementFacts, frozenset[str]]]:
    """Allow statements reaching sensitive operations without any attestation condition."""
    return [
        (facts, facts.kms_actions & SENSITIVE)
        for facts in target.facts
        if facts.allow and facts.kms_actions & SENSITIVE and not attestations(facts)
    ]
