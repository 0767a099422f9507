"""Generated worlds and requests for the differential tests, as scenario documents.

One generator, two drivers. Every choice goes through a `Draw`: `RandomDraw` (a seeded `random.Random`,
fast, for the 200,000-case benchmark) or the `scenario_documents()` hypothesis strategy (which shrinks).
The generator builds the same document a scenario file holds (reference cast of tests/scenarios/README.md:
owner `111122223333`, partner `444455556666` in `o-a1b2c3d4e5`, outsider `777788889999`), so a mismatch is
written out as a scenario file exactly as it was run.

Values are drawn so that conditions hold about half the time: a request context value is taken from the
policies' own values for that key half the time, else from a pool of near misses, else left absent.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")
Document = dict[str, Any]

OWNER, PARTNER, OUTSIDER = "111122223333", "444455556666", "777788889999"
ACCOUNTS = (OWNER, PARTNER, OUTSIDER)
ORG, OTHER_ORG = "o-a1b2c3d4e5", "o-9z8y7x6w5v"
REGION = "us-east-1"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{OWNER}:key/{KEY_ID}"
OTHER_KEY_ARN = f"arn:aws:kms:{REGION}:{OWNER}:key/9f8e7d6c-5b4a-3210-fedc-ba9876543210"
ALIAS = "alias/app"
ALIAS_ARN = f"arn:aws:kms:{REGION}:{OWNER}:alias/app"
VERSION = "2012-10-17"
NOW = "2026-03-01T12:00:00Z"
GRANT_OPERATIONS = (
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "DescribeKey",
    "CreateGrant",
    "RetireGrant",
    "Sign",
    "Verify",
    "GetPublicKey",
)
KEY_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:DescribeKey",
    "kms:CreateGrant",
    "kms:ListGrants",
    "kms:RevokeGrant",
    "kms:PutKeyPolicy",
    "kms:GetKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:TagResource",
    "kms:Sign",
    "kms:GetPublicKey",
    "kms:GetKeyRotationStatus",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:CreateAlias",
)
KEYLESS_ACTIONS = ("kms:ListKeys", "kms:CreateKey", "kms:GenerateRandom", "kms:ListAliases")
ACTION_PATTERNS = (
    "kms:*",
    "*",
    "kms:Get*",
    "kms:Describe*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "KMS:decrypt",
    "kms:Describe?ey",
    "kms:List*",
    "kms:*Grant*",
    "kms:Create*",
    "kms:Encrypt",
    "kms:Decrypt",
)


class Draw(Protocol):
    """The choices the generator makes; both drivers implement it."""

    def choice(self, options: Sequence[T]) -> T: ...

    def chance(self, p: float) -> bool: ...

    def count(self, low: int, high: int) -> int: ...


class RandomDraw:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def count(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


class HypothesisDraw:
    """Draws through hypothesis, so that a failing case shrinks (towards the first option, no, low)."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def choice(self, options: Sequence[T]) -> T:
        result: T = self.draw(st.sampled_from(options))
        return result

    def chance(self, p: float) -> bool:
        # shrinks to False; p is the probability of True under random generation
        result: bool = self.draw(st.integers(0, 999)) >= 1000 - int(p * 1000)
        return result

    def count(self, low: int, high: int) -> int:
        result: int = self.draw(st.integers(low, high))
        return result


# --------------------------------------------------------------------------- principals


def _callers(account: str) -> tuple[str, ...]:
    return (
        f"arn:aws:iam::{account}:root",
        f"arn:aws:iam::{account}:user/Alice",
        f"arn:aws:iam::{account}:user/Bob",
        f"arn:aws:sts::{account}:assumed-role/AppRole/s1",
        f"arn:aws:sts::{account}:assumed-role/AdminRole/s2",
        f"arn:aws:iam::{account}:role/AppRole",
        f"arn:aws:sts::{account}:federated-user/Fed",
    )


