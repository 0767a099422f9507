"""Key management: create, describe, list, state changes, deletion, policy, rotation, tags, multi-Region."""

from __future__ import annotations

import json
import os
import uuid
from datetime import timedelta
from typing import Any

from kmspolicy.model import PolicyKind
from kmspolicy.simulator.client import Call, operation
from kmspolicy.simulator.crypto import SUPPORTED_SPECS, Material, algorithms_for, new_material, usages_for
from kmspolicy.simulator.kmserror import KMSError
from kmspolicy.simulator.policy_json import PolicyError, read_policy
from kmspolicy.simulator.state import KeyRecord, NamedPolicy, PolicyDoc, policy_text
from kmspolicy.simulator.world import World

ALL_KEY_SPECS = [
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "ECC_NIST_EDWARDS25519",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
]
KEY_USAGES = ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]
ORIGINS = ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]
MAX_POLICY_BYTES = 32768
INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."
# changes AWS managed keys refuse whatever the policy says
MANAGED_IMMUTABLE = frozenset(
    [
        "PutKeyPolicy",
        "ScheduleKeyDeletion",
        "CancelKeyDeletion",
        "EnableKey",
        "DisableKey",
        "EnableKeyRotation",
        "DisableKeyRotation",
        "RotateKeyOnDemand",
        "TagResource",
        "UntagResource",
        "UpdateKeyDescription",
        "ReplicateKey",
    ]
)


def default_policy(account: str) -> PolicyDoc:
    """The API's default key policy (reference §5.2): the account principal may do everything."""
    return {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def new_key(
    world: World,
    *,
    account: str,
    region: str,
    spec: str,
    usage: str,
    manager: str,
    policy: PolicyDoc,
    description: str = "",
    multi_region: bool = False,
) -> KeyRecord:
    """A key record, not yet registered in the world (the lockout check runs on it first)."""
    key_id = f"mrk-{uuid.uuid4().hex}" if multi_region else str(uuid.uuid4())
    arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
    return KeyRecord(
        arn=arn,
        key_id=key_id,
        account=account,
        region=region,
        spec=spec,
        usage=usage,
        manager=manager,
        created=world.clock.now(),
        policy=NamedPolicy("default", policy, PolicyKind.KEY),
        material=Material("symmetric", spec),
        handle=os.urandom(16),
        description=description,
        multi_region=multi_region,
        mrk_type="PRIMARY" if multi_region else None,
    )


def register(world: World, key: KeyRecord, material: Material) -> KeyRecord:
    key.material = material
    world.keys[key.arn] = key
    world.handles.setdefault(key.handle, key.arn)
    return key


def key_metadata(world: World, key: KeyRecord) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "AWSAccountId": key.account,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.created,
        "Enabled": key.state == "Enabled",
        "Description": key.description,
        "KeyUsage": key.usage,
        "KeyState": key.state,
        "Origin": key.origin,
        "KeyManager": key.manager,
        "CustomerMasterKeySpec": key.spec,
        "KeySpec": key.spec,
        **algorithms_for(key.spec, key.usage),
        "MultiRegion": key.multi_region,
    }
    if key.deletion_date is not None:
        meta["DeletionDate"] = key.deletion_date
    if key.spec == "SYMMETRIC_DEFAULT":
        meta["CurrentKeyMaterialId"] = key.material.current_id
    if key.multi_region:
        related = [k for k in world.keys.values() if k.key_id == key.key_id and k.account == key.account]
        primary = next((k for k in related if k.mrk_type == "PRIMARY"), key)
        meta["MultiRegionConfiguration"] = {
            "MultiRegionKeyType": key.mrk_type,
            "PrimaryKey": {"Arn": primary.arn, "Region": primary.region},
            "ReplicaKeys": [{"Arn": k.arn, "Region": k.region} for k in related if k.mrk_type == "REPLICA"],
        }
    return meta


def refuse_if_managed(call: Call, key: KeyRecord) -> None:
    if key.manager == "AWS" and call.operation in MANAGED_IMMUTABLE:
        raise KMSError("UnsupportedOperationException", f"{key.arn} is an AWS managed key")


