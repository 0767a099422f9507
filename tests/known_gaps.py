"""Scenario files that one of the checkers still decides against the reference, with why.

Each is an expected failure of that checker's test (strict: a fix makes the test fail until its entry
is removed here), so the library can hold every scenario written from the reference while `main`
stays green. The evaluator's own are the first to fix; see the issue notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SCENARIOS = Path(__file__).parent / "scenarios"


def scenario_cases(files: list[Path], gaps: dict[str, str]) -> list[Any]:
    """`files` as pytest parameters named by their path below tests/scenarios, the gaps marked."""
    cases = []
    for path in files:
        name = path.relative_to(SCENARIOS).as_posix()
        marks = [pytest.mark.xfail(reason=gaps[name], strict=True)] if name in gaps else []
        cases.append(pytest.param(path, id=name, marks=marks))
    return cases


# kmspolicy.evaluate (tests/test_scenarios.py)
EVALUATOR: dict[str, str] = {}

# kmspolicy.simulator.authorize (tests/simulator/test_sim_scenarios.py)
SIMULATOR_AUTHORIZE: dict[str, str] = {}

# the simulator's API replay (tests/simulator/test_sim_scenarios.py)
SIMULATOR_REPLAY: dict[str, str] = {
    "adversarial3/key_less_custom_key_store_ops_carry_caller_account.yaml": (
        'kms-simulator.md: "Custom key store operations are IAM-only and out of scope for the MVP; return '
        'UnsupportedOperationException or treat them as not implemented"; the replay answers '
        "UnknownOperationException with no decision, so the authorization of these IAM-only calls (reference "
        "§3.1 kms:CallerAccount for custom key store ops) cannot be replayed"
    ),
}

# evaluator vs simulator on scenario files (tests/test_differential.py)
DIFFERENTIAL: dict[str, str] = {}