SERVICES = ("s3.amazonaws.com", "cloudtrail.amazonaws.com")
# the resources a service acts for: grants' SourceArn constraints and requests' aws:SourceArn (§1.5)
SOURCE_ARNS = ("arn:aws:s3:::bucket-a", f"arn:aws:cloudtrail:{REGION}:{OWNER}:trail/main")


def caller(draw: Draw) -> str:
    if draw.chance(0.05):
        return draw.choice(SERVICES)
    account = draw.choice((OWNER, OWNER, PARTNER, OUTSIDER))
    return draw.choice(_callers(account))


def _principal_value(draw: Draw) -> tuple[str, str]:
    """(type, value) for a key-policy Principal: accounts, roles (with and without path), sessions, ..."""
    account = draw.choice((OWNER, OWNER, PARTNER, OUTSIDER))
    kind = draw.count(0, 9)
    if kind == 0:
        return "AWS", "*"
    if kind == 1:
        return "AWS", account  # bare account id: the account principal (§2.2)
    if kind == 2:
        return "AWS", f"arn:aws:iam::{account}:root"
    if kind == 3:
        return "AWS", f"arn:aws:iam::{account}:user/{draw.choice(('Alice', 'Bob'))}"
    if kind == 4:
        path = draw.choice(("", "team/"))
        return "AWS", f"arn:aws:iam::{account}:role/{path}{draw.choice(('AppRole', 'AdminRole'))}"
    if kind == 5:
        return "AWS", f"arn:aws:sts::{account}:assumed-role/AppRole/{draw.choice(('s1', 's9'))}"
    if kind == 6:
        return "AWS", f"arn:aws:sts::{account}:federated-user/Fed"
    if kind == 7:
        return "Service", draw.choice(SERVICES)
    return "AWS", f"arn:aws:iam::{OWNER}:root"


def _principal_block(draw: Draw) -> Any:
    if draw.chance(0.1):
        return "*"
    values: dict[str, list[str]] = {}
    for _ in range(draw.count(1, 3)):
        kind, value = _principal_value(draw)
        values.setdefault(kind, []).append(value)
    return {kind: (v[0] if len(v) == 1 else v) for kind, v in values.items()}


# --------------------------------------------------------------------------- conditions


