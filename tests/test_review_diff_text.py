"""`kmspolicy diff` as text: changes alike but for their action are one entry; JSON keeps one object per
change. The expected text of the README's example is pinned (regenerate with UPDATE_GOLDENS=1)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kmspolicy.model import Request
from kmspolicy.parse import parse_paths
from kmspolicy.review.diff import Change, DiffResult, Side, diff
from kmspolicy.review.questions import Step
from kmspolicy.review.report import render_diff

SAMPLES = Path(__file__).parents[1] / "samples"
EXPECTED = Path(__file__).parent / "review_cases" / "diff_text"
KEY = "arn:aws:kms:us-east-1:111122223333:key/k1"
ROLE = "arn:aws:iam::111122223333:role/App"


def _change(action: str, context: dict[str, str] | None = None, principal: str = ROLE) -> Change:
    return Change(
        principal=principal,
        resource=KEY,
        action=action,
        removed=False,
        external=False,
        witness=Request(principal=principal, action=action, resource=KEY, context=context or {}),
        new=Side(effect="ALLOW", reason=f"the key policy allows `{action}`"),
        old=Side(effect="IMPLICIT_DENY", reason=f"no resource-based policy allows `{action}`"),
        path=(
            Step(source=principal, target=ROLE + "2", kind="assume", action="sts:AssumeRole", reason="r"),
            Step(source=ROLE + "2", target=KEY, kind="access", action=action, reason=f"allows `{action}`"),
        ),
    )


def test_changes_alike_but_for_the_action_are_one_entry() -> None:
    changes = (
        _change("kms:Decrypt"),
        _change("kms:Encrypt"),
        _change("kms:Decrypt", {"kms:ViaService": "s3.us-east-1.amazonaws.com"}),
        _change("kms:Decrypt", principal=ROLE + "3"),
    )
    text = render_diff(DiffResult(changes=changes), removed=False)
    entries = [line for line in text.splitlines() if line.startswith("  + ")]
    assert text.startswith("new access: 4 in 3 entries\n")
    assert entries == [
        f"  + {ROLE} kms:Decrypt, kms:Encrypt on {KEY}",
        f"  + {ROLE} kms:Decrypt on {KEY} when kms:ViaService=s3.us-east-1.amazonaws.com",
        f"  + {ROLE}3 kms:Decrypt on {KEY}",
    ]
    # the grouped entry names no one action where each change named its own
    assert "      now: ALLOW (the key policy allows these actions); before: IMPLICIT_DENY" in text
    assert f"      2. {ROLE}2 access these actions on {KEY}" in text
    # an entry of one change reads as before
    assert f"      2. {ROLE}2 access kms:Decrypt on {KEY}" in text
    assert "(the key policy allows `kms:Decrypt`)" in text
    # JSON: one object per change, as before
    shown = json.loads(render_diff(DiffResult(changes=changes), "json"))
    assert [c["action"] for c in shown["added"]] == [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:Decrypt",
    ]


def test_changes_that_differ_in_more_than_the_action_stay_apart() -> None:
    other = _change("kms:Encrypt").model_copy(
        update={"new": Side(effect="ALLOW", reason="a grant allows `kms:Encrypt`")}
    )
    text = render_diff(DiffResult(changes=(_change("kms:Decrypt"), other)), "markdown")
    assert text.startswith("### new access (2)\n")
    assert len([line for line in text.splitlines() if line.startswith("  + ")]) == 2


def test_readme_example_text() -> None:
    policies = SAMPLES / "policies"
    old, new = (
        parse_paths([str(policies / name)], account="111122223333").documents[0]
        for name in ("key-policy-least-privilege.json", "key-policy-public.json")
    )
    result = diff(old, new, account="111122223333")
    text = render_diff(result, removed=False)
    path = EXPECTED / "key_policy_made_public.txt"
    if os.environ.get("UPDATE_GOLDENS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert len(json.loads(render_diff(result, "json"))["added"]) == len(result.added) == 7
