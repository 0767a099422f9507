"""The rule registry: every module of this package that declares `RULE` is a rule.

Adding a rule touches two files, `kmspolicy/rules/<name>.py` and `rules/<name>.yaml`; registration is
automatic. The module docstring is the rule's documentation (`kmspolicy rules ID` prints it).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from functools import cache

from kmspolicy.rules.framework import (
    DocumentRule,
    GrantRule,
    KeyRule,
    ParserRule,
    PolicyRule,
    Rule,
    RuleInfo,
)

__all__ = [
    "DocumentRule",
    "GrantRule",
    "KeyRule",
    "ParserRule",
    "PolicyRule",
    "Rule",
    "RuleInfo",
    "all_rules",
    "get_rule",
]


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, ordered by id."""
    found: list[Rule] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        declared = getattr(module, "RULE", None)
        if isinstance(declared, RuleInfo):
            doc = inspect.cleandoc(module.__doc__ or "")
            found.append(dataclasses.replace(declared, doc=doc, module=module.__name__))  # type: ignore[arg-type]
    ids = [r.id for r in found]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"rule ids declared twice: {sorted(duplicates)}")
    return tuple(sorted(found, key=lambda r: r.id))


@cache
def _index() -> dict[str, Rule]:
    index: dict[str, Rule] = {}
    for rule in all_rules():
        index[rule.id.lower()] = rule
        index[rule.name.lower()] = rule
    return index


def get_rule(id_or_name: str) -> Rule | None:
    """A rule by permanent id (`KMS001`, case-insensitive) or catalogue name (`kp-public-principal`)."""
    return _index().get(id_or_name.strip().lower())