def read_tags(call: Call, member: str = "Tags") -> dict[str, str]:
    raw = call.p.get(member) or []
    if not isinstance(raw, list):
        raise KMSError("ValidationException", f"`{member}` must be a list")
    tags: dict[str, str] = {}
    for tag in raw:
        if not isinstance(tag, dict) or not isinstance(tag.get("TagKey"), str):
            raise KMSError("ValidationException", "every tag needs a `TagKey`")
        key, value = tag["TagKey"], tag.get("TagValue", "")
        if not 1 <= len(key) <= 128 or not isinstance(value, str) or len(value) > 256:
            raise KMSError("TagException", f"tag `{key}` has an invalid key or value length")
        if key.lower().startswith("aws:"):
            raise KMSError("TagException", "Tags beginning with aws: are reserved")
        if key in tags:
            raise KMSError("TagException", f"duplicate tag key `{key}`")
        tags[key] = value
    return tags


def tag_context(tags: dict[str, str]) -> dict[str, Any]:
    if not tags:
        return {}
    out: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    out["aws:TagKeys"] = tuple(tags)
    return out


def _principal_exists(world: World, value: str) -> bool:
    """PutKeyPolicy rejects principals KMS cannot see (§2.1); accounts outside the world are taken as real."""
    if value == "*" or not value.startswith("arn:"):
        return True
    parts = value.split(":", 5)
    if len(parts) != 6:
        return False
    account, resource = parts[4], parts[5]
    if account not in world.accounts or resource == "root":
        return True
    if resource.startswith(("user/", "role/")):
        return value in world.principals
    if resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        return any(
            p.type == "role" and p.name == role and p.account == account for p in world.principals.values()
        )
    return resource.startswith("federated-user/")


def checked_policy(call: Call, text: Any, key: KeyRecord, bypass: bool) -> NamedPolicy:
    """Validate a key policy for CreateKey/PutKeyPolicy/ReplicateKey, lockout check included (§5.3)."""
    if not isinstance(text, str) or not text:
        raise KMSError("ValidationException", "`Policy` must be a non-empty string")
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise KMSError("LimitExceededException", "the key policy is larger than 32 KB")
    if any(not (" " <= ch <= "\u00ff" or ch in "\t\n\r") or "\u007f" <= ch < "\u00a0" for ch in text):
        raise KMSError(
            "MalformedPolicyDocumentException", "the policy contains characters KMS does not allow"
        )
    try:
        document = json.loads(text)
        read_policy(document, PolicyKind.KEY, "default")
    except (ValueError, PolicyError) as exc:
        raise KMSError("MalformedPolicyDocumentException", str(exc)) from None
    named = NamedPolicy("default", document, PolicyKind.KEY)
    if not named.model.statements:
        raise KMSError("MalformedPolicyDocumentException", "a key policy needs at least one statement")
    for statement in named.model.statements:
        if statement.principal is None and statement.not_principal is None:
            raise KMSError("MalformedPolicyDocumentException", "every key policy statement needs a principal")
        if any(c.operator is None for c in statement.conditions):
            raise KMSError(
                "MalformedPolicyDocumentException", "the policy uses an unknown condition operator"
            )
        for p in (statement.principal or ()) + (statement.not_principal or ()):
            if p.type == "AWS" and isinstance(p.value, str) and not _principal_exists(call.world, p.value):
                raise KMSError("MalformedPolicyDocumentException", INVALID_PRINCIPALS)
    if not bypass:
        candidate = KeyRecord(**{**key.__dict__, "policy": named, "_model": None})
        result = call.world.decide(call.caller, "kms:PutKeyPolicy", candidate, context=call.base_context())
        if result.effect != "ALLOW":
            raise KMSError("MalformedPolicyDocumentException", LOCKOUT)
    return named


# --------------------------------------------------------------------------- create, describe, list


