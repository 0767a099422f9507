"""A service principal allowed to use the key without a source pin (confused deputy).

## What it flags
A key-policy `Allow` to a service principal (`cloudtrail.amazonaws.com`, `logs.<region>.amazonaws.com`,
`sns.amazonaws.com`, ...) for actions other than `kms:DescribeKey`/`kms:GetPublicKey`, with no
condition on `aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOrgID`/`OrgPaths` and no
service-specific encryption-context pin (`kms:EncryptionContext:aws:cloudtrail:arn`, ...). A value
that leaves the account open (`"aws:SourceAccount": "*"`, `arn:aws:sns:*:*:*`) pins nothing. Only
metadata actions: low severity.

## Why it is risky
A service principal acts for every customer of that service. Without a source condition, another
account can make the service (the confused deputy) use your key for its resources, for example to
encrypt its trail or log group with your key, or to decrypt through it.

## Example
```json
{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
 "Action": "kms:GenerateDataKey*", "Resource": "*"}
```

## Use instead
```json
"Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"},
              "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
               "arn:aws:cloudtrail:*:111122223333:trail/*"}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
- https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
- IAM Access Analyzer security warning "Restrict access to service principal"
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.cond_wildcard_identity_value import SOURCE_PINNING_KEYS, pins_owner
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

_METADATA = frozenset({"kms:DescribeKey", "kms:GetPublicKey"})


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not target.is_key_policy:
        return
    for facts in target.facts:
        if not facts.allow or not facts.kms_actions:
            continue
        # A value with a wildcard in its account part (`"aws:SourceAccount": "*"`) pins nothing.
        pinned = any(
            c.operator is not None and not c.operator.negated and pins_owner(c)
            for c in (
                *facts.conditions_on(*SOURCE_PINNING_KEYS),
                *facts.conditions_with_prefix("kms:encryptioncontext:"),
            )
        )
        if pinned:
            continue
        severity = Severity.LOW if facts.kms_actions <= _METADATA else None
        for principal, value in facts.principal_values("Service"):
            if "*" in value:
                continue  # kp-service-principal-wildcard
            yield target.report(
                RULE,
                f"service principal `{value}` may use this key with no `aws:SourceArn`/`aws:SourceAccount` "
                "condition: the service can be made to use it for other accounts' resources",
                principal.span,
                facts.statement,
                severity=severity,
            )


RULE = PolicyRule(
    id="KMS009",
    name="kp-service-principal-no-source",
    severity=Severity.MEDIUM,
    summary="service principal granted key use without `aws:SourceArn`/`aws:SourceAccount` (confused deputy)",
    help="add `aws:SourceAccount` / `aws:SourceArn` (or the service's encryption-context key) conditions",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"allow", "service-principal"}),
)
