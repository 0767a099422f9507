"""An input kmspolicy could not read at all.

## What it flags
A file that does not exist, cannot be decoded, is larger than `--max-bytes`, nests too deeply, or
whose shape matches no input kind kmspolicy knows (policy, key policy, `get-key-policy`,
`describe-key`, `list-grants`, CloudFormation, Terraform plan, account snapshot). The parser reports
it; `kmspolicy lint` then exits with status 2, and no configuration can silence it.

## Why it is risky
A file that was not read was not checked: a CI gate must not pass because of it.

## Example
```json
["not", "a", "policy"]
```

## Use instead
Pass the file's kind with `--kind` when detection fails, or fix the file.

## References
- `kmspolicy lint --help` (input kinds)
"""

from __future__ import annotations

from kmspolicy.model import Severity
from kmspolicy.parse.context import INPUT_ERROR
from kmspolicy.rules.framework import ParserRule

RULE = ParserRule(
    id=INPUT_ERROR[0],
    name=INPUT_ERROR[1],
    severity=Severity.ERROR,
    summary="input file unreadable, too large, too deep, or of an unknown shape",
    help="fix the file, or give its kind with `--kind`",
)
