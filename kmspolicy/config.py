"""Lint configuration: who is trusted, which rules run, what is suppressed, and when a run fails.

The configuration lives in a `.kmspolicy.toml` or in the `[tool.kmspolicy]` table of a
`pyproject.toml`, whichever is found first walking up from the working directory. Command-line
options are merged on top by `merge_cli`.

Rules are chosen by *selectors*: a rule id (`KMS001`), a catalogue name (`kp-public-principal`), an
id prefix (`KMS0`) or a name prefix that ends at a hyphen (`kp-`, `kp`, `kp-public`). Ids match
without regard to case.

Parser input errors (`kmspolicy.parse.context.INPUT_ERROR_RULES`) are never dropped or downgraded:
a file kmspolicy could not read must not pass a CI gate because of a broad `ignore`.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kmspolicy.model import SEVERITY_RANK, Finding, Severity
from kmspolicy.parse.context import INPUT_ERROR_RULES

CONFIG_FILE = ".kmspolicy.toml"
PYPROJECT = "pyproject.toml"

_ACCOUNT = re.compile(r"\d{12}")
_ORG = re.compile(r"o-[a-z0-9]{10,32}")
_SELECTOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_ID_PREFIX = re.compile(r"[A-Za-z]+\d*")
_RESOURCE_TYPE = re.compile(r"[A-Za-z0-9_:*?]+")


class ConfigError(ValueError):
    """The configuration (file or options) is invalid; the message names the file and the key."""


def _check_selectors(values: Iterable[str]) -> None:
    for value in values:
        if not _SELECTOR.fullmatch(value):
            raise ValueError(f"`{value}` is not a rule id, name or prefix")


class Suppression(BaseModel):
    """Silence one rule (or a family, by selector) in matching files and/or statements."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    rule: str
    path: str | None = None  # glob, relative to the configuration file's folder; `*` crosses folders
    sid: str | None = None  # the statement's Sid, exactly
    reason: str | None = None  # for the reader of the configuration; kmspolicy does not use it

    @field_validator("rule")
    @classmethod
    def _selector(cls, value: str) -> str:
        _check_selectors([value])
        return value