@operation(
    "CreateKey",
    "Policy Description KeyUsage CustomerMasterKeySpec KeySpec Origin CustomKeyStoreId "
    "BypassPolicyLockoutSafetyCheck Tags MultiRegion XksKeyId",
)
def create_key(call: Call) -> dict[str, Any]:
    spec = call.enum(
        "KeySpec", ALL_KEY_SPECS, default=call.p.get("CustomerMasterKeySpec", "SYMMETRIC_DEFAULT")
    )
    if "KeyUsage" not in call.p and spec != "SYMMETRIC_DEFAULT":
        raise KMSError(
            "ValidationException",
            "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
        )
    usage = call.enum("KeyUsage", KEY_USAGES, default="ENCRYPT_DECRYPT")
    origin = call.enum("Origin", ORIGINS, default="AWS_KMS")
    description = call.string("Description", max_len=8192) or ""
    multi_region = bool(call.boolean("MultiRegion"))
    bypass = call.boolean("BypassPolicyLockoutSafetyCheck")
    tags = read_tags(call)
    if spec not in SUPPORTED_SPECS or origin != "AWS_KMS" or "CustomKeyStoreId" in call.p:
        raise KMSError(
            "UnsupportedOperationException",
            f"the simulator does not support `{spec}` keys of origin `{origin}`",
        )
    if usage not in usages_for(spec):
        raise KMSError("ValidationException", f"KeyUsage {usage} is not compatible with KeySpec {spec}")
    account = call.caller.account
    if account is None:
        raise KMSError("AccessDeniedException", "a service principal cannot create customer managed keys")
    context: dict[str, Any] = {
        "kms:KeySpec": spec,
        "kms:KeyUsage": usage,
        "kms:KeyOrigin": origin,
        "kms:MultiRegion": "true" if multi_region else "false",
        **tag_context(tags),
    }
    if multi_region:
        context["kms:MultiRegionKeyType"] = "PRIMARY"
    if bypass is not None:
        context["kms:BypassPolicyLockoutSafetyCheck"] = "true" if bypass else "false"
    call.authorize("kms:CreateKey", None, extra=context)
    key = new_key(
        call.world,
        account=account,
        region=call.region,
        spec=spec,
        usage=usage,
        manager="CUSTOMER",
        policy=default_policy(account),
        description=description,
        multi_region=multi_region,
    )
    if "Policy" in call.p:
        key.policy = checked_policy(call, call.p["Policy"], key, bool(bypass))
    if tags:
        call.authorize("kms:TagResource", key, extra=tag_context(tags))
    key.tags = tags
    key.touch()
    register(call.world, key, new_material(spec))
    call.touch(key)
    return {"KeyMetadata": key_metadata(call.world, key)}


@operation("DescribeKey", "KeyId GrantTokens")
def describe_key(call: Call) -> dict[str, Any]:
    tokens = call.grant_tokens()
    key = call.resolve_key(aliases=True)
    call.authorize("kms:DescribeKey", key, tokens=tokens)
    return {"KeyMetadata": key_metadata(call.world, key)}


def paginate(call: Call, items: list[Any], member: str) -> dict[str, Any]:
    limit = call.integer("Limit", 1, 1000) or 100
    marker = call.p.get("Marker")
    start = 0
    if marker is not None:
        if not isinstance(marker, str) or not marker.isdigit() or int(marker) > len(items):
            raise KMSError("InvalidMarkerException", "the marker is not valid")
        start = int(marker)
    page = items[start : start + limit]
    out: dict[str, Any] = {member: page, "Truncated": start + limit < len(items)}
    if out["Truncated"]:
        out["NextMarker"] = str(start + limit)
    return out


@operation("ListKeys", "Limit Marker")
def list_keys(call: Call) -> dict[str, Any]:
    call.authorize("kms:ListKeys", None)
    keys = [
        {"KeyId": k.key_id, "KeyArn": k.arn}
        for k in call.world.keys.values()
        if k.account == call.caller.account and k.region == call.region
    ]
    return paginate(call, keys, "Keys")


# --------------------------------------------------------------------------- state and deletion


def _managed_key_op(call: Call, action: str, **extra: Any) -> KeyRecord:
    """Resolve by key ID/ARN, authorise, check the state row, refuse AWS managed keys."""
    key = call.resolve_key()
    call.authorize(action, key, extra=extra or None)
    call.check_state(key)
    refuse_if_managed(call, key)
    return key


