"""An Allow with NotAction that leaves KMS actions in.

## What it flags
An `Allow` statement (identity or key policy) with `NotAction`, where the listed actions do not
exclude every KMS permission and the statement's resources may include keys (`*`, `NotResource`, or
a `kms` ARN): `NotAction` allows only the actions that apply to the statement's resources.

## Why it is risky
`Allow` + `NotAction` allows everything except the list, including actions created later. Written to
say "everything but IAM", it quietly gives `kms:Decrypt`, `kms:PutKeyPolicy` and `kms:CreateGrant`.

## Example
```json
{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}
```

## Use instead
List the allowed actions in `Action`; keep `NotAction` for `Deny` statements.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
- ScoutSuite iam-*-allows-NotActions; iam-policy-validator not_action_not_resource
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts


def check(target: PolicyTarget) -> Iterator[Finding]:
    if target.policy.kind not in (PolicyKind.IDENTITY, PolicyKind.KEY):
        return
    for facts in target.facts:
        if (
            facts.allow
            and facts.statement.not_action is not None
            and facts.kms_actions
            and _may_name_keys(facts)
        ):
            count = len(facts.kms_actions)
            yield target.report(
                RULE,
                f"`Allow` with `NotAction` allows {count} KMS permission{'s' if count != 1 else ''} "
                "the list does not exclude, such as "
                f"`{'kms:Decrypt' if facts.covers('kms:Decrypt') else min(facts.kms_actions)}`",
                facts.element_span("NotAction"),
                facts.statement,
            )


def _may_name_keys(facts: StatementFacts) -> bool:
    """Whether the statement's resources may include KMS keys or aliases: `NotAction` allows only
    the actions that apply to them (§2.3), so `NotAction` on S3 bucket ARNs allows no KMS action.
    `*`, `NotResource`, a value unknown before deployment and anything not an ARN are taken to."""
    resources = facts.statement.resource
    if resources is None:
        return True
    for item in resources:
        value = item.value
        if not isinstance(value, str):
            return True
        parts = value.split(":", 3)
        if len(parts) < 4 or parts[0] != "arn" or parts[2] == "kms" or any(c in parts[2] for c in "*?$"):
            return True
    return False


RULE = PolicyRule(
    id="KMS039",
    name="iam-notaction-allow",
    severity=Severity.HIGH,
    summary="`Allow` with `NotAction` that implicitly includes KMS actions",
    help="list the allowed actions in `Action`; use `NotAction` only with `Deny`",
    check=check,
    kinds=frozenset({PolicyKind.KEY, PolicyKind.IDENTITY}),
    needs=frozenset({"allow", "not-action"}),
)
