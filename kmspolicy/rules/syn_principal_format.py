"""A malformed Principal, or a Principal where it does not belong.

## What it flags
A principal that is not `*`, an account id, an ARN or a service name; an unknown principal type
(`{"IAM": ...}`); `Principal` in an identity policy; a key-policy statement with no `Principal`; a
`Federated` principal in a key policy (federation belongs in role trust policies).
The parser reports these while reading.

## Why it is risky
AWS rejects the policy (`MalformedPolicyDocumentException`), or, for identity policies, the element
suggests the author thought the policy works like a resource policy.

## Example
```json
{"Effect": "Allow", "Principal": {"IAM": "arn:aws:iam::111122223333:role/App"}, "Action": "kms:Decrypt",
 "Resource": "*"}
```

## Use instead
`{"AWS": "<account id or ARN>"}`, `{"Service": "<service>.amazonaws.com"}`, or `"*"`; no `Principal`
in identity policies.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
- IAM Access Analyzer "Invalid principal format", "Missing principal"
"""

from __future__ import annotations

from kmspolicy.model import Severity
from kmspolicy.parse.context import SYN_PRINCIPAL_FORMAT
from kmspolicy.rules.framework import ParserRule

RULE = ParserRule(
    id=SYN_PRINCIPAL_FORMAT[0],
    name=SYN_PRINCIPAL_FORMAT[1],
    severity=Severity.ERROR,
    summary=(
        "malformed principal, unknown principal type, Principal in an identity policy, or "
        "missing in a key policy"
    ),
    help='write `{"AWS": "<account id or ARN>"}`, `{"Service": "<name>"}` or `"*"`',
)
