"""Cryptographic operations: encrypt/decrypt, data keys and pairs, sign/verify, MACs, random bytes."""

from __future__ import annotations

import os
from typing import Any

from kmspolicy.simulator import crypto
from kmspolicy.simulator.client import KEY_ID, Call, encryption_context_keys, operation
from kmspolicy.simulator.crypto import KIND_MULTI_REGION, KIND_REGIONAL, MAX_CIPHERTEXT
from kmspolicy.simulator.kmserror import KMSError
from kmspolicy.simulator.state import KeyRecord

ENCRYPTION_ALGORITHMS = ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"]
SIGNING_ALGORITHMS = [*crypto.RSA_SIGNING, "ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512"]
MAC_ALGORITHMS = ["HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"]
DATA_KEY_PAIR_SPECS = [*crypto.DATA_KEY_PAIR_SPECS, "ECC_NIST_EDWARDS25519", "SM2"]
INCORRECT_KEY = "The key ID in the request does not identify a CMK that can perform this operation."


def _usage(key: KeyRecord, wanted: str, operation: str) -> None:
    if key.usage != wanted:
        raise KMSError(
            "InvalidKeyUsageException",
            f"{key.arn} key usage is {key.usage} which is not valid for {operation}.",
        )


def _encryption_algorithm(key: KeyRecord, algorithm: str) -> None:
    allowed = crypto.algorithms_for(key.spec, key.usage).get("EncryptionAlgorithms", [])
    if algorithm not in allowed:
        raise KMSError(
            "InvalidKeyUsageException", f"{key.arn} does not support encryption algorithm {algorithm}."
        )


def _symmetric_only_context(key: KeyRecord, context: dict[str, str] | None) -> None:
    if context and key.spec != "SYMMETRIC_DEFAULT":
        raise KMSError(
            "ValidationException", "EncryptionContext is supported only with symmetric encryption keys"
        )


def _header(call: Call, key: KeyRecord) -> bytes:
    if key.multi_region:
        return crypto.seal_reference(
            call.world.secret("multi-region"), KIND_MULTI_REGION, key.handle, key.material.current_version
        )
    return crypto.seal_reference(
        call.world.secret(call.region), KIND_REGIONAL, key.handle, key.material.current_version
    )


def _seal(call: Call, key: KeyRecord, plaintext: bytes, context: dict[str, str] | None) -> bytes:
    return crypto.encrypt_symmetric(_header(call, key), key.material, plaintext, context)


def _blob_key(call: Call, blob: bytes) -> tuple[KeyRecord, int]:
    """The key and material version recorded in a symmetric blob (§2.6): from the header, never from KeyId."""
    kind = crypto.blob_kind(blob)
    secret = call.world.secret("multi-region" if kind == KIND_MULTI_REGION else call.region)
    ref = crypto.open_reference(blob, secret)
    arn = call.world.handles.get(ref.handle)
    if arn is None:
        raise KMSError("InvalidCiphertextException", "")
    key = call.world.keys[arn]
    if kind == KIND_MULTI_REGION:
        local = call.world.key_in(key.account, call.region, key.key_id)
        if local is None:
            raise KMSError("InvalidCiphertextException", "")
        key = local
    return call.touch(key), ref.version


def _source_key(call: Call, blob: bytes, member: str, algorithm: str) -> tuple[KeyRecord, int]:
    """Decrypt/ReEncrypt source: from the blob for symmetric ciphertext, from KeyId for RSA.

    Symmetric ciphertext records its key, so a short key ID may name a key of another account there
    (reference §1.4 Identification): it is compared with the recorded key, not looked up in the caller's.
    """
    given = call.p.get(member)
    if algorithm == "SYMMETRIC_DEFAULT" and isinstance(given, str) and KEY_ID.match(given):
        key, version = _blob_key(call, blob)
        if key.key_id == given:
            return key, version
    named = call.resolve_key(member, aliases=True) if given is not None else None
    if algorithm != "SYMMETRIC_DEFAULT":
        if named is None:
            raise KMSError("ValidationException", f"`{member}` is required for asymmetric ciphertext")
        return named, 0
    key, version = _blob_key(call, blob)
    if named is not None and named.arn != key.arn:
        raise KMSError("IncorrectKeyException", INCORRECT_KEY)
    if named is not None and named.arn in call.aliases_used:
        call.aliases_used[key.arn] = call.aliases_used[named.arn]
    return key, version


