"""Values the decoders cannot turn into Python: integers over the digit limit, replays without a key."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kmspolicy.baseline import fingerprint
from kmspolicy.parse.context import ReadContext
from kmspolicy.parse.source import SourceSet, load_embedded_json, load_json_text
from kmspolicy.scenario import load_scenarios
from kmspolicy.simulator.scenario_replay import ReplayError, replay

LIMIT = sys.get_int_max_str_digits()
HUGE = "9" * (LIMIT + 1)


@pytest.mark.parametrize(
    ("text", "pointer", "line", "column"),
    [
        ('{"Sid": ' + HUGE + "}", "/Sid", 1, 9),
        ('{"a": [1, -' + HUGE + "]}", "/a/1", 1, 11),
        ('{"a": "' + HUGE + '", "b": ' + HUGE + "}", "/b", 1, LIMIT + 17),  # digits in a string are text
        ('{"x": [\n{"b": [{"c": ' + HUGE + "}]}]}", "/x/0/b/0/c", 2, 14),
    ],
)
def test_a_huge_integer_is_an_input_error_at_the_number(
    text: str, pointer: str, line: int, column: int
) -> None:
    ctx = ReadContext(file="p.json", sources=SourceSet())
    assert load_json_text(text, ctx) is None
    [finding] = ctx.findings
    assert finding.id == "KMS000"
    assert finding.span.pointer == pointer
    location = ctx.sources.locate(finding.span)
    assert location is not None
    assert (location.line, location.column) == (line, column)
    assert f"{LIMIT + 1:,} digits at line {line} column {column}:" in finding.message


def test_large_floats_and_limit_sized_integers_still_read() -> None:
    ctx = ReadContext(file="p.json", sources=SourceSet())
    text = '{"a": ' + "9" * LIMIT + ', "b": ' + HUGE + '.5, "c": ' + HUGE + "e3}"
    assert load_json_text(text, ctx) is not None
    assert ctx.findings == []


def test_a_huge_integer_in_an_embedded_policy_points_into_the_outer_file() -> None:
    inner = '{"Statement": [{"Sid": ' + HUGE + "}]}"
    outer = json.dumps({"Policy": inner})
    ctx = ReadContext(file="k.json", sources=SourceSet())
    load_json_text(outer, ctx)
    assert load_embedded_json(inner, ctx, "/Policy") is None
    [finding] = ctx.findings
    assert finding.span.pointer == "/Policy/Statement/0/Sid"
    location = ctx.sources.locate(finding.span)
    assert location is not None
    assert location.column == outer.index(HUGE) + 1


def test_a_fingerprint_of_a_file_with_a_huge_integer_does_not_fail() -> None:
    ctx = ReadContext(file="p.json", sources=SourceSet())
    load_json_text('{"Sid": ' + HUGE + "}", ctx)
    [finding] = ctx.findings
    assert len(fingerprint(finding, ctx.sources)) == 32


@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:Sign", "kms:VerifyMac", "kms:RetireGrant"])
def test_a_replay_that_needs_a_key_and_has_none_names_the_resource(action: str, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    request = {"principal": "arn:aws:sts::111122223333:assumed-role/App/s", "action": action}
    path.write_text(json.dumps({"request": {**request, "resource": "garbage"}}))
    [scenario], problems = load_scenarios(path, SourceSet())
    assert problems == []
    with pytest.raises(ReplayError, match="`garbage`"):
        replay(scenario)
