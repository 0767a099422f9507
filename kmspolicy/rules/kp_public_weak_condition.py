"""An Allow to `"*"` whose only conditions do not say who the caller is.

## What it flags
A key-policy `Allow` to every principal whose conditions test only request properties an outsider
controls: `aws:SecureTransport`, `aws:RequestedRegion`, `aws:CurrentTime`, `aws:SourceIp`,
`kms:EncryptionContext:*`, `kms:EncryptionAlgorithm`, `kms:RequestAlias`, principal tags, and so on.
kmspolicy confirms it with the evaluator: a request from an untrusted account that sets those keys to
the policy's own values matches the statement.

## Why it is risky
The conditions look restrictive but every caller can meet them: anyone can send HTTPS requests, pick
a Region, choose an encryption context or tag their own role. The key is usable from any account.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
```

## Use instead
Keep the conditions and add one that pins identity: `kms:CallerAccount`, `aws:PrincipalAccount`,
`aws:PrincipalOrgID` or `aws:PrincipalArn` with trusted, wildcard-free values.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-aws.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- IAM Access Analyzer external access findings; policyuniverse condition allow-list
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.exposure import describe_actions, exposed_statements, reduced_severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts, exposure, _ in exposed_statements(target, "weak-condition"):
        keys = ", ".join(f"`{k}`" for k in dict.fromkeys(c.key for c in facts.statement.conditions))
        yield target.report(
            RULE,
            f"principal `*` with conditions on {keys} only: callers in any account can meet them and use "
            f"this key ({describe_actions(facts, exposure)})",
            facts.wildcard_principals[0].span,
            facts.statement,
            severity=reduced_severity(facts),
        )


RULE = PolicyRule(
    id="KMS002",
    name="kp-public-weak-condition",
    severity=Severity.CRITICAL,
    summary="key policy allows `*` under conditions that do not constrain the caller's identity",
    help="add `kms:CallerAccount`, `aws:PrincipalAccount` or `aws:PrincipalOrgID` with trusted values",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"wildcard-principal", "conditions"}),
)
