"""A Deny in the key policy that also blocks a service principal the same policy allows.

## What it flags
A key policy that allows a service principal (CloudTrail, CloudWatch Logs, SNS, ...) and has a `Deny`
(typically a data-perimeter Deny on `*` with `StringNotEquals` on `aws:PrincipalOrgID` or
`aws:SourceAccount`) that matches the service's own requests, because it has no
`aws:PrincipalIsAWSService` / `kms:ViaService` exception. The evaluator decides: a request from the
service principal that satisfies the Allow is tested against the Deny.

## Why it is risky
Explicit deny wins. Service principals belong to no organization and carry no principal account of
yours, so the perimeter Deny kills the Allow: trails stop being written, log groups cannot encrypt.

## Example
```json
[{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*",
  "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
 {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
  "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]
```

## Use instead
Exempt service principals in the Deny:
```json
"Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
              "Bool": {"aws:PrincipalIsAWSService": "false"}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice
- https://aws.amazon.com/blogs/security/establishing-a-data-perimeter-on-aws-allow-only-trusted-identities-to-access-company-data/
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import ContextValue, Finding, PolicyKind, Request, Severity, Situation
from kmspolicy.rules.exposure import cut_policy, key_arn, remembered, satisfying_context
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts, statement_label


def check(target: PolicyTarget) -> Iterator[Finding]:
    if not target.is_key_policy or not any(f.deny for f in target.facts):
        return
    # What decides the answer: the Denies and the Allows naming a service (by position among them).
    relevant = tuple(
        f for f in target.facts if f.deny or (f.allow and any(p.type == "Service" for p in f.principals))
    )
    statements = tuple(f.statement for f in relevant)
    for deny_at, allow_at, service, action in remembered(
        "perimeter", target, statements, None, lambda: _blocked(target, relevant)
    ):
        deny, allow = relevant[deny_at], relevant[allow_at]
        at = deny.statement.conditions[0].span if deny.statement.conditions else deny.element_span("Effect")
        yield target.report(
            RULE,
            f"this `Deny` also matches service principal `{service}`, which "
            f"{statement_label(allow.statement)} allows (`{action}`): the service is blocked",
            at,
            deny.statement,
        )


def _blocked(target: PolicyTarget, relevant: tuple[StatementFacts, ...]) -> list[tuple[int, int, str, str]]:
    """(Deny, Allow, service, action), by position in `relevant`, for each Deny that refuses a service
    principal an Allow names; at most one per Deny."""
    from kmspolicy.evaluate import statement_matches

    denies = [(at, f) for at, f in enumerate(relevant) if f.deny]
    # Only the Denies are matched, so the evaluator gets them alone to compile.
    policy = cut_policy(target.policy, tuple(f.statement for _, f in denies))
    situation = Situation.trusted(key=target.key, key_policy=policy)
    resource = key_arn(target.key, target.trust)
    found: list[tuple[int, int, str, str]] = []
    reported: set[int] = set()
    for allow_at, allow in enumerate(relevant):
        if not allow.allow:
            continue
        for _, service in allow.principal_values("Service"):
            if "*" in service:
                continue
            context: dict[str, ContextValue] = {
                **satisfying_context(allow.statement),
                "aws:PrincipalIsAWSService": "true",
                "aws:SourceAccount": target.trust.owner or "111122223333",
                "aws:PrincipalServiceName": service,
            }
            for deny_at, deny in denies:
                overlap = allow.kms_actions & deny.kms_actions
                if not overlap or deny_at in reported:
                    continue
                action = min(overlap)
                request = Request.trusted(
                    principal=service, action=action, resource=resource, context=context
                )
                if statement_matches(deny.statement, policy, request, situation).matched:
                    reported.add(deny_at)
                    found.append((deny_at, allow_at, service, action))
    return found


RULE = PolicyRule(
    id="KMS012",
    name="kp-perimeter-deny-blocks-services",
    severity=Severity.MEDIUM,
    summary="perimeter `Deny` without a service exception blocks a service principal the policy allows",
    help='add `"Bool": {"aws:PrincipalIsAWSService": "false"}` to the Deny\'s conditions',
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"deny", "service-principal"}),
)
