"""Who may create grants under a statement: the facts the CreateGrant rules share."""

from __future__ import annotations

from kmspolicy.conditions import CompiledCondition, RequestContext
from kmspolicy.rules.statements import StatementFacts, is_account_root

CREATE_GRANT = "kms:CreateGrant"
_KEY = "kms:grantisforawsresource"


def for_aws_resources_only(facts: StatementFacts) -> bool:
    """Whether the statement allows `kms:CreateGrant` only for grants an AWS service makes for the
    caller's resources (`"Bool": {"kms:GrantIsForAWSResource": "true"}` and its equivalents).

    Decided with the evaluator's condition semantics: every CreateGrant request carries the key, `false`
    when the caller creates the grant itself, so the statement is limited to AWS resources when one of
    its conditions on the key fails for `false`.
    """
    conditions = facts.conditions_on(_KEY)
    if not conditions:
        return False
    own_grant = RequestContext({_KEY: ("false",)})
    return any(not CompiledCondition(c, None).holds(own_grant) for c in conditions)


def grants_to_named_principals(facts: StatementFacts) -> bool:
    """A key-policy statement naming some AWS principal other than an account (which only delegates to "
    "IAM)."""
    return any(
        p.type == "AWS" and isinstance(p.value, str) and not is_account_root(p.value)
        for p in facts.principals
    )
