"""The scenario file format: what it builds, and the positioned findings for what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmspolicy.model import Decision, PolicyKind, StatementRef
from kmspolicy.parse.source import SourceSet
from kmspolicy.scenario import Scenario, check, describe_ref, load_scenarios

K1 = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE_SESSION = "arn:aws:sts::111122223333:assumed-role/AppRole/s1"


def _load(tmp_path: Path, text: str, name: str = "case.yaml") -> tuple[list[Scenario], list[str], SourceSet]:
    path = tmp_path / name
    path.write_text(text.lstrip())
    sources = SourceSet()
    scenarios, findings = load_scenarios(path, sources)
    where = [
        f"{f.location.line}:{f.location.column} {f.message}" if f.location else f"?:? {f.message}"
        for f in findings
    ]
    return scenarios, where, sources


ALLOW_ALL = '{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}'
FULL = f"""
name: full
description: every world field
key:
  KeyManager: AWS
  Tags: {{project: alpha}}
  Aliases: [alias/aws/s3]
key_policy:
  Version: "2012-10-17"
  Statement:
    - {{Sid: Delegate, Effect: Allow, Principal: {{AWS: "111122223333"}}, Action: "kms:*", Resource: "*"}}
identity_policies:
  - {ALLOW_ALL}
  - name: named
    policy: {ALLOW_ALL}
permission_boundary: {ALLOW_ALL}
session_policies: [{ALLOW_ALL}]
scps: [{ALLOW_ALL}]
rcps:
  - name: r-ab12
    policies:
      - Version: "2012-10-17"
        Statement: [{{Effect: Allow, Principal: "*", Action: "*", Resource: "*"}}]
  - name: "111122223333"
    policies: []
grants:
  - GrantId: g1
    GranteePrincipal: arn:aws:iam::111122223333:role/AppRole
    Operations: [Decrypt]
    GrantToken: T1
caller: {{tags: {{team: blue}}, org_id: o-a1b2c3d4e5, org_paths: [o-a1b2c3d4e5/r-ab12/]}}
request:
  principal: {ROLE_SESSION}
  action: kms:Decrypt
  resource: {K1}
  context:
    kms:EncryptionContext:app: web
    aws:SecureTransport: true
    aws:MultiFactorAuthAge: 30
    k: [a, b]
  grant_tokens: [T1]
expect: ALLOW
expect_determining: [{{layer: grant, grant_id: g1}}]
"""


def test_builds_situation_and_request(tmp_path: Path) -> None:
    scenarios, findings, sources = _load(tmp_path, FULL)
    assert findings == []
    (scenario,) = scenarios
    situation = scenario.situation
    key, key_policy, boundary = situation.key, situation.key_policy, situation.permission_boundary
    assert key is not None
    assert key_policy is not None
    assert boundary is not None
    assert (scenario.name, scenario.description) == ("full", "every world field")
    assert (key.arn, key.key_id, key.account) == (K1, K1.rsplit("/", 1)[1], "111122223333")
    assert (key.key_manager, key.tags, key.aliases) == ("AWS", {"project": "alpha"}, ("alias/aws/s3",))
    assert (key_policy.kind, key.policy) == (PolicyKind.KEY, key_policy)
    assert [p.kind for p in situation.identity_policies] == [PolicyKind.IDENTITY] * 2
    assert situation.identity_policies[1].name == "named"
    assert boundary.kind is PolicyKind.BOUNDARY
    assert [p.kind for p in situation.session_policies] == [PolicyKind.SESSION]
    assert [level.name for level in situation.scps or ()] == ["root"]
    assert [(lv.name, len(lv.policies)) for lv in situation.rcps or ()] == [
        ("r-ab12", 1),
        ("111122223333", 0),
    ]
    (grant,) = situation.grants
    assert (grant.key_id, grant.token, grant.operations) == (K1, "T1", ("Decrypt",))
    assert (situation.caller_tags, situation.caller_org_id) == ({"team": "blue"}, "o-a1b2c3d4e5")
    assert situation.caller_org_paths == ("o-a1b2c3d4e5/r-ab12/",)
    assert scenario.request.context == {
        "kms:EncryptionContext:app": "web",
        "aws:SecureTransport": "true",
        "aws:MultiFactorAuthAge": "30",
        "k": ("a", "b"),
    }
    assert scenario.request.grant_tokens == ("T1",)
    assert scenario.expect == "ALLOW"
    assert scenario.expect_determining == (StatementRef(layer="grant", grant_id="g1"),)
    # spans point into the scenario file, so reports can show code frames from it
    where = sources.locate(key_policy.statements[0].span)
    assert where is not None
    assert (where.line, where.column) == (10, 7)


OVERRIDE = f"""
key_policy:
  Version: "2012-10-17"
  Statement: [{{Sid: A, Effect: Allow, Principal: "*", Action: "kms:*", Resource: "*"}}]
