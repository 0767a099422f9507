"""Bad and odd input through every command: a clear message naming the file, a non-zero exit, no traceback.

Each case writes its files under `tmp_path`, runs the CLI in-process and checks the exit code, that no
Python exception escaped, and that the output names what it must (the file, the offending value).
Cases marked `xfail(strict=True)` are known defects found by robustness testing: the assertion states
the correct behaviour, so a fix turns the xfail into a failure that asks for the mark to be removed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kmspolicy.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
ACCOUNT = SAMPLES / "account"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}"
CALLER = "arn:aws:sts::111122223333:assumed-role/AppRole/s1"
LEAST = str(SAMPLES / "policies" / "key-policy-least-privilege.json")
REQUEST = ["--principal", CALLER, "--action", "kms:Decrypt", "--resource", KEY]
HUGE = "9" * 5000  # beyond Python's 4300-digit int conversion limit

runner = CliRunner()


def policy(*statements: object) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


CLEAN_STATEMENT = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}
PUBLIC_STATEMENT = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
DELEGATE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "D", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "kms:*", "Resource": "*"}
    ],
}  # fmt: skip


def scenario(**fields: object) -> str:
    body: dict[str, object] = {
        "key_policy": DELEGATE,
        "request": {"principal": CALLER, "action": "kms:Decrypt", "resource": KEY},
    }
    body.update(fields)
    return json.dumps(body)


def template(principal: str, head: str = "") -> str:
    """A CloudFormation key whose key-policy principal is the YAML expression `principal`."""
    return (
        'AWSTemplateFormatVersion: "2010-09-09"\n' + head + "Resources:\n"
        "  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n"
        '        Version: "2012-10-17"\n        Statement:\n          - Sid: S\n            Effect: Allow\n'
        f"            Principal:\n              AWS: {principal}\n"
        '            Action: kms:Decrypt\n            Resource: "*"\n'
    )


def plan(mutate: Callable[[dict[str, object]], object]) -> str:
    data: dict[str, object] = json.loads((SAMPLES / "terraform" / "plan.json").read_text())
    mutate(data)
    return json.dumps(data)


def _first_policy_value(value: object) -> Callable[[dict[str, object]], None]:
    def mutate(data: dict[str, object]) -> None:
        root = data["planned_values"]["root_module"]  # type: ignore[index]
        for resource in root["resources"]:
            if "policy" in (resource.get("values") or {}):
                resource["values"]["policy"] = value
                return

    return mutate


@dataclass(frozen=True)
class Case:
    """One command run: files to write (relative to tmp_path; `snap/` starts as a copy of a real
    account snapshot), the arguments (`{tmp}` is tmp_path), the expected exit code (or the codes that
    are all acceptable) and the texts the output must hold (also formatted with `{tmp}`; with
    `same_line`, all of them on one line)."""

    id: str
    args: list[str]
    code: int | tuple[int, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    expect: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    stdin: str | None = None
    same_line: bool = False
    bug: str | None = None


KEY_DIR = f"snap/kms/us-east-1/{KEY_ID}"
NEW_KEY_ID = "feedface-0000-4000-8000-000000000000"
NEW_KEY_DIR = f"snap/kms/us-east-1/{NEW_KEY_ID}"

CASES: list[Case] = [
    # ---- lint: documents ------------------------------------------------------------------------
    Case(
        "lint_truncated_json",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": '{"Statement": ['},
        ("{tmp}/p.json:1:", "truncated"),
    ),
    Case(
        "lint_truncated_yaml",
        ["lint", "{tmp}/p.yaml"],
        2,
        {"p.yaml": "Version: '2012-10-17'\nStatement:\n  - Effect: Allow\n    Action: [kms:Decrypt\n"},
        ("{tmp}/p.yaml:5:", "invalid YAML"),
    ),
    Case("lint_empty_file", ["lint", "{tmp}/p.json"], 2, {"p.json": ""}, ("{tmp}/p.json", "is empty")),
    Case(
        "lint_non_utf8",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": b'{"Version":"2012-10-17","Statement":[{"Sid":"caf\xe9"}]}'},
        ("{tmp}/p.json:1:", "not UTF-8"),
    ),
    Case(
        "lint_utf16",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": policy(CLEAN_STATEMENT).encode("utf-16")},
        ("{tmp}/p.json", "not UTF-8"),
    ),
    Case(
        "lint_bom_accepted",
        ["lint", "{tmp}/p.json"],
        0,
        {"p.json": b"\xef\xbb\xbf" + policy(CLEAN_STATEMENT).encode()},
    ),
    Case(
        "lint_crlf_positions",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": policy({**CLEAN_STATEMENT, "Effect": "Alow"}).replace(",", ",\r\n")},
        ("{tmp}/p.json:2:", "`Alow`"),
    ),
    Case(
        "lint_nesting_300",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": "[" * 300 + "]" * 300},
        ("{tmp}/p.json:1:", "nesting deeper than 200"),
    ),
    Case(
        "lint_nesting_100k",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": "[" * 100_000 + "]" * 100_000},
        ("{tmp}/p.json:1:", "nesting deeper than 200"),
    ),
    Case(
        "lint_yaml_two_documents",
        ["lint", "{tmp}/p.yaml"],
        2,
        {"p.yaml": "a: 1\n---\nb: 2\n"},
        ("{tmp}/p.yaml:2:", "more than one YAML document"),
    ),
    Case(
        "lint_top_level_number",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": "42"},
        ("{tmp}/p.json", "cannot tell"),
    ),
    Case(
        "lint_action_object",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": policy({**CLEAN_STATEMENT, "Action": {"a": 1}})},
        ("{tmp}/p.json:1:", "`Action`"),
    ),
    Case(
        "lint_statement_null",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": json.dumps({"Version": "2012-10-17", "Statement": None})},
        ("{tmp}/p.json:1:", "`Statement`"),
    ),
    Case(
        "lint_yaml_mixed_action_entries",
        ["lint", "{tmp}/p.yaml"],
        2,
        {
            "p.yaml": "Version: '2012-10-17'\nStatement:\n  - Effect: Allow\n"
            "    Action: [kms:Decrypt, 1, null]\n    Resource: '*'\n"
        },
        ("{tmp}/p.yaml:4:", "found `null`"),
    ),
    Case(
        "lint_pointer_escaping_tilde_slash",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": policy({**CLEAN_STATEMENT, "Bad~/": 1})},
        ("{tmp}/p.json:1:", "`Bad~/`"),
    ),
    Case("lint_stdin_empty", ["lint", "-"], 2, stdin="", expect=("<stdin>", "is empty")),
    Case("lint_stdin_policy", ["lint", "-"], 0, stdin=policy(CLEAN_STATEMENT)),
    Case("lint_missing_path", ["lint", "{tmp}/nope.json"], 2, expect=("{tmp}/nope.json", "does not exist")),
    Case(
        "lint_null_document",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": "null"},
        ("{tmp}/p.json",),
    ),
    Case(
        "lint_huge_int_json_format",
        ["lint", "{tmp}/p.json", "--format", "json"],
        2,
        {"p.json": policy({"Sid": 1, **CLEAN_STATEMENT}).replace('"Sid": 1', f'"Sid": {HUGE}')},
        ("{tmp}/p.json",),
    ),
    Case(
        "lint_huge_int_sarif_format",
        ["lint", "{tmp}/p.json", "--format", "sarif"],
        2,
        {"p.json": policy({"Sid": 1, **CLEAN_STATEMENT}).replace('"Sid": 1', f'"Sid": {HUGE}')},
        ("p.json",),
    ),
    Case(
        "lint_huge_int_message",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": policy({"Sid": 1, **CLEAN_STATEMENT}).replace('"Sid": 1', f'"Sid": {HUGE}')},
        ("{tmp}/p.json:1:",),
        forbid=("internal error", "set_int_max_str_digits"),
    ),
    Case(
        "lint_principal_number_is_input_error",
        ["lint", "{tmp}/p.json"],
        2,
        {"p.json": policy({**CLEAN_STATEMENT, "Principal": 7, "Resource": "*"})},
        ("{tmp}/p.json:1:", "`Principal`"),
    ),
    # ---- lint: options --------------------------------------------------------------------------
    Case("lint_bad_format", ["lint", LEAST, "--format", "nope"], 2, expect=("nope",)),
    Case("lint_bad_fail_on", ["lint", LEAST, "--fail-on", "nope"], 2, expect=("nope",)),
    Case("lint_bad_kind", ["lint", LEAST, "--kind", "nope"], 2, expect=("nope",)),
    Case("lint_bad_trusted_account", ["lint", LEAST, "--trusted-account", "abc"], 2, expect=("`abc`",)),
    Case(
        "lint_bad_config",
        ["lint", LEAST, "--config", "{tmp}/c.toml"],
        2,
        {"c.toml": "[[["},
        ("{tmp}/c.toml",),
    ),
    Case(
        "lint_bad_baseline",
        ["lint", LEAST, "--baseline", "{tmp}/b.json"],
        2,
        {"b.json": "[1]"},
        ("{tmp}/b.json",),
    ),
    Case(
        "lint_select_unknown_rule",
        ["lint", LEAST, "--select", "NOPE123"],
        2,
        expect=("NOPE123",),
    ),
    Case(
        "lint_ignore_unknown_rule",
        ["lint", LEAST, "--ignore", "NOPE123"],
        2,
        expect=("NOPE123",),
    ),
    Case(
        "lint_account_not_an_account_id",
        ["lint", LEAST, "--account", "abc"],
        2,
        expect=("`abc`",),
    ),
    # ---- explain: scenario files ----------------------------------------------------------------
    Case(
        "explain_unknown_field",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": scenario(bogus=1)},
        ("{tmp}/s.json:1:", "`bogus`"),
    ),
    Case(
        "explain_unknown_field_escaped_name",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": scenario(**{"a~/b": 1})},
        ("{tmp}/s.json:1:", "`a~/b`"),
    ),
    Case(
        "explain_request_null",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": scenario(request=None)},
        ("{tmp}/s.json:1:", "`request`"),
    ),
    Case(
        "explain_principal_number",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": scenario(request={"principal": 5, "action": "kms:Decrypt", "resource": KEY})},
        ("{tmp}/s.json:1:", "`principal`"),
    ),
    Case(
        "explain_context_list",
        ["explain", "{tmp}/s.json"],
        2,
        {
            "s.json": scenario(
                request={"principal": CALLER, "action": "kms:Decrypt", "resource": KEY, "context": [1]}
            )
        },
        ("{tmp}/s.json:1:", "`context`"),
    ),
    Case(
        "explain_key_policy_garbled_string",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": scenario(key_policy="{x")},
        ("{tmp}/s.json:1:",),
    ),
    Case(
        "explain_grant_operations_string",
        ["explain", "{tmp}/s.json"],
        2,
        {
            "s.json": scenario(
                grants=[{"GrantId": "g", "GranteePrincipal": CALLER, "KeyId": KEY, "Operations": "Decrypt"}]
            )
        },
        ("{tmp}/s.json:1:", "`Operations`"),
    ),
    Case(
        "explain_expect_invalid",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": scenario(expect="MAYBE")},
        ("{tmp}/s.json:1:", "`expect`"),
    ),
    Case(
        "explain_truncated",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": '{"key_policy": {'},
        ("{tmp}/s.json:1:", "truncated"),
    ),
    Case("explain_top_level_list", ["explain", "{tmp}/s.json"], 2, {"s.json": "[1]"}, ("{tmp}/s.json",)),
    Case("explain_folder", ["explain", "{tmp}/d"], 2, {"d/s.json": scenario()}, ("{tmp}/d", "folder")),
    Case("explain_missing", ["explain", "{tmp}/nope.yaml"], 2, expect=("{tmp}/nope.yaml", "does not exist")),
    Case(
        "explain_bom_scenario",
        ["explain", "{tmp}/s.json"],
        0,
        {"s.json": b"\xef\xbb\xbf" + scenario().encode()},
    ),
    Case(
        "explain_null_scenario",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": "null"},
        ("{tmp}/s.json",),
    ),
    Case(
        "explain_empty_requests",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": json.dumps({"key_policy": DELEGATE, "requests": []})},
        ("{tmp}/s.json", "`requests`"),
    ),
    Case(
        "explain_huge_int_scenario",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": '{"description": ' + HUGE + "}"},
        ("{tmp}/s.json",),
    ),
    Case(
        "explain_name_wrong_type",
        ["explain", "{tmp}/s.json"],
        2,
        {"s.json": scenario(name={"a": 1})},
        ("{tmp}/s.json:1:", "`name`"),
    ),
    Case(
        "explain_scenario_stdin",
        ["explain", "-"],
        0,
        stdin=scenario(),
        expect=("DENIED",),
    ),
    # ---- explain: flags and query ---------------------------------------------------------------
    Case(
        "explain_flags_context_without_equals",
        ["explain", "--key-policy", LEAST, *REQUEST, "--context", "novalue"],
        2,
        expect=("`novalue`",),
    ),
    Case(
        "explain_flags_missing_action",
        ["explain", "--key-policy", LEAST, "--principal", CALLER],
        2,
        expect=("--action",),
    ),
    Case(
        "explain_flags_key_policy_missing",
        ["explain", "--key-policy", "{tmp}/nope.json", *REQUEST],
        2,
        expect=("{tmp}/nope.json", "does not exist"),
    ),
    Case(
        "explain_flags_key_policy_null",
        ["explain", "--key-policy", "{tmp}/p.json", *REQUEST],
        2,
        {"p.json": "null"},
        ("{tmp}/p.json",),
    ),
    Case(
        "explain_flags_key_policy_truncated",
        ["explain", "--key-policy", "{tmp}/p.json", *REQUEST],
        2,
        {"p.json": '{"Statement": ['},
        ("{tmp}/p.json:1:", "truncated"),
    ),
    Case(
        "explain_flags_grants_not_list_grants",
        ["explain", "--key-policy", LEAST, "--grants", "{tmp}/g.json", *REQUEST],
        2,
        {"g.json": '{"Grants": [5]}'},
        ("{tmp}/g.json:1:",),
    ),
    Case(
        "explain_flags_key_policy_stdin",
        ["explain", "--key-policy", "-", *REQUEST],
        0,
        stdin=Path(LEAST).read_text(),
    ),
    Case(
        "explain_bad_format",
        ["explain", "--key-policy", LEAST, *REQUEST, "--format", "nope"],
        2,
        expect=("nope",),
    ),
    Case(
        "explain_query_empty",
        ["explain", "--key-policy", LEAST, "--query", ""],
        2,
        expect=("--query", "column"),
    ),
    Case(
        "explain_query_bad_principal",
        ["explain", "--key-policy", LEAST, "--query", f"can notarn kms:Decrypt {KEY}"],
        2,
        expect=("`notarn`",),
    ),
    Case(
        "explain_query_unterminated_quote",
        ["explain", "--key-policy", LEAST, "--query", f'can {CALLER} kms:Decrypt {KEY} with a="x'],
        2,
        expect=("column",),
    ),
    Case(
        "explain_flags_principal_not_an_arn",
        [
            "explain",
            "--key-policy",
            LEAST,
            "--principal",
            "notanarn",
            "--action",
            "kms:Decrypt",
            "--resource",
            KEY,
        ],
        2,
        expect=("`notanarn`",),
    ),
    Case(
        "explain_flags_unknown_action",
        ["explain", "--key-policy", LEAST, "--principal", CALLER, "--action", "kms:Nope", "--resource", KEY],
        2,
        expect=("kms:Nope",),
    ),
    Case(
        "explain_query_unknown_action",
        ["explain", "--key-policy", LEAST, "--query", f"can {CALLER} kms:Nope {KEY}"],
        2,
        expect=("kms:Nope",),
    ),
    Case(
        "explain_query_and_request_flags",
        [
            "explain",
            "--key-policy",
            LEAST,
            "--query",
            f"can {CALLER} kms:Decrypt {KEY}",
            "--principal",
            "arn:aws:iam::111122223333:user/other",
        ],
        2,
        expect=("--principal",),
    ),
    Case(
        "explain_scenario_and_request_flags",
        ["explain", "{tmp}/s.json", "--principal", "arn:aws:iam::111122223333:user/other"],
        2,
        {"s.json": scenario()},
        ("--principal",),
    ),
    Case(
        "explain_key_policy_folder",
        ["explain", "--key-policy", "{tmp}/kp", *REQUEST],
        2,
        {
            "kp/a.json": (SAMPLES / "policies" / "key-policy-public.json").read_text(),
            "kp/b.json": Path(LEAST).read_text(),
        },
        ("{tmp}/kp",),
    ),
    # ---- test -----------------------------------------------------------------------------------
    Case("test_missing", ["test", "{tmp}/nope"], 2, expect=("{tmp}/nope",)),
    Case("test_truncated", ["test", "{tmp}/s.json"], 2, {"s.json": '{"key_policy": {'}, ("{tmp}/s.json:1:",)),
    Case("test_bad_format", ["test", "{tmp}", "--format", "nope"], 2, expect=("nope",)),
    Case(
        "test_null_scenario",
        ["test", "{tmp}/s.json"],
        2,
        {"s.json": "null"},
        ("{tmp}/s.json",),
    ),
    Case(
        "test_huge_int_scenario",
        ["test", "{tmp}/s.json"],
        2,
        {"s.json": '{"description": ' + HUGE + "}"},
        ("{tmp}/s.json",),
    ),
    Case(
        "test_folder_without_scenarios",
        ["test", "{tmp}/d"],
        2,
        {"d/notes.txt": "x"},
        ("{tmp}/d",),
    ),
    Case(
        "test_upper_case_extension",
        ["test", "{tmp}/d"],
        1,
        {"d/s.YAML": scenario(expect="ALLOW")},
        ("s.YAML",),
    ),
    # ---- simulate -------------------------------------------------------------------------------
    Case(
        "simulate_truncated",
        ["simulate", "{tmp}/s.json"],
        2,
        {"s.json": '{"key_policy": {'},
        ("{tmp}/s.json:1:",),
    ),
    Case(
        "simulate_unparseable_resource",
        ["simulate", "{tmp}/s.json"],
        2,
        {"s.json": scenario(request={"principal": CALLER, "action": "kms:Decrypt", "resource": "garbage"})},
        ("{tmp}/s.json", "`garbage`"),
    ),
    Case(
        "simulate_huge_int_scenario",
        ["simulate", "{tmp}/s.json"],
        2,
        {"s.json": '{"description": ' + HUGE + "}"},
        ("{tmp}/s.json",),
    ),
    Case(
        "simulate_null_scenario",
        ["simulate", "{tmp}/s.json"],
        2,
        {"s.json": "null"},
        ("{tmp}/s.json",),
    ),
    # ---- rules ----------------------------------------------------------------------------------
    Case("rules_unknown", ["rules", "KMS999"], 2, expect=("`KMS999`",)),
    Case("rules_empty_name", ["rules", ""], 2, expect=("no rule",)),
    Case("rules_bad_format", ["rules", "--format", "nope"], 2, expect=("nope",)),
    # ---- access / paths / diff ------------------------------------------------------------------
    Case("access_missing", ["access", "{tmp}/nope"], 2, expect=("{tmp}/nope", "does not exist")),
    Case("access_truncated", ["access", "{tmp}/p.json"], 2, {"p.json": "{"}, ("{tmp}/p.json:1:",)),
    Case("access_bad_format", ["access", LEAST, "--format", "nope"], 2, expect=("nope",)),
    Case("access_unknown_key", ["access", LEAST, "--key", "alias/nope"], 2, expect=("`alias/nope`",)),
    Case("access_output_is_folder", ["access", LEAST, "--output", "{tmp}"], 2, expect=("{tmp}",)),
    Case(
        "access_null_file",
        ["access", "{tmp}/p.json"],
        2,
        {"p.json": "null"},
        ("{tmp}/p.json",),
    ),
    Case(
        "access_empty_folder",
        ["access", "{tmp}/d"],
        2,
        {"d/.keep": ""},
        ("{tmp}/d",),
    ),
    Case(
        "access_unknown_action",
        ["access", LEAST, "--action", "kms:Nope"],
        2,
        expect=("kms:Nope",),
    ),
    Case(
        "access_account_not_an_account_id",
        ["access", LEAST, "--account", "abc"],
        2,
        expect=("`abc`",),
    ),
    Case(
        "paths_unknown_principal",
        ["paths", LEAST, "--from", "Nobody", "--to", "policy-under-review"],
        2,
        expect=("`Nobody`",),
    ),
    Case(
        "paths_unknown_action",
        ["paths", str(ACCOUNT), "--from", "CiDeployer", "--to", "alias/app-data", "--action", "kms:Nope"],
        2,
        expect=("kms:Nope",),
    ),
    Case(
        "diff_truncated_new",
        ["diff", LEAST, "{tmp}/p.json"],
        2,
        {"p.json": '{"Statement": ['},
        ("{tmp}/p.json:1:", "truncated"),
    ),
    Case("diff_missing_old", ["diff", "{tmp}/nope.json", LEAST], 2, expect=("{tmp}/nope.json",)),
    Case("diff_bad_format", ["diff", LEAST, LEAST, "--format", "nope"], 2, expect=("nope",)),
    Case(
        "diff_null_new",
        ["diff", LEAST, "{tmp}/p.json"],
        2,
        {"p.json": "null"},
        ("{tmp}/p.json",),
    ),
    Case(
        "diff_different_kinds",
        ["diff", LEAST, str(ACCOUNT)],
        2,
        expect=("kind",),
    ),
    Case(
        "diff_account_not_an_account_id",
        ["diff", LEAST, LEAST, "--account", "abc"],
        2,
        expect=("`abc`",),
    ),
    # ---- account snapshots ----------------------------------------------------------------------
    Case(
        "snapshot_intact",
        ["access", "{tmp}/snap", "--key", "alias/app-data", "--action", "kms:Decrypt"],
        0,
        expect=("CiDeployer",),
    ),
    Case(
        "snapshot_iam_list",
        ["lint", "{tmp}/snap"],
        2,
        {"snap/iam.json": "[1, 2]"},
        ("{tmp}/snap/iam.json:1:",),
    ),
    Case(
        "snapshot_iam_truncated",
        ["access", "{tmp}/snap"],
        2,
        {"snap/iam.json": '{"UserDetailList": ['},
        ("{tmp}/snap/iam.json:1:", "truncated"),
    ),
    Case(
        "snapshot_rotation_list",
        ["lint", "{tmp}/snap"],
        2,
        {f"{KEY_DIR}/rotation.json": "[true]"},
        ("rotation.json:1:", "`KeyRotationEnabled`"),
    ),
    Case(
        "snapshot_rotation_string",
        ["lint", "{tmp}/snap"],
        2,
        {f"{KEY_DIR}/rotation.json": '{"KeyRotationEnabled": "yes"}'},
        ("rotation.json:1:",),
    ),
    Case(
        "snapshot_key_policy_garbled",
        ["lint", "{tmp}/snap"],
        2,
        {f"{KEY_DIR}/key-policy.json": '{"Policy": "{x"}'},
        ("key-policy.json:1:",),
    ),
    Case(
        "snapshot_scp_policy_garbled_string",
        ["access", "{tmp}/snap"],
        2,
        {
            "snap/organizations/scps.json": json.dumps(
                [{"name": "x", "target": "r-a1b2", "policy": "{garbled"}]
            )
        },
        ("scps.json:1:",),
    ),
    Case(
        "snapshot_scps_object",
        ["lint", "{tmp}/snap"],
        2,
        {"snap/organizations/scps.json": '{"a": 1}'},
        ("scps.json:1:",),
    ),
    Case(
        "snapshot_stray_file_reported",
        ["lint", "{tmp}/snap"],
        1,
        {f"{KEY_DIR}/unknown.json": '{"x": 1}'},
        ("unknown.json", "not part of the snapshot layout"),
    ),
    Case(
        "snapshot_iam_null",
        ["lint", "{tmp}/snap"],
        2,
        {"snap/iam.json": "null"},
        ("{tmp}/snap/iam.json",),
    ),
    Case(
        "snapshot_iam_null_access",
        ["access", "{tmp}/snap"],
        2,
        {"snap/iam.json": "null"},
        ("iam.json",),
    ),
    Case(
        "snapshot_role_list_object",
        ["lint", "{tmp}/snap"],
        2,
        {"snap/iam.json": '{"RoleDetailList": {"a": 1}}'},
        ("iam.json", "`RoleDetailList`"),
    ),
    Case(
        "snapshot_iam_missing",
        ["lint", "{tmp}/snap"],
        (1, 2),
        expect=("iam.json",),
        remove=("snap/iam.json",),
    ),
    Case(
        "snapshot_key_folder_empty",
        ["lint", "{tmp}/snap"],
        (1, 2),
        {"snap/kms/us-east-1/deadbeef-0000-0000-0000-000000000000/.keep": ""},
        ("deadbeef-0000-0000-0000-000000000000",),
    ),
    Case(
        "snapshot_key_policy_missing",
        ["lint", "{tmp}/snap"],
        (1, 2),
        {f"{NEW_KEY_DIR}/grants.json": '{"Grants": []}'},
        (NEW_KEY_ID, "key-policy.json"),
        same_line=True,
    ),
    Case(
        "snapshot_describe_key_missing",
        ["lint", "{tmp}/snap"],
        (1, 2),
        {
            f"{NEW_KEY_DIR}/key-policy.json": (
                ACCOUNT / KEY_DIR.removeprefix("snap/") / "key-policy.json"
            ).read_text()
        },
        (NEW_KEY_ID, "describe-key.json"),
        same_line=True,
    ),
    Case(
        "snapshot_tags_wrong_shape",
        ["lint", "{tmp}/snap"],
        2,
        {f"{KEY_DIR}/tags.json": '{"Tags": 5}'},
        ("tags.json",),
    ),
    # ---- CloudFormation -------------------------------------------------------------------------
    Case(
        "cfn_nested_intrinsics",
        ["lint", "{tmp}/t.yaml"],
        1,
        {
            "t.yaml": template(
                "!Sub ['arn:aws:iam::${A}:root', {A: !Select [0, !Split [',', '111122223333,x']]}]"
            )
        },
    ),
    Case("cfn_getazs", ["lint", "{tmp}/t.yaml"], 1, {"t.yaml": template("!Select [0, !GetAZs '']")}),
    Case(
        "cfn_deeply_nested_join",
        ["lint", "{tmp}/t.yaml"],
        1,
        {"t.yaml": template("!Join ['', [" * 60 + "'x'" + "]]" * 60)},
    ),
    Case(
        "cfn_unknown_tag",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": template("!Nope x")},
        ("{tmp}/t.yaml:12:", "`!Nope`"),
    ),
    Case(
        "cfn_resources_list",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources: [1]\n'},
        ("{tmp}/t.yaml:2:", "`Resources`"),
    ),
    Case(
        "cfn_key_policy_garbled_string",
        ["lint", "{tmp}/t.yaml"],
        2,
        {
            "t.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  K:\n    Type: AWS::KMS::Key\n'
            "    Properties:\n      KeyPolicy: '{garbled'\n"
        },
        ("{tmp}/t.yaml:6:", "invalid JSON"),
    ),
    Case(
        "cfn_select_out_of_range",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": template("!Select [5, ['a', 'b']]")},
        ("{tmp}/t.yaml:12:", "Select"),
    ),
    Case(
        "cfn_select_negative",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": template("!Select [-1, ['a', 'b']]")},
        ("{tmp}/t.yaml:12:", "Select"),
    ),
    Case(
        "cfn_if_missing_condition",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": template("!If [NoSuchCond, '*', 'arn:aws:iam::111122223333:root']")},
        ("{tmp}/t.yaml:12:", "NoSuchCond"),
    ),
    Case(
        "cfn_circular_conditions",
        ["lint", "{tmp}/t.yaml"],
        2,
        {
            "t.yaml": template(
                "!If [A, '*', 'arn:aws:iam::111122223333:root']",
                "Conditions:\n  A: !Condition B\n  B: !Condition A\n",
            )
        },
        ("{tmp}/t.yaml:", "circular"),
    ),
    Case(
        "cfn_ref_missing_parameter",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": template("!Ref NoSuchParam")},
        ("{tmp}/t.yaml:12:", "NoSuchParam"),
    ),
    Case(
        "cfn_getatt_missing_resource",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": template("!GetAtt NoSuch.Arn")},
        ("{tmp}/t.yaml:12:", "NoSuch"),
    ),
    Case(
        "cfn_sub_undefined_variable",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": template("!Sub 'arn:aws:iam::${Nope}:root'")},
        ("{tmp}/t.yaml:12:", "Nope"),
    ),
    Case(
        "cfn_unknown_function",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": template("{'Fn::Nope': [1, 2]}")},
        ("{tmp}/t.yaml:12:", "Fn::Nope"),
    ),
    Case(
        "cfn_findinmap_missing_map",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": template("!FindInMap [NoMap, a, b]")},
        ("{tmp}/t.yaml:12:", "NoMap"),
    ),
    Case(
        "cfn_join_not_a_list",
        ["lint", "{tmp}/t.yaml"],
        2,
        {"t.yaml": template("!Join [',', 'notalist']")},
        ("{tmp}/t.yaml:12:", "Join"),
    ),
    Case(
        "cfn_role_without_trust_policy",
        ["lint", "{tmp}/t.yaml"],
        2,
        {
            "t.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  R:\n    Type: AWS::IAM::Role\n'
            "    Properties: {}\n"
        },
        ("{tmp}/t.yaml:", "AssumeRolePolicyDocument"),
    ),
    # ---- Terraform plans ------------------------------------------------------------------------
    Case(
        "tf_policy_garbled_string",
        ["lint", "{tmp}/plan.json"],
        2,
        {"plan.json": plan(_first_policy_value("{x"))},
        ("{tmp}/plan.json:1:", "invalid JSON"),
    ),
    Case(
        "tf_missing_planned_values",
        ["lint", "{tmp}/plan.json"],
        2,
        {"plan.json": plan(lambda d: d.pop("planned_values"))},
        ("{tmp}/plan.json", "`planned_values`"),
    ),
    Case(
        "tf_missing_resource_changes",
        ["lint", "{tmp}/plan.json"],
        2,
        {"plan.json": plan(lambda d: d.pop("resource_changes"))},
        ("{tmp}/plan.json", "`resource_changes`"),
    ),
    Case(
        "tf_planned_values_list",
        ["lint", "{tmp}/plan.json"],
        2,
        {"plan.json": plan(lambda d: d.__setitem__("planned_values", [1]))},
        ("{tmp}/plan.json:1:", "planned_values"),
    ),
    Case(
        "tf_resource_changes_object",
        ["lint", "{tmp}/plan.json"],
        2,
        {"plan.json": plan(lambda d: d.__setitem__("resource_changes", {"a": 1}))},
        ("{tmp}/plan.json:1:", "resource_changes"),
    ),
    Case(
        "tf_policy_number",
        ["lint", "{tmp}/plan.json"],
        2,
        {"plan.json": plan(_first_policy_value(5))},
        ("{tmp}/plan.json:1:", "policy"),
    ),
]


def _prepare(case: Case, tmp: Path) -> None:
    if any(name.startswith("snap/") for name in [*case.files, *case.remove]) or "{tmp}/snap" in case.args:
        shutil.copytree(ACCOUNT, tmp / "snap")
    for name, content in case.files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    for name in case.remove:
        (tmp / name).unlink()


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input_is_reported(case: Case, tmp_path: Path) -> None:
    _prepare(case, tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    result = runner.invoke(app, args, input=case.stdin)
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    output = result.stdout + result.stderr
    assert escaped is None, f"{type(escaped).__name__}: {escaped}"
    assert "Traceback" not in output
    codes = case.code if isinstance(case.code, tuple) else (case.code,)
    assert result.exit_code in codes, output[-2000:]
    expected = [text.replace("{tmp}", str(tmp_path)) for text in case.expect]
    for text in expected:
        assert text in output, output[-2000:]
    if case.same_line:
        assert any(all(text in line for text in expected) for line in output.splitlines()), output[-2000:]
    for text in case.forbid:
        assert text not in output, output[-2000:]


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
