"""An identity-pinning condition whose value has a wildcard, so callers of any account match.

## What it flags
A key-policy `Allow` to `"*"` pinned by `kms:CallerAccount`, `aws:PrincipalAccount`,
`aws:PrincipalOrgID`/`OrgPaths`, `aws:SourceAccount`, `aws:PrincipalArn` or `aws:SourceArn` with a
`*` or `?` that leaves the account or organization open, such as
`"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Deploy"}`. The evaluator confirms that a role
of that name in an untrusted account matches. Also flagged, when no other condition of the statement
pins the account or organization: an organization path whose organization part is a wildcard
(`o-*/r-ab12/...`), and a service-principal `Allow` whose `aws:SourceAccount`, `aws:SourceArn` or
source-organization value leaves the account or organization open (`"aws:SourceAccount": "*"`).

## Why it is risky
Role and user names are chosen freely by every account. `arn:aws:iam::*:role/Deploy` is met by a role
called `Deploy` in an attacker's account, so the condition pins nothing.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
 "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Deploy"}}}
```

## Use instead
Put the account in the pattern (`arn:aws:iam::111122223333:role/Deploy`), or add an
`aws:PrincipalOrgID` condition with your organization.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html (sensitive keys)
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kmspolicy.model import Condition, Finding, PolicyKind, Scalar, Severity
from kmspolicy.rules.exposure import ACCOUNT_PINNING_KEYS, exposed_statements, reduced_severity
from kmspolicy.rules.framework import PolicyRule, PolicyTarget
from kmspolicy.rules.statements import StatementFacts

# The keys that pin the resource owner a service principal acts for (confused-deputy protection).
SOURCE_PINNING_KEYS = frozenset(
    {"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"}
)
_WILDCARD = re.compile(r"[*?]")
# Keys whose whole value is an account or organization id.
_ID_VALUED = frozenset(
    {
        "kms:calleraccount",
        "aws:principalaccount",
        "aws:sourceaccount",
        "aws:resourceaccount",
        "aws:principalorgid",
        "aws:sourceorgid",
        "aws:resourceorgid",
    }
)


def check(target: PolicyTarget) -> Iterator[Finding]:
    reported: set[int] = set()
    for facts, exposure, condition in exposed_statements(target, "wildcard-identity"):
        assert condition is not None
        reported.add(facts.statement.index)
        yield target.report(
            RULE,
            f"`{condition.key}` compared with {_values(condition)}: the wildcard lets a principal in any "
            f"account match (for example account `{exposure.account}`)",
            condition.span,
            facts.statement,
            severity=reduced_severity(facts),
        )
    if not target.is_key_policy:
        return
    # Wildcards the probe cannot confirm (an organization part the attacker's paths never spell) and
    # the ones of service principals, which the probe does not cover: judged by the written values.
    for facts in target.facts:
        if not facts.allow or facts.statement.index in reported:
            continue
        if facts.wildcard_principals:
            open_condition = _unpinned_wildcard(facts, ACCOUNT_PINNING_KEYS)
            whom = "a principal of any organization or account"
        elif any(p.type == "Service" for p in facts.principals):
            open_condition = _unpinned_wildcard(facts, SOURCE_PINNING_KEYS)
            whom = "the service, acting for a resource of any account,"
        else:
            continue
        if open_condition is not None:
            yield target.report(
                RULE,
                f"`{open_condition.key}` compared with {_values(open_condition)}: the wildcard leaves the "
                f"account or organization open, so {whom} can match",
                open_condition.span,
                facts.statement,
            )


def _unpinned_wildcard(facts: StatementFacts, keys: frozenset[str]) -> Condition | None:
    """The first condition on `keys` whose values leave the account or organization open, when no
    other condition on `keys` pins it (conditions are ANDed, so one pin is enough)."""
    found = None
    for condition in facts.statement.conditions:
        op = condition.operator
        if condition.key_lower not in keys or op is None or op.negated or op.if_exists:
            continue  # negated and IfExists forms are rules 5 and 6
        if pins_owner(condition):
            return None
        if found is None and any(
            isinstance(v, str) and not _pins_value(condition.key_lower, v) for v in condition.values
        ):
            found = condition
    return found


def pins_owner(condition: Condition) -> bool:
    """Whether every value of a (positive) identity or source condition names its account or org."""
    return bool(condition.values) and all(_pins_value(condition.key_lower, v) for v in condition.values)


def _pins_value(key_lower: str, value: Scalar) -> bool:
    """Whether `value` of `key_lower` fixes the account or organization: no wildcard in that part.

    Account and organization ids are the whole value, an organization path starts with the
    organization, an ARN has its account in the fifth field (or, account-less like S3, is fixed by
    the first segment of its resource, a globally unique name). Values unknown before deployment and
    other keys' values pin unless they are only wildcards.
    """
    if not isinstance(value, str):
        return True
    if key_lower.endswith("orgpaths"):
        return not _WILDCARD.search(value.split("/", 1)[0])
    if value.startswith("arn:") and value.count(":") >= 5:
        account, resource = value.split(":", 5)[4:]
        fixed = account or resource.split("/", 1)[0]
        return bool(fixed) and not _WILDCARD.search(fixed)
    if key_lower in _ID_VALUED:
        return not _WILDCARD.search(value)
    return _WILDCARD.sub("", value) != ""


def _values(condition: Condition) -> str:
    return ", ".join(f"`{v}`" for v in condition.values if isinstance(v, str))


RULE = PolicyRule(
    id="KMS004",
    name="cond-wildcard-identity-value",
    severity=Severity.CRITICAL,
    summary="identity-pinning condition value with a wildcard in the account or organization part",
    help="spell out the account id (or add an `aws:PrincipalOrgID` condition) instead of a wildcard",
    check=check,
    kinds=frozenset({PolicyKind.KEY}),
    needs=frozenset({"allow", "conditions"}),
)