def _open(key: KeyRecord, blob: bytes, version: int, algorithm: str, context: dict[str, str] | None) -> bytes:
    if algorithm == "SYMMETRIC_DEFAULT":
        return crypto.decrypt_symmetric(blob, key.material, version, context)
    return crypto.rsa_decrypt(key.material, algorithm, blob)


def _close(
    call: Call, key: KeyRecord, plaintext: bytes, algorithm: str, context: dict[str, str] | None
) -> bytes:
    if algorithm == "SYMMETRIC_DEFAULT":
        return _seal(call, key, plaintext, context)
    return crypto.rsa_encrypt(key.material, algorithm, plaintext)


@operation(
    "Encrypt", "KeyId Plaintext EncryptionContext GrantTokens EncryptionAlgorithm DryRun", keyed_quota=True
)
def encrypt(call: Call) -> dict[str, Any]:
    plaintext = call.blob("Plaintext")
    context = call.context()
    tokens = call.grant_tokens()
    algorithm = call.enum("EncryptionAlgorithm", ENCRYPTION_ALGORITHMS, default="SYMMETRIC_DEFAULT")
    key = call.resolve_key(aliases=True)
    call.charge(key.spec)
    extra = {**encryption_context_keys(context), "kms:EncryptionAlgorithm": algorithm}
    call.authorize("kms:Encrypt", key, extra=extra, tokens=tokens)
    call.dry_run()
    call.check_state(key)
    _usage(key, "ENCRYPT_DECRYPT", "Encrypt")
    _encryption_algorithm(key, algorithm)
    _symmetric_only_context(key, context)
    blob = _close(call, key, plaintext, algorithm, context)
    return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}


@operation(
    "Decrypt",
    "CiphertextBlob EncryptionContext GrantTokens KeyId EncryptionAlgorithm Recipient DryRun DryRunModifiers",
    keyed_quota=True,
)
def decrypt(call: Call) -> dict[str, Any]:
    blob = call.blob("CiphertextBlob", max_len=MAX_CIPHERTEXT)
    context = call.context()
    tokens = call.grant_tokens()
    algorithm = call.enum("EncryptionAlgorithm", ENCRYPTION_ALGORITHMS, default="SYMMETRIC_DEFAULT")
    key, version = _source_key(call, blob, "KeyId", algorithm)
    call.charge(key.spec)
    extra = {**encryption_context_keys(context), "kms:EncryptionAlgorithm": algorithm}
    call.authorize("kms:Decrypt", key, extra=extra, tokens=tokens)
    call.dry_run()
    call.check_state(key)
    _usage(key, "ENCRYPT_DECRYPT", "Decrypt")
    _encryption_algorithm(key, algorithm)
    plaintext = _open(key, blob, version, algorithm, context)
    out: dict[str, Any] = {"KeyId": key.arn, "Plaintext": plaintext, "EncryptionAlgorithm": algorithm}
    if algorithm == "SYMMETRIC_DEFAULT":
        out["KeyMaterialId"] = key.material.versions[version][0]
    return out