# key -> (operator family, candidate values); values the requests also draw from
CONDITION_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kms:CallerAccount": ("String", ACCOUNTS),
    "kms:ViaService": (
        "String",
        ("s3.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com", "*.amazonaws.com"),
    ),
    "kms:EncryptionContext:app": ("String", ("web", "db", "${aws:username}", "w*")),
    "kms:EncryptionContext:Department": ("String", ("Finance", "finance", "HR")),
    "kms:EncryptionContextKeys": ("String", ("app", "Department", "APP", "*")),
    "aws:PrincipalOrgID": ("String", (ORG, OTHER_ORG)),
    "aws:PrincipalArn": (
        "Arn",
        (
            f"arn:aws:iam::{OWNER}:role/AppRole",
            "arn:aws:iam::*:role/App*",
            f"arn:aws:iam::{PARTNER}:user/Alice",
            f"arn:aws:iam::{OWNER}:root",
            "arn:aws:iam::${aws:PrincipalAccount}:role/AdminRole",
        ),
    ),
    "aws:SourceVpce": ("String", ("vpce-1a2b3c4d", "vpce-9z8y7x6w")),
    "aws:PrincipalTag/team": ("String", ("blue", "red", "Blue")),
    "kms:GrantOperations": ("String", ("Decrypt", "Encrypt", "RetireGrant", "CreateGrant")),
    "kms:RequestAlias": ("String", (ALIAS, "alias/*", ALIAS_ARN)),
    "aws:CurrentTime": ("Date", ("2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z", "1772366400")),
    "aws:SourceIp": ("IpAddress", ("203.0.113.0/24", "198.51.100.7", "2001:db8::/32")),
    "kms:GrantIsForAWSResource": ("Bool", ("true", "false")),
    "aws:MultiFactorAuthPresent": ("Bool", ("true", "false")),
    "aws:MultiFactorAuthAge": ("Numeric", ("300", "3600", "86400.5")),
    "kms:KeySpec": ("String", ("SYMMETRIC_DEFAULT", "RSA_2048")),
    "aws:ResourceTag/env": ("String", ("prod", "dev")),
    "kms:ResourceAliases": ("String", (ALIAS, "alias/other")),
    "aws:PrincipalType": ("String", ("User", "AssumedRole", "Account", "FederatedUser")),
    "aws:username": ("String", ("Alice", "Bob", "a*")),
    "aws:SourceArn": (
        "Arn",
        ("arn:aws:s3:::bucket-a", "arn:aws:s3:::bucket-*", "arn:aws:cloudtrail:*:111122223333:trail/*"),
    ),
    "kms:EncryptionAlgorithm": ("String", ("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_256")),
    "kms:EncryptionContext:blob": ("Binary", ("QUJD", "REVG")),
    "aws:PrincipalAccount": ("String", ACCOUNTS),
}
# keys AWS derives from the caller, the key or the request's key id: set from the world, and only rarely
# overridden in the request context (which `Request` allows)
DERIVED = frozenset(
    {
        "kms:CallerAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalArn",
        "aws:PrincipalTag/team",
        "kms:RequestAlias",
        "kms:KeySpec",
        "aws:ResourceTag/env",
        "kms:ResourceAliases",
        "aws:PrincipalType",
        "aws:username",
        "aws:PrincipalAccount",
    }
)
MULTIVALUED = frozenset({"kms:encryptioncontextkeys", "kms:grantoperations", "kms:resourcealiases"})
OPERATORS: dict[str, tuple[str, ...]] = {
    "String": (
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
    ),
    "Arn": ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "StringLike", "StringEquals"),
    "Date": (
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
    ),
    "Numeric": (
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
    ),
    "Bool": ("Bool",),
    "IpAddress": ("IpAddress", "NotIpAddress"),
    "Binary": ("BinaryEquals",),
}
# request-side values that are not in any policy: near misses
NEAR_MISSES: dict[str, tuple[str, ...]] = {
    "Date": ("2025-12-31T23:59:59Z", "2026-03-01T12:00:00Z"),
    "Numeric": ("299", "3600", "100000"),
    "IpAddress": ("203.0.113.9", "192.0.2.1", "2001:db8::1"),
    "Bool": ("true", "false"),
    "Binary": ("QUJD", "WFla"),
    "String": (
        "web",
        "WEB",
        "other",
        ALIAS,
        "alias/other",
        ORG,
        "vpce-1a2b3c4d",
        "s3.us-east-1.amazonaws.com",
    ),
    "Arn": (
        f"arn:aws:iam::{OWNER}:role/AppRole",
        "arn:aws:s3:::bucket-b",
        f"arn:aws:iam::{PARTNER}:role/Apple",
    ),
}


