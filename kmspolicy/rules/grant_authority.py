"""Who may create grants under a statement: the facts the CreateGrant rules share."""

from __future__ import annotations

from kmspolicy.conditions import CompiledCondition, RequestContext
from kmspolicy.model import Condition, Scalar
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
    return any(_refuses_own_grant(c) for c in facts.conditions_on(_KEY))


# Answers by what the compiled condition reads (operator, key, values): several rules ask this of every
# CreateGrant statement, and policies repeat the same condition.
_REFUSALS: dict[tuple[str, str, tuple[Scalar, ...]], bool] = {}


def _refuses_own_grant(condition: Condition) -> bool:
    """Whether a condition on the key fails for a grant the caller creates itself."""
    cache_key = (condition.operator_raw, condition.key_lower, condition.values)
    found = _REFUSALS.get(cache_key)
    if found is None:
        if len(_REFUSALS) > 1024:
            _REFUSALS.clear()
        found = not CompiledCondition(condition, None).holds(RequestContext({_KEY: ("false",)}))
        _REFUSALS[cache_key] = found
    return found


def grants_to_named_principals(facts: StatementFacts) -> bool:
    """A key-policy statement naming some AWS principal other than an account (which only delegates to "
    "IAM)."""
    return any(
        p.type == "AWS" and isinstance(p.value, str) and not is_account_root(p.value)
        for p in facts.principals
    )
