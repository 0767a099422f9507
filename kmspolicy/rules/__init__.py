"""The rule registry: every module of this package that declares `RULE` is a rule.

Adding a rule touches two files, `kmspolicy/rules/<name>.py` and `rules/<name>.yaml`; registration is
automatic. The module docstring is the rule's documentation (`kmspolicy rules ID` prints it).

What the registry knows of each rule without importing its module (metadata, documentation, which
policies it needs) is also written to `registry.json` by `python -m kmspolicy.rules.docgen`, beside
the rule reference. A run reads that file and imports a rule's module only when it calls the rule's
check: linting one key policy needs about half of the modules, and none of the account-review
machinery the effective-access rules import. While the package's modules and the file disagree (a
rule added and the file not yet regenerated), every module is imported, as without the file.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from kmspolicy.model import PolicyKind, Severity
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
    "loaded",
]

REGISTRY = Path(__file__).with_name("registry.json")
_TYPES: dict[str, type[RuleInfo]] = {
    t.__name__: t for t in (PolicyRule, KeyRule, GrantRule, DocumentRule, ParserRule)
}
_R = TypeVar("_R", bound=RuleInfo)


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, ordered by id."""
    listed = _listed()
    return listed if listed is not None else scan()


def scan() -> tuple[Rule, ...]:
    """Every rule, from its module (imported); what `registry.json` is written from."""
    found = [_imported(info.name) for info in pkgutil.iter_modules(__path__)]
    return _checked(rule for rule in found if rule is not None)


def registry_text(rules: Iterable[Rule]) -> str:
    """`registry.json` for `rules`: the package's modules, and each rule's fields but its check."""
    entries = []
    for rule in rules:
        entry: dict[str, Any] = {"type": type(rule).__name__}
        for item in dataclasses.fields(rule):
            value = getattr(rule, item.name)
            if item.name == "check":
                continue
            if isinstance(value, Severity):
                value = value.value
            elif isinstance(value, frozenset):
                value = sorted(v.value if isinstance(v, PolicyKind) else v for v in value)
            entry[item.name] = value
        entries.append(entry)
    modules = sorted(info.name for info in pkgutil.iter_modules(__path__))
    return json.dumps({"modules": modules, "rules": entries}, indent=1, ensure_ascii=False) + "\n"


def loaded(rule: _R) -> _R:
    """The rule with its module imported, whose check the driver then calls directly."""
    if isinstance(getattr(rule, "check", None), _Deferred):
        found = _imported(rule.module.rsplit(".", 1)[1])
        assert isinstance(found, type(rule))  # the registry file names each rule's type
        return found
    return rule


@dataclass(frozen=True)
class _Deferred:
    """A rule's check until its module is imported: the first call imports it."""

    module: str

    def __call__(self, target: Any) -> Any:
        rule = _imported(self.module)
        assert rule is not None and not isinstance(rule, ParserRule)
        return rule.run(target)


@cache
def _imported(name: str) -> Rule | None:
    module = importlib.import_module(f"{__name__}.{name}")
    declared = getattr(module, "RULE", None)
    if not isinstance(declared, RuleInfo):
        return None
    doc = inspect.cleandoc(module.__doc__ or "")
    rule: Rule = dataclasses.replace(declared, doc=doc, module=module.__name__)  # type: ignore[assignment]
    return rule


def _listed() -> tuple[Rule, ...] | None:
    """The rules of `registry.json`, with deferred checks; None when it does not fit the package."""
    try:
        data = json.loads(REGISTRY.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("modules") != sorted(info.name for info in pkgutil.iter_modules(__path__)):
        return None
    rules = []
    for entry in data["rules"]:
        fields = dict(entry)
        kind = _TYPES[fields.pop("type")]
        fields["severity"] = Severity(fields["severity"])
        if kind is PolicyRule:
            kinds = fields["kinds"]
            fields["kinds"] = None if kinds is None else frozenset(PolicyKind(k) for k in kinds)
            fields["needs"] = frozenset(fields["needs"])
        if kind is not ParserRule:
            fields["check"] = _Deferred(fields["module"].rsplit(".", 1)[1])
        rules.append(kind(**fields))
    return _checked(rules)  # type: ignore[arg-type]


def _checked(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    found = list(rules)
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
