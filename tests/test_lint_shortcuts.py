"""The shortcuts that keep linting fast give the answers of the slow path they stand in for.

Operator names skip lark when valid, the catalogue is read without validation, the defaults need no
schema, rules come from the registry file and their modules load when first run, and owner-side
probes are remembered across policies by their content.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from kmspolicy import catalog, grammar
from kmspolicy.catalog import ActionInfo, ConditionKeyInfo
from kmspolicy.config import ConfigError, LintConfig, load_config, merge_cli
from kmspolicy.lint import lint
from kmspolicy.model import Finding, InputKind
from kmspolicy.parse import parse_text
from kmspolicy.rules import REGISTRY, ParserRule, Rule, all_rules, exposure, loaded, registry_text, scan

QUALIFIERS = ("", "ForAllValues:", "ForAnyValue:")
SUFFIXES = ("", "IfExists")
NAMES = [f"{q}{base}{s}" for q in QUALIFIERS for base in grammar._families() for s in SUFFIXES]
# Pieces of operator names, put together at random: near misses of every kind.
PIECES = ["ForAllValues", "ForAnyValue", ":", "String", "Equals", "Not", "Like", "IfExists", "Null", "Bool"]


def _grammar_says(text: str) -> object:
    try:
        return grammar._parse("operators", text)
    except Exception as error:  # any refusal: the fast path must refuse it too
        return type(error)


@pytest.mark.parametrize("text", NAMES)
def test_operator_fast_path_builds_what_the_grammar_builds(text: str) -> None:
    expected = _grammar_says(text)
    assert grammar._operator_fast(text) == (expected if not isinstance(expected, type) else None)


@given(st.lists(st.sampled_from(PIECES), max_size=5).map("".join))
def test_operator_fast_path_refuses_what_the_grammar_refuses(text: str) -> None:
    fast = grammar._operator_fast(text)
    expected = _grammar_says(text)
    assert fast == (None if isinstance(expected, type) else expected)


def test_the_catalogue_read_without_validation_is_what_validation_gives() -> None:
    actions = TypeAdapter(tuple[ActionInfo, ...]).validate_json(catalog._load("actions.json"))
    keys = TypeAdapter(tuple[ConditionKeyInfo, ...]).validate_json(catalog._load("condition_keys.json"))
    assert actions == catalog.all_actions()
    assert keys == catalog.all_condition_keys()
    assert [a.model_fields_set for a in actions] == [a.model_fields_set for a in catalog.all_actions()]


def test_no_configuration_gives_the_validated_defaults() -> None:
    defaults = load_config(None)
    assert defaults == LintConfig()
    kept = merge_cli(defaults, trusted_accounts=[], trusted_orgs=[], select=[], ignore=[], fail_on=None)
    assert kept == LintConfig()


def test_cmk_required_for_is_read_from_pyproject(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.kmspolicy]\ncmk_required_for = ["AWS::SQS::Queue", "aws_sqs_queue", "AWS::RDS::*"]\n',
        encoding="utf-8",
    )
    assert load_config(path).cmk_required_for == ("AWS::SQS::Queue", "aws_sqs_queue", "AWS::RDS::*")


def test_cmk_required_for_refuses_what_is_not_a_resource_type(tmp_path: Path) -> None:
    path = tmp_path / ".kmspolicy.toml"
    path.write_text('cmk_required_for = ["SQS queue"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cmk_required_for.*`SQS queue` is not a resource type"):
        load_config(path)


def _key_policy(deny_unless_account: str, role: str) -> str:
    """The console's delegation, a key administrator, and a Deny for callers outside one account."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Root",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "Admin",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::111122223333:role/{role}"},
                    "Action": ["kms:Describe*", "kms:Put*", "kms:Get*", "kms:List*"],
                    "Resource": "*",
                },
                {
                    "Sid": "Outsiders",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalAccount": deny_unless_account}},
                },
            ],
        }
    )


def _findings(texts: list[str]) -> list[list[tuple[str, str, str]]]:
    """Per policy, in order: the findings of one lint over all of them, as (id, pointer, message)."""
    documents = [
        d
        for i, text in enumerate(texts)
        for d in parse_text(text, f"key-{i}.json", kind=InputKind.KEY_POLICY).documents
    ]
    found: list[Finding] = lint(documents, config=LintConfig())
    return [
        sorted((f.id, f.span.pointer, f.message) for f in found if f.span.file == f"key-{i}.json")
        for i in range(len(texts))
    ]


def test_remembered_probes_tell_apart_policies_that_differ_in_what_decides() -> None:
    # Same delegation and administrator, but one Deny spares the owner and the other refuses it: the
    # second policy locks everybody out and blinds auditors (KMS016, KMS025).
    open_policy, locked = _key_policy("111122223333", "admin-1"), _key_policy("999988887777", "admin-2")
    exposure._REMEMBERED.clear()
    together = _findings([open_policy, locked, _key_policy("111122223333", "admin-3"), locked])
    alone = []
    for text in (open_policy, locked, _key_policy("111122223333", "admin-3"), locked):
        exposure._REMEMBERED.clear()
        alone.extend(_findings([text]))
    assert together == alone
    ids = [{i for i, _, _ in policy} for policy in together]
    assert "KMS016" not in ids[0] and "KMS016" in ids[1] and "KMS025" in ids[1] and ids[1] == ids[3]


def test_the_registry_file_is_current() -> None:
    assert REGISTRY.read_text(encoding="utf-8") == registry_text(scan()), (
        "run `python -m kmspolicy.rules.docgen`"
    )


def test_rules_read_from_the_registry_are_the_rules_of_the_modules() -> None:
    def fields(rule: Rule) -> dict[str, object]:
        return {f.name: getattr(rule, f.name) for f in dataclasses.fields(rule) if f.name != "check"}

    listed, scanned = all_rules(), scan()
    assert [(type(r), fields(r)) for r in listed] == [(type(r), fields(r)) for r in scanned]
    assert all(type(loaded(r)) is type(r) for r in listed if not isinstance(r, ParserRule))


def test_linting_a_policy_imports_only_the_rules_it_runs() -> None:
    # The effective-access rules (keys in account snapshots) and their review machinery stay unloaded.
    code = (
        "import sys\n"
        "from kmspolicy.config import LintConfig\n"
        "from kmspolicy.lint import lint\n"
        "from kmspolicy.parse import parse_paths\n"
        "lint(parse_paths([sys.argv[1]]).documents, config=LintConfig())\n"
        "loaded = [m for m in sys.modules if m.startswith(('kmspolicy.review', 'kmspolicy.rules.eff_'))]\n"
        "print(sorted(loaded))\n"
    )
    sample = Path(__file__).resolve().parent.parent / "samples" / "policies" / "key-policy-public.json"
    done = subprocess.run(
        [sys.executable, "-c", code, str(sample)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
