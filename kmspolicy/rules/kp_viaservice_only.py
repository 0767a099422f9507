"""An Allow to `"*"` limited only by `kms:ViaService`.

## What it flags
A key-policy `Allow` to every principal whose only identity-free restriction is `kms:ViaService`
(with no `kms:CallerAccount`, `aws:PrincipalAccount` or organization pin). The evaluator confirms
that a principal of an untrusted account calling through that service matches.

## Why it is risky
`kms:ViaService` says which service forwards the request, not whose request it is. A principal in any
account can use the key through that service, for example by pointing its own S3 bucket or EBS volume
at your key. AWS managed key policies always pair it with `kms:CallerAccount`.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
 "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}
```

## Use instead
Add the account pin, as AWS managed key policies do:
```json
"Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com",
                               "kms:CallerAccount": "111122223333"}}
```

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
- https://docs.aws.amazon.com/kms/latest/developerguide/services-wm.html
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.exposure import describe_actions, exposed_statements, reduced_severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts, exposure, condition in exposed_statements(target, "viaservice-only"):
        assert condition is not None
        yield target.report(
            RULE,
            f"principal `*` limited only by `{condition.key}`: principals of any account can use this key "
            f"({describe_actions(facts, exposure)}) through that service",
            condition.span,
            facts.statement,
            severity=reduced_severity(facts),
        )


RULE = PolicyRule(
    id="KMS003",
    name="kp-viaservice-only",
    severity=Severity.HIGH,
    summary="key policy allows `*` limited only by `kms:ViaService`, with no account or organization pin",
    help="add `kms:CallerAccount` (or `aws:PrincipalOrgID`) beside `kms:ViaService`",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"wildcard-principal", "condition:kms:viaservice"}),
)
