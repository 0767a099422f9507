"""Independent hand-derived account cases for the access graph, `tests/review_cases/adversarial*/*.yaml`.

Each case's answers were derived by hand from `../shared/reference/kms-authorization.md` (and README's
account-review section), not from kmspolicy's output, by three testers (`adversarial`,
`adversarial2`, `adversarial3`). `test_graph.py` globs only the top-level case folder, so this module runs
these cases with the same loader and the same assertions, one parametrised test over the three folders
(ids `folder/stem`). Where kmspolicy disagrees with the reference, the case stays and is a strict expected
failure naming the reason (`KNOWN_WRONG`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kmspolicy.review.cases import AccountCase, load_case
from kmspolicy.review.graph import AccessGraph, build_graph
from kmspolicy.review.questions import Reach, access, access_json

REVIEW_CASES = Path(__file__).parent / "review_cases"
CASES_DIR = REVIEW_CASES / "adversarial"
CASES = sorted(
    (
        *CASES_DIR.glob("*.yaml"),
        *(REVIEW_CASES / "adversarial2").glob("*.yaml"),
        *(REVIEW_CASES / "adversarial3").glob("*.yaml"),
    )
)

# `folder/stem` -> why kmspolicy's answer contradicts the reference (strict xfail: a fix turns the test red)
KNOWN_WRONG: dict[str, str] = {}


def _built(path: Path, trusted: tuple[str, ...] = ()) -> tuple[AccountCase, AccessGraph]:
    case = load_case(path)
    return case, build_graph(case.build(path.stem), trusted_accounts=trusted)


def _reach(graph: AccessGraph, case: AccountCase, key: str, principal: str, action: str) -> Reach | None:
    answers = access(graph, key=case.key_arn(key), principal=principal, action=action)
    return answers[0].principals[0] if answers else None


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _params() -> list[object]:
    return [
        pytest.param(
            p,
            id=_case_id(p),
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[_case_id(p)])]
            if _case_id(p) in KNOWN_WRONG
            else [],
        )
        for p in CASES
    ]


@pytest.mark.parametrize("path", _params())
def test_adversarial_case(path: Path) -> None:
    case, graph = _built(path)
    assert case.expect or case.absent, "a case must say what to expect"
    for expected in case.expect:
        reach = _reach(graph, case, expected.key, expected.principal, expected.action)
        label = f"{expected.principal} {expected.action} on {expected.key}"
        assert reach is not None, f"{label}: not reached"
        if expected.steps is not None:
            assert [s.kind for s in reach.path] == list(expected.steps), label
        if expected.through:
            assert [s.target.rsplit("/", 1)[-1] for s in reach.path[:-1]] == list(expected.through), label
        if expected.refs:
            assert {r.grant_id or r.sid or "" for r in reach.path[-1].refs} == set(expected.refs), label
        if expected.method is not None:
            assert reach.path[-1].method == expected.method, label
        if expected.external is not None:
            assert reach.external is expected.external, label
    for absent in case.absent:
        if graph.find_principal(absent.principal) is None:
            continue  # not even a node: it reaches nothing
        answers = access(
            graph, key=case.key_arn(absent.key), principal=absent.principal, action=absent.action
        )
        assert answers == [], f"{absent.principal} unexpectedly can {absent.action}: {access_json(answers)}"


@pytest.mark.parametrize(
    ("stem", "key", "principal", "action", "condition", "value"),
    [
        ("trust_external_id", "k1", "444455556666", "kms:Decrypt", "sts:externalid", "vendor-7731"),
        ("grants_varied", "k1", "Batch", "kms:Decrypt", "kms:encryptioncontext:project", "atlas"),
        (
            "aws_managed_key_rcp",
            "awsmanaged",
            "App",
            "kms:Decrypt",
            "kms:viaservice",
            "s3.us-east-1.amazonaws.com",
        ),
    ],
)
def test_access_holds_only_under_the_named_condition(
    stem: str, key: str, principal: str, action: str, condition: str, value: str
) -> None:
    case, graph = _built(CASES_DIR / f"{stem}.yaml")
    reach = _reach(graph, case, key, principal, action)
    assert reach is not None
    found = {k.lower(): v for s in reach.path for k, v in s.conditions.items()} | {
        k.lower(): v for k, v in reach.conditions.items()
    }
    assert condition in found, f"conditions shown: {found}"
    assert value in str(found[condition])


def test_a_trusted_account_is_not_flagged_external_but_star_still_is() -> None:
    case, graph = _built(CASES_DIR / "external_and_star.yaml", trusted=("444455556666",))
    partner = _reach(graph, case, "k1", "444455556666", "kms:Decrypt")
    public = _reach(graph, case, "k1", "*", "kms:Encrypt")
    assert partner is not None and partner.external is False
    assert public is not None and public.external is True
