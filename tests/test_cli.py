"""The command line as users meet it: exit codes, formats, several inputs at once, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kmspolicy import __version__
from kmspolicy.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
WORKED = ROOT / "tests" / "scenarios" / "worked"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = run("--version")
    assert (code, out.strip()) == (0, f"kmspolicy {__version__}")


def test_lint_clean_policy_exits_0(tmp_path: Path) -> None:
    policy = tmp_path / "identity.json"
    policy.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "UseAppKey",
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt"],
                        "Resource": KEY,
                        "Condition": {"StringEquals": {"kms:EncryptionContext:app": "orders"}},
                    }
                ],
            }
        )
    )
    code, out, err = run("lint", str(policy))
    assert code == 0, out + err


def test_lint_findings_exit_1_and_json_names_every_field() -> None:
    code, out, _ = run("lint", str(SAMPLES / "policies" / "key-policy-public.json"), "--format", "json")
    assert code == 1
    report = json.loads(out)
    first = report["findings"][0]
    for field in ("id", "rule", "severity", "message", "file", "line", "column", "end_line", "end_column"):
        assert field in first
    assert {f["rule"] for f in report["findings"]} >= {"kp-public-principal", "kp-viaservice-only"}
    assert report["summary"]["total"] == len(report["findings"])


def test_lint_fail_on_raises_the_threshold() -> None:
    path = str(SAMPLES / "policies" / "key-policy-public.json")
    code, out, _ = run("lint", path, "--select", "syn-wildcard-action", "--fail-on", "critical")
    assert code == 0, out
    code, _, _ = run("lint", path, "--select", "syn-wildcard-action", "--fail-on", "medium")
    assert code == 1


def test_lint_bad_input_exits_2_and_still_reads_the_other_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"Statement": [{"Effect": "Allow",}]}')
    code, out, _ = run(
        "lint", str(broken), str(SAMPLES / "policies" / "key-policy-public.json"), "--format", "json"
    )
    assert code == 2
    files = {f["file"] for f in json.loads(out)["findings"]}
    assert str(broken) in files
    assert any(name.endswith("key-policy-public.json") for name in files)


def test_lint_missing_path_is_an_input_error(tmp_path: Path) -> None:
    code, out, _ = run("lint", str(tmp_path / "nope.json"))
    assert code == 2
    assert "does not exist" in out


def test_lint_sarif_is_sarif() -> None:
    code, out, _ = run("lint", str(SAMPLES / "policies" / "key-policy-public.json"), "--format", "sarif")
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"]


def test_lint_baseline_round_trip(tmp_path: Path) -> None:
    path = str(SAMPLES / "policies" / "key-policy-public.json")
    baseline = tmp_path / "baseline.json"
    code, _, _ = run("lint", path, "--write-baseline", str(baseline))
    assert code == 1 and baseline.exists()
    code, out, _ = run("lint", path, "--baseline", str(baseline), "--format", "json")
    assert (code, json.loads(out)["findings"]) == (0, [])


def test_rules_lists_and_documents() -> None:
    code, out, _ = run("rules")
    assert code == 0
    assert "KMS001  kp-public-principal" in out
    code, out, _ = run("rules", "kp-public-principal")
    assert code == 0 and "## What it flags" in out
    code, _, err = run("rules", "no-such-rule")
    assert code == 2 and "no rule `no-such-rule`" in err


def test_explain_json_is_one_array_with_an_object_per_request() -> None:
    files = [str(WORKED / "w01_account_delegation_without_iam_allow_denies.yaml")]
    files.append(str(WORKED / "w02_account_delegation_with_iam_allow.yaml"))
    files.append(str(WORKED / "w37_request_alias.yaml"))  # three requests in one file
    code, out, _ = run("explain", *files, "--format", "json")
    assert code == 0
    explained = json.loads(out)
    assert [(o["scenario"], o["decision"]) for o in explained] == [
        ("w01_account_delegation_without_iam_allow_denies", "IMPLICIT_DENY"),
        ("w02_account_delegation_with_iam_allow", "ALLOW"),
        ("w37_request_alias[a]", "ALLOW"),
        ("w37_request_alias[b]", "IMPLICIT_DENY"),
        ("w37_request_alias[c]", "ALLOW"),
    ]
    assert [Path(o["file"]).name for o in explained][2:] == ["w37_request_alias.yaml"] * 3


def test_explain_text_leads_with_the_verdict() -> None:
    code, out, _ = run("explain", str(WORKED / "w11_iam_deny_beats_key_policy_allow.yaml"))
    assert code == 0
    assert out.startswith("DENIED (explicit)")


def test_explain_from_flags_and_query() -> None:
    policy = str(SAMPLES / "policies" / "key-policy-least-privilege.json")
    caller = "arn:aws:sts::111122223333:assumed-role/AppRole/s1"
    code, out, _ = run(
        "explain", "--key-policy", policy, "--principal", caller, "--action", "kms:Decrypt",
        "--resource", KEY, "--context", "kms:EncryptionContext:app=orders", "--format", "json",
    )  # fmt: skip
    assert code == 0 and [o["decision"] for o in json.loads(out)] == ["ALLOW"]
    query = f"can {caller} kms:Decrypt {KEY} with kms:EncryptionContext:app=web"
    code, out, _ = run("explain", "--key-policy", policy, "--query", query, "--format", "json")
    assert code == 0 and [o["decision"] for o in json.loads(out)] == ["IMPLICIT_DENY"]


def test_explain_bad_query_names_the_column() -> None:
    code, _, err = run("explain", "--query", "could x kms:Decrypt")
    assert code == 2 and "column" in err


def test_explain_unknown_scenario_field_is_reported_with_position(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(
        "request:\n  principal: arn:aws:iam::111122223333:user/a\n  action: kms:Decrypt\nexpct: ALLOW\n"
    )
    code, _, err = run("explain", str(scenario))
    assert code == 2
    assert f"{scenario}:4:" in err and "expct" in err


def test_test_command_passes_and_fails(tmp_path: Path) -> None:
    code, out, _ = run("test", str(WORKED))
    assert code == 0 and out.strip().endswith("0 failed")
    wrong = tmp_path / "wrong.yaml"
    text = (WORKED / "w02_account_delegation_with_iam_allow.yaml").read_text()
    wrong.write_text(text.replace("expect: ALLOW", "expect: EXPLICIT_DENY"))
    code, out, _ = run("test", str(wrong))
    assert code == 1
    assert "FAIL" in out and "0 passed, 1 failed" in out


def test_simulate_replays_for_real() -> None:
    code, out, _ = run(
        "simulate", str(WORKED / "w21_grant_encryption_context_subset.yaml"), "--format", "json"
    )
    assert code == 0
    [outcome] = json.loads(out)
    assert (outcome["decision"], outcome["error"], outcome["expect"], outcome["ok"]) == (
        "ALLOW",
        None,
        "ALLOW",
        True,
    )
    assert outcome["event"]["eventName"] == "Decrypt"


def test_simulate_compares_with_expect_and_exits_1_on_a_mismatch(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yaml"
    text = (WORKED / "w02_account_delegation_with_iam_allow.yaml").read_text()
    wrong.write_text(text.replace("expect: ALLOW", "expect: EXPLICIT_DENY"))
    code, out, _ = run("simulate", str(wrong))
    assert code == 1
    assert out.startswith(f"FAIL {wrong}: wrong: ALLOW (error: none), expected EXPLICIT_DENY")
    code, out, _ = run("simulate", str(WORKED / "w02_account_delegation_with_iam_allow.yaml"))
    assert code == 0 and out.rstrip().endswith("ALLOW (error: none), as expected")


def test_simulate_shows_a_refusal_before_any_decision_without_python_values() -> None:
    """An alias name of another account reaches no key: NotFoundException, which counts as IMPLICIT_DENY
    (reference §1.4), and nothing prints `None`."""
    scenario = (
        ROOT / "tests" / "scenarios" / "adversarial3" / "xacct_alias_name_resolves_in_callers_account.yaml"
    )
    code, out, _ = run("simulate", str(scenario))
    assert code == 0, out
    assert "IMPLICIT_DENY (error: NotFoundException), as expected" in out
    assert "None" not in out


def test_scenario_warnings_do_not_stop_test_or_explain() -> None:
    """A key-policy statement without `Resource` is accepted by AWS and has no effect (reference §2.1): the
    reader's remark is a warning, and the file's scenarios run."""
    scenario = str(
        ROOT
        / "tests"
        / "scenarios"
        / "adversarial3"
        / "key_policy_statement_without_resource_or_action_has_no_effect.yaml"
    )
    code, out, err = run("test", scenario)
    assert (code, out.strip()) == (0, "3 passed, 0 failed")
    assert "warning: statement has neither `Resource` nor `NotResource`" in err
    code, out, _ = run("explain", scenario, "--format", "json")
    assert code == 0 and [o["decision"] for o in json.loads(out)] == ["IMPLICIT_DENY", "ALLOW", "ALLOW"]


def test_installed_command_runs_outside_the_source_tree(tmp_path: Path) -> None:
    """The wheel must carry grammars/ and rules/: run the installed console script from elsewhere."""
    command = shutil.which("kmspolicy")
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs the project, so `kmspolicy` must be on PATH")
        pytest.skip("`kmspolicy` is not installed in this environment (CI installs it)")
    sample = SAMPLES / "policies" / "key-policy-public.json"
    result = subprocess.run(
        [command, "lint", str(sample), "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["findings"]
    located = subprocess.run(
        [sys.executable, "-c", "import kmspolicy.data as d; print(d.data_dir('grammars'))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert located.stdout.strip()


def test_access_lists_who_can_decrypt_with_paths() -> None:
    code, out, _ = run(
        "access", str(SAMPLES / "account"), "--key", "alias/app-data", "--action", "kms:Decrypt", "-f", "json"
    )
    assert code == 0
    (answer,) = json.loads(out)
    assert answer["action"] == "kms:Decrypt"
    by_principal = {p["principal"]: p for p in answer["principals"]}
    chain = by_principal["arn:aws:iam::111122223333:role/CiDeployer"]["path"]
    assert [step["target"].rsplit("/", 1)[-1] for step in chain[:2]] == ["DeployRole", "DataRole"]
    assert chain[-1]["action"] == "kms:Decrypt"


def test_paths_explains_each_hop_and_exits_1_without_a_path() -> None:
    code, out, _ = run("paths", str(SAMPLES / "account"), "--from", "CiDeployer", "--to", "alias/app-data")
    assert code == 0
    assert "can assume DeployRole" in out
    assert "can assume DataRole" in out


def test_diff_exits_1_on_new_access_and_0_on_none() -> None:
    old = str(SAMPLES / "policies" / "key-policy-least-privilege.json")
    new = str(SAMPLES / "policies" / "key-policy-public.json")
    code, out, _ = run("diff", old, new, "--account", "111122223333", "-f", "json")
    assert code == 1
    added = json.loads(out)["added"]
    assert any(change["principal"] == "*" for change in added)
    code, out, _ = run("diff", old, old, "--account", "111122223333")
    assert code == 0
    assert out.startswith("new access: 0")


def test_access_unreadable_input_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    code, _, err = run("access", str(broken))
    assert code == 2
    assert "cannot review" in err
