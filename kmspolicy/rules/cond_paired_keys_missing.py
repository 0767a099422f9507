"""A condition key that is only safe together with its partner.

## What it flags
`aws:VpcSourceIp` without `aws:SourceVpc` or `aws:SourceVpce` in the same statement, and
`aws:Ec2InstanceSourcePrivateIPv4` without `aws:Ec2InstanceSourceVpc`.

## Why it is risky
Private IP addresses repeat across VPCs. An address range alone matches callers from any VPC,
including other accounts' VPCs that use the same range.

## Example
```json
"Condition": {"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/16"}}
```

## Use instead
```json
"Condition": {"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/16"},
 "StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d"}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-vpcsourceip
- IAM Access Analyzer security warning "Missing paired condition keys"
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import CONDITION

PAIRS: dict[str, tuple[str, ...]] = {
    "aws:vpcsourceip": ("aws:sourcevpc", "aws:sourcevpce"),
    "aws:ec2instancesourceprivateipv4": ("aws:ec2instancesourcevpc",),
}


# A policy that tests none of the keys has nothing to report (`needs` cannot say "any of").
_TESTED = frozenset(f"{CONDITION}{key}" for key in PAIRS)


def check(target: PolicyTarget) -> Iterator[Finding]:
    if _TESTED.isdisjoint(target.features):
        return
    for facts in target.facts:
        for key, partners in PAIRS.items():
            if facts.condition_keys.isdisjoint(partners):
                for condition in facts.conditions_on(key):
                    yield target.report(
                        RULE,
                        f"`{condition.key}` without {' or '.join(f'`{p}`' for p in partners)} matches "
                        "the same "
                        "addresses in every VPC",
                        condition.span,
                        facts.statement,
                    )


RULE = PolicyRule(
    id="KMS051",
    name="cond-paired-keys-missing",
    severity=Severity.MEDIUM,
    summary="condition key used without its required partner (`aws:VpcSourceIp` without `aws:SourceVpc`)",
    help="add the partner key (`aws:SourceVpc` / `aws:SourceVpce`) to the same statement",
    check=check,
    needs=frozenset({"conditions"}),
)
