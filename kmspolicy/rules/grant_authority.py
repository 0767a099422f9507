"""Who may create grants under a statement: the facts the CreateGrant rules share."""

from __future__ import annotations

from kmspolicy.rules.statements import StatementFacts, is_account_root

CREATE_GRANT = "kms:CreateGrant"


def for_aws_resources_only(facts: StatementFacts) -> bool:
    """`"Bool": {"kms:GrantIsForAWSResource": "true"}`: only services acting for the caller may create
    grants."""
    return any(
        c.operator is not None
        and c.operator.base == "Bool"
        and not c.operator.if_exists
        and any(isinstance(v, str) and v.lower() == "true" for v in c.values)
        for c in facts.conditions_on("kms:grantisforawsresource")
    )


def grants_to_named_principals(facts: StatementFacts) -> bool:
    """A key-policy statement naming some AWS principal other than an account (which only delegates to "
    "IAM)."""
    return any(
        p.type == "AWS" and isinstance(p.value, str) and not is_account_root(p.value)
        for p in facts.principals
    )
