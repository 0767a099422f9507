"""An unknown KMS action, an unknown service prefix, or an action that is not `service:name`.

## What it flags
- An `Action`/`NotAction` entry with the `kms:` prefix that names no KMS permission (`kms:Decrypts`,
  `kms:Delete*Key` matching nothing).
- Entries without a service prefix (`Decrypt`).
- A service prefix that cannot be an AWS service: one that breaks the prefix syntax (lower-case
  letters, digits and single inner hyphens, starting with a letter: `kms-`, `-kms`, `k--ms`), and a
  misspelling of `kms` (one letter added, dropped, changed or two letters swapped: `kmss`, `km`,
  `ksm`, `kns`).

Actions of other services are not checked against a list: identity policies name them legitimately
(`s3:GetObject`) and kmspolicy carries no complete list of AWS services, so a prefix is judged by its
syntax and by its distance from `kms` only. A changed first letter (`dms`, `fms`, `sms`) is not
reported: those are real services (Database Migration Service, Firewall Manager, Server Migration
Service). Prefixes with a wildcard are patterns and are not judged.

## Why it is risky
AWS rejects unknown actions in some places and silently ignores them in others. Either way the
permission the author wanted is not granted (or, in a Deny, not denied).

## Example
```json
{"Effect": "Allow", "Action": ["kms:Decrypts", "kmss:Encrypt", "kms:DescribeKey"], "Resource": "*"}
```

## Use instead
The exact permission names of the KMS Service Authorization Reference (`kms:Decrypt`). Note that the
`ReEncrypt` API is authorized by `kms:ReEncryptFrom` and `kms:ReEncryptTo`.

## References
- https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html
- https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
- IAM Access Analyzer "Invalid action", "Invalid service in action"; parliament UNKNOWN_ACTION,
  UNKNOWN_PREFIX
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
_PREFIX = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def _suggest(value: str) -> str:
    names = [a.action for a in catalog.all_actions()]
    # a name that several actions extend (`kms:ReEncrypt`: `ReEncryptFrom` and `ReEncryptTo`) offers them all
    longer = [n for n in names if n.lower().startswith(value.lower())]
    close = longer if 1 < len(longer) <= 4 else difflib.get_close_matches(value, names, n=1, cutoff=0.75)
    return f"; did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""


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
        elif value.lower().startswith("kms:"):
            if not covered:
                found.append((i, f"`{value}` matches no KMS action{_suggest(value)}"))
        else:
            prefix, name = value.split(":", 1)
            problem = _prefix_problem(prefix.lower())
            if problem:
                # a suggestion only where `kms` was meant, not for every malformed prefix
                bare = prefix.lower().replace("-", "")
                hint = _suggest(f"kms:{name}") if bare == "kms" or _one_edit_from_kms(bare) else ""
                found.append((i, f"`{prefix}` in `{value}` {problem}{hint}"))
    return tuple(found)


def _prefix_problem(prefix: str) -> str | None:
    """Why `prefix` (lower case, not `kms`) names no AWS service, or None when it may name one."""
    if "*" in prefix or "?" in prefix:
        return None
    if _PREFIX.match(prefix) is None:
        return "is not a service prefix (lower-case letters, digits and inner hyphens)"
    if _one_edit_from_kms(prefix):
        return "is no AWS service prefix"
    return None


def _one_edit_from_kms(prefix: str) -> bool:
    """Whether `prefix` is `kms` with one letter added, dropped, changed or two neighbours swapped.

    A changed first letter is left out: `dms`, `fms` and `sms` are services of their own.
    """
    target = "kms"
    if len(prefix) == len(target):
        diffs = [i for i in range(3) if prefix[i] != target[i]]
        if len(diffs) == 1:
            return diffs[0] != 0
        swapped = len(diffs) == 2 and diffs[1] == diffs[0] + 1
        return swapped and prefix[diffs[0]] == target[diffs[1]] and prefix[diffs[1]] == target[diffs[0]]
    longer, shorter = (prefix, target) if len(prefix) > len(target) else (target, prefix)
    if len(longer) - len(shorter) != 1:
        return False
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


RULE = PolicyRule(
    id="KMS085",
    name="syn-invalid-action",
    severity=Severity.ERROR,
    summary="unknown KMS action, unknown service prefix or malformed action name",
    help="use the exact permission names of the KMS Service Authorization Reference",
    check=check,
)
