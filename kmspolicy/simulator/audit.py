"""CloudTrail-shaped audit events (kms-simulator.md §2.8, kms-authorization.md §5.11).

Events never carry plaintext, ciphertext, data keys, messages, signatures, MACs or grant tokens:
request parameters go through an allow-list of members, and response elements are built per
operation from non-secret fields only.
"""

from __future__ import annotations

import itertools
import json
import os
from datetime import datetime
from functools import lru_cache
from typing import Any

from kmspolicy.simulator.catalogue import READ_ONLY_OPERATIONS

# request members that may be logged; everything else (Plaintext, CiphertextBlob, Message, Signature,
# Mac, GrantTokens, PublicKey, ...) is left out
LOGGED_MEMBERS = frozenset(
    [
        "KeyId",
        "SourceKeyId",
        "DestinationKeyId",
        "EncryptionContext",
        "SourceEncryptionContext",
        "DestinationEncryptionContext",
        "EncryptionAlgorithm",
        "SourceEncryptionAlgorithm",
        "DestinationEncryptionAlgorithm",
        "KeySpec",
        "NumberOfBytes",
        "KeyPairSpec",
        "SigningAlgorithm",
        "MessageType",
        "MacAlgorithm",
        "KeyUsage",
        "CustomerMasterKeySpec",
        "Origin",
        "Description",
        "MultiRegion",
        "BypassPolicyLockoutSafetyCheck",
        "PolicyName",
        "GranteePrincipal",
        "RetiringPrincipal",
        "Operations",
        "Constraints",
        "Name",
        "GrantId",
        "AliasName",
        "TargetKeyId",
        "PendingWindowInDays",
        "RotationPeriodInDays",
        "TagKeys",
        "Limit",
        "Marker",
        "ReplicaRegion",
        "PrimaryRegion",
        "DryRun",
    ]
)


@lru_cache(maxsize=256)
def camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


_RANDOM = os.urandom(8).hex()
_PREFIX = f"{_RANDOM[:8]}-{_RANDOM[8:12]}-4{_RANDOM[12:15]}-8"
_SEQUENCE = itertools.count(1)


def new_id() -> str:
    """A unique UUID-shaped id (random per process, then a counter); uuid4 is too slow for the hot path."""
    n = next(_SEQUENCE)
    return f"{_PREFIX}{n >> 48 & 0xFFF:03x}-{n & 0xFFFFFFFFFFFF:012x}"


def request_parameters(operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
    out = {camel(k): _jsonable(v) for k, v in params.items() if k in LOGGED_MEMBERS}
    if operation == "Decrypt":
        out.setdefault("encryptionAlgorithm", params.get("EncryptionAlgorithm", "SYMMETRIC_DEFAULT"))
    return out or None


def response_elements(operation: str, response: dict[str, Any] | None) -> dict[str, Any] | None:
    if response is None:
        return None
    if operation == "CreateKey":
        return {"keyMetadata": _jsonable(response["KeyMetadata"])}
    if operation == "CreateGrant":
        return {"grantId": response["GrantId"]}  # never the token
    if operation in ("ScheduleKeyDeletion", "CancelKeyDeletion", "RotateKeyOnDemand"):
        return {camel(k): _jsonable(v) for k, v in response.items()}
    return None


def user_identity(identity: dict[str, Any], invoked_by: str | None) -> dict[str, Any]:
    out = dict(identity)
    if invoked_by:
        out["invokedBy"] = invoked_by
    return out


@lru_cache(maxsize=64)
def _event_time(when: datetime) -> str:
    # cached: every call at one simulated instant shares it, and formatting is a measurable cost
    return str(_jsonable(when.replace(microsecond=0)))


def build_event(
    *,
    operation: str,
    identity: dict[str, Any],
    invoked_by: str | None,
    region: str,
    when: datetime,
    source_ip: str,
    params: dict[str, Any],
    response: dict[str, Any] | None,
    resources: list[dict[str, str]],
    error: tuple[str, str] | None,
    additional: dict[str, Any] | None,
    recipient_account: str,
    request_id: str,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": user_identity(identity, invoked_by),
        "eventTime": _event_time(when),
        "eventSource": "kms.amazonaws.com",
        "eventName": operation,
        "awsRegion": region,
        "sourceIPAddress": invoked_by or source_ip,
        "userAgent": invoked_by or "kmspolicy-simulator",
        "requestParameters": request_parameters(operation, params),
        "responseElements": None if error else response_elements(operation, response),
        "requestID": request_id,
        "eventID": new_id(),
        "readOnly": operation in READ_ONLY_OPERATIONS,
        "resources": resources,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": recipient_account,
        "eventCategory": "Management",
    }
    if additional:
        event["additionalEventData"] = additional
    if error:
        event["errorCode"], event["errorMessage"] = error
    return event


def to_json_lines(events: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, sort_keys=True) + "\n" for e in events)
