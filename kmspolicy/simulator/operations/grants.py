"""Grants: create, list, retire, revoke (reference §1.5; kms-simulator.md §2.3 Grants)."""

from __future__ import annotations

import base64
import os
import re
from typing import Any

from kmspolicy.simulator.catalogue import GRANT_OPERATIONS
from kmspolicy.simulator.client import NAME_PATTERN, Call, encryption_context_keys, operation
from kmspolicy.simulator.kmserror import KMSError
from kmspolicy.simulator.operations.keys import paginate
from kmspolicy.simulator.state import GrantRecord, KeyRecord

GRANTS_PER_KEY = 50000
PRINCIPAL_PATTERN = re.compile(r"^[\w+=,.@:/-]+$")
GRANT_ID = re.compile(r"^.{1,128}$")  # GrantIdType: 1..128 characters
# what each kind of key can be granted (§1.5: a grant may list only operations the key supports)
_NON_CRYPTO = {"DescribeKey", "CreateGrant", "RetireGrant"}
_BY_USAGE = {
    ("symmetric", "ENCRYPT_DECRYPT"): {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
    },
    ("asymmetric", "ENCRYPT_DECRYPT"): {"Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"},
    ("asymmetric", "SIGN_VERIFY"): {"Sign", "Verify", "GetPublicKey"},
    ("hmac", "GENERATE_VERIFY_MAC"): {"GenerateMac", "VerifyMac"},
}


def _grantable(key: KeyRecord) -> set[str]:
    kind = (
        "symmetric"
        if key.spec == "SYMMETRIC_DEFAULT"
        else "hmac"
        if key.spec.startswith("HMAC")
        else "asymmetric"
    )
    return _BY_USAGE.get((kind, key.usage), set()) | _NON_CRYPTO


def _principal(call: Call, member: str, *, required: bool) -> str | None:
    value = call.string(member, required=required, max_len=256, pattern=PRINCIPAL_PATTERN)
    if value is not None and not re.match(r"^arn:aws:(iam|sts)::\d{12}:", value):
        raise KMSError("ValidationException", f"`{member}` must be an AWS principal ARN, not `{value}`")
    return value


_CONTEXT_CONSTRAINTS = ("EncryptionContextEquals", "EncryptionContextSubset")
# The newer `SourceArn` grant constraint (reference §1.5: the current SDK model's GrantConstraints has it).
# The symmetric-key-only rule of §1.5 is about encryption-context constraints, so it does not apply to it.
_SOURCE_ARN = "SourceArn"


def _constraints(call: Call, key: KeyRecord) -> dict[str, Any] | None:
    raw = call.p.get("Constraints")
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw or set(raw) - {*_CONTEXT_CONSTRAINTS, _SOURCE_ARN}:
        raise KMSError(
            "ValidationException",
            "`Constraints` takes EncryptionContextEquals, EncryptionContextSubset or SourceArn",
        )
    source_arn = raw.get(_SOURCE_ARN)
    # the reference gives the member no length or pattern; an ARN is the least it must be
    if _SOURCE_ARN in raw and not (isinstance(source_arn, str) and source_arn.startswith("arn:")):
        raise KMSError("ValidationException", f"`SourceArn` must be an ARN, not `{source_arn}`")
    context_kinds = [kind for kind in _CONTEXT_CONSTRAINTS if kind in raw]
    if context_kinds and key.spec != "SYMMETRIC_DEFAULT":
        raise KMSError(
            "ValidationException",
            "encryption context constraints are allowed only for symmetric encryption keys",
        )
    for kind in context_kinds:
        pairs = raw[kind]
        if (
            not isinstance(pairs, dict)
            or len(pairs) > 8
            or not all(isinstance(k, str) and isinstance(v, str) and len(v) <= 384 for k, v in pairs.items())
        ):
            raise KMSError(
                "ValidationException",
                f"`{kind}` must map at most 8 strings to values of at most 384 characters",
            )
    return {k: v if k == _SOURCE_ARN else dict(v) for k, v in raw.items()}


def _for_aws_resource(call: Call) -> dict[str, Any]:
    return {"kms:GrantIsForAWSResource": "true" if call.client.via_service else "false"}


