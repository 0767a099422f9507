"""CloudTrail-shaped audit events: one per call, denied calls included, never a secret."""

from __future__ import annotations

import base64
import json

import pytest
from estate import REGION, A, Estate, new_key

from kmspolicy.simulator import KMSError


def test_one_event_per_call_with_the_cloudtrail_fields(estate: Estate) -> None:
    key = new_key(estate.alice)
    before = len(estate.world.audit_events(A))
    estate.alice.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"app": "x"})
    events = estate.world.audit_events(A)
    assert len(events) == before + 1
    event = events[-1]
    assert event["eventSource"] == "kms.amazonaws.com"
    assert event["eventName"] == "Encrypt"
    assert event["eventType"] == "AwsApiCall"
    assert event["readOnly"] is True
    assert event["awsRegion"] == REGION
    assert event["userIdentity"]["type"] == "IAMUser"
    assert event["userIdentity"]["userName"] == "alice"
    assert event["requestParameters"] == {"keyId": key, "encryptionContext": {"app": "x"}}
    assert event["responseElements"] is None
    assert event["resources"] == [{"accountId": A, "type": "AWS::KMS::Key", "ARN": key}]
    assert event["recipientAccountId"] == A
    assert "errorCode" not in event
    assert estate.alice.last_event == event


def test_denied_and_failed_calls_are_logged(estate: Estate) -> None:
    key = new_key(estate.alice)
    with pytest.raises(KMSError):
        estate.app.encrypt(KeyId=key, Plaintext=b"p")
    event = estate.world.audit_events(A)[-1]
    assert event["errorCode"] == "AccessDeniedException"
    assert "not authorized" in event["errorMessage"]
    assert event["userIdentity"]["type"] == "AssumedRole"
    assert event["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == estate.app_role
    with pytest.raises(KMSError):
        estate.alice.decrypt(CiphertextBlob=b"garbage")
    assert estate.world.audit_events(A)[-1]["errorCode"] == "InvalidCiphertextException"


def test_decrypt_logs_the_algorithm_and_create_grant_never_the_token(estate: Estate) -> None:
    key = new_key(estate.alice)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    estate.alice.decrypt(CiphertextBlob=blob)
    assert estate.world.audit_events(A)[-1]["requestParameters"]["encryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    grant = estate.alice.create_grant(KeyId=key, GranteePrincipal=estate.app_role, Operations=["Decrypt"])
    event = estate.world.audit_events(A)[-1]
    assert event["responseElements"] == {"grantId": grant["GrantId"]}
    assert grant["GrantToken"] not in json.dumps(event)


def test_no_secret_ever_reaches_the_log(estate: Estate) -> None:
    secret = b"TOP-SECRET-PLAINTEXT"
    key = new_key(estate.alice)
    hmac_key = new_key(estate.alice, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    blob = estate.alice.encrypt(KeyId=key, Plaintext=secret)["CiphertextBlob"]
    data_key = estate.alice.generate_data_key(KeyId=key, KeySpec="AES_256")
    pair = estate.alice.generate_data_key_pair(KeyId=key, KeyPairSpec="ECC_NIST_P256")
    mac = estate.alice.generate_mac(KeyId=hmac_key, Message=secret, MacAlgorithm="HMAC_SHA_256")["Mac"]
    estate.alice.decrypt(CiphertextBlob=blob)
    exported = estate.world.export_audit(A)
    secrets = [
        secret,
        blob,
        data_key["Plaintext"],
        data_key["CiphertextBlob"],
        pair["PrivateKeyPlaintext"],
        mac,
    ]
    for value in secrets:
        for form in (value.decode("latin-1"), base64.b64encode(value).decode(), value.hex()):
            assert form not in exported
    for key_record in estate.world.keys.values():
        for _, material in key_record.material.versions:
            if material:
                assert material.hex() not in exported
                assert base64.b64encode(material).decode() not in exported


def test_export_is_json_lines(estate: Estate) -> None:
    new_key(estate.alice)
    lines = estate.world.export_audit(A).splitlines()
    assert lines
    assert all(json.loads(line)["eventSource"] == "kms.amazonaws.com" for line in lines)
