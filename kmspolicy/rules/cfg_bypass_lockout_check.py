"""Infrastructure code that bypasses the key-policy lockout safety check.

## What it flags
A key declared with `BypassPolicyLockoutSafetyCheck: true` (CloudFormation) or
`bypass_policy_lockout_safety_check = true` (Terraform).

## Why it is risky
The safety check is what stops a key policy that locks everyone out (KMS016) from being saved. With
the bypass on, a mistake in the policy makes the key unmanageable; only AWS Support can help.

## Example
```json
{"Type": "AWS::KMS::Key", "Properties": {"BypassPolicyLockoutSafetyCheck": true, "KeyPolicy": {}}}
```

## Use instead
Remove the flag; fix the policy so that the deploying principal keeps `kms:PutKeyPolicy`.

## References
- https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import KeyRule, KeyTarget
from kmspolicy.rules.key_fields import key_field_span


def check(target: KeyTarget) -> Iterator[Finding]:
    key = target.key
    if key.bypass_policy_lockout_safety_check:
        yield target.make(
            RULE,
            f"key `{key.key_id}` is deployed with the key-policy lockout safety check bypassed",
            key_field_span(target, "bypass"),
        )


RULE = KeyRule(
    id="KMS017",
    name="cfg-bypass-lockout-check",
    severity=Severity.HIGH,
    summary="IaC sets `BypassPolicyLockoutSafetyCheck` to true",
    help="remove the bypass flag and keep a principal with `kms:PutKeyPolicy` in the policy",
    check=check,
)
