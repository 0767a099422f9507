"""A broken policy variable, or a variable where variables are not allowed.

## What it flags
`${...}` with a missing brace, an empty name or a space; variables in `Principal`, in `Action`, in a
condition key, outside the resource part of an ARN, or in values of operators that do not substitute
them (Numeric, Date, IP, Binary, Null). The parser reports these while reading.

## Why it is risky
The variable is not substituted: it is compared as literal text, so the statement never matches, or
AWS rejects the policy.

## Example
```json
"Condition": {"StringEquals": {"kms:EncryptionContext:user": "${aws:username"}}
```

## Use instead
`${aws:username}`, only in resource parts of ARNs and in String/ARN condition values, with
`"Version": "2012-10-17"`.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
- IAM Access Analyzer "Missing brace in variable", "Variable unsupported in element"
"""

from __future__ import annotations

from kmspolicy.model import Severity
from kmspolicy.parse.context import SYN_VARIABLE
from kmspolicy.rules.framework import ParserRule

RULE = ParserRule(
    id=SYN_VARIABLE[0],
    name=SYN_VARIABLE[1],
    severity=Severity.ERROR,
    summary="broken policy variable, or a variable in an element or operator that does not support it",
    help="write `${key}` only in ARN resource parts and String/ARN condition values",
)