@operation(
    "CreateGrant",
    "KeyId GranteePrincipal RetiringPrincipal Operations Constraints GrantTokens Name DryRun",
)
def create_grant(call: Call) -> dict[str, Any]:
    grantee = _principal(call, "GranteePrincipal", required=True)
    retiring = _principal(call, "RetiringPrincipal", required=False)
    operations = call.required("Operations")
    if (
        not isinstance(operations, list)
        or not operations
        or not all(o in GRANT_OPERATIONS for o in operations)
    ):
        raise KMSError("ValidationException", f"`Operations` must list grant operations, not `{operations}`")
    name = call.string("Name", max_len=256, pattern=NAME_PATTERN)
    tokens = call.grant_tokens()
    key = call.resolve_key()
    constraints = _constraints(call, key)
    unsupported = sorted(set(operations) - _grantable(key))
    if unsupported:
        raise KMSError(
            "ValidationException", f"{key.arn} does not support grant operation `{unsupported[0]}`"
        )
    extra: dict[str, Any] = {
        "kms:GrantOperations": tuple(operations),
        "kms:GranteePrincipal": grantee,
        **_for_aws_resource(call),
    }
    if retiring is not None:
        extra["kms:RetiringPrincipal"] = retiring
    given = constraints or {}
    kind = next((k for k in _CONTEXT_CONSTRAINTS if k in given), None)
    if kind is not None:
        extra["kms:GrantConstraintType"] = kind
        extra.update(encryption_context_keys(given[kind]))
    if _SOURCE_ARN in given:
        # §3.1: kms:GrantConstraintSourceArn is the SourceArn constraint of the new grant
        extra["kms:GrantConstraintSourceArn"] = given[_SOURCE_ARN]
    call.authorize("kms:CreateGrant", key, extra=extra, tokens=tokens)
    call.dry_run()
    call.check_state(key)
    assert grantee is not None
    if name is not None:
        for existing in key.grants.values():
            same = (existing.grantee, existing.retiring, existing.operations, existing.constraints)
            if existing.name == name and same == (grantee, retiring, list(operations), constraints):
                return {"GrantToken": existing.token, "GrantId": existing.grant_id}
    if len(key.grants) >= GRANTS_PER_KEY:
        raise KMSError("LimitExceededException", f"{key.arn} already has {GRANTS_PER_KEY} grants")
    grant = GrantRecord(
        grant_id=os.urandom(32).hex(),
        key_arn=key.arn,
        name=name,
        grantee=grantee,
        retiring=retiring,
        issuing_account=call.caller.account or key.account,
        operations=list(operations),
        constraints=constraints,
        created=call.now,
        token=base64.b64encode(os.urandom(96)).decode(),
    )
    key.grants[grant.grant_id] = grant
    call.world.issued_tokens.add(grant.token)
    key.touch()
    return {"GrantToken": grant.token, "GrantId": grant.grant_id}


@operation("ListGrants", "Limit Marker KeyId GrantId GranteePrincipal")
def list_grants(call: Call) -> dict[str, Any]:
    grant_id = call.string("GrantId", max_len=128)
    if grant_id is not None and not GRANT_ID.match(grant_id):
        raise KMSError("InvalidGrantIdException", f"Invalid grant ID: {grant_id}")
    grantee = call.string("GranteePrincipal", max_len=256)
    key = call.resolve_key()
    call.authorize("kms:ListGrants", key, extra=_for_aws_resource(call))
    entries = [
        g.list_entry()
        for g in key.grants.values()
        if grant_id in (None, g.grant_id) and grantee in (None, g.grantee)
    ]
    return paginate(call, entries, "Grants")


@operation("ListRetirableGrants", "Limit Marker RetiringPrincipal")
def list_retirable_grants(call: Call) -> dict[str, Any]:
    retiring = _principal(call, "RetiringPrincipal", required=True)
    call.authorize("kms:ListRetirableGrants", None)
    entries = [
        g.list_entry()
        for k in call.world.keys.values()
        if k.region == call.region
        for g in k.grants.values()
        if g.retiring == retiring
    ]
    return paginate(call, entries, "Grants")


def _find(key: KeyRecord, grant_id: str) -> GrantRecord:
    if not GRANT_ID.match(grant_id):
        raise KMSError("InvalidGrantIdException", f"Invalid grant ID: {grant_id}")
    grant = key.grants.get(grant_id)
    if grant is None:
        raise KMSError("NotFoundException", f"Grant ID {grant_id} not found")
    return grant


@operation("RetireGrant", "GrantToken KeyId GrantId DryRun")
def retire_grant(call: Call) -> dict[str, Any]:
    token = call.string("GrantToken", max_len=8192)
    if token is not None:
        if token not in call.world.issued_tokens:
            raise KMSError("InvalidGrantTokenException", "The grant token is invalid.")
        found = [(k, g) for k in call.world.keys.values() for g in k.grants.values() if g.token == token]
        if not found:
            raise KMSError("NotFoundException", "the grant this token stands for no longer exists")
        key, grant = found[0]
        call.touch(key)
    else:
        grant_id = call.string("GrantId", required=True, max_len=128)
        if call.p.get("KeyId") is None:
            raise KMSError("ValidationException", "give either GrantToken, or KeyId and GrantId")
        assert grant_id is not None
        key = call.resolve_key()
        grant = _find(key, grant_id)
    call.authorize("kms:RetireGrant", key, grant_id=grant.grant_id, tokens=(token,) if token else ())
    call.dry_run()
    del key.grants[grant.grant_id]
    key.touch()
    call.additional = {"grantId": grant.grant_id}
    return {}


@operation("RevokeGrant", "KeyId GrantId DryRun")
def revoke_grant(call: Call) -> dict[str, Any]:
    grant_id = call.string("GrantId", required=True, max_len=128)
    assert grant_id is not None
    key = call.resolve_key()
    call.authorize("kms:RevokeGrant", key, extra=_for_aws_resource(call))
    call.dry_run()
    grant = _find(key, grant_id)
    del key.grants[grant.grant_id]
    key.touch()
    return {}