def _condition_block(draw: Draw, used: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    block: dict[str, dict[str, Any]] = {}
    for _ in range(draw.count(1, 2)):
        key = draw.choice(tuple(CONDITION_KEYS))
        family, candidates = CONDITION_KEYS[key]
        if draw.chance(0.08):
            operator = "Null"
            values: list[str] = [draw.choice(("true", "false"))]
        else:
            operator = draw.choice(OPERATORS[family])
            if key.lower() in MULTIVALUED or draw.chance(0.05):
                qualifier = draw.choice(("ForAnyValue:", "ForAllValues:", "", "ForAnyValue:"))
                operator = qualifier + operator
            if draw.chance(0.15):
                operator += "IfExists"
            values = [draw.choice(candidates) for _ in range(draw.count(1, 2))]
        spelled = key.upper() if draw.chance(0.05) else key  # condition keys are case-insensitive (§2.5)
        block.setdefault(operator, {})[spelled] = values[0] if len(values) == 1 else values
        used.setdefault(key, []).extend(v for v in values if operator != "Null")
    return block


# --------------------------------------------------------------------------- statements and policies


def _actions(draw: Draw, request_action: str) -> list[str]:
    out = []
    for _ in range(draw.count(1, 2)):
        out.append(request_action if draw.chance(0.4) else draw.choice(ACTION_PATTERNS))
    return out


def _statement(draw: Draw, layer: str, index: int, action: str, used: dict[str, list[str]]) -> Document:
    statement: Document = {}
    if draw.chance(0.6):
        statement["Sid"] = f"{layer.title().replace('_', '')}{index}"
    deny_rate = {
        "key_policy": 0.2,
        "identity": 0.2,
        "boundary": 0.1,
        "session": 0.1,
        "scp": 0.25,
        "rcp": 0.25,
    }
    statement["Effect"] = "Deny" if draw.chance(deny_rate[layer]) else "Allow"
    if layer == "key_policy":
        if statement["Effect"] == "Deny" and draw.chance(0.15):
            statement["NotPrincipal"] = _principal_block(draw)
        else:
            statement["Principal"] = _principal_block(draw)
    elif layer == "rcp":
        statement["Principal"] = "*"  # RCPs require Principal `*`
    actions = _actions(draw, action)
    statement["NotAction" if draw.chance(0.08) else "Action"] = actions[0] if len(actions) == 1 else actions
    if layer == "key_policy":
        statement["Resource"] = KEY_ARN if draw.chance(0.1) else "*"
    else:
        resources = draw.choice(
            (
                "*",
                "*",
                KEY_ARN,
                OTHER_KEY_ARN,
                f"arn:aws:kms:*:{OWNER}:key/*",
                ALIAS_ARN,
                f"arn:aws:kms:*:{OWNER}:alias/${{aws:username}}",
                "arn:aws:kms:*:*:key/${aws:PrincipalTag/team, '1234*'}",
                f"arn:aws:kms:{REGION}:{OWNER}:*",
                "arn:aws:kms:*:*:key/1234*",
            )
        )
        statement["NotResource" if draw.chance(0.06) else "Resource"] = resources
    if draw.chance(0.45):
        statement["Condition"] = _condition_block(draw, used)
    return statement


def _policy(draw: Draw, layer: str, action: str, used: dict[str, list[str]], low: int = 1) -> Document:
    statements = [_statement(draw, layer, i, action, used) for i in range(draw.count(low, 3))]
    policy: Document = {"Statement": statements}
    if draw.chance(0.95):
        policy["Version"] = VERSION  # without it, variables are literal text (§2.1)
    return policy


def _full_access(layer: str) -> Document:
    statement: Document = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    if layer == "rcp":
        statement["Principal"] = "*"
    return {"Version": VERSION, "Statement": [statement]}


def _levels(draw: Draw, layer: str, action: str, used: dict[str, list[str]]) -> list[Document]:
    root = [_full_access(layer)]
    if draw.chance(0.5):
        root.append(_policy(draw, layer, action, used))
    levels: list[Document] = [{"name": "root", "policies": root}]
    if draw.chance(0.5):
        ou = [_policy(draw, layer, action, used)]
        if draw.chance(0.5):
            ou.append(_full_access(layer))
        levels.append({"name": "ou-apps", "policies": ou})
    return levels


def _default_key_policy_statement() -> Document:
    return {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


# --------------------------------------------------------------------------- grants


def _grant(draw: Draw, index: int, request_principal: str) -> Document:
    account = draw.choice((OWNER, PARTNER))
    grantee = draw.choice(
        (
            request_principal,
            request_principal,
            f"arn:aws:iam::{account}:role/AppRole",
            f"arn:aws:iam::{account}:user/Alice",
            f"arn:aws:iam::{account}:root",
            f"arn:aws:sts::{account}:assumed-role/AppRole/s1",
            draw.choice(SERVICES),
        )
    )
    operations = sorted({draw.choice(GRANT_OPERATIONS) for _ in range(draw.count(1, 4))})
    grant: Document = {
        "GrantId": f"g{index}",
        "GranteePrincipal": grantee,
        "IssuingAccount": f"arn:aws:iam::{OWNER}:root",
        "Operations": operations,
    }
    if draw.chance(0.3):
        grant["RetiringPrincipal"] = draw.choice(
            (
                request_principal,
                f"arn:aws:iam::{account}:root",
                f"arn:aws:iam::{OWNER}:role/AdminRole",
            )
        )
    if draw.chance(0.3):
        kind = draw.choice(("EncryptionContextSubset", "EncryptionContextEquals"))
        pairs = {draw.choice(("app", "App", "Department")): draw.choice(("web", "db"))}
        grant["Constraints"] = {kind: pairs}
    if draw.chance(0.3):
        # the newer SourceArn constraint (§1.5), alone or beside an encryption-context one
        grant.setdefault("Constraints", {})["SourceArn"] = draw.choice(SOURCE_ARNS)
    if draw.chance(0.5):
        grant["CreationDate"] = draw.choice(
            ("2026-01-01T00:00:00Z", "2026-03-01T11:58:00Z", "2026-03-01T11:55:00Z")
        )
    if draw.chance(0.3):
        grant["GrantToken"] = f"token-{index}"
    return grant


# --------------------------------------------------------------------------- the request context


def _context(draw: Draw, action: str, used: dict[str, list[str]], grants: list[Document]) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for key, policy_values in used.items():
        if key == "aws:CurrentTime" or (key in DERIVED and not draw.chance(0.03)):
            continue  # the time is decided below, with the grants' consistency
        roll = draw.count(0, 5)
        if roll >= 4:
            continue  # absent (or derived by AWS)
        family = CONDITION_KEYS[key][0]
        pool = policy_values or CONDITION_KEYS[key][1]  # a key used only under `Null`
        value = draw.choice(pool) if roll <= 1 else draw.choice(NEAR_MISSES[family])
        if "${" in value or (family in ("String", "Arn") and "*" in value and draw.chance(0.5)):
            value = draw.choice(NEAR_MISSES[family])
        if key.lower() in MULTIVALUED:
            extra = draw.choice(NEAR_MISSES[family])
            context[key] = [value, extra] if draw.chance(0.4) else [value]
        else:
            context[key] = value
    for grant in grants:
        for kind, constraint in grant.get("Constraints", {}).items():
            if kind == "SourceArn":
                if draw.chance(0.6):
                    # the constraint's ARN, another one, or it in another case
                    near = (draw.choice(SOURCE_ARNS), constraint.upper())
                    context["aws:SourceArn"] = constraint if draw.chance(0.7) else draw.choice(near)
                if action == "kms:CreateGrant" and draw.chance(0.6):
                    # the new grant's own SourceArn constraint (§3.1 kms:GrantConstraintSourceArn)
                    context["kms:GrantConstraintSourceArn"] = (
                        constraint if draw.chance(0.7) else SOURCE_ARNS[0]
                    )
                continue
            for k, v in constraint.items():
                if draw.chance(0.6):
                    spelled = k if draw.chance(0.7) else k.swapcase()
                    context[f"kms:EncryptionContext:{spelled}"] = v if draw.chance(0.8) else "other"
    if draw.chance(0.7):
        # NOW is listed twice (once by value): most requests come at the time the grant dates are set around
        context["aws:CurrentTime"] = draw.choice((NOW, "2026-03-01T12:00:00Z", "2026-06-01T00:00:00Z"))
    ec = [k for k in context if k.lower().startswith("kms:encryptioncontext:")]
    if ec and "kms:EncryptionContextKeys" in context and draw.chance(0.5):
        context["kms:EncryptionContextKeys"] = [k.split(":", 2)[2] for k in ec]
    if ec and action == "kms:CreateGrant":
        # for CreateGrant the context pairs are the new grant's constraint, which has a type (§3.1)
        context["kms:GrantConstraintType"] = draw.choice(
            ("EncryptionContextSubset", "EncryptionContextEquals")
        )
    return context


# --------------------------------------------------------------------------- the whole case


def scenario_document(draw: Draw) -> Document:
    """One world and one request, as a scenario document (kmspolicy/scenario.py)."""
    used: dict[str, list[str]] = {}
    keyless = draw.chance(0.08)
    action = draw.choice(KEYLESS_ACTIONS) if keyless else draw.choice((*KEY_ACTIONS, "kms:RetireGrant"))
    if action == "kms:RetireGrant" and draw.chance(0.5):
        action = "kms:Decrypt"  # keep RetireGrant rarer than its share
    principal = caller(draw)
    doc: Document = {}

    key: Document = {"Arn": KEY_ARN}
    if draw.chance(0.1):
        key["KeyManager"] = "AWS"
    if draw.chance(0.1):
        key.update(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    if draw.chance(0.2):
        key["Tags"] = {draw.choice(("env", "Env")): draw.choice(("prod", "dev"))}
    if draw.chance(0.2):
        key["Aliases"] = [ALIAS]
    if draw.chance(0.1):
        key["MultiRegion"] = True
        key["MultiRegionConfiguration"] = {"MultiRegionKeyType": "PRIMARY"}
    doc["key"] = key

    key_policy = _policy(draw, "key_policy", action, used, low=0)
    if draw.chance(0.5):
        key_policy["Statement"].insert(0, _default_key_policy_statement())
    if key_policy["Statement"]:
        doc["key_policy"] = key_policy
    # the root user and service principals have no identity policies, boundary or session policy
    has_identity = ":root" not in principal and principal.startswith("arn:")
    if has_identity and draw.chance(0.8):
        doc["identity_policies"] = [
            {"name": f"idp{i}", "policy": _policy(draw, "identity", action, used)}
            for i in range(draw.count(1, 2))
        ]
    if has_identity and draw.chance(0.2):
        doc["permission_boundary"] = _policy(draw, "boundary", action, used)
    if has_identity and ":sts:" in principal and draw.chance(0.3):
        doc["session_policies"] = [_policy(draw, "session", action, used)]
    if draw.chance(0.2):
        doc["scps"] = _levels(draw, "scp", action, used)
    if draw.chance(0.2):
        doc["rcps"] = _levels(draw, "rcp", action, used)
    grants = [_grant(draw, i, principal) for i in range(draw.count(0, 2) if draw.chance(0.5) else 0)]
    if grants:
        doc["grants"] = grants
    caller_fields: Document = {}
    if draw.chance(0.4):
        caller_fields["tags"] = {draw.choice(("team", "Team")): draw.choice(("blue", "red"))}
    if draw.chance(0.5):
        caller_fields["org_id"] = draw.choice((ORG, ORG, OTHER_ORG))
    if caller_fields:
        doc["caller"] = caller_fields

    request: Document = {"principal": principal, "action": action}
    if keyless:
        request["resource"] = "*"
    else:
        request["resource"] = (
            ALIAS_ARN if draw.chance(0.5 if action == "kms:CreateAlias" else 0.1) else KEY_ARN
        )
    context = _context(draw, action, used, grants)
    if context:
        request["context"] = context
    tokens = [g["GrantToken"] for g in grants if "GrantToken" in g and draw.chance(0.5)]
    if tokens:
        request["grant_tokens"] = tokens
    if action == "kms:RetireGrant" and grants and draw.chance(0.8):
        request["grant_id"] = draw.choice(grants)["GrantId"]
    doc["request"] = request
    return doc


@st.composite
def scenario_documents(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Document:
    """Hypothesis strategy over `scenario_document`."""
    return scenario_document(HypothesisDraw(draw))
