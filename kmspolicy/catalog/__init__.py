"""KMS actions and condition keys as data, with a typed, case-insensitive lookup.

`actions.json` is derived from the reference's `kms-actions.json` (§4 of kms-authorization.md);
`condition_keys.json` transcribes §3.1 (KMS keys) and §3.3 (global keys). Both ship with the package
and are read without validation, so that no run pays for building the models' schemas; the tests
validate them against the models below (tests/test_catalog_load.py), check them against the
reference and, when botocore is installed, against the AWS SDK's KMS service model
(tests/test_catalog.py).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict

from kmspolicy.conditions import Glob

PolicyLocation = Literal["key_policy", "iam_policy"]
AccessLevel = Literal["Read", "List", "Write", "Permissions management", "Tagging"]
KeyType = Literal["String", "ARN", "Numeric", "Date", "Bool", "IP", "Binary"]


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class ActionInfo(_Entry):
    """One IAM permission of KMS (`kms:Decrypt`), as the catalogue describes it."""

    action: str
    resource_types: tuple[Literal["key", "alias"], ...]  # empty: the action takes no resource (`*`)
    cross_account: bool
    policy_location: tuple[PolicyLocation, ...]
    grant_operation: bool
    access_level: AccessLevel
    condition_keys: tuple[str, ...]
    api_operations: tuple[str, ...]
    dependent_actions: tuple[str, ...] = ()
    cross_account_note: str | None = None
    notes: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The operation name without the `kms:` prefix, as grants spell it (`Decrypt`)."""
        return self.action.split(":", 1)[1]

    @property
    def key_less(self) -> bool:
        """True for actions decided by IAM alone because they involve no key (CreateKey, ListKeys, ...)."""
        return "key" not in self.resource_types

    @property
    def in_key_policy(self) -> bool:
        """Whether a key policy can allow this action (False for IAM-only actions and RetireGrant)."""
        return "key_policy" in self.policy_location


class ConditionKeyInfo(_Entry):
    """One condition key. `name` keeps `${...}` placeholders for keys with an embedded name."""

    name: str
    type: KeyType
    multi_valued: bool
    policy_location: tuple[PolicyLocation, ...]
    presence: str
    templated: bool = False
    present_by_default: bool = True  # False: absent when the request parameter is omitted (§9 q6)
    deprecated_for: str | None = None


_E = TypeVar("_E", bound=_Entry)


def _load(name: str) -> bytes:
    return resources.files(__package__).joinpath(name).read_bytes()


def _entries(model: type[_E], name: str) -> tuple[_E, ...]:
    """The entries of a catalogue file as `model` reads them (JSON arrays become tuples)."""
    entries = []
    for row in json.loads(_load(name)):
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in row.items()}
        entries.append(cast(_E, model.model_construct(set(fields), **fields)))
    return tuple(entries)


@cache
def all_actions() -> tuple[ActionInfo, ...]:
    """Every KMS action of the catalogue, sorted by name."""
    return _entries(ActionInfo, "actions.json")


@cache
def all_condition_keys() -> tuple[ConditionKeyInfo, ...]:
    """Every KMS and global condition key of the catalogue."""
    return _entries(ConditionKeyInfo, "condition_keys.json")


@cache
def _actions_by_name() -> dict[str, ActionInfo]:
    return {info.action.lower(): info for info in all_actions()}


def action(name: str) -> ActionInfo | None:
    """The catalogue entry of `kms:Decrypt` (any case), or None for an unknown action."""
    return _actions_by_name().get(name.lower())


def expand_actions(pattern: str) -> frozenset[str]:
    """The KMS actions an `Action` pattern covers; `*` and `?` wildcards, case-insensitive.

    `*` alone covers every action of every service; only the KMS ones are returned.
    """
    return _expand(pattern.lower())


@cache
def _expand(pattern: str) -> frozenset[str]:
    glob = Glob(pattern, fold=True)
    return frozenset(info.action for info in all_actions() if glob.match(info.action))


_Templated = tuple[re.Pattern[str], ConditionKeyInfo]


@cache
def _keys_by_name() -> tuple[dict[str, ConditionKeyInfo], tuple[_Templated, ...]]:
    fixed: dict[str, ConditionKeyInfo] = {}
    templated: list[_Templated] = []
    for info in all_condition_keys():
        if info.templated:
            prefix, _, _ = info.name.partition("${")
            tail = r"(?:[12]?[0-9]|3[01])" if "PCRIndex" in info.name else r".+"
            templated.append((re.compile(re.escape(prefix.lower()) + tail, re.DOTALL), info))
        else:
            fixed[info.name.lower()] = info
    return fixed, tuple(templated)


def condition_key(name: str) -> ConditionKeyInfo | None:
    """The catalogue entry of a condition key, by any spelling of its name.

    Keys with an embedded part resolve to their template: `kms:EncryptionContext:Project` to
    `kms:EncryptionContext:${EncryptionContextKey}`, `aws:PrincipalTag/team` to `aws:PrincipalTag/${TagKey}`,
    `kms:RecipientAttestation:PCR7` to `kms:RecipientAttestation:PCR${PCRIndex}`.
    """
    fixed, templated = _keys_by_name()
    lower = name.lower()
    found = fixed.get(lower)
    if found is not None:
        return found
    for pattern, info in templated:
        if pattern.fullmatch(lower) and (
            "NitroTPMPCR" not in info.name or int(lower.rsplit("pcr", 1)[1]) <= 23
        ):
            return info
    return None


CROSS_ACCOUNT_ACTIONS: frozenset[str] = frozenset(i.action for i in all_actions() if i.cross_account)
"""IAM action names (`kms:Decrypt`) of the operations that work on another account's key (§1.4)."""

GRANT_OPERATIONS: frozenset[str] = frozenset(i.name for i in all_actions() if i.grant_operation)
"""Operation names as the `GrantOperation` enum and grants spell them (`Decrypt`, not `kms:Decrypt`)."""

__all__ = [
    "CROSS_ACCOUNT_ACTIONS",
    "GRANT_OPERATIONS",
    "ActionInfo",
    "ConditionKeyInfo",
    "action",
    "all_actions",
    "all_condition_keys",
    "condition_key",
    "expand_actions",
]