@operation(
    "ReEncrypt",
    "CiphertextBlob SourceEncryptionContext SourceKeyId DestinationKeyId DestinationEncryptionContext "
    "SourceEncryptionAlgorithm DestinationEncryptionAlgorithm GrantTokens DryRun DryRunModifiers",
    keyed_quota=True,
)
def re_encrypt(call: Call) -> dict[str, Any]:
    blob = call.blob("CiphertextBlob", max_len=MAX_CIPHERTEXT)
    source_context = call.context("SourceEncryptionContext")
    dest_context = call.context("DestinationEncryptionContext")
    tokens = call.grant_tokens()
    source_alg = call.enum("SourceEncryptionAlgorithm", ENCRYPTION_ALGORITHMS, default="SYMMETRIC_DEFAULT")
    dest_alg = call.enum("DestinationEncryptionAlgorithm", ENCRYPTION_ALGORITHMS, default="SYMMETRIC_DEFAULT")
    source, version = _source_key(call, blob, "SourceKeyId", source_alg)
    source_alias = call.aliases_used.pop(source.arn, None)
    dest = call.resolve_key("DestinationKeyId", aliases=True)
    dest_alias = call.aliases_used.pop(dest.arn, None)
    call.touch(dest)
    call.charge(source.spec)
    same = "true" if source.arn == dest.arn else "false"
    from_extra = {
        **encryption_context_keys(source_context),
        "kms:EncryptionAlgorithm": source_alg,
        "kms:ReEncryptOnSameKey": same,
    }
    to_extra = {
        **encryption_context_keys(dest_context),
        "kms:EncryptionAlgorithm": dest_alg,
        "kms:ReEncryptOnSameKey": same,
    }
    if source_alias:
        from_extra["kms:RequestAlias"] = source_alias
    if dest_alias:
        to_extra["kms:RequestAlias"] = dest_alias
    call.authorize("kms:ReEncryptFrom", source, extra=from_extra, tokens=tokens)
    call.authorize("kms:ReEncryptTo", dest, extra=to_extra, tokens=tokens)
    call.dry_run()
    for key in (source, dest):
        call.check_state(key)
        _usage(key, "ENCRYPT_DECRYPT", "ReEncrypt")
    _encryption_algorithm(source, source_alg)
    _encryption_algorithm(dest, dest_alg)
    _symmetric_only_context(dest, dest_context)
    plaintext = _open(source, blob, version, source_alg, source_context)
    out: dict[str, Any] = {
        "CiphertextBlob": _close(call, dest, plaintext, dest_alg, dest_context),
        "SourceKeyId": source.arn,
        "KeyId": dest.arn,
        "SourceEncryptionAlgorithm": source_alg,
        "DestinationEncryptionAlgorithm": dest_alg,
    }
    if source_alg == "SYMMETRIC_DEFAULT":
        out["SourceKeyMaterialId"] = source.material.versions[version][0]
    if dest_alg == "SYMMETRIC_DEFAULT":
        out["DestinationKeyMaterialId"] = dest.material.current_id
    return out


