"""A policy document with a broken structure.

## What it flags
Invalid JSON or YAML, duplicate object keys, wrong value types, unknown or misspelt elements
(`Statment`, `Conditions`), a missing `Statement`, `Effect`, `Action`/`NotAction` or
`Resource`/`NotResource`, an invalid `Effect`, and illegal combinations (`Action` with `NotAction`).
The parser reports these while reading, with the position of the offending element.

## Why it is risky
AWS rejects most of these at deploy time. Some it accepts but ignores (a key-policy statement without
`Resource` has no effect), so the policy does not do what it says.

## Example
```json
{"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "kms:Decrypt"}]}
```

## Use instead
`"Effect": "Allow"` (case-sensitive) and every required element, spelt as the IAM grammar spells it.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
- IAM Access Analyzer errors "Json syntax error", "Missing ...", "Invalid effect"
"""

from __future__ import annotations

from kmspolicy.model import Severity
from kmspolicy.parse.context import SYN_STRUCTURE
from kmspolicy.rules.framework import ParserRule

RULE = ParserRule(
    id=SYN_STRUCTURE[0],
    name=SYN_STRUCTURE[1],
    severity=Severity.ERROR,
    summary="malformed JSON, missing or misspelt elements, invalid Effect, illegal element combinations",
    help="fix the element the finding points at; element names are case-sensitive",
)
