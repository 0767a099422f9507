"""A `kms:ViaService` value that is not `<service>.<region>.amazonaws.com`.

## What it flags
A `kms:ViaService` condition value that does not have the form `service.region.amazonaws.com`
(wildcards allowed), such as `s3.amazonaws.com` or `ec2`. The domain is `.amazonaws.com` in every
partition: `s3.cn-north-1.amazonaws.com.cn` is flagged too.

## Why it is risky
KMS sends the regional endpoint name of the calling service. A value without the Region never
matches: the `Allow` never works, or a negated `Deny` always applies and blocks the service.

## Example
```json
"Condition": {"StringEquals": {"kms:ViaService": "s3.amazonaws.com"}}
```

## Use instead
```json
"Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
```
or `"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

# `.amazonaws.com` in every partition: KMS sends `s3.cn-north-1.amazonaws.com` in China too (§3.1).
_FORMAT = re.compile(r"^[a-z0-9*?][a-z0-9*?-]*\.[a-z0-9*?][a-z0-9*?-]*\.amazonaws\.com$|^\*$")


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        for condition in facts.conditions_on("kms:viaservice"):
            if condition.operator is None or condition.operator.family == "Null":
                continue
            for value in condition.values:
                if isinstance(value, str) and "${" not in value and not _FORMAT.match(value):
                    china = (
                        " (`.amazonaws.com` in every partition, China included)"
                        if value.endswith(".amazonaws.com.cn")
                        else ""
                    )
                    yield target.report(
                        RULE,
                        f"`kms:ViaService` value `{value}` is not `<service>.<region>.amazonaws.com`{china}; "
                        "it never matches",
                        condition.span,
                        facts.statement,
                    )


RULE = PolicyRule(
    id="KMS058",
    name="cond-viaservice-format",
    severity=Severity.ERROR,
    summary="`kms:ViaService` value not of the form `service.region.amazonaws.com`",
    help="write the regional service endpoint, e.g. `s3.us-east-1.amazonaws.com` or `s3.*.amazonaws.com`",
    check=check,
    needs=frozenset({"condition:kms:viaservice"}),
)
