"""Attestation pinned to the image only, not to where it runs.

## What it flags
A statement whose attestation conditions test only image measurements (`ImageSha384`, `PCR0`-`PCR2`)
with no `PCR3` (parent instance role), `PCR4` (parent instance), `PCR8` (signing certificate) and no
account pin (`aws:PrincipalAccount`, `kms:CallerAccount`, `aws:PrincipalArn`).

## Why it is risky
The same image run anywhere, in another account or on another instance, attests the same values. The
key is bound to the code but not to your deployment.

## Example
```json
"Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "<hash>"}}
```

## Use instead
Add `kms:RecipientAttestation:PCR3` (the parent instance role) or `PCR8` (your signing certificate).

## References
- https://docs.aws.amazon.com/enclaves/latest/user/set-up-attestation.html#where
- prowler kms_key_enclave_attestation_no_deployment_binding
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.attestation import PREFIX, attestations
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

_IMAGE_ONLY = frozenset({"imagesha384", "pcr0", "pcr1", "pcr2"})
_PINS = ("aws:principalaccount", "kms:calleraccount", "aws:principalarn")


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        found = attestations(facts)
        if not found or facts.conditions_on(*_PINS):
            continue
        measured = {c.key_lower.removeprefix(PREFIX) for c in found}
        if measured <= _IMAGE_ONLY:
            yield target.report(
                RULE,
                "attestation pins only the enclave image; add `PCR3`, `PCR4` or `PCR8` to bind it to "
                "your deployment",
                found[0].span,
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS082",
    name="enc-no-deployment-binding",
    severity=Severity.LOW,
    summary="attestation pins only image PCRs (no PCR3/PCR4/PCR8 or account pin)",
    help="add `kms:RecipientAttestation:PCR3` or `PCR8` conditions",
    check=check,
    needs=frozenset({"condition:kms:recipientattestation:"}),
)
