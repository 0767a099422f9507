"""Aliases: two resources each (the alias, IAM only, and the key), same account and Region only (§1.9)."""

from __future__ import annotations

from typing import Any

from kmspolicy.simulator.client import NAME_PATTERN, Call, operation
from kmspolicy.simulator.kmserror import KMSError
from kmspolicy.simulator.managed import PREDEFINED_SERVICES
from kmspolicy.simulator.operations.keys import paginate
from kmspolicy.simulator.state import AliasRecord, KeyRecord

ALIASES_PER_KEY = 50
PREFIX_MESSAGE = (
    'Alias must start with the prefix "alias/". Please see '
    "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
)


def _alias_name(call: Call) -> str:
    name = call.string("AliasName", required=True, max_len=256)
    assert name is not None
    if not name.startswith("alias/"):
        raise KMSError("ValidationException", PREFIX_MESSAGE)
    if not NAME_PATTERN.match(name):
        raise KMSError("ValidationException", f"Alias name `{name}` does not match `^[a-zA-Z0-9:/_-]+$`")
    return name


def _alias_arn(call: Call, name: str) -> str:
    return f"arn:aws:kms:{call.region}:{call.caller.account}:{name}"


def _existing(call: Call, name: str) -> AliasRecord:
    alias = call.world.aliases.get((call.caller.account or "", call.region, name))
    if alias is None:
        raise KMSError("NotFoundException", f"Alias {_alias_arn(call, name)} is not found.")
    return alias


def _target(call: Call, alias: AliasRecord) -> KeyRecord:
    key = call.world.key_in(alias.account, alias.region, alias.target_key_id)
    assert key is not None
    return call.touch(key)


def _family(key: KeyRecord) -> tuple[str, str]:
    kind = (
        "symmetric"
        if key.spec == "SYMMETRIC_DEFAULT"
        else "hmac"
        if key.spec.startswith("HMAC")
        else "asymmetric"
    )
    return kind, key.usage


@operation("CreateAlias", "AliasName TargetKeyId")
def create_alias(call: Call) -> dict[str, Any]:
    name = _alias_name(call)
    if name.startswith("alias/aws/"):
        raise KMSError("InvalidAliasNameException", "the alias/aws/ prefix is reserved for AWS managed keys")
    key = call.resolve_key("TargetKeyId")
    call.authorize("kms:CreateAlias", key)
    call.authorize("kms:CreateAlias", None, resource=_alias_arn(call, name))
    call.check_state(key)
    if key.manager == "AWS":
        raise KMSError("UnsupportedOperationException", f"{key.arn} is an AWS managed key")
    if (key.account, call.region, name) in call.world.aliases:
        raise KMSError(
            "AlreadyExistsException", f"An alias with the name {_alias_arn(call, name)} already exists"
        )
    if len(key.aliases) >= ALIASES_PER_KEY:
        raise KMSError("LimitExceededException", f"{key.arn} already has {ALIASES_PER_KEY} aliases")
    call.world.aliases[(key.account, call.region, name)] = AliasRecord(
        name, key.account, call.region, key.key_id, call.now, call.now
    )
    key.aliases.append(name)
    key.touch()
    return {}


@operation("UpdateAlias", "AliasName TargetKeyId")
def update_alias(call: Call) -> dict[str, Any]:
    name = _alias_name(call)
    new = call.resolve_key("TargetKeyId")
    alias = _existing(call, name)
    old = _target(call, alias)
    call.authorize("kms:UpdateAlias", old)
    call.authorize("kms:UpdateAlias", new)
    call.authorize("kms:UpdateAlias", None, resource=_alias_arn(call, name))
    if new.state in ("PendingDeletion", "PendingReplicaDeletion"):
        raise KMSError("KMSInvalidStateException", f"{new.arn} is pending deletion.")
    if _family(old) != _family(new) or new.account != old.account or new.manager != "CUSTOMER":
        raise KMSError(
            "ValidationException", "the new target must be a customer managed key of the same type and usage"
        )
    old.aliases.remove(name)
    old.touch()
    new.aliases.append(name)
    new.touch()
    alias.target_key_id, alias.updated = new.key_id, call.now
    return {}


@operation("DeleteAlias", "AliasName")
def delete_alias(call: Call) -> dict[str, Any]:
    name = _alias_name(call)
    alias = _existing(call, name)
    key = _target(call, alias)
    call.authorize("kms:DeleteAlias", key)
    call.authorize("kms:DeleteAlias", None, resource=_alias_arn(call, name))
    if key.manager == "AWS":
        raise KMSError("UnsupportedOperationException", "AWS managed aliases cannot be deleted")
    del call.world.aliases[(alias.account, alias.region, name)]
    key.aliases.remove(name)
    key.touch()
    return {}


@operation("ListAliases", "KeyId Limit Marker")
def list_aliases(call: Call) -> dict[str, Any]:
    only = call.resolve_key().key_id if "KeyId" in call.p else None
    call.authorize("kms:ListAliases", None)
    account = call.caller.account or ""
    entries = []
    for (acct, region, name), alias in sorted(call.world.aliases.items()):
        if acct == account and region == call.region and only in (None, alias.target_key_id):
            entries.append(
                {
                    "AliasName": name,
                    "AliasArn": alias.arn,
                    "TargetKeyId": alias.target_key_id,
                    "CreationDate": alias.created,
                    "LastUpdatedDate": alias.updated,
                }
            )
    if only is None:
        for service in PREDEFINED_SERVICES:
            name = f"alias/aws/{service}"
            if (account, call.region, name) not in call.world.aliases:
                entries.append({"AliasName": name, "AliasArn": f"arn:aws:kms:{call.region}:{account}:{name}"})
    return paginate(call, entries, "Aliases")
