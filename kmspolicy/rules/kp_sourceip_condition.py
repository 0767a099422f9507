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

# Ranges no caller's public address is in. Python's `is_private` also counts the documentation
# ranges, which are example addresses rather than private networks, so the lists are explicit.
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)
_DOCUMENTATION = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _within(value: str, ranges: tuple[_Network, ...]) -> bool:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    # inside the range: overlapping it with a prefix at least as long
    return any(r.overlaps(network) and network.prefixlen >= r.prefixlen for r in ranges)


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        if not facts.kms_actions:
            continue
        for condition in facts.conditions_on("aws:sourceip"):
            texts = [v for v in condition.values if isinstance(v, str)]
            private = [v for v in texts if _within(v, _PRIVATE)]
            examples = [v for v in texts if _within(v, _DOCUMENTATION)]
            note = f"; private range {', '.join(f'`{v}`' for v in private)} never matches" if private else ""
            if examples:
                shown = ", ".join(f"`{v}`" for v in examples)
                note += f"; {shown} is a documentation range (RFC 5737 / RFC 3849), which no caller has"
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
