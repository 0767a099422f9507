"""An `...IfExists` operator on an identity key in an Allow to `"*"`.

## What it flags
A key-policy `Allow` to every principal that pins identity with an `IfExists` operator, such as
`StringEqualsIfExists` on `aws:PrincipalOrgID`. The evaluator confirms that a principal of an
untrusted account for which the key is absent (no organization) matches.

Also a key-policy `Allow` to a service principal whose only source pins (`aws:SourceArn`,
`aws:SourceAccount`, `aws:SourceOrgID`, `aws:SourceOrgPaths`, or the service's encryption-context
key) are `IfExists` forms: the source keys are present only when the service acts for a resource, so
a request without them passes unpinned (medium, low for metadata-only actions; with no pin at all it
is KMS009's).

A key that every caller the statement admits sends (`kms:CallerAccount`, `aws:PrincipalArn` for AWS
principals) is never absent, so its `IfExists` form restricts as the plain operator does and is not
reported.

## Why it is risky
`IfExists` makes the condition true when the key is missing. `aws:PrincipalOrgID` is missing for every
account outside any organization, so the pin lets exactly those callers in.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
```

## Use instead
Drop `IfExists` (`StringEquals`), so that a caller without the key does not match.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
- iam-policy-validator ifexists_condition_check
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Condition, Finding, PolicyKind, Severity
from kmspolicy.rules.cond_wildcard_identity_value import SOURCE_PINNING_KEYS, pins_owner
from kmspolicy.rules.exposure import exposed_statements, reduced_severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts

_METADATA = frozenset({"kms:DescribeKey", "kms:GetPublicKey"})


def check(target: PolicyTarget) -> Iterator[Finding]:
    if "wildcard-principal" in target.features:
        for facts, exposure, condition in exposed_statements(target, "ifexists-identity"):
            assert condition is not None
            if condition.key_lower in SOURCE_PINNING_KEYS:
                who = (
                    f"a direct call by a principal in account `{exposure.account}`, which carries no source "
                    "(only a service acting for a resource sends one),"
                )
            elif exposure.org is None:
                who = f"a principal outside any organization in account `{exposure.account}`"
            else:
                who = f"a principal of an untrusted organization in account `{exposure.account}`"
            yield target.report(
                RULE,
                f"`{condition.operator_raw}` on `{condition.key}` passes when the key is absent: {who} can "
                "use this key",
                condition.span,
                facts.statement,
                severity=reduced_severity(facts),
            )
    if target.is_key_policy and "service-principal" in target.features:
        for facts in target.facts:
            weak = _only_if_exists_source_pin(facts) if facts.allow and facts.kms_actions else None
            services = [v for _, v in facts.principal_values("Service")]
            if weak is None or not services:
                continue
            yield target.report(
                RULE,
                f"`{weak.operator_raw}` on `{weak.key}` passes when the key is absent: a request of "
                f"`{services[0]}` that names no source resource is not pinned to yours",
                weak.span,
                facts.statement,
                severity=Severity.LOW if facts.kms_actions <= _METADATA else Severity.MEDIUM,
            )


def _only_if_exists_source_pin(facts: StatementFacts) -> Condition | None:
    """The first `IfExists` source pin of a statement whose source pins are all `IfExists` forms."""
    pins = [
        c
        for c in (
            *facts.conditions_on(*SOURCE_PINNING_KEYS),
            *facts.conditions_with_prefix("kms:encryptioncontext:"),
        )
        if c.operator is not None and not c.operator.negated and pins_owner(c)
    ]
    if not pins or any(c.operator is not None and not c.operator.if_exists for c in pins):
        return None
    return pins[0]


RULE = PolicyRule(
    id="KMS006",
    name="cond-ifexists-identity-key",
    severity=Severity.HIGH,
    summary="`...IfExists` operator on an identity key in an Allow to `*` or to a service principal",
    help="remove `IfExists` so that callers without the key do not match",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"conditions"}),
)
