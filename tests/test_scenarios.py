"""Every access scenario under tests/scenarios/ through the evaluator: effect and determining statements."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmspolicy.evaluate import evaluate
from kmspolicy.parse.context import input_errors
from kmspolicy.parse.source import SourceSet
from kmspolicy.scenario import Scenario, check, load_scenarios
from tests.known_gaps import DIFFERENTIAL, EVALUATOR, SIMULATOR_AUTHORIZE, SIMULATOR_REPLAY, scenario_cases

SCENARIOS = Path(__file__).parent / "scenarios"
FILES = sorted(path for path in SCENARIOS.rglob("*") if path.suffix in (".yaml", ".yml", ".json"))


def _load(path: Path) -> list[Scenario]:
    sources = SourceSet()
    scenarios, findings = load_scenarios(path, sources)
    broken = [f"{f.location or f.span}: {f.message}" for f in input_errors(findings)]
    assert not broken, "\n".join(broken)
    assert scenarios, f"{path} holds no scenario"
    return scenarios


def test_library_is_large() -> None:
    worked = [path for path in FILES if path.parent.name == "worked"]
    assert len(worked) == 42
    assert len(FILES) - len(worked) >= 150


def test_known_gaps_name_existing_files() -> None:
    for gaps in (EVALUATOR, SIMULATOR_AUTHORIZE, SIMULATOR_REPLAY, DIFFERENTIAL):
        assert all((SCENARIOS / name).is_file() for name in gaps)


@pytest.mark.parametrize("path", scenario_cases(FILES, EVALUATOR))
def test_scenario(path: Path) -> None:
    problems: list[str] = []
    for scenario in _load(path):
        assert scenario.expect is not None, f"{scenario.name} has no `expect`"
        decision = evaluate(scenario.situation, scenario.request)
        problems.extend(f"{scenario.name}: {problem}" for problem in check(scenario, decision))
    assert not problems, "\n".join(problems)