@operation("EnableKey", "KeyId")
def enable_key(call: Call) -> dict[str, Any]:
    key = _managed_key_op(call, "kms:EnableKey")
    key.state = "Enabled"
    key.touch()
    return {}


@operation("DisableKey", "KeyId")
def disable_key(call: Call) -> dict[str, Any]:
    key = _managed_key_op(call, "kms:DisableKey")
    key.state = "Disabled"
    key.touch()
    return {}


@operation("ScheduleKeyDeletion", "KeyId PendingWindowInDays")
def schedule_key_deletion(call: Call) -> dict[str, Any]:
    days = call.integer("PendingWindowInDays", 1, 365)
    if days is not None and not 7 <= days <= 30:
        raise KMSError("ValidationException", "PendingWindowInDays must be between 7 and 30")
    window = days or 30
    # the condition key is present only when the parameter is (reference §9 q6; as the scenarios read it)
    extra = {} if days is None else {"kms:ScheduleKeyDeletionPendingWindowInDays": str(days)}
    key = _managed_key_op(call, "kms:ScheduleKeyDeletion", **extra)
    replicas = key.mrk_type == "PRIMARY" and any(
        k.key_id == key.key_id and k.mrk_type == "REPLICA" for k in call.world.keys.values()
    )
    key.pending_window = window
    if replicas:
        key.state = "PendingReplicaDeletion"
    else:
        key.state = "PendingDeletion"
        key.deletion_date = call.now + timedelta(days=window)
    key.touch()
    out: dict[str, Any] = {"KeyId": key.arn, "KeyState": key.state, "PendingWindowInDays": window}
    if key.deletion_date is not None:
        out["DeletionDate"] = key.deletion_date
    return out


@operation("CancelKeyDeletion", "KeyId")
def cancel_key_deletion(call: Call) -> dict[str, Any]:
    key = _managed_key_op(call, "kms:CancelKeyDeletion")
    key.state, key.deletion_date, key.pending_window = "Disabled", None, None
    key.touch()
    return {"KeyId": key.arn}


@operation("UpdateKeyDescription", "KeyId Description")
def update_key_description(call: Call) -> dict[str, Any]:
    description = call.string("Description", required=True, max_len=8192)
    key = _managed_key_op(call, "kms:UpdateKeyDescription")
    key.description = description or ""
    key.touch()
    return {}


# --------------------------------------------------------------------------- key policy


def _policy_name(call: Call) -> str:
    name = call.string("PolicyName", max_len=128) or "default"
    if name != "default":
        raise KMSError("NotFoundException", f"No such policy exists: {name}")
    return name


@operation("GetKeyPolicy", "KeyId PolicyName")
def get_key_policy(call: Call) -> dict[str, Any]:
    name = _policy_name(call)
    key = _managed_key_op(call, "kms:GetKeyPolicy")
    return {"Policy": policy_text(key.policy.document), "PolicyName": name}


@operation("ListKeyPolicies", "KeyId Limit Marker")
def list_key_policies(call: Call) -> dict[str, Any]:
    _managed_key_op(call, "kms:ListKeyPolicies")
    return {"PolicyNames": ["default"], "Truncated": False}


@operation("PutKeyPolicy", "KeyId PolicyName Policy BypassPolicyLockoutSafetyCheck")
def put_key_policy(call: Call) -> dict[str, Any]:
    _policy_name(call)
    text = call.required("Policy")
    bypass = call.boolean("BypassPolicyLockoutSafetyCheck")
    extra = {} if bypass is None else {"kms:BypassPolicyLockoutSafetyCheck": "true" if bypass else "false"}
    key = _managed_key_op(call, "kms:PutKeyPolicy", **extra)
    key.policy = checked_policy(call, text, key, bool(bypass))
    key.touch()
    return {}


# --------------------------------------------------------------------------- rotation


def _rotatable(key: KeyRecord) -> None:
    if key.spec != "SYMMETRIC_DEFAULT" or key.origin != "AWS_KMS":
        raise KMSError(
            "UnsupportedOperationException", f"{key.arn} key spec or origin does not support rotation"
        )


