"""The evaluator against the reference's 42 worked examples (§7) and the best readings of §1.10 / §9."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kmspolicy.evaluate import (
    Evaluator,
    Subject,
    Target,
    evaluate,
    evaluate_grid,
    parse_caller,
    statement_matches,
)
from kmspolicy.model import (
    Decision,
    Grant,
    GrantConstraints,
    Item,
    Key,
    Policy,
    PolicyKind,
    PolicyLevel,
    Request,
    Situation,
    Span,
    Statement,
    StatementRef,
    Unknown,
)
from kmspolicy.parse.context import ReadContext
from kmspolicy.parse.policy import read_policy
from kmspolicy.parse.source import SourceSet

CASES = Path(__file__).parent / "evaluate_cases"
K1 = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
APP = "arn:aws:sts::111122223333:assumed-role/AppRole/s1"
SPAN = Span(file="test")


def policy(
    statements: list[dict[str, Any]], kind: PolicyKind, name: str, version: str = "2012-10-17"
) -> Policy:
    ctx = ReadContext(file=name, sources=SourceSet())
    read = read_policy({"Version": version, "Statement": statements}, ctx, "", kind=kind, name=name)
    assert read is not None
    assert not [f for f in ctx.findings if f.severity.value == "error"], ctx.findings
    return read


def grant(spec: dict[str, Any]) -> Grant:
    constraints = None
    if "equals" in spec or "subset" in spec or "source_arn" in spec:
        constraints = GrantConstraints(
            encryption_context_equals=spec.get("equals"),
            encryption_context_subset=spec.get("subset"),
            source_arn=spec.get("source_arn"),
        )
    return Grant(
        key_id=K1,
        grant_id=spec["grant_id"],
        grantee_principal=spec["grantee"],
        retiring_principal=spec.get("retiring"),
        issuing_account=spec.get("issuing"),
        operations=tuple(spec["operations"]),
        constraints=constraints,
        creation_date=spec.get("creation_date"),
        token=spec.get("token"),
        span=SPAN,
    )


def situation(world: dict[str, Any]) -> Situation:
    key_fields: dict[str, Any] = {
        "arn": K1,
        "key_id": K1.rsplit("/", 1)[1],
        "account": "111122223333",
        "region": "us-east-1",
        **world.get("key", {}),
    }
    key_fields["aliases"] = tuple(key_fields.get("aliases", ()))

    def levels(kind: PolicyKind, name: str) -> tuple[PolicyLevel, ...] | None:
        if name not in world:
            return None
        return tuple(
            PolicyLevel(name=f"level{i}", policies=(policy(stmts, kind, f"{name}{i}"),))
            for i, stmts in enumerate(world[name])
        )

    return Situation(
        key=Key(**key_fields),
        key_policy=policy(world["key_policy"], PolicyKind.KEY, "key") if "key_policy" in world else None,
        identity_policies=(policy(world["identity"], PolicyKind.IDENTITY, "iam"),)
        if world.get("identity")
        else (),
        permission_boundary=policy(world["boundary"], PolicyKind.BOUNDARY, "boundary")
        if "boundary" in world
        else None,
        session_policies=(policy(world["session"], PolicyKind.SESSION, "session"),)
        if "session" in world
        else (),
        scps=levels(PolicyKind.SCP, "scps"),
        rcps=levels(PolicyKind.RCP, "rcps"),
        grants=tuple(grant(g) for g in world.get("grants", ())),
        caller_org_id=world.get("caller_org_id"),
        caller_tags=world.get("caller_tags", {}),
    )


def ref_name(ref: StatementRef) -> str:
    if ref.layer == "grant":
        return f"grant:{ref.grant_id}"
    return f"{ref.layer}:{ref.sid}" if ref.sid is not None else f"{ref.layer}:#{ref.index}"


def load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            for i, spec in enumerate(case["requests"]):
                params.append(pytest.param(case["world"], spec, id=f"{case['name']}-{'abcdefgh'[i]}"))
    return params


@pytest.mark.parametrize(("world", "spec"), load_cases())
def test_worked_example(world: dict[str, Any], spec: dict[str, Any]) -> None:
    sit = situation({**world, **spec.get("world", {})})
    context = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.get("context", {}).items()}
    request = Request(
        principal=spec["principal"],
        action=spec["action"],
        resource=spec.get("resource", K1),
        context=context,
        grant_tokens=tuple(spec.get("grant_tokens", ())),
        grant_id=spec.get("grant_id"),
    )
    decision = evaluate(sit, request)
    assert decision.effect == spec["expect"], decision.reason
    if "determining" in spec:
        assert sorted(ref_name(r) for r in decision.determining) == sorted(spec["determining"])
    if "reason" in spec:
        assert decision.reason == spec["reason"]
    if decision.effect == "IMPLICIT_DENY":
        assert decision.determining == ()
    fast = evaluate(sit, request, trace=False)
    assert (fast.effect, fast.reason, fast.determining) == (
        decision.effect,
        decision.reason,
        decision.determining,
    )
    assert fast.trace == ()
    assert decision.trace, "a traced decision has steps"


# --------------------------------------------------------------------------- traces and nearest misses


DELEGATE = {
    "Sid": "Delegate",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "kms:*",
    "Resource": "*",
}


def decide(world: dict[str, Any], **request: Any) -> Decision:
    request.setdefault("principal", APP)
    request.setdefault("resource", K1)
    return evaluate(situation(world), Request(**request))


def test_trace_names_first_failed_element() -> None:
    via = {
        "Sid": "ViaS3",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/AppRole"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    }
    decision = decide({"key_policy": [DELEGATE, via]}, action="kms:Decrypt")
    step = next(s for s in decision.trace if s.ref is not None and s.ref.sid == "ViaS3")
    assert step.outcome == "no-match"
    assert step.element == "Condition"
    assert step.reason.startswith(
        "condition `kms:ViaService` StringEquals `s3.us-east-1.amazonaws.com`:"
        " request has no `kms:ViaService`"
    )
    assert [s.ref.sid for s in decision.nearest if s.ref is not None] == ["ViaS3"]


def test_nearest_ignores_statements_failing_twice() -> None:
    other = {
        "Sid": "Other",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/X"},
        "Action": "kms:Encrypt",
        "Resource": "*",
    }
    decision = decide({"key_policy": [other]}, action="kms:Decrypt")
    assert decision.effect == "IMPLICIT_DENY"
    assert decision.nearest == ()


# --------------------------------------------------------------------------- best readings (§1.10, §2.2, §9)


def test_root_user_allowed_by_account_statement() -> None:
    # §1.2, §9 q22: the account statement is a direct allow for the root user
    root = "arn:aws:iam::111122223333:root"
    assert decide({"key_policy": [DELEGATE]}, principal=root, action="kms:Decrypt").effect == "ALLOW"
    admin_only = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/KeyAdmin"},
        "Action": "kms:*",
        "Resource": "*",
    }
    assert (
        decide({"key_policy": [admin_only]}, principal=root, action="kms:Decrypt").effect == "IMPLICIT_DENY"
    )


def test_principal_star_is_not_limited_by_boundary() -> None:
    # §9 q25: "*" counts as naming the caller itself
    star = {"Sid": "Star", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    boundary = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    assert decide({"key_policy": [star], "boundary": boundary}, action="kms:Decrypt").effect == "ALLOW"


def test_session_policy_limits_role_principal() -> None:
    role = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/AppRole"},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    session = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    decision = decide({"key_policy": [role], "session": session}, action="kms:Decrypt")
    assert (decision.effect, decision.reason) == ("IMPLICIT_DENY", "no session policy allows `kms:Decrypt`")


def test_not_principal_never_exempts_a_caller_with_a_boundary() -> None:
    # §2.2 permissions-boundary rule
    deny = {
        "Sid": "D",
        "Effect": "Deny",
        "NotPrincipal": {
            "AWS": [APP, "arn:aws:iam::111122223333:role/AppRole", "arn:aws:iam::111122223333:root"]
        },
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    allow = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    world = {"key_policy": [DELEGATE, deny], "identity": [allow]}
    assert decide(world, action="kms:Decrypt").effect == "ALLOW"
    assert decide({**world, "boundary": [allow]}, action="kms:Decrypt").effect == "EXPLICIT_DENY"


def test_allow_with_not_principal_allows_nothing() -> None:
    allow = {
        "Effect": "Allow",
        "NotPrincipal": {"AWS": "arn:aws:iam::999999999999:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    assert decide({"key_policy": [allow]}, action="kms:Decrypt").effect == "IMPLICIT_DENY"


def test_key_policy_resource_other_than_star_is_matched_against_the_key() -> None:
    # §2.4, §9 q11
    own = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/AppRole"},
        "Action": "kms:Decrypt",
        "Resource": K1,
    }
    other = {**own, "Resource": K1.replace("1234abcd", "ffffffff")}
    assert decide({"key_policy": [own]}, action="kms:Decrypt").effect == "ALLOW"
    assert decide({"key_policy": [other]}, action="kms:Decrypt").effect == "IMPLICIT_DENY"


def test_iam_alias_resource_does_not_cover_the_key() -> None:
    # §1.9: an alias ARN in IAM Resource refers to the alias only
    alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/app"
    iam = [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": alias_arn}]
    world = {"key_policy": [DELEGATE], "identity": iam, "key": {"aliases": ["alias/app"]}}
    assert decide(world, action="kms:Decrypt", resource=alias_arn).effect == "IMPLICIT_DENY"
    alias_op = [{"Effect": "Allow", "Action": "kms:CreateAlias", "Resource": alias_arn}]
    assert (
        decide({**world, "identity": alias_op}, action="kms:CreateAlias", resource=alias_arn).effect
        == "ALLOW"
    )


def test_resource_aliases_and_resource_tags_are_iam_only() -> None:
    # §1.9: key policies never see aws:ResourceTag or kms:ResourceAliases
    cond = {"StringEquals": {"aws:ResourceTag/Team": "red"}}
    kp = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/AppRole"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": cond,
    }
    key = {"tags": {"team": "red"}, "aliases": ["alias/app"]}
    assert decide({"key_policy": [kp], "key": key}, action="kms:Decrypt").effect == "IMPLICIT_DENY"
    iam = [
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {**cond, "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/app"}},
        }
    ]
    assert (
        decide({"key_policy": [DELEGATE], "identity": iam, "key": key}, action="kms:Decrypt").effect
        == "ALLOW"
    )


def test_policy_variable_in_resource() -> None:
    iam = [
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "arn:aws:kms:us-east-1:111122223333:key/${aws:PrincipalTag/key}",
        }
    ]
    world = {"key_policy": [DELEGATE], "identity": iam}
    assert (
        decide({**world, "caller_tags": {"key": K1.rsplit("/", 1)[1]}}, action="kms:Decrypt").effect
        == "ALLOW"
    )
    # an unresolved variable makes the Resource match nothing (§2.6)
    assert decide(world, action="kms:Decrypt").effect == "IMPLICIT_DENY"


def test_scp_and_rcp_levels_each_need_an_allow() -> None:
    everything = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    s3_only = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    kp = {
        "Sid": "App",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/AppRole"},
        "Action": "kms:*",
        "Resource": "*",
    }
    world = {"key_policy": [kp]}
    assert decide({**world, "scps": [everything, s3_only]}, action="kms:Decrypt").reason == (
        "no service control policy allows `kms:Decrypt` at `level1`"
    )
    rcp_star = [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    rcp_s3 = [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]
    assert decide({**world, "rcps": [rcp_star, rcp_s3]}, action="kms:Decrypt").effect == "IMPLICIT_DENY"
    # RCPs do not apply to AWS managed keys nor to RetireGrant (§1.7)
    managed = {**world, "rcps": [rcp_s3], "key": {"key_manager": "AWS"}}
    assert decide(managed, action="kms:Decrypt").effect == "ALLOW"


def test_key_less_action_is_decided_by_identity() -> None:
    iam = [{"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"}]
    assert decide({"identity": iam}, action="kms:CreateKey", resource="*").effect == "ALLOW"
    assert (
        decide({}, action="kms:CreateKey", resource="*").reason
        == "no identity-based policy allows `kms:CreateKey`"
    )


@pytest.mark.parametrize(
    ("pattern", "region", "expected"),
    [
        ("arn:aws:kms:us-west-2:111122223333:*", "us-west-2", "ALLOW"),
        ("arn:aws:kms:us-west-2:111122223333:*", "eu-west-1", "IMPLICIT_DENY"),
        ("arn:aws:kms:*:111122223333:*", None, "ALLOW"),
        ("arn:aws:kms:*:444455556666:*", None, "IMPLICIT_DENY"),
        ("arn:aws:kms:*:111122223333:key/*", None, "IMPLICIT_DENY"),
    ],
)
def test_key_less_action_with_account_scoped_resource(
    pattern: str, region: str | None, expected: str
) -> None:
    # §2.4: CreateKey, ListKeys, ... need `*` or an account-scoped pattern
    iam = [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": pattern}]
    context = {"aws:RequestedRegion": region} if region else {}
    assert decide({"identity": iam}, action="kms:ListKeys", resource="*", context=context).effect == expected


def test_retire_grant_by_issuing_account_delegation_and_key_policy_is_ignored() -> None:
    g = {
        "grant_id": "g1",
        "grantee": "arn:aws:iam::111122223333:role/Analyst",
        "operations": ["Decrypt"],
        "issuing": "arn:aws:iam::111122223333:root",
    }
    retire_kp = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/AppRole"},
        "Action": "kms:RetireGrant",
        "Resource": "*",
    }
    world: dict[str, Any] = {"key_policy": [retire_kp], "grants": [g]}
    assert decide(world, action="kms:RetireGrant", grant_id="g1").effect == "IMPLICIT_DENY"
    iam = [{"Effect": "Allow", "Action": "kms:RetireGrant", "Resource": "*"}]
    assert decide({**world, "identity": iam}, action="kms:RetireGrant", grant_id="g1").effect == "ALLOW"
    grantee = {**g, "operations": ["Decrypt", "RetireGrant"]}
    analyst = "arn:aws:sts::111122223333:assumed-role/Analyst/x"
    assert (
        decide({"grants": [grantee]}, principal=analyst, action="kms:RetireGrant", grant_id="g1").effect
        == "ALLOW"
    )


def test_grant_to_an_account_stands_for_its_root_user_only() -> None:
    # §9 q2 (undocumented): read narrowly, as the simulator's authoriser does
    g = {"grant_id": "acct", "grantee": "arn:aws:iam::111122223333:root", "operations": ["Decrypt"]}
    iam = [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]
    assert decide({"grants": [g], "identity": iam}, action="kms:Decrypt").effect == "IMPLICIT_DENY"
    root = "arn:aws:iam::111122223333:root"
    assert decide({"grants": [g]}, principal=root, action="kms:Decrypt").effect == "ALLOW"


LOGS = "logs.us-east-1.amazonaws.com"
LOG_GROUP = "arn:aws:logs:us-east-1:111122223333:log-group:app"


@pytest.mark.parametrize(
    ("context", "reason"),
    [
        ({}, f"request has no `aws:SourceArn`, not the grant's `SourceArn` constraint `{LOG_GROUP}`"),
        (
            {"aws:SourceArn": LOG_GROUP + "-2"},
            f"request has `aws:SourceArn` `{LOG_GROUP}-2`,"
            f" not the grant's `SourceArn` constraint `{LOG_GROUP}`",
        ),
    ],
)
def test_source_arn_constraint_miss_is_traced_as_a_near_miss(context: dict[str, str], reason: str) -> None:
    # §1.5 best reading: a SourceArn-constrained grant applies only with that aws:SourceArn; the trace says
    # so on the grant's Constraints, as for encryption-context constraints, and it is the one element missing
    g = {"grant_id": "g1", "grantee": LOGS, "operations": ["Decrypt"], "source_arn": LOG_GROUP}
    decision = decide({"grants": [g]}, principal=LOGS, action="kms:Decrypt", context=context)
    assert decision.effect == "IMPLICIT_DENY"
    step = next(s for s in decision.trace if s.layer == "grant")
    assert (step.outcome, step.element, step.reason) == ("no-match", "Constraints", reason)
    assert [(s.layer, s.element, s.reason) for s in decision.nearest] == [("grant", "Constraints", reason)]
    allowed = decide(
        {"grants": [g]}, principal=LOGS, action="kms:Decrypt", context={"aws:SourceArn": LOG_GROUP}
    )
    assert (allowed.effect, [ref.grant_id for ref in allowed.determining]) == ("ALLOW", ["g1"])


def test_service_principal_grant_trace_says_it_is_not_for_roles() -> None:
    g = {"grant_id": "g1", "grantee": LOGS, "operations": ["Decrypt"], "source_arn": LOG_GROUP}
    context = {"aws:SourceArn": LOG_GROUP, "kms:ViaService": LOGS}
    decision = decide({"grants": [g], "key_policy": [DELEGATE]}, action="kms:Decrypt", context=context)
    step = next(s for s in decision.trace if s.layer == "grant")
    assert (step.element, step.reason) == (
        "Grantee",
        f"grantee `{LOGS}` is a service principal: it stands only for that service acting as itself",
    )


def test_source_arn_constraint_traced_on_retire_by_grantee() -> None:
    g = {"grant_id": "g1", "grantee": LOGS, "operations": ["RetireGrant"], "source_arn": LOG_GROUP}
    denied = decide({"grants": [g]}, principal=LOGS, action="kms:RetireGrant", grant_id="g1")
    assert denied.effect == "IMPLICIT_DENY"
    step = next(s for s in denied.trace if s.layer == "grant")
    assert step.element == "Constraints" and "no `aws:SourceArn`" in step.reason
    context = {"aws:SourceArn": LOG_GROUP}
    allowed = decide(
        {"grants": [g]}, principal=LOGS, action="kms:RetireGrant", grant_id="g1", context=context
    )
    assert allowed.effect == "ALLOW"


def test_retire_without_issuing_account_needs_the_grant_itself() -> None:
    g = {"grant_id": "g1", "grantee": "arn:aws:iam::111122223333:role/Analyst", "operations": ["Decrypt"]}
    root = "arn:aws:iam::111122223333:root"
    assert decide({"grants": [g]}, principal=root, action="kms:RetireGrant", grant_id="g1").effect == (
        "IMPLICIT_DENY"
    )


def test_derived_context() -> None:
    caller = parse_caller(APP)
    assert caller.principal_arn == "arn:aws:iam::111122223333:role/AppRole"
    assert parse_caller("arn:aws:iam::111122223333:role/team/AppRole").principal_arn.endswith(
        "role/team/AppRole"
    )
    conds = {
        "StringEquals": {
            "aws:PrincipalAccount": "111122223333",
            "aws:PrincipalType": "AssumedRole",
            "kms:KeySpec": "SYMMETRIC_DEFAULT",
            "kms:MultiRegion": "false",
            "aws:ResourceAccount": "111122223333",
        },
        "Bool": {"aws:SecureTransport": "true", "aws:PrincipalIsAWSService": "false"},
        "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/AppRole"},
        "DateLessThan": {"aws:CurrentTime": "2026-06-01T00:00:00Z"},
        "Null": {"kms:MultiRegionKeyType": "true", "aws:username": "true"},
    }
    kp = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": conds}
    assert decide({"key_policy": [kp]}, action="kms:Decrypt").effect == "ALLOW"


def test_service_principal_caller() -> None:
    svc = {
        "Sid": "Trail",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalServiceName": "cloudtrail.amazonaws.com"}},
    }
    decision = decide(
        {"key_policy": [svc]}, principal="cloudtrail.amazonaws.com", action="kms:GenerateDataKey"
    )
    assert decision.effect == "ALLOW"


def test_unknown_resource_matches_nothing() -> None:
    # an unknown-before-deployment value (a Terraform reference) never matches, and the trace says so
    sit = situation({"key_policy": [DELEGATE]})
    statement = Statement(
        index=0,
        effect="Allow",
        action=(Item(value="kms:Decrypt", span=SPAN),),
        resource=(Item(value=Unknown(expr="aws_kms_key.k.arn"), span=SPAN),),
        span=SPAN,
    )
    iam = Policy(
        kind=PolicyKind.IDENTITY, name="iam", version="2012-10-17", span=SPAN, statements=(statement,)
    )
    decision = evaluate(
        sit.model_copy(update={"identity_policies": (iam,)}),
        Request(principal=APP, action="kms:Decrypt", resource=K1),
    )
    assert decision.effect == "IMPLICIT_DENY"
    assert "`aws_kms_key.k.arn` is unknown before deployment and matches nothing" in " ".join(
        s.reason for s in decision.trace
    )


# --------------------------------------------------------------------------- probing API and grid


def test_statement_matches_reports_first_failed_element() -> None:
    kp = policy(
        [
            DELEGATE,
            {
                "Sid": "App",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/AppRole"},
                "Action": "kms:Encrypt",
                "Resource": "*",
            },
        ],
        PolicyKind.KEY,
        "key",
    )
    request = Request(principal=APP, action="kms:Decrypt", resource=K1)
    result = statement_matches(kp.statements[1], kp, request)
    assert (result.matched, result.failed_element) == (False, "Action")
    assert "`kms:Decrypt`" in result.reason
    delegation = statement_matches(kp.statements[0], kp, request)
    assert delegation.matched is True
    assert "names the account `111122223333`" in delegation.reason


def test_grid_agrees_with_single_evaluations() -> None:
    kp = policy(
        [
            DELEGATE,
            {
                "Sid": "Admin",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/R1"},
                "Action": "kms:*",
                "Resource": "*",
            },
        ],
        PolicyKind.KEY,
        "key",
    )
    shared = policy(
        [{"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"}],
        PolicyKind.IDENTITY,
        "iam",
    )
    subjects = [
        Subject(principal=f"arn:aws:sts::111122223333:assumed-role/R{i}/s", identity_policies=(shared,))
        for i in range(4)
    ]
    subjects.append(
        Subject(principal="arn:aws:sts::444455556666:assumed-role/X/s", identity_policies=(shared,))
    )
    key2 = K1.replace("1234abcd", "22222222")
    targets = [
        Target(key=Key(arn=K1, key_id="k1", account="111122223333"), key_policy=kp),
        Target(key=Key(arn=key2, key_id="k2", account="111122223333"), key_policy=kp),
    ]
    actions = ["kms:Decrypt", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]
    grid = evaluate_grid(subjects, targets, actions)
    assert len(grid) == len(subjects) * len(targets) * len(actions)
    for (s, t, action), decision in grid.items():
        sit = Situation(key=targets[t].key, key_policy=kp, identity_policies=subjects[s].identity_policies)
        single = evaluate(
            sit,
            Request(principal=subjects[s].principal, action=action, resource=targets[t].key.arn),
            trace=False,
        )
        assert (decision.effect, decision.determining) == (single.effect, single.determining)
    assert grid[(1, 0, "kms:PutKeyPolicy")].effect == "ALLOW"
    assert grid[(2, 0, "kms:PutKeyPolicy")].effect == "IMPLICIT_DENY"


def test_alias_and_key_requests_are_not_confused_by_sharing() -> None:
    # kms:RequestAlias is derived from the resource, so the two requests must not share a decision
    by_alias = {
        "Sid": "ByAlias",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/AppRole"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:RequestAlias": "alias/app"}},
    }
    sit = situation({"key_policy": [by_alias], "key": {"aliases": ["alias/app"]}})
    alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/app"
    plain = evaluate(sit, Request(principal=APP, action="kms:Decrypt", resource=K1), trace=False)
    aliased = evaluate(sit, Request(principal=APP, action="kms:Decrypt", resource=alias_arn), trace=False)
    assert (plain.effect, aliased.effect) == ("IMPLICIT_DENY", "ALLOW")


# --------------------------------------------------------------------------- key identifiers (§1.4, §2.4)


APP_USE = {
    "Sid": "AppUse",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:role/AppRole"},
    "Action": "kms:Decrypt",
    "Resource": "*",
}


def test_a_key_id_that_names_no_key_here_is_traced_and_never_shares_a_decision() -> None:
    """Key IDs of two keys reach the same key-policy statements; one decision must not serve both, traced
    or not, in either order, and the trace says which KeyId failed and what AWS answers."""
    sit = situation({"key_policy": [APP_USE]})
    own = Request(principal=APP, action="kms:Decrypt", resource=K1.rsplit("/", 1)[1])
    other = Request(principal=APP, action="kms:Decrypt", resource="9f8e7d6c-5b4a-3210-fedc-ba9876543210")
    for order in ((own, other), (other, own)):
        ev = Evaluator(sit)
        for _ in range(2):  # the second round is served from the memos
            effects = [ev.evaluate(r, trace=t).effect for r in order for t in (True, False)]
            expected = {own.resource: "ALLOW", other.resource: "IMPLICIT_DENY"}
            assert effects == [expected[r.resource] for r in order for _ in (True, False)]
    decision = evaluate(sit, other)
    assert [(s.layer, s.outcome, s.element) for s in decision.trace] == [
        ("key", "no-match", "KeyId"),
        ("decision", "info", None),
    ]
    assert "NotFoundException" in decision.reason and decision.nearest == ()


@pytest.mark.parametrize(
    ("principal", "action", "resource", "effect"),
    [
        # an alias name is resolved in the caller's account (§1.4)
        (APP, "kms:Decrypt", "alias/app", "ALLOW"),
        ("arn:aws:sts::444455556666:assumed-role/P/s1", "kms:Decrypt", "alias/app", "IMPLICIT_DENY"),
        # an alias the key does not have (§2.4), of another account or Region
        (APP, "kms:Decrypt", "alias/other", "IMPLICIT_DENY"),
        (APP, "kms:Decrypt", "arn:aws:kms:us-east-1:444455556666:alias/app", "IMPLICIT_DENY"),
        (APP, "kms:Decrypt", "arn:aws:kms:eu-west-1:111122223333:alias/app", "IMPLICIT_DENY"),
        # key management takes a key ID or key ARN only (kms-simulator.md §2.1)
        (APP, "kms:GetKeyPolicy", "alias/app", "IMPLICIT_DENY"),
        (APP, "kms:GetKeyPolicy", K1.rsplit("/", 1)[1], "ALLOW"),
        # another account's key by short key ID: Decrypt and the ReEncrypt source only (§1.4)
        ("arn:aws:sts::444455556666:assumed-role/P/s1", "kms:Decrypt", K1.rsplit("/", 1)[1], "ALLOW"),
        ("arn:aws:sts::444455556666:assumed-role/P/s1", "kms:Encrypt", K1.rsplit("/", 1)[1], "IMPLICIT_DENY"),
        # the same key ID in another Region is another key (a multi-Region replica, §1.1, §5.9)
        (APP, "kms:Decrypt", K1.replace("us-east-1", "us-west-2"), "IMPLICIT_DENY"),
        # a service principal has no account to resolve names in: taken to name the key
        ("s3.amazonaws.com", "kms:Decrypt", "alias/app", "ALLOW"),
    ],
)
def test_key_identifier_forms(principal: str, action: str, resource: str, effect: str) -> None:
    star = {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    sit = situation({"key_policy": [star], "key": {"aliases": ["alias/app"]}})
    identity = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    if principal.startswith("arn:") and ":444455556666:" in principal:
        sit = sit.model_copy(update={"identity_policies": (policy([identity], PolicyKind.IDENTITY, "iam"),)})
    decision = evaluate(sit, Request(principal=principal, action=action, resource=resource))
    assert decision.effect == effect, decision.reason


def test_aws_managed_key_explanation_skips_rcps_and_offers_no_key_policy_fix() -> None:
    """RCPs do not apply to AWS managed keys (§1.7), and their key policy cannot be changed (§5.1)."""
    via = {**APP_USE, "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}
    rcp_deny = [{"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}]
    request = Request(principal=APP, action="kms:Decrypt", resource=K1)
    managed = situation({"key_policy": [via], "key": {"key_manager": "AWS"}, "rcps": [rcp_deny]})
    decision = evaluate(managed, request)
    assert decision.effect == "IMPLICIT_DENY" and decision.nearest == ()
    assert ("rcp", "skip", "resource control policies do not apply to AWS managed keys") in [
        (s.layer, s.outcome, s.reason) for s in decision.trace
    ]
    customer = situation({"key_policy": [via]})
    assert [s.ref.sid for s in evaluate(customer, request).nearest if s.ref is not None] == ["AppUse"]
