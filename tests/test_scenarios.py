"""Every access scenario under tests/scenarios/ through the evaluator: effect and determining statements."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmspolicy.evaluate import evaluate
from kmspolicy.parse.context import INPUT_ERROR_RULES
from kmspolicy.parse.source import SourceSet
from kmspolicy.scenario import Scenario, check, load_scenarios

SCENARIOS = Path(__file__).parent / "scenarios"
FILES = sorted(path for path in SCENARIOS.rglob("*") if path.suffix in (".yaml", ".yml", ".json"))

# Scenarios where the evaluator and the reference (as the scenario reads it) disagree, pending the lead's
# decision. Strict: once the evaluator agrees, the entry must go.
DISAGREEMENTS: dict[str, str] = {
    "adversarial_failing/derive_create_key_multi_region_default_false.yaml": (
        "kms:MultiRegion not derived as false for a CreateKey without MultiRegion (§3.2)"
    ),
    "adversarial_failing/derive_create_key_parameter_defaults_are_evaluated.yaml": (
        "CreateKey parameter defaults (KeySpec, KeyUsage, Origin) not in the request context (§3.1, §3.2)"
    ),
    "adversarial_failing/derive_customer_master_key_spec_synonym.yaml": (
        "kms:CustomerMasterKeySpec not mirrored from a request's kms:KeySpec (§3.1)"
    ),
    "adversarial_failing/derive_encryption_algorithm_defaults_for_data_key_operations.yaml": (
        "kms:EncryptionAlgorithm not SYMMETRIC_DEFAULT for data-key operations (§3.1)"
    ),
    "adversarial_failing/derive_encryption_algorithm_in_allow_for_data_key_without_parameter.yaml": (
        "kms:EncryptionAlgorithm not SYMMETRIC_DEFAULT for data-key operations (§3.1)"
    ),
    "adversarial_failing/derive_mfa_present_false_for_sessions_without_mfa.yaml": (
        "aws:MultiFactorAuthPresent not derived for sessions (§3.3)"
    ),
    "adversarial_failing/derive_region_and_resource_account_for_alias_half.yaml": (
        "aws:RequestedRegion / aws:ResourceAccount not derived for the alias half of CreateAlias (§3.3)"
    ),
    "adversarial_failing/derive_request_alias_from_alias_name_key_id.yaml": (
        "kms:RequestAlias not set for a request naming `alias/...` (§3.1, W37)"
    ),
    "adversarial_failing/derive_tag_keys_from_request_tags.yaml": (
        "aws:TagKeys not derived from aws:RequestTag/* (§3.3)"
    ),
    "adversarial_failing/grant_is_for_aws_resource_when_service_calls.yaml": (
        "kms:GrantIsForAWSResource not derived when a service calls (§3.1)"
    ),
    "adversarial_failing/grant_with_past_creation_date_and_no_request_time.yaml": (
        "without aws:CurrentTime a listed grant can look newer than the request (§1.5)"
    ),
    "adversarial_failing/key_less_caller_account_dead_on_list_keys.yaml": (
        "kms:CallerAccount derived for key-less actions (§3.2)"
    ),
}


def _load(path: Path) -> list[Scenario]:
    sources = SourceSet()
    scenarios, findings = load_scenarios(path, sources)
    broken = [f"{f.location or f.span}: {f.message}" for f in findings if f.rule in INPUT_ERROR_RULES]
    assert not broken, "\n".join(broken)
    assert scenarios, f"{path} holds no scenario"
    return scenarios


def test_library_is_large() -> None:
    worked = [path for path in FILES if path.parent.name == "worked"]
    assert len(worked) == 42
    assert len(FILES) - len(worked) >= 150


def _case(path: Path) -> object:
    name = path.relative_to(SCENARIOS).as_posix()
    reason = DISAGREEMENTS.get(name)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(path, id=name, marks=marks)


def test_disagreements_name_existing_files() -> None:
    assert all((SCENARIOS / name).is_file() for name in DISAGREEMENTS)


@pytest.mark.parametrize("path", [_case(path) for path in FILES])
def test_scenario(path: Path) -> None:
    problems: list[str] = []
    for scenario in _load(path):
        assert scenario.expect is not None, f"{scenario.name} has no `expect`"
        decision = evaluate(scenario.situation, scenario.request)
        problems.extend(f"{scenario.name}: {problem}" for problem in check(scenario, decision))
    assert not problems, "\n".join(problems)
