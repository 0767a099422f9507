"""An attestation value with a wildcard.

## What it flags
A `kms:RecipientAttestation:*` condition whose value contains `*` or `?` (with a `...Like` operator).

## Why it is risky
Measurements are exact hashes; a wildcard accepts images or configurations you never built, including
an attacker's enclave image.

## Example
```json
"Condition": {"StringLike": {"kms:RecipientAttestation:PCR0": "3f5c*"}}
```

## Use instead
`StringEqualsIgnoreCase` with the full measurement values of your build.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-nitro-enclaves.html
- prowler kms_key_enclave_pcr_too_broad
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.attestation import attestations
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        for condition in attestations(facts):
            wild = [v for v in condition.values if isinstance(v, str) and ("*" in v or "?" in v)]
            if wild and condition.operator is not None and condition.operator.base.endswith("Like"):
                yield target.report(
                    RULE,
                    f"`{condition.key}` accepts the pattern `{wild[0]}`: any measurement matching it passes",
                    condition.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS081",
    name="enc-pcr-wildcard",
    severity=Severity.HIGH,
    summary="attestation condition value with a wildcard",
    help="compare full measurement values with `StringEqualsIgnoreCase`",
    check=check,
    needs=frozenset({"condition:kms:recipientattestation:"}),
)
