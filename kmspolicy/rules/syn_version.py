"""A missing or invalid policy Version, or the old version with policy variables.

## What it flags
A policy without `Version`, a `Version` other than `2012-10-17` or `2008-10-17`, and (medium) a
policy on `2008-10-17` or without a version that uses policy variables (`${aws:username}`).

## Why it is risky
Without `"Version": "2012-10-17"` policy variables are not substituted: `${aws:PrincipalTag/team}` is
compared as literal text, so the condition never matches (or always, when negated). An invalid
version is rejected.

## Example
```json
{"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
 "Resource": "arn:aws:kms:*:111122223333:key/${aws:PrincipalTag/key}"}]}
```

## Use instead
`"Version": "2012-10-17"`.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
- IAM Access Analyzer "Missing version"; parliament NO_VERSION / OLD_VERSION
"""

from __future__ import annotations

from collections.abc import Iterator

from kmspolicy.model import Finding, Policy, Severity, Span
from kmspolicy.parse.context import pointer_join
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

CURRENT = "2012-10-17"


def _uses_variables(policy: Policy) -> bool:
    for statement in policy.statements:
        items = (*(statement.resource or ()), *(statement.not_resource or ()))
        if any(isinstance(i.value, str) and "${" in i.value for i in items):
            return True
        if any(isinstance(v, str) and "${" in v for c in statement.conditions for v in c.values):
            return True
    return False


def check(target: PolicyTarget) -> Iterator[Finding]:
    policy = target.policy
    version = policy.version
    here = Span(file=policy.span.file, pointer=pointer_join(policy.span.pointer, "Version"))
    if version == CURRENT:
        return
    if version is not None and version != "2008-10-17":
        yield target.report(RULE, f"`Version` `{version}` is not valid; use `{CURRENT}`", here, None)
        return
    if _uses_variables(policy):
        said = f"`Version` `{version}`" if version else "no `Version`"
        yield target.report(
            RULE,
            f"{said}: policy variables such as `${{aws:username}}` are taken literally; use `{CURRENT}`",
            here if version else policy.span,
            None,
            severity=Severity.MEDIUM,
        )
    elif version is None:
        yield target.report(RULE, f"the policy has no `Version`; use `{CURRENT}`", policy.span, None)
    else:
        yield target.report(RULE, f"`Version` `{version}` is outdated; use `{CURRENT}`", here, None)


RULE = PolicyRule(
    id="KMS090",
    name="syn-version",
    severity=Severity.LOW,
    summary="missing or invalid `Version`, or `2008-10-17` with policy variables",
    help='set `"Version": "2012-10-17"`',
    check=check,
)