@operation("EnableKeyRotation", "KeyId RotationPeriodInDays")
def enable_key_rotation(call: Call) -> dict[str, Any]:
    given = call.integer("RotationPeriodInDays", 90, 2560)
    period = given or 365
    extra = {} if given is None else {"kms:RotationPeriodInDays": str(given)}
    key = _managed_key_op(call, "kms:EnableKeyRotation", **extra)
    _rotatable(key)
    key.rotation_enabled, key.rotation_period = True, period
    key.next_rotation = call.now + timedelta(days=period)
    key.touch()
    return {}


@operation("DisableKeyRotation", "KeyId")
def disable_key_rotation(call: Call) -> dict[str, Any]:
    key = _managed_key_op(call, "kms:DisableKeyRotation")
    _rotatable(key)
    key.rotation_enabled, key.next_rotation = False, None
    key.touch()
    return {}


@operation("GetKeyRotationStatus", "KeyId")
def get_key_rotation_status(call: Call) -> dict[str, Any]:
    key = call.resolve_key()
    call.authorize("kms:GetKeyRotationStatus", key)
    _rotatable(key)
    enabled = key.rotation_enabled and key.state != "PendingDeletion"
    out: dict[str, Any] = {"KeyRotationEnabled": enabled, "KeyId": key.arn}
    if enabled:
        out["RotationPeriodInDays"] = key.rotation_period
        out["NextRotationDate"] = key.next_rotation
    return out


@operation("RotateKeyOnDemand", "KeyId")
def rotate_key_on_demand(call: Call) -> dict[str, Any]:
    key = call.resolve_key()
    call.authorize("kms:RotateKeyOnDemand", key)
    call.check_state(key)
    if key.spec != "SYMMETRIC_DEFAULT" or key.manager == "AWS":
        raise KMSError("UnsupportedOperationException", "")
    if key.on_demand_rotations >= call.world.on_demand_rotation_limit:
        raise KMSError(
            "LimitExceededException", "The on-demand rotations limit has been reached for the given KMS key."
        )
    key.on_demand_rotations += 1
    call.world.rotate(key, "ON_DEMAND")
    return {"KeyId": key.arn}


@operation("ListKeyRotations", "KeyId Limit Marker IncludeKeyMaterial")
def list_key_rotations(call: Call) -> dict[str, Any]:
    key = _managed_key_op(call, "kms:ListKeyRotations")
    _rotatable(key)
    return paginate(call, [dict(r) for r in key.rotations], "Rotations")


# --------------------------------------------------------------------------- tags


@operation("TagResource", "KeyId Tags")
def tag_resource(call: Call) -> dict[str, Any]:
    tags = read_tags(call)
    call.required("Tags")
    key = _managed_key_op(call, "kms:TagResource", **tag_context(tags))
    if len({**key.tags, **tags}) > 50:
        raise KMSError("TagException", "a key can have at most 50 tags")
    key.tags.update(tags)
    key.touch()
    return {}


@operation("UntagResource", "KeyId TagKeys")
def untag_resource(call: Call) -> dict[str, Any]:
    names = call.required("TagKeys")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise KMSError("ValidationException", "`TagKeys` must be a list of strings")
    key = _managed_key_op(call, "kms:UntagResource", **{"aws:TagKeys": tuple(names)})
    for name in names:
        key.tags.pop(name, None)
    key.touch()
    return {}


@operation("ListResourceTags", "KeyId Limit Marker")
def list_resource_tags(call: Call) -> dict[str, Any]:
    key = _managed_key_op(call, "kms:ListResourceTags")
    return paginate(call, [{"TagKey": k, "TagValue": v} for k, v in key.tags.items()], "Tags")


# --------------------------------------------------------------------------- multi-Region keys