def _data_key(call: Call, action: str) -> tuple[KeyRecord, bytes, bytes]:
    """Shared by both GenerateDataKey operations: (key, plaintext data key, its ciphertext)."""
    context = call.context()
    tokens = call.grant_tokens()
    spec = call.p.get("KeySpec")
    size = call.integer("NumberOfBytes", 1, 1024)
    if (spec is None) == (size is None):
        raise KMSError("ValidationException", "Please specify either number of bytes or key spec.")
    if spec is not None:
        size = {"AES_256": 32, "AES_128": 16}.get(call.enum("KeySpec", ["AES_256", "AES_128"]))
    assert size is not None
    key = call.resolve_key(aliases=True)
    call.charge(key.spec)
    extra = {**encryption_context_keys(context), "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
    call.authorize(action, key, extra=extra, tokens=tokens)
    call.dry_run()
    call.check_state(key)
    _usage(key, "ENCRYPT_DECRYPT", action.removeprefix("kms:"))
    if key.spec != "SYMMETRIC_DEFAULT":
        raise KMSError("InvalidKeyUsageException", f"{key.arn} is not a symmetric encryption key.")
    data_key = os.urandom(size)
    return key, data_key, _seal(call, key, data_key, context)


@operation(
    "GenerateDataKey",
    "KeyId EncryptionContext NumberOfBytes KeySpec GrantTokens Recipient DryRun",
    keyed_quota=True,
)
def generate_data_key(call: Call) -> dict[str, Any]:
    key, data_key, blob = _data_key(call, "kms:GenerateDataKey")
    return {
        "CiphertextBlob": blob,
        "Plaintext": data_key,
        "KeyId": key.arn,
        "KeyMaterialId": key.material.current_id,
    }


@operation(
    "GenerateDataKeyWithoutPlaintext",
    "KeyId EncryptionContext KeySpec NumberOfBytes GrantTokens DryRun",
    keyed_quota=True,
)
def generate_data_key_without_plaintext(call: Call) -> dict[str, Any]:
    key, _, blob = _data_key(call, "kms:GenerateDataKeyWithoutPlaintext")
    return {"CiphertextBlob": blob, "KeyId": key.arn, "KeyMaterialId": key.material.current_id}


def _data_key_pair(call: Call, action: str) -> dict[str, Any]:
    context = call.context()
    tokens = call.grant_tokens()
    pair_spec = call.enum("KeyPairSpec", DATA_KEY_PAIR_SPECS, required=True)
    key = call.resolve_key(aliases=True)
    call.charge(key.spec, pair_spec)
    extra = {
        **encryption_context_keys(context),
        "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "kms:DataKeyPairSpec": pair_spec,
    }
    call.authorize(action, key, extra=extra, tokens=tokens)
    call.dry_run()
    call.check_state(key)
    if key.spec != "SYMMETRIC_DEFAULT":
        raise KMSError("InvalidKeyUsageException", f"{key.arn} is not a symmetric encryption key.")
    if pair_spec not in crypto.DATA_KEY_PAIR_SPECS:
        raise KMSError(
            "UnsupportedOperationException", f"the simulator does not generate `{pair_spec}` key pairs"
        )
    private, public = crypto.data_key_pair(pair_spec)
    return {
        "PrivateKeyCiphertextBlob": _seal(call, key, private, context),
        "PrivateKeyPlaintext": private,
        "PublicKey": public,
        "KeyId": key.arn,
        "KeyPairSpec": pair_spec,
        "KeyMaterialId": key.material.current_id,
    }


@operation(
    "GenerateDataKeyPair",
    "EncryptionContext KeyId KeyPairSpec GrantTokens Recipient DryRun",
    keyed_quota=True,
)
def generate_data_key_pair(call: Call) -> dict[str, Any]:
    return _data_key_pair(call, "kms:GenerateDataKeyPair")


@operation(
    "GenerateDataKeyPairWithoutPlaintext",
    "EncryptionContext KeyId KeyPairSpec GrantTokens DryRun",
    keyed_quota=True,
)
def generate_data_key_pair_without_plaintext(call: Call) -> dict[str, Any]:
    out = _data_key_pair(call, "kms:GenerateDataKeyPairWithoutPlaintext")
    del out["PrivateKeyPlaintext"]
    return out


def _signing(call: Call, action: str) -> tuple[KeyRecord, bytes, str, str]:
    message = call.blob("Message")
    message_type = call.enum("MessageType", ["RAW", "DIGEST"], default="RAW")
    algorithm = call.enum("SigningAlgorithm", SIGNING_ALGORITHMS, required=True)
    tokens = call.grant_tokens()
    key = call.resolve_key(aliases=True)
    call.charge(key.spec)
    extra = {"kms:SigningAlgorithm": algorithm, "kms:MessageType": message_type}
    call.authorize(action, key, extra=extra, tokens=tokens)
    call.dry_run()
    call.check_state(key)
    _usage(key, "SIGN_VERIFY", action.removeprefix("kms:"))
    if algorithm not in crypto.algorithms_for(key.spec, key.usage).get("SigningAlgorithms", []):
        raise KMSError(
            "InvalidKeyUsageException", f"Algorithm {algorithm} is incompatible with key spec {key.spec}."
        )
    return key, message, message_type, algorithm


@operation("Sign", "KeyId Message MessageType GrantTokens SigningAlgorithm DryRun", keyed_quota=True)
def sign(call: Call) -> dict[str, Any]:
    key, message, message_type, algorithm = _signing(call, "kms:Sign")
    signature = crypto.sign(key.material, algorithm, message, message_type)
    return {"KeyId": key.arn, "Signature": signature, "SigningAlgorithm": algorithm}


@operation(
    "Verify", "KeyId Message MessageType Signature SigningAlgorithm GrantTokens DryRun", keyed_quota=True
)
def verify(call: Call) -> dict[str, Any]:
    signature = call.blob("Signature", max_len=6144)
    key, message, message_type, algorithm = _signing(call, "kms:Verify")
    crypto.verify(key.material, algorithm, message, message_type, signature)
    return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}


