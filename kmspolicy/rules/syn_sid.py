"""A duplicate, empty or invalid statement Sid.

## What it flags
Two statements of one policy with the same `Sid`, an empty `Sid`, and in identity policies a `Sid`
with characters other than ASCII letters and digits (key policies also allow spaces).

## Why it is risky
AWS rejects duplicate Sids in many policy types and invalid characters in identity policies; tools,
suppressions and reviews that refer to statements by Sid pick the wrong one.

## Example
```json
[{"Sid": "Users", "Effect": "Allow", "...": "..."}, {"Sid": "Users", "Effect": "Allow", "...": "..."}]
```

## Use instead
A unique, descriptive Sid per statement (`AllowUseByAppRole`).

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html
- IAM Access Analyzer "Unique Sids required"; parliament DUPLICATE_SID
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmspolicy.model import Finding, PolicyKind, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget

_IDENTITY_SID = re.compile(r"^[A-Za-z0-9]*$")
_KEY_POLICY_SID = re.compile(r"^[A-Za-z0-9 _.,:/=+@-]*$")


def check(target: PolicyTarget) -> Iterator[Finding]:
    seen: set[str] = set()
    pattern = _IDENTITY_SID if target.policy.kind is PolicyKind.IDENTITY else _KEY_POLICY_SID
    for facts in target.facts:
        sid = facts.statement.sid
        if sid is None:
            continue
        if not sid.strip():
            yield target.report(
                RULE,
                "`Sid` is empty; remove it or name the statement",
                facts.element_span("Sid"),
                facts.statement,
            )
        elif sid in seen:
            yield target.report(
                RULE,
                f"`Sid` `{sid}` is used by an earlier statement",
                facts.element_span("Sid"),
                facts.statement,
            )
        elif not pattern.match(sid):
            allowed = (
                "ASCII letters and digits"
                if target.policy.kind is PolicyKind.IDENTITY
                else "letters, digits, spaces and `_.,:/=+@-`"
            )
            yield target.report(
                RULE,
                f"`Sid` `{sid}` has characters outside {allowed}",
                facts.element_span("Sid"),
                facts.statement,
            )
        seen.add(sid)


RULE = PolicyRule(
    id="KMS091",
    name="syn-sid",
    severity=Severity.LOW,
    summary="duplicate, empty or invalid statement `Sid`",
    help="give each statement a unique Sid of letters and digits",
    check=check,
    needs=frozenset({"sid"}),
)
