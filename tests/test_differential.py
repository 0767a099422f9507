"""Differential testing: the evaluator against the simulator's reference authoriser (STYLE.md practice 8).

Generated worlds and requests (tests/differential/strategies.py) go through `kmspolicy.evaluate.evaluate`
and `kmspolicy.simulator.authorize.authorize`; effects and determining statements must agree
(tests/differential/oracle.py normalises the determining statements, in one place). Every scenario file
goes through both as well. The fast slice here is deterministic: hypothesis derandomised plus a seeded
loop; the long run is `python benchmarks/differential.py --cases 200000` or `pytest --slow`.

Every mismatch found so far is a scenario file under tests/scenarios/differential/ with the outcome the
reference gives, so it stays fixed in both implementations.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from kmspolicy.parse.source import SourceSet
from kmspolicy.scenario import load_scenarios
from tests.differential.oracle import Document, disagreement, outcome
from tests.differential.strategies import (
    ALIAS,
    ALIAS_ARN,
    KEY_ARN,
    KEY_ID,
    OTHER_KEY_ARN,
    PARTNER,
    RandomDraw,
    scenario_document,
    scenario_documents,
)
from tests.known_gaps import DIFFERENTIAL, scenario_cases

SCENARIOS = Path(__file__).parent / "scenarios"
FILES = sorted(path for path in SCENARIOS.rglob("*") if path.suffix in (".yaml", ".yml", ".json"))


def _check(document: Document, path: Path) -> None:
    found = disagreement(document, path)
    assert found is None, f"{found.summary()}\n{document}"


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario_documents())
def test_generated_cases_agree(tmp_path_factory: pytest.TempPathFactory, document: Document) -> None:
    _check(document, tmp_path_factory.getbasetemp() / "hypothesis_case.json")


@pytest.mark.parametrize("seed", range(5))
def test_seeded_cases_agree(tmp_path: Path, seed: int) -> None:
    for i in range(400):
        _check(scenario_document(RandomDraw(random.Random(f"{seed}:{i}"))), tmp_path / "case.json")


# Every form a request's KeyId can take (§1.4 Identification, §2.4), for the key of the generated world
# and for others: key ID, alias name, alias ARN of the owner, of the partner and of another Region, another
# key, the same key ID in another Region (a multi-Region replica, §5.9)
KEY_IDENTIFIERS = (
    KEY_ARN,
    KEY_ID,
    OTHER_KEY_ARN.rsplit("/", 1)[1],
    ALIAS,
    "alias/other",
    ALIAS_ARN,
    ALIAS_ARN.replace(":alias/app", ":alias/other"),
    ALIAS_ARN.replace(KEY_ARN.split(":")[4], PARTNER),
    ALIAS_ARN.replace(":us-east-1:", ":eu-west-1:"),
    OTHER_KEY_ARN,
    KEY_ARN.replace(":us-east-1:", ":us-west-2:"),
)


@pytest.mark.parametrize("seed", range(2))
def test_key_identifier_forms_agree(tmp_path: Path, seed: int) -> None:
    """The generated worlds with the request's KeyId in every form: both sides resolve it the same way."""
    forms = random.Random(f"identifiers:{seed}")
    for i in range(400):
        document = scenario_document(RandomDraw(random.Random(f"identifiers:{seed}:{i}")))
        if document["request"]["resource"] != "*":
            document["request"]["resource"] = forms.choice(KEY_IDENTIFIERS)
        _check(document, tmp_path / "case.json")


@pytest.mark.slow
def test_long_run_agrees(tmp_path: Path) -> None:
    for i in range(20_000):
        _check(scenario_document(RandomDraw(random.Random(f"slow:{i}"))), tmp_path / "case.json")


@pytest.mark.parametrize("path", scenario_cases(FILES, DIFFERENTIAL))
def test_scenario_files_agree(path: Path) -> None:
    scenarios, _ = load_scenarios(path, SourceSet())
    assert scenarios, f"{path} holds no scenario"
    problems = []
    for scenario in scenarios:
        found = outcome(scenario)
        if not found.agrees:
            problems.append(f"{scenario.name}: {found.summary()}")
    assert not problems, "\n".join(problems)