@operation("GetPublicKey", "KeyId GrantTokens")
def get_public_key(call: Call) -> dict[str, Any]:
    tokens = call.grant_tokens()
    key = call.resolve_key(aliases=True)
    call.authorize("kms:GetPublicKey", key, tokens=tokens)
    call.check_state(key)
    if key.material.private is None:
        raise KMSError(
            "UnsupportedOperationException",
            f"{key.arn} key usage is {key.usage} which is not valid for GetPublicKey.",
        )
    return {
        "KeyId": key.arn,
        "PublicKey": key.material.public_der(),
        "CustomerMasterKeySpec": key.spec,
        "KeySpec": key.spec,
        "KeyUsage": key.usage,
        **crypto.algorithms_for(key.spec, key.usage),
    }


def _mac(call: Call, action: str) -> tuple[KeyRecord, bytes, str]:
    message = call.blob("Message")
    algorithm = call.enum("MacAlgorithm", MAC_ALGORITHMS, required=True)
    tokens = call.grant_tokens()
    key = call.resolve_key(aliases=True)
    call.charge(key.spec)
    call.authorize(action, key, extra={"kms:MacAlgorithm": algorithm}, tokens=tokens)
    call.dry_run()
    call.check_state(key)
    _usage(key, "GENERATE_VERIFY_MAC", action.removeprefix("kms:"))
    if algorithm != f"HMAC_SHA_{key.spec.removeprefix('HMAC_')}":
        raise KMSError(
            "InvalidKeyUsageException", f"Algorithm {algorithm} is incompatible with key spec {key.spec}."
        )
    return key, message, algorithm


@operation("GenerateMac", "Message KeyId MacAlgorithm GrantTokens DryRun", keyed_quota=True)
def generate_mac(call: Call) -> dict[str, Any]:
    key, message, algorithm = _mac(call, "kms:GenerateMac")
    return {"Mac": crypto.mac(key.material, algorithm, message), "MacAlgorithm": algorithm, "KeyId": key.arn}


@operation("VerifyMac", "Message KeyId MacAlgorithm Mac GrantTokens DryRun", keyed_quota=True)
def verify_mac(call: Call) -> dict[str, Any]:
    tag = call.blob("Mac", max_len=6144)
    key, message, algorithm = _mac(call, "kms:VerifyMac")
    crypto.verify_mac(key.material, algorithm, message, tag)
    return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": algorithm}


@operation("GenerateRandom", "NumberOfBytes CustomKeyStoreId Recipient")
def generate_random(call: Call) -> dict[str, Any]:
    size = call.integer("NumberOfBytes", 1, 1024, required=True)
    assert size is not None
    if "CustomKeyStoreId" in call.p:
        raise KMSError("UnsupportedOperationException", "the simulator has no custom key stores")
    call.authorize("kms:GenerateRandom", None)
    return {"Plaintext": os.urandom(size)}