requests:
  - {{principal: {ROLE_SESSION}, action: kms:Decrypt, resource: {K1}, expect: ALLOW}}
  - name: other-key-policy
    principal: {ROLE_SESSION}
    action: kms:Decrypt
    resource: {K1}
    key_policy:
      Version: "2012-10-17"
      Statement: [{{Sid: B, Effect: Deny, Principal: "*", Action: "kms:*", Resource: "*"}}]
    expect: EXPLICIT_DENY
    expect_determining: [{{layer: key_policy, sid: B}}]
"""


def test_requests_share_a_world_and_may_override_it(tmp_path: Path) -> None:
    scenarios, findings, sources = _load(tmp_path, OVERRIDE)
    assert findings == []
    first, second = scenarios
    first_policy, second_policy = first.situation.key_policy, second.situation.key_policy
    assert first_policy is not None
    assert second_policy is not None
    assert (first.name, second.name) == ("case[a]", "case[other-key-policy]")
    assert (first_policy.statements[0].sid, second_policy.statements[0].sid) == ("A", "B")
    assert second_policy.span.pointer == "/requests/1/key_policy"
    assert (first.span.pointer, second.span.pointer) == ("/requests/0", "/requests/1")
    assert second.expect_determining == (StatementRef(layer="key_policy", sid="B"),)
    where = sources.locate(second_policy.statements[0].span)
    assert where is not None
    assert where.line == 12


def test_json_scenarios(tmp_path: Path) -> None:
    scenarios, findings, _ = _load(
        tmp_path,
        f'{{"request": {{"principal": "{ROLE_SESSION}", "action": "kms:ListKeys"}},\n'
        '"expect": "IMPLICIT_DENY"}',
        name="case.json",
    )
    assert findings == []
    (scenario,) = scenarios
    assert (scenario.request.resource, scenario.situation.key) == ("*", None)
    assert (scenario.expect, scenario.expect_determining) == ("IMPLICIT_DENY", None)


# Findings point at the offending field's value: positions are kept for values, keyed by JSON pointer.
REFUSED = [
    (
        "unknown top-level field",
        "request: {principal: p, action: a}\nexpct: ALLOW\n",
        ["2:8 unknown field `expct` in a scenario"],
    ),
    (
        "unknown request field",
        "request:\n  principal: p\n  action: a\n  contxt: {}\n",
        ["4:11 unknown field `contxt` in `request`"],
    ),
    (
        "unknown key field",
        f"key: {{Arn: {K1}, Colour: red}}\nrequest: {{principal: p, action: a}}\n",
        [f"1:{len('key: {Arn: ' + K1 + ', Colour: ') + 1} unknown field `Colour` in key metadata"],
    ),
    (
        "unknown caller field",
        "caller: {tag: {a: b}}\nrequest: {principal: p, action: a}\n",
        ["1:15 unknown field `tag` in `caller`"],
    ),
    (
        "unknown ref field",
        "request: {principal: p, action: a}\nexpect_determining: [{layer: grant, grant: g1}]\n",
        ["2:44 unknown field `grant` in a determining statement"],
    ),
    (
        "unknown layer",
        "request: {principal: p, action: a}\nexpect_determining: [{layer: keypolicy}]\n",
        ["2:30 `layer` must be one of"],
    ),
    ("bad expect", "request: {principal: p, action: a}\nexpect: DENY\n", ["2:9 `expect` must be one of"]),
    ("no request", "expect: ALLOW\n", ["1:1 a scenario needs a `request` or `requests`"]),
    ("no action", "request: {principal: p}\n", ["1:10 the request has no `action`"]),
    (
        "both request forms",
        "request: {principal: p, action: a}\nrequests: []\n",
        ["2:11 give either `request` or `requests`, not both"],
    ),
    (
        "unknown field in a requests entry",
        "requests:\n  - {principal: p, action: a, expected: ALLOW}\n",
        ["2:41 unknown field `expected` in a request"],
    ),
    (
        "alias request without key arn",
        "key: {KeyManager: AWS}\n"
        "request: {principal: p, action: a, resource: 'arn:aws:kms:us-east-1:1:alias/x'}\n",
        ["1:6 `key` needs an `Arn`"],
    ),
    (
        "bad context value",
        "request: {principal: p, action: a, context: {k: {nested: map}}}\n",
        ["1:49 a context value must be a string or a list of strings"],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(text, expected) for _, text, expected in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_refuses_with_position(tmp_path: Path, text: str, expected: list[str]) -> None:
    _, findings, _ = _load(tmp_path, text)
    assert len(findings) >= len(expected), findings
    for want in expected:
        assert any(found.startswith(want) for found in findings), (want, findings)


def test_policy_problems_come_from_the_policy_reader(tmp_path: Path) -> None:
    _, findings, _ = _load(
        tmp_path,
        'key_policy:\n  Version: "2012-10-17"\n'
        '  Statement: [{Effect: Allow, Principal: "*", Action: "kms:*", Resource: "*", Conditoin: {}}]\n'
        "request: {principal: p, action: a}\n",
    )
    assert next(found for found in findings if "Conditoin" in found).startswith("3:"), findings


def _scenario(tmp_path: Path, determining: str) -> Scenario:
    scenarios, findings, _ = _load(
        tmp_path, f"request: {{principal: p, action: a}}\nexpect: ALLOW\nexpect_determining: {determining}\n"
    )
    assert findings == []
    return scenarios[0]


def test_check_agreement_and_mismatches(tmp_path: Path) -> None:
    delegate = StatementRef(layer="key_policy", policy="kp", sid="Delegate", index=0)
    identity = StatementRef(layer="identity", policy="app", index=0)
    allow = Decision(effect="ALLOW", reason="allowed", determining=(delegate, identity))
    scenario = _scenario(
        tmp_path, "[{layer: key_policy, sid: Delegate}, {layer: identity, policy: app, index: 0}]"
    )
    assert check(scenario, allow) == []

    denied = Decision(effect="IMPLICIT_DENY", reason="no identity-based policy allows `kms:Decrypt`")
    assert check(scenario, denied) == [
        "expected `ALLOW`, got `IMPLICIT_DENY` (no identity-based policy allows `kms:Decrypt`)",
        "expected determining key policy statement `Delegate`, not among the determining statements",
        "expected determining identity policy `app` statement 0, not among the determining statements",
    ]
    only_key_policy = _scenario(tmp_path, "[{layer: key_policy, sid: Delegate}]")
    assert check(only_key_policy, allow) == ["unexpected determining identity policy `app` statement 0"]
    unchecked = _scenario(tmp_path, "null").model_copy(update={"expect_determining": None})
    assert check(unchecked, allow) == []


def test_describe_ref() -> None:
    assert describe_ref(StatementRef(layer="key_policy", policy="f#/key_policy", sid="AppUse")) == (
        "key policy statement `AppUse`"
    )
    assert (
        describe_ref(StatementRef(layer="identity", policy="app", index=2))
        == "identity policy `app` statement 2"
    )
    assert describe_ref(StatementRef(layer="grant", grant_id="g1")) == "grant `g1`"
    assert describe_ref(StatementRef(layer="scp", sid="Deny")) == "SCP statement `Deny`"


def test_unreadable_files_are_findings(tmp_path: Path) -> None:
    _, broken_yaml, _ = _load(tmp_path, "request: {principal: p, action: [a\n")
    assert broken_yaml
    assert broken_yaml[0].startswith("2:")
    assert "invalid YAML" in broken_yaml[0]
    scenarios, findings = load_scenarios(tmp_path / "missing.yaml", SourceSet())
    assert scenarios == []
    assert [f.message for f in findings] == [f"`{tmp_path / 'missing.yaml'}` does not exist"]


def test_shared_world_is_read_once(tmp_path: Path) -> None:
    scenarios, findings, _ = _load(
        tmp_path,
        'key_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Action: "kms:*", '
        'Resource: "*", Sids: x}]}\n'
        "requests:\n"
        f"  - {{principal: {ROLE_SESSION}, action: kms:Decrypt, resource: {K1}}}\n"
        f"  - {{principal: {ROLE_SESSION}, action: kms:Encrypt, resource: {K1}}}\n",
    )
    assert len([found for found in findings if "Sids" in found]) == 1
    first, second = (scenario.situation.key_policy for scenario in scenarios)
    assert first is second
