"""An unknown KMS action, or an action that is not `service:name`.

## What it flags
An `Action`/`NotAction` entry with the `kms:` prefix that names no KMS permission (`kms:Decrypts`,
`kms:Delete*Key` matching nothing), and entries without a service prefix (`Decrypt`). Actions of other
services are not checked.

## Why it is risky
AWS rejects unknown actions in some places and silently ignores them in others. Either way the
permission the author wanted is not granted (or, in a Deny, not denied).

## Example
```json
{"Effect": "Allow", "Action": ["kms:Decrypts", "kms:DescribeKey"], "Resource": "*"}
```

## Use instead
The exact permission names of the KMS Service Authorization Reference (`kms:Decrypt`). Note that the
`ReEncrypt` API is authorized by `kms:ReEncryptFrom` and `kms:ReEncryptTo`.

## References
- https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html
- IAM Access Analyzer "Invalid action"; parliament UNKNOWN_ACTION
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from functools import lru_cache

from kmspolicy import catalog
from kmspolicy.model import Finding, Severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import expand_written

_SHAPE = re.compile(r"^[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+$")


def _suggest(value: str) -> str:
    names = [a.action for a in catalog.all_actions()]
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.75)
    return f"; did you mean `{close[0]}`?" if close else ""


def check(target: PolicyTarget) -> Iterator[Finding]:
    for facts in target.facts:
        for i, message in _problems(facts.written_actions):
            yield target.report(RULE, message, facts.item_actions[i][0].span, facts.statement)


@lru_cache(maxsize=4096)
def _problems(written: tuple[str | None, ...]) -> tuple[tuple[int, str], ...]:
    """(index, message) for each bad entry of an Action/NotAction list; lists repeat across policies."""
    found = []
    for i, (value, covered) in enumerate(zip(written, expand_written(written)[0], strict=True)):
        if value is None or value == "*" or not value:
            continue
        if not _SHAPE.match(value):
            found.append((i, f"`{value}` is not an action; write `service:Action`, e.g. `kms:Decrypt`"))
        elif value.lower().startswith("kms:") and not covered:
            found.append((i, f"`{value}` matches no KMS action{_suggest(value)}"))
    return tuple(found)


RULE = PolicyRule(
    id="KMS085",
    name="syn-invalid-action",
    severity=Severity.ERROR,
    summary="unknown KMS action or malformed action name",
    help="use the exact permission names of the KMS Service Authorization Reference",
    check=check,
)
