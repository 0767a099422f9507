"""A Resource value that is not a valid ARN.

## What it flags
A `Resource`/`NotResource` entry (other than `*`) that is not a well-formed ARN: missing fields,
an unknown partition, a bare key id or alias name. The parser reports it while reading.

## Why it is risky
Key ids and alias names are not valid resources: the statement never matches the key it was meant
for, and AWS may reject the policy.

## Example
```json
{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "1234abcd-12ab-34cd-56ef-1234567890ab"}
```

## Use instead
The key ARN: `arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`.

## References
- https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html
- IAM Access Analyzer "Invalid ARN"
"""

from __future__ import annotations

from kmspolicy.model import Severity
from kmspolicy.parse.context import SYN_RESOURCE_ARN
from kmspolicy.rules.framework import ParserRule

RULE = ParserRule(
    id=SYN_RESOURCE_ARN[0],
    name=SYN_RESOURCE_ARN[1],
    severity=Severity.MEDIUM,
    summary="malformed Resource ARN for KMS actions",
    help="name keys by their full ARN",
)
