"""`aws:SourceIp` used to scope key use.

## What it flags
Any statement that tests `aws:SourceIp` (`IpAddress` or `NotIpAddress`) on KMS actions, in a key
policy or an identity policy. Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7) are called out.

## Why it is risky
`aws:SourceIp` is the public address of whoever sends the request to KMS. When an AWS service calls
KMS for you (S3, EBS, Secrets Manager, ...) it is the service's address; through a VPC endpoint the
key is absent. An `Allow` on it silently breaks integrations, a `Deny` on it blocks them, and private
addresses never match at all.

## Example
```json
{"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
 "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
```

## Use instead
Use `aws:SourceVpce` / `aws:SourceVpc` for private traffic, with an escape for service calls
(`"Bool": {"aws:ViaAWSService": "false"}` in the Deny).

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-aws.html
- IAM Access Analyzer "Private IP address"; prowler has_private_conditions
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget


def _private(value: str) -> bool:
    try:
        return ipaddress.ip_network(value, strict=False).is_private
    except ValueError:
        return False


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        if not facts.kms_actions:
            continue
        for condition in facts.conditions_on("aws:sourceip"):
            private = [v for v in condition.values if isinstance(v, str) and _private(v)]
            note = f"; private range {', '.join(f'`{v}`' for v in private)} never matches" if private else ""
            yield target.report(
                RULE,
                f"`{condition.key}` scopes key use, but it is the service's address when AWS services call "
                f"KMS for you and absent through VPC endpoints{note}",
                condition.span,
                facts.statement,
            )


RULE = PolicyRule(
    id="KMS011",
    name="kp-sourceip-condition",
    severity=Severity.MEDIUM,
    summary="`aws:SourceIp` used to scope KMS key use",
    help="use `aws:SourceVpce`/`aws:SourceVpc`, with an `aws:ViaAWSService` escape for service calls",
    check=check,
    needs=frozenset({"condition:aws:sourceip"}),
)
