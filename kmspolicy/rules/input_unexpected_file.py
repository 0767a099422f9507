"""A file in an account snapshot folder that the snapshot layout does not name.

## What it flags
A file inside a snapshot folder (one with `iam.json`, `account.json`, `kms/` or `organizations/`)
whose place in the layout kmspolicy reads does not exist, such as `kms/us-east-1/<key>/notes.json`
or a misspelt `key_policy.json`. It is reported, never silently skipped; the rest of the snapshot is
read as usual. Not a row of the rule catalogue: it guards the snapshot input format.

## Why it is risky
A misspelt or misplaced export is not analysed: the key policy or grants it holds are missing from
every answer about the account, which then looks safer than it is.

## Example
```
snapshot/kms/us-east-1/1234abcd-12ab-34cd-56ef-1234567890ab/key_policy.json
```

## Use instead
Name the files as the layout says (`describe-key.json`, `key-policy.json`, `grants.json`,
`rotation.json`, `tags.json` per key; see `samples/account/README.md`), or keep other files outside
the snapshot folder.

## References
- `samples/account/README.md` (the AWS CLI command behind each file)
"""

from __future__ import annotations

from kmspolicy.model import Severity
from kmspolicy.parse.context import INPUT_UNEXPECTED_FILE
from kmspolicy.rules.framework import ParserRule

RULE = ParserRule(
    id=INPUT_UNEXPECTED_FILE[0],
    name=INPUT_UNEXPECTED_FILE[1],
    severity=Severity.INFO,
    summary="a file in a snapshot folder that the snapshot layout does not name",
    help="rename the file as the snapshot layout says, or move it out of the snapshot folder",
)