@operation("ReplicateKey", "KeyId ReplicaRegion Policy BypassPolicyLockoutSafetyCheck Description Tags")
def replicate_key(call: Call) -> dict[str, Any]:
    region = call.string("ReplicaRegion", required=True, max_len=32)
    assert region is not None
    bypass = bool(call.boolean("BypassPolicyLockoutSafetyCheck"))
    tags = read_tags(call)
    key = _managed_key_op(call, "kms:ReplicateKey", **{"kms:ReplicaRegion": region})
    if key.mrk_type != "PRIMARY":
        raise KMSError("UnsupportedOperationException", f"{key.arn} is not a multi-Region primary key")
    if region == key.region or call.world.key_in(key.account, region, key.key_id) is not None:
        raise KMSError("AlreadyExistsException", f"a replica of {key.arn} already exists in {region}")
    replica = KeyRecord(
        **{
            **key.__dict__,
            "arn": f"arn:aws:kms:{region}:{key.account}:key/{key.key_id}",
            "region": region,
            "mrk_type": "REPLICA",
            "policy": NamedPolicy("default", default_policy(key.account), PolicyKind.KEY),
            "description": call.string("Description", max_len=8192) or key.description,
            "tags": tags,
            "grants": {},
            "aliases": [],
            "rotations": list(key.rotations),
            "_model": None,
        }
    )
    # the replica-Region half: kms:CreateKey there (and kms:TagResource with tags), IAM only (§1.10); its
    # key properties are the replica's, not CreateKey's defaults (§3.1, best reading)
    replica_keys = {
        "aws:RequestedRegion": region,
        "kms:KeySpec": key.spec,
        "kms:KeyUsage": key.usage,
        "kms:KeyOrigin": key.origin,
        "kms:MultiRegion": "true",
        "kms:MultiRegionKeyType": "REPLICA",
    }
    call.authorize("kms:CreateKey", None, extra={**replica_keys, **tag_context(tags)})
    if "Policy" in call.p:
        replica.policy = checked_policy(call, call.p["Policy"], replica, bypass)
    register(call.world, replica, key.material)
    return {
        "ReplicaKeyMetadata": key_metadata(call.world, replica),
        "ReplicaPolicy": policy_text(replica.policy.document),
        "ReplicaTags": [{"TagKey": k, "TagValue": v} for k, v in tags.items()],
    }


@operation("UpdatePrimaryRegion", "KeyId PrimaryRegion")
def update_primary_region(call: Call) -> dict[str, Any]:
    region = call.string("PrimaryRegion", required=True, max_len=32)
    assert region is not None
    key = _managed_key_op(call, "kms:UpdatePrimaryRegion", **{"kms:PrimaryRegion": region})
    if not key.multi_region:
        raise KMSError("UnsupportedOperationException", f"{key.arn} is not a multi-Region key")
    replica = call.world.key_in(key.account, region, key.key_id)
    if replica is None:
        raise KMSError("NotFoundException", f"no replica of {key.arn} in {region}")
    call.authorize("kms:UpdatePrimaryRegion", replica, extra={"kms:PrimaryRegion": region})
    call.touch(replica)
    key.mrk_type, replica.mrk_type = "REPLICA", "PRIMARY"
    key.touch()
    replica.touch()
    return {}


# --------------------------------------------------------------------------- authorised, not simulated


def _not_simulated(name: str, members: str, *, grantable: bool = False, aliases: bool = False) -> None:
    """Operations the simulator authorises for real but does not carry out (imports, key agreement).
    `aliases`: the KeyId may be an alias (kms-simulator.md §2.1), as for every grantable one."""

    def handler(call: Call) -> dict[str, Any]:
        tokens = call.grant_tokens() if grantable else ()
        key = call.resolve_key(aliases=grantable or aliases)
        call.authorize(f"kms:{name}", key, tokens=tokens)
        raise KMSError("UnsupportedOperationException", f"the simulator does not carry out {name}")

    operation(name, members)(handler)


_not_simulated("GetKeyLastUsage", "KeyId", aliases=True)
_not_simulated("DeleteImportedKeyMaterial", "KeyId KeyMaterialId")
_not_simulated("GetParametersForImport", "KeyId WrappingAlgorithm WrappingKeySpec")
_not_simulated(
    "ImportKeyMaterial",
    "KeyId ImportToken EncryptedKeyMaterial ValidTo ExpirationModel ImportType KeyMaterialDescription "
    "KeyMaterialId",
)
_not_simulated(
    "DeriveSharedSecret", "KeyId KeyAgreementAlgorithm PublicKey GrantTokens DryRun Recipient", grantable=True
)
