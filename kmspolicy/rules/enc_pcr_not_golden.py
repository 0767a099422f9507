"""An attestation value that is not in the configured golden set.

## What it flags
With `golden_pcrs` configured (measurement name, such as `ImageSha384` or `PCR0`, to the approved
values), a `kms:RecipientAttestation:<name>` condition value outside that set.

## Why it is risky
The key policy trusts an enclave build that your release process did not approve: an old image with
known bugs, a debug build, or an image someone else built.

## Example
```json
"Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:PCR0": "<hash of an old build>"}}
```

## Use instead
Only the measurements of approved builds; update the policy when a build is approved or revoked.

## References
- https://docs.aws.amazon.com/enclaves/latest/user/set-up-attestation.html
- prowler kms_key_enclave_attestation_pcr_mismatch
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.attestation import PREFIX, attestations
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    golden = target.options.golden_pcrs
    if not golden:
        return
    for facts in target.facts:
        for condition in attestations(facts):
            approved = golden.get(condition.key_lower.removeprefix(PREFIX))
            if approved is None:
                continue
            allowed = {v.lower() for v in approved}
            bad = [v for v in condition.values if isinstance(v, str) and v.lower() not in allowed]
            if bad:
                yield target.report(
                    RULE,
                    f"`{condition.key}` value `{bad[0][:16]}...` is not one of the approved measurements",
                    condition.span,
                    facts.statement,
                )


RULE = PolicyRule(
    id="KMS083",
    name="enc-pcr-not-golden",
    severity=Severity.MEDIUM,
    summary="attestation values not in the configured golden set",
    help="use only the measurements of approved builds (`golden_pcrs`)",
    check=check,
    needs=frozenset({"condition:kms:recipientattestation:"}),
)
