"""Every access scenario (reference §7 W1-W42 and the behaviour library) through the simulator.

Twice: `authorize()` on the scenario's situation (effect and determining statements), and `replay()`,
which builds a world and makes the call for real through the client (effect of that call's decision).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kmspolicy.model import Decision
from kmspolicy.parse.source import SourceSet
from kmspolicy.scenario import Scenario, check, load_scenarios
from kmspolicy.simulator import authorize
from kmspolicy.simulator.scenario_replay import replay
from tests.known_gaps import SIMULATOR_AUTHORIZE, SIMULATOR_REPLAY, scenario_cases

SCENARIOS = Path(__file__).parents[1] / "scenarios"
FILES = sorted(path for path in SCENARIOS.rglob("*") if path.suffix in (".yaml", ".yml", ".json"))


def _load(path: Path) -> list[Scenario]:
    scenarios, _ = load_scenarios(path, SourceSet())
    assert scenarios, f"{path} holds no scenario"
    return scenarios


def test_the_worked_examples_are_there() -> None:
    assert len([p for p in FILES if p.parent.name == "worked"]) == 42


@pytest.mark.parametrize("path", scenario_cases(FILES, SIMULATOR_AUTHORIZE))
def test_authorize_agrees_with_the_scenario(path: Path) -> None:
    problems = []
    for scenario in _load(path):
        result = authorize(scenario.situation, scenario.request)
        decision = Decision(effect=result.effect, reason=result.reason, determining=result.determining)
        problems += [f"{scenario.name}: {p}" for p in check(scenario, decision)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", scenario_cases(FILES, SIMULATOR_REPLAY))
def test_replay_through_the_api_agrees(path: Path) -> None:
    """The call's effect is the scenario's, and a refused call fails with AccessDeniedException; or with
    NotFoundException where its KeyId names no key of the scenario (reference §1.4 Identification, §2.4),
    which the authoriser tells apart from a denial by the policies (`AuthzResult.error`)."""
    problems = []
    for scenario in _load(path):
        outcome = replay(scenario)
        if outcome["effect"] != scenario.expect:
            problems.append(f"{scenario.name}: expected {scenario.expect}, replay gave {outcome}")
        if outcome["effect"] != "ALLOW":
            wanted = authorize(scenario.situation, scenario.request).error or "AccessDeniedException"
            if outcome["error"] != wanted:
                problems.append(f"{scenario.name}: a denied call must fail with {wanted}: {outcome}")
        assert outcome["event"] is not None
    assert not problems, "\n".join(problems)
