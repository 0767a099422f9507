"""An unknown condition operator.

## What it flags
A `Condition` operator that is not an IAM operator (`StringEqual`, `StringEqualsIgnoreCaseIfExist`,
`ForAllValue:StringEquals`). The parser reports it with the closest valid spelling; the evaluator
treats such a condition as never satisfied.

## Why it is risky
AWS rejects the policy; tools that skip the unknown block read the statement as unconditioned.

## Example
```json
"Condition": {"StringEqual": {"kms:CallerAccount": "111122223333"}}
```

## Use instead
One of the IAM condition operators (`StringEquals`, `ArnLike`, `Bool`, ...), optionally prefixed by
`ForAllValues:` / `ForAnyValue:` and suffixed by `IfExists`.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- IAM Access Analyzer "Invalid condition operator"; parliament UNKNOWN_OPERATOR
"""

from __future__ import annotations

from kmspolicy.model import Severity
from kmspolicy.parse.context import COND_UNKNOWN_OPERATOR
from kmspolicy.rules.framework import ParserRule

RULE = ParserRule(
    id=COND_UNKNOWN_OPERATOR[0],
    name=COND_UNKNOWN_OPERATOR[1],
    severity=Severity.ERROR,
    summary="unknown condition operator",
    help="use a valid IAM condition operator (`StringEquals`, `ArnLike`, `Bool`, ...)",
)