class LintConfig(BaseModel):
    """Settings of one lint run. `root` is the folder of the configuration file, for path globs.

    Its schema is built on first validation: a run with neither a configuration file nor options
    never needs it (see `load_config` and `merge_cli`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    trusted_accounts: frozenset[str] = frozenset()
    trusted_orgs: frozenset[str] = frozenset()
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = Field(default_factory=dict)  # selector -> severity
    fail_on: Severity = Severity.LOW
    suppressions: tuple[Suppression, ...] = ()
    # Thresholds some rules read (`kmspolicy.rules.framework.Options`); None keeps the rule's default.
    rotation_period_max_days: int | None = Field(default=None, ge=90, le=2560)
    deletion_window_min_days: int | None = Field(default=None, ge=7, le=30)
    grant_max_age_days: int | None = Field(default=None, gt=0)
    required_tags: tuple[str, ...] = ()
    # Resource types (CloudFormation `AWS::SQS::Queue` or Terraform `aws_sqs_queue`, `*` and `?`
    # wildcards) whose data must be encrypted with a customer managed key (cfg-aws-managed-key-used).
    cmk_required_for: tuple[str, ...] = ()
    golden_pcrs: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)  # PCR name -> allowed values
    # Effective-access rules (section G): who may decrypt (principal ARN patterns; unset: the zone of
    # trust), actions nobody outside the owner's administrators may reach, and the input that access
    # is compared with for eff-new-access (a path, relative to this file's folder).
    decrypt_allowlist: tuple[str, ...] | None = None
    denied_actions: tuple[str, ...] | None = None
    access_baseline: Path | None = None
    root: Path | None = None

    @field_validator("trusted_accounts")
    @classmethod
    def _accounts(cls, values: frozenset[str]) -> frozenset[str]:
        for value in values:
            if not _ACCOUNT.fullmatch(value):
                raise ValueError(f"`{value}` is not a 12-digit account id")
        return values

    @field_validator("trusted_orgs")
    @classmethod
    def _orgs(cls, values: frozenset[str]) -> frozenset[str]:
        for value in values:
            if not _ORG.fullmatch(value):
                raise ValueError(f"`{value}` is not an organization id like `o-a1b2c3d4e5`")
        return values

    @field_validator("select", "ignore")
    @classmethod
    def _selectors(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        _check_selectors(values)
        return values

    @field_validator("cmk_required_for")
    @classmethod
    def _resource_types(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not _RESOURCE_TYPE.fullmatch(value):
                raise ValueError(
                    f"`{value}` is not a resource type like `AWS::SQS::Queue` or `aws_sqs_queue`"
                )
        return values

    @field_validator("severity")
    @classmethod
    def _override_keys(cls, values: Mapping[str, Severity]) -> Mapping[str, Severity]:
        _check_selectors(values)
        return values


_FILE_KEYS = sorted(set(LintConfig.model_fields) - {"root"})

# The defaults, built without validation (they are valid by definition) so that runs without a
# configuration never build the schema.
_DEFAULTS = LintConfig.model_construct()


def find_config(start: Path) -> Path | None:
    """The nearest `.kmspolicy.toml`, or `pyproject.toml` with a `[tool.kmspolicy]` table, from `start` up.

    In one folder `.kmspolicy.toml` wins over `pyproject.toml`. A `pyproject.toml` that is not
    valid TOML is chosen when its text mentions `[tool.kmspolicy`, so that `load_config` reports
    the broken file instead of the run silently using another configuration or none.
    """
    for folder in (start.resolve(), *start.resolve().parents):
        dedicated = folder / CONFIG_FILE
        if dedicated.is_file():
            return dedicated
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_table(pyproject):
            return pyproject
    return None


def _has_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return b"[tool.kmspolicy" in pyproject.read_bytes()
    tool = data.get("tool")
    return isinstance(tool, dict) and "kmspolicy" in tool


def load_config(path: Path | None) -> LintConfig:
    """Read a configuration file; None gives the defaults. Raises `ConfigError` naming file and key."""
    if path is None:
        return _DEFAULTS
    if path.is_dir():
        names = f"`{CONFIG_FILE}` or `{PYPROJECT}`"
        raise ConfigError(f"{path}: is a folder; give the configuration file ({names})")
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration: {error.strerror or error}") from None
    prefix = ""
    if path.name == PYPROJECT:
        tool = data.get("tool")
        table = tool.get("kmspolicy") if isinstance(tool, dict) else None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: no `[tool.kmspolicy]` table")
        data, prefix = table, "tool.kmspolicy."
    unknown = sorted(set(data) - set(_FILE_KEYS))
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(key.replace("-", "_"), _FILE_KEYS, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else f"; known keys: {', '.join(_FILE_KEYS)}"
        raise ConfigError(f"{_where(path, text, key)}: unknown key `{prefix}{key}`{hint}")
    try:
        config = LintConfig.model_validate({**data, "root": path.parent.resolve()})
        if config.access_baseline is not None and not config.access_baseline.is_absolute():
            config = config.model_copy(
                update={"access_baseline": path.parent.resolve() / config.access_baseline}
            )
        return config
    except ValidationError as error:
        key, message = _describe(error)
        where = _where(path, text, key.split(".")[0])
        raise ConfigError(f"{where}: key `{prefix}{key}`: {message}") from None


def _where(path: Path, text: str, key: str) -> str:
    """`file:line:col` of the line that sets a key (TOML's parser gives no positions), else `file`."""
    found = re.search(rf"^([ \t]*)[\"']?{re.escape(key)}[\"']?[ \t]*[=.]", text, re.MULTILINE)
    found = found or re.search(rf"^([ \t]*)\[(tool\.kmspolicy\.)?{re.escape(key)}\]", text, re.MULTILINE)
    if found is None:
        return str(path)
    line = text.count("\n", 0, found.start()) + 1
    return f"{path}:{line}:{len(found.group(1)) + 1}"


# Pydantic's error types in the words of a TOML file (no Python type names).
_PLAIN = {
    "extra_forbidden": "unknown key",
    "missing": "is required",
    "string_type": "must be a string",
    "tuple_type": "must be a list",
    "frozen_set_type": "must be a list",
    "dict_type": "must be a table",
    "mapping_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "enum": f"must be one of {', '.join(s.value for s in Severity)}",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "less_than_equal": ("le", "at most"),
    "greater_than": ("gt", "more than"),
}


def _describe(error: ValidationError) -> tuple[str, str]:
    """The first validation problem as (dotted key, message)."""
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    if first["type"] in _BOUNDS:
        bound, words = _BOUNDS[first["type"]]
        return key, f"must be {words} {first.get('ctx', {}).get(bound)}"
    message = _PLAIN.get(first["type"]) or first["msg"].removeprefix("Value error, ")
    return key, message[0].lower() + message[1:]


def merge_cli(
    config: LintConfig,
    *,
    trusted_accounts: Sequence[str],
    trusted_orgs: Sequence[str],
    select: Sequence[str],
    ignore: Sequence[str],
    fail_on: Severity | None,
) -> LintConfig:
    """Options on top of the file: trust lists and `ignore` add up, `select` and `fail_on` replace."""
    if not (trusted_accounts or trusted_orgs or select or ignore or fail_on is not None):
        return config  # already valid, and the same once merged
    merged: dict[str, Any] = {
        **config.model_dump(),
        "trusted_accounts": config.trusted_accounts | set(trusted_accounts),
        "trusted_orgs": config.trusted_orgs | set(trusted_orgs),
        "select": tuple(select) if select else config.select,
        "ignore": (*config.ignore, *ignore),
        "fail_on": fail_on if fail_on is not None else config.fail_on,
    }
    try:
        return LintConfig.model_validate(merged)
    except ValidationError as error:
        key, message = _describe(error)
        option = key.split(".")[0].replace("_", "-").removesuffix("s")
        raise ConfigError(f"option `--{option}`: {message}") from None


def is_account_id(value: str) -> bool:
    """Is this a 12-digit AWS account id?"""
    return _ACCOUNT.fullmatch(value) is not None


def matches(selector: str, rule_id: str, rule_name: str) -> bool:
    """Does a selector (id, name, id prefix, or name prefix ending at a hyphen) pick this rule?"""
    if _ID_PREFIX.fullmatch(selector) and rule_id.upper().startswith(selector.upper()):
        return True
    if not rule_name.startswith(selector):
        return False
    return len(rule_name) == len(selector) or selector.endswith("-") or rule_name[len(selector)] == "-"


def _picked(selectors: Iterable[str], finding: Finding) -> bool:
    return any(matches(s, finding.id, finding.rule) for s in selectors)


def _suppressed(config: LintConfig, finding: Finding) -> bool:
    for rule in config.suppressions:
        if not matches(rule.rule, finding.id, finding.rule):
            continue
        if rule.sid is not None and (finding.statement is None or finding.statement.sid != rule.sid):
            continue
        if rule.path is not None and not any(
            fnmatchcase(candidate, rule.path) for candidate in _path_forms(finding.span.file, config.root)
        ):
            continue
        return True
    return False


def _path_forms(file: str, root: Path | None) -> list[str]:
    """The file as written and, when it lies under `root`, relative to it; both with `/`."""
    forms = [PurePath(file).as_posix()]
    if root is not None:
        with contextlib.suppress(ValueError, OSError):  # not under root: the written form only
            forms.append(Path(file).resolve().relative_to(root).as_posix())
    return forms


def _override(config: LintConfig, finding: Finding) -> Severity | None:
    """The most specific (longest) matching selector wins, so `KMS001` beats `KMS0`."""
    best: tuple[int, Severity] | None = None
    for selector, severity in config.severity.items():
        if matches(selector, finding.id, finding.rule) and (best is None or len(selector) > best[0]):
            best = (len(selector), severity)
    return None if best is None else best[1]


def apply(config: LintConfig, findings: Iterable[Finding]) -> list[Finding]:
    """Keep the selected, not ignored, not suppressed findings, with severity overrides applied."""
    if not (config.select or config.ignore or config.suppressions or config.severity):
        return list(findings)  # nothing to apply, as in most runs: no walk over every finding
    kept: list[Finding] = []
    for finding in findings:
        if finding.rule in INPUT_ERROR_RULES:
            kept.append(finding)
            continue
        if config.select and not _picked(config.select, finding):
            continue
        if _picked(config.ignore, finding) or _suppressed(config, finding):
            continue
        severity = _override(config, finding)
        if severity is not None and severity is not finding.severity:
            finding = finding.model_copy(update={"severity": severity})
        kept.append(finding)
    return kept


def exit_code(findings: Iterable[Finding], fail_on: Severity, *, input_errors: bool) -> int:
    """2 when input could not be read, 1 when a finding is at or above `fail_on`, else 0."""
    if input_errors:
        return 2
    threshold = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[f.severity] >= threshold for f in findings) else 0
