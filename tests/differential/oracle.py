"""Run one generated case through both implementations and say how they disagree; shrink a disagreement.

`disagreement()` is the one place where the two sides' determining statements are normalised before
comparison (see `_refs`). Cases are loaded through the scenario loader from a file, so a case that
disagrees is written out as the very scenario file that reproduces it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kmspolicy.evaluate import evaluate
from kmspolicy.model import DecisionEffect, StatementRef
from kmspolicy.parse.source import SourceSet
from kmspolicy.scenario import Scenario, load_scenarios
from kmspolicy.simulator.authorize import authorize

Document = dict[str, Any]
RefKey = tuple[str, str | None, int | None, str | None]


@dataclass(frozen=True)
class Outcome:
    evaluator: DecisionEffect
    simulator: DecisionEffect
    evaluator_refs: frozenset[RefKey]
    simulator_refs: frozenset[RefKey]
    evaluator_reason: str
    simulator_reason: str

    @property
    def agrees(self) -> bool:
        return self.evaluator == self.simulator and self.evaluator_refs == self.simulator_refs

    @property
    def kind(self) -> str:
        """`effect` or `determining`: what differs, for counting."""
        return "effect" if self.evaluator != self.simulator else "determining"

    def summary(self) -> str:
        if self.evaluator != self.simulator:
            return (
                f"evaluator `{self.evaluator}` ({self.evaluator_reason}), "
                f"simulator `{self.simulator}` ({self.simulator_reason})"
            )
        return (
            f"both `{self.evaluator}`; determining: evaluator {sorted(self.evaluator_refs, key=str)}, "
            f"simulator {sorted(self.simulator_refs, key=str)}"
        )


def _refs(refs: tuple[StatementRef, ...]) -> frozenset[RefKey]:
    """Determining statements as a set of (layer, policy, index, grant id).

    Compared as sets: for a cross-account allow the simulator lists a key-policy statement once per way
    its `Principal` reaches the caller (authorize.py, "determining statements"), the evaluator once
    (evaluate.py `_decide`). Grants are compared by id only: the evaluator also carries the grant's
    `Name` in `policy`, the simulator does not, and a grant id is unique on its key.
    """
    return frozenset(
        (r.layer, None, None, r.grant_id) if r.layer == "grant" else (r.layer, r.policy, r.index, None)
        for r in refs
    )


def outcome(scenario: Scenario) -> Outcome:
    decision = evaluate(scenario.situation, scenario.request, trace=False)
    result = authorize(scenario.situation, scenario.request)
    return Outcome(
        decision.effect,
        result.effect,
        _refs(decision.determining),
        _refs(result.determining),
        decision.reason,
        result.reason,
    )


def load(document: Document, path: Path) -> Scenario:
    """The scenario a document holds, read by the scenario loader from `path` (a .json file)."""
    path.write_text(json.dumps(document))
    scenarios, findings = load_scenarios(path, SourceSet())
    errors = [f"{f.message} at `{f.span.pointer}`" for f in findings if f.severity.value == "error"]
    if errors or len(scenarios) != 1:
        raise ValueError(f"generated an invalid scenario: {errors}")
    return scenarios[0]


def disagreement(document: Document, path: Path) -> Outcome | None:
    found = outcome(load(document, path))
    return None if found.agrees else found


# --------------------------------------------------------------------------- minimisation


def _smaller(value: Any) -> Iterator[Any]:
    """Every document one deletion smaller: a list element or a map entry, at any depth."""
    if isinstance(value, dict):
        for k in list(value):
            if k in _REQUIRED:
                continue
            yield {key: v for key, v in value.items() if key != k}
        for k, v in value.items():
            for smaller in _smaller(v):
                yield {**value, k: smaller}
    elif isinstance(value, list):
        for i in range(len(value)):
            if len(value) > 1:
                yield value[:i] + value[i + 1 :]
        for i, v in enumerate(value):
            for smaller in _smaller(v):
                yield [*value[:i], smaller, *value[i + 1 :]]


# fields whose removal only makes an invalid document, never a smaller case
_REQUIRED = frozenset(
    {
        "request",
        "principal",
        "action",
        "resource",
        "key",
        "Effect",
        "Arn",
        "GrantId",
        "GranteePrincipal",
        "policy",
        "name",
        "policies",
    }
)


def minimise(document: Document, still_fails: Callable[[Document], bool]) -> Document:
    """Greedy one-deletion-at-a-time shrinking until no single deletion keeps the failure."""
    current = copy.deepcopy(document)
    progress = True
    while progress:
        progress = False
        for candidate in _smaller(current):
            try:
                failing = still_fails(candidate)
            except ValueError:
                continue  # the deletion made the document invalid
            if failing:
                current = candidate
                progress = True
                break
    return current
