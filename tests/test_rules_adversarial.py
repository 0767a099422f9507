"""Independent adversarial inputs for the lint rules, written from the catalogue and the KMS reference.

Each file `tests/rules_adversarial/<rule-name>/fail_*` must yield at least one finding of that rule,
each `pass_*` none of it. A sidecar `<file>.options.json` gives the lint context: `kind` (input kind,
default detected), `account`, `trusted_accounts`, `trusted_orgs` and `options` (rule thresholds, the
fields of `kmspolicy.rules.framework.Options`). A `fail_*`/`pass_*` folder is read as an account
snapshot. Inputs on which kmspolicy is believed wrong live in `tests/rules_adversarial_failing/`,
which this file does not collect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kmspolicy.config import LintConfig
from kmspolicy.lint import lint
from kmspolicy.model import InputKind
from kmspolicy.parse import parse_paths
from kmspolicy.rules import get_rule
from kmspolicy.rules.framework import Options

ROOT = Path(__file__).resolve().parent / "rules_adversarial"
SIDECAR = ".options.json"


def _inputs() -> list[Path]:
    found = []
    for rule_dir in sorted(p for p in ROOT.iterdir() if p.is_dir()):
        for path in sorted(rule_dir.iterdir()):
            if path.name.endswith(SIDECAR) or not path.name.startswith(("fail_", "pass_")):
                continue
            found.append(path)
    return found


INPUTS = _inputs()


def _context(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + SIDECAR)
    return json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}


def _rules_found(path: Path) -> list[str]:
    context = _context(path)
    kind = context.get("kind")
    if path.is_dir():
        kind = InputKind.SNAPSHOT.value
    account = context.get("account")
    parsed = parse_paths([str(path)], kind=InputKind(kind) if kind else None, account=account)
    config = LintConfig(
        trusted_accounts=frozenset(context.get("trusted_accounts", ())),
        trusted_orgs=frozenset(context.get("trusted_orgs", ())),
    )
    raw = dict(context.get("options", {}))
    for name in ("required_tags", "cmk_required_for", "decrypt_allowlist", "denied_actions"):
        if raw.get(name) is not None:
            raw[name] = tuple(raw[name])
    if "golden_pcrs" in raw:
        raw["golden_pcrs"] = {k.lower(): tuple(v) for k, v in raw["golden_pcrs"].items()}
    if raw.get("access_baseline") is not None:
        raw["access_baseline"] = path.parent / raw["access_baseline"]
    findings = [
        *parsed.findings,
        *lint(parsed.documents, config=config, account=account, options=Options(**raw)),
    ]
    return [f.rule for f in findings]


def test_every_rule_directory_names_a_rule() -> None:
    unknown = [p.name for p in ROOT.iterdir() if p.is_dir() and get_rule(p.name) is None]
    assert not unknown


@pytest.mark.parametrize("path", INPUTS, ids=[f"{p.parent.name}/{p.name}" for p in INPUTS])
def test_adversarial_input(path: Path) -> None:
    rule = path.parent.name
    found = _rules_found(path)
    if path.name.startswith("fail_"):
        assert rule in found, f"{rule} not reported; got {sorted(set(found))}"
    else:
        assert rule not in found, f"{rule} reported on a passing input; got {sorted(set(found))}"
