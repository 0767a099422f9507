"""Configuration: discovery, validation with named keys, merging options, filtering, exit codes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from kmspolicy.cli import app
from kmspolicy.config import ConfigError, LintConfig, apply, exit_code, find_config, load_config, merge_cli
from kmspolicy.model import Finding, Severity, Span, StatementRef

FULL = """\
trusted_accounts = ["111122223333"]
trusted_orgs = ["o-a1b2c3d4e5"]
select = ["kp-", "KMS013"]
ignore = ["kp-service-principal-no-source"]
fail_on = "high"

[severity]
KMS013 = "low"

[[suppressions]]
rule = "KMS001"
path = "legacy/*.json"
sid = "Everyone"
reason = "being migrated"
"""


def _as_pyproject(toml: str) -> str:
    """The same settings as a `[tool.kmspolicy]` table of pyproject.toml."""
    return '[project]\nname = "x"\n\n' + toml.replace("[severity]", "[tool.kmspolicy.severity]").replace(
        "[[suppressions]]", "[[tool.kmspolicy.suppressions]]"
    ).replace("trusted_accounts =", "[tool.kmspolicy]\ntrusted_accounts =", 1)


def finding(rule_id: str, rule: str, *, file: str = "key.json", sid: str | None = None) -> Finding:
    return Finding(
        id=rule_id,
        rule=rule,
        severity=Severity.HIGH,
        message="m",
        span=Span(file=file, pointer="/Statement/0"),
        statement=None if sid is None else StatementRef(layer="key_policy", sid=sid, index=0),
    )


# ---------------------------------------------------------------- discovery


def test_config_is_found_upward_from_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".kmspolicy.toml").write_text("")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / ".kmspolicy.toml"


def test_pyproject_counts_only_with_a_kmspolicy_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.kmspolicy]\nfail_on = 'medium'\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert find_config(inner) == tmp_path / "pyproject.toml"
    assert load_config(find_config(inner)).fail_on is Severity.MEDIUM


def test_dedicated_file_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.kmspolicy]\n")
    (tmp_path / ".kmspolicy.toml").write_text("")
    assert find_config(tmp_path) == tmp_path / ".kmspolicy.toml"


def test_broken_pyproject_that_mentions_the_table_is_chosen_and_reported(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.kmspolicy]\nfail_on = \n")
    found = find_config(tmp_path)
    assert found == tmp_path / "pyproject.toml"
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(found)


def test_no_config_gives_defaults() -> None:
    config = load_config(None)
    assert config == LintConfig()
    assert config.fail_on is Severity.LOW


# ---------------------------------------------------------------- loading


@pytest.mark.parametrize("as_pyproject", [False, True])
def test_both_file_kinds_read_the_same_settings(tmp_path: Path, as_pyproject: bool) -> None:
    name = "pyproject.toml" if as_pyproject else ".kmspolicy.toml"
    path = tmp_path / name
    path.write_text(_as_pyproject(FULL) if as_pyproject else FULL)
    config = load_config(path)
    assert config.trusted_accounts == {"111122223333"}
    assert config.trusted_orgs == {"o-a1b2c3d4e5"}
    assert config.select == ("kp-", "KMS013")
    assert config.severity == {"KMS013": Severity.LOW}
    assert config.fail_on is Severity.HIGH
    assert config.suppressions[0].sid == "Everyone"
    assert config.root == tmp_path.resolve()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (".kmspolicy.toml", "trusted_acounts = []\n", "`trusted_acounts` (did you mean `trusted_accounts`?)"),
        (".kmspolicy.toml", "fail-on = 'low'\n", "unknown key `fail-on` (did you mean `fail_on`?)"),
        ("pyproject.toml", "[tool.kmspolicy]\nwhatever = 1\n", "key `tool.kmspolicy.whatever`; known"),
        (".kmspolicy.toml", "root = '/'\n", "unknown key `root`"),
        (".kmspolicy.toml", "[[suppressions]]\nrule='KMS001'\nfile=1\n", "`suppressions.0.file`: unknown"),
        (".kmspolicy.toml", "[[suppressions]]\npath = 'x'\n", "key `suppressions.0.rule`: is required"),
        (".kmspolicy.toml", "trusted_accounts = ['1234']\n", "`trusted_accounts`: `1234` is not a 12-digit"),
        (".kmspolicy.toml", "trusted_orgs = ['org-1']\n", "`trusted_orgs`: `org-1` is not an organization"),
        (".kmspolicy.toml", "fail_on = 'severe'\n", "key `fail_on`: must be one of critical, high"),
        (".kmspolicy.toml", "[severity]\nKMS001 = 'urgent'\n", "key `severity.KMS001`: must be one of"),
        (".kmspolicy.toml", "select = ['kp public']\n", "`select`: `kp public` is not a rule id, name"),
        (".kmspolicy.toml", "select = 'KMS001'\n", "key `select`: must be a list"),
        (".kmspolicy.toml", "rotation_period_max_days = 9\n", "_max_days`: must be at least 90"),
        (".kmspolicy.toml", "grant_max_age_days = 'old'\n", "`grant_max_age_days`: must be a whole"),
        (".kmspolicy.toml", "fail_on = \n", "not valid TOML"),
        ("pyproject.toml", "[tool.other]\n", "no `[tool.kmspolicy]` table"),
    ],
)  # fmt: skip
def test_bad_configuration_names_file_and_key(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    # the file, with the line and column of the key where the key is written in it
    assert re.match(rf"{re.escape(str(path))}(:\d+:\d+)?: ", str(error.value))
    assert expected in str(error.value)


# ---------------------------------------------------------------- command-line options


def test_options_add_to_trust_and_ignore_and_replace_select_and_fail_on() -> None:
    base = LintConfig(trusted_accounts=frozenset({"111122223333"}), select=("kp-",), ignore=("KMS009",))
    merged = merge_cli(
        base,
        trusted_accounts=["444455556666"],
        trusted_orgs=["o-a1b2c3d4e5"],
        select=["xacct"],
        ignore=["KMS013"],
        fail_on=Severity.CRITICAL,
    )
    assert merged.trusted_accounts == {"111122223333", "444455556666"}
    assert merged.trusted_orgs == {"o-a1b2c3d4e5"}
    assert merged.select == ("xacct",)
    assert merged.ignore == ("KMS009", "KMS013")
    assert merged.fail_on is Severity.CRITICAL
    unchanged = merge_cli(base, trusted_accounts=[], trusted_orgs=[], select=[], ignore=[], fail_on=None)
    assert unchanged == base


def test_bad_option_values_name_the_option() -> None:
    with pytest.raises(ConfigError, match=r"option `--trusted-account`: `12` is not a 12-digit account id"):
        merge_cli(LintConfig(), trusted_accounts=["12"], trusted_orgs=[], select=[], ignore=[], fail_on=None)


# ---------------------------------------------------------------- selection and suppression


@pytest.mark.parametrize(
    ("select", "ignore", "kept"),
    [
        ((), (), {"KMS001", "KMS003", "KMS013", "KMS092"}),
        (("KMS001",), (), {"KMS001", "KMS092"}),
        (("kms00",), (), {"KMS001", "KMS003", "KMS092"}),
        (("kp-",), (), {"KMS001", "KMS003", "KMS092"}),
        (("kp",), (), {"KMS001", "KMS003", "KMS092"}),
        (("kp-public",), (), {"KMS001", "KMS092"}),
        (("kp-pub",), (), {"KMS092"}),  # name prefixes end at a hyphen
        (("xacct-principal",), (), {"KMS013", "KMS092"}),
        ((), ("kp-",), {"KMS013", "KMS092"}),
        ((), ("KMS",), {"KMS092"}),  # input errors can never be ignored
        (("kp-",), ("KMS003",), {"KMS001", "KMS092"}),
    ],
)
def test_select_and_ignore_by_id_name_or_prefix(
    select: tuple[str, ...], ignore: tuple[str, ...], kept: set[str]
) -> None:
    findings = [
        finding("KMS001", "kp-public-principal"),
        finding("KMS003", "kp-viaservice-only"),
        finding("KMS013", "xacct-principal"),
        finding("KMS092", "syn-structure"),
    ]
    config = LintConfig(select=select, ignore=ignore)
    assert {f.id for f in apply(config, findings)} == kept


def test_suppressions_match_rule_path_and_sid(tmp_path: Path) -> None:
    config = LintConfig.model_validate(
        {
            "root": tmp_path,
            "suppressions": [
                {"rule": "KMS001", "path": "legacy/*", "sid": "Everyone"},
                {"rule": "xacct-", "path": "shared.json"},
                {"rule": "KMS092"},
            ],
        }
    )
    legacy = str(tmp_path / "legacy" / "deep" / "key.json")
    findings = [
        finding("KMS001", "kp-public-principal", file=legacy, sid="Everyone"),  # suppressed
        finding("KMS001", "kp-public-principal", file=legacy, sid="Other"),  # another Sid
        finding("KMS001", "kp-public-principal", file="other/key.json", sid="Everyone"),  # another path
        finding("KMS013", "xacct-principal", file="shared.json"),  # suppressed (path as written)
        finding("KMS092", "syn-structure", file="shared.json"),  # input errors stay
    ]
    assert apply(config, findings) == findings[1:3] + findings[4:]


def test_severity_overrides_most_specific_selector_wins_but_not_for_input_errors() -> None:
    config = LintConfig(
        severity={"KMS0": Severity.LOW, "kp-public-principal": Severity.MEDIUM, "KMS09": Severity.INFO}
    )
    findings = [
        finding("KMS001", "kp-public-principal"),
        finding("KMS013", "xacct-principal"),
        finding("KMS092", "syn-structure"),
    ]
    assert [f.severity for f in apply(config, findings)] == [Severity.MEDIUM, Severity.LOW, Severity.HIGH]


# ---------------------------------------------------------------- exit codes


def _with(severity: Severity) -> Finding:
    return finding("KMS001", "kp-public-principal").model_copy(update={"severity": severity})


@pytest.mark.parametrize(
    ("severities", "fail_on", "input_errors", "code"),
    [
        ([], Severity.LOW, False, 0),
        ([Severity.INFO], Severity.LOW, False, 0),
        ([Severity.LOW], Severity.LOW, False, 1),
        ([Severity.MEDIUM, Severity.LOW], Severity.HIGH, False, 0),
        ([Severity.CRITICAL], Severity.HIGH, False, 1),
        ([Severity.ERROR], Severity.CRITICAL, False, 1),
        ([Severity.INFO], Severity.INFO, False, 1),
        ([], Severity.LOW, True, 2),
        ([Severity.CRITICAL], Severity.LOW, True, 2),
    ],
)
def test_exit_codes(severities: list[Severity], fail_on: Severity, input_errors: bool, code: int) -> None:
    assert exit_code([_with(s) for s in severities], fail_on, input_errors=input_errors) == code


# ---------------------------------------------------------------- pre-commit


def test_pre_commit_hook_runs_the_lint_command() -> None:
    root = Path(__file__).parent.parent
    hooks = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    scripts = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    commands = {c.name or (c.callback.__name__ if c.callback else None) for c in app.registered_commands}
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        program, command = hook["entry"].split()[:2]
        assert program in scripts
        assert command in commands


def test_effective_access_settings_are_read_and_the_baseline_is_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / ".kmspolicy.toml").write_text(
        'decrypt_allowlist = ["arn:aws:iam::111122223333:role/App*"]\n'
        'denied_actions = ["kms:PutKeyPolicy"]\n'
        'access_baseline = "baseline/account"\n'
    )
    config = load_config(tmp_path / ".kmspolicy.toml")
    assert config.decrypt_allowlist == ("arn:aws:iam::111122223333:role/App*",)
    assert config.denied_actions == ("kms:PutKeyPolicy",)
    assert config.access_baseline == tmp_path.resolve() / "baseline" / "account"
