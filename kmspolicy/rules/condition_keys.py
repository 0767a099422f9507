"""What the catalogue says about the condition keys of a statement: type, multi-valuedness, and
whether the statement's KMS actions carry them. Shared by the condition-semantics rules (KMS047-KMS055)."""

from __future__ import annotations

from functools import cache, lru_cache

from kmspolicy import catalog
from kmspolicy.catalog import ConditionKeyInfo
from kmspolicy.model import Condition
from kmspolicy.rules.statements import StatementFacts


def info(condition: Condition) -> ConditionKeyInfo | None:
    return key_info(condition.key_lower)


@lru_cache(maxsize=4096)
def key_info(key_lower: str) -> ConditionKeyInfo | None:
    """The catalogue entry of a condition key (lower case). Several rules ask about every condition
    of every statement; policies test few distinct keys."""
    return catalog.condition_key(key_lower)


def kms_only(facts: StatementFacts) -> bool:
    """The statement's actions are all KMS permissions (so KMS decides which keys it carries)."""
    return facts.statement.action is not None and _all_kms(facts.action_values)


@lru_cache(maxsize=4096)
def _all_kms(values: tuple[str, ...]) -> bool:
    return bool(values) and all(v.lower().startswith("kms:") for v in values)


def supported_by(facts: StatementFacts, key: ConditionKeyInfo) -> frozenset[str]:
    """The statement's KMS actions whose catalogue entry lists `key` (by its template name); a
    deprecated synonym (`kms:CustomerMasterKeySpec`) is carried wherever its successor is (§3.1)."""
    return facts.kms_actions & actions_carrying((key.deprecated_for or key.name).lower())


@cache
def actions_carrying(template: str) -> frozenset[str]:
    """The KMS actions whose catalogue entry lists the condition key (lower-case template name).

    The actions list some templated keys one by one (`kms:RecipientAttestation:PCR0` ... `PCR31`), so
    each listed key is compared by the template it resolves to.
    """
    return frozenset(
        info.action
        for info in catalog.all_actions()
        if any(_template_of(k) == template for k in info.condition_keys)
    )


def _template_of(listed: str) -> str:
    found = key_info(listed.lower())
    return (found.name if found is not None else listed).lower()
