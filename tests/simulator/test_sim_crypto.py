"""Real cryptography: round trips, and every way a ciphertext, signature or MAC must fail."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from estate import REGION, A, Estate, new_key
from hypothesis import given
from hypothesis import strategies as st

from kmspolicy.simulator import KMSError
from kmspolicy.simulator.crypto import canonical_context


def test_encrypt_decrypt_round_trip_with_context(estate: Estate) -> None:
    key = new_key(estate.alice)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"secret", EncryptionContext={"app": "x", "env": "prod"})
    assert blob["KeyId"] == key
    assert blob["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    out = estate.alice.decrypt(
        CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"env": "prod", "app": "x"}
    )
    assert out["Plaintext"] == b"secret"
    assert out["KeyId"] == key


def test_blob_does_not_reveal_the_key_or_repeat(estate: Estate) -> None:
    key = new_key(estate.alice)
    key_id = key.rsplit("/", 1)[1]
    one = estate.alice.encrypt(KeyId=key, Plaintext=b"same")["CiphertextBlob"]
    two = estate.alice.encrypt(KeyId=key, Plaintext=b"same")["CiphertextBlob"]
    assert key_id.encode() not in one
    assert key.encode() not in one
    assert bytes.fromhex(key_id.replace("-", "")) not in one
    assert one != two


@pytest.mark.parametrize(
    "context",
    [None, {"app": "y"}, {"APP": "x"}, {"app": "X"}, {"app": "x", "extra": "1"}],
    ids=["missing", "changed-value", "key-case", "value-case", "superset"],
)
def test_wrong_context_fails(estate: Estate, context: dict[str, str] | None) -> None:
    key = new_key(estate.alice)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"app": "x"})["CiphertextBlob"]
    params = {"CiphertextBlob": blob} | ({"EncryptionContext": context} if context is not None else {})
    with pytest.raises(KMSError) as err:
        estate.alice.decrypt(**params)
    assert err.value.code == "InvalidCiphertextException"
    assert err.value.message == ""


def test_context_serialisation_does_not_collide(estate: Estate) -> None:
    """moto's key||value serialisation lets {ab: c} decrypt {a: bc} (probe P07c); ours must not."""
    key = new_key(estate.alice)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"ab": "c"})["CiphertextBlob"]
    with pytest.raises(KMSError, match="InvalidCiphertextException"):
        estate.alice.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "bc"})


@given(
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
)
def test_canonical_context_is_injective(one: dict[str, str], two: dict[str, str]) -> None:
    assert (canonical_context(one) == canonical_context(two)) == (one == two)


@pytest.mark.parametrize("position", [0, 2, 10, 40, 60, -20, -1])
def test_tampered_blob_fails(estate: Estate, position: int) -> None:
    key = new_key(estate.alice)
    blob = bytearray(estate.alice.encrypt(KeyId=key, Plaintext=b"p" * 40)["CiphertextBlob"])
    blob[position] ^= 0x01
    with pytest.raises(KMSError) as err:
        estate.alice.decrypt(CiphertextBlob=bytes(blob))
    assert err.value.code == "InvalidCiphertextException"


def test_garbage_and_truncated_blobs_fail(estate: Estate) -> None:
    key = new_key(estate.alice)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    for bad in (b"garbage", blob[:40], blob[:-1]):
        with pytest.raises(KMSError, match="InvalidCiphertextException"):
            estate.alice.decrypt(CiphertextBlob=bad)


def test_wrong_key_id_is_incorrect_key(estate: Estate) -> None:
    key, other = new_key(estate.alice), new_key(estate.alice)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    with pytest.raises(KMSError) as err:
        estate.alice.decrypt(CiphertextBlob=blob, KeyId=other)
    assert err.value.code == "IncorrectKeyException"
    assert estate.alice.decrypt(CiphertextBlob=blob, KeyId=key)["Plaintext"] == b"p"


def test_blob_from_another_region_fails(estate: Estate) -> None:
    key = new_key(estate.alice)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    west = estate.world.client("arn:aws:iam::111122223333:user/alice", "us-west-2")
    with pytest.raises(KMSError, match="InvalidCiphertextException"):
        west.decrypt(CiphertextBlob=blob)


def test_key_from_another_region_is_not_found(estate: Estate) -> None:
    key = new_key(estate.alice)
    west = estate.world.client("arn:aws:iam::111122223333:user/alice", "us-west-2")
    with pytest.raises(KMSError) as err:
        west.encrypt(KeyId=key, Plaintext=b"p")
    assert err.value.code == "NotFoundException"
    assert err.value.message == "Invalid arn us-east-1"
    with pytest.raises(KMSError, match="NotFoundException"):
        west.encrypt(KeyId=key.rsplit("/", 1)[1], Plaintext=b"p")


def test_rotation_keeps_old_material(estate: Estate) -> None:
    key = new_key(estate.alice)
    old = estate.alice.encrypt(KeyId=key, Plaintext=b"before")
    before = estate.alice.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"]
    estate.alice.rotate_key_on_demand(KeyId=key)
    after = estate.alice.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert before != after
    new = estate.alice.encrypt(KeyId=key, Plaintext=b"after")
    assert estate.alice.decrypt(CiphertextBlob=old["CiphertextBlob"])["KeyMaterialId"] == before
    assert estate.alice.decrypt(CiphertextBlob=new["CiphertextBlob"])["KeyMaterialId"] == after
    rotations = estate.alice.list_key_rotations(KeyId=key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]


def test_data_keys(estate: Estate) -> None:
    key = new_key(estate.alice)
    out = estate.alice.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext={"k": "v"})
    assert len(out["Plaintext"]) == 32
    back = estate.alice.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "v"})
    assert back["Plaintext"] == out["Plaintext"]
    assert len(estate.alice.generate_data_key(KeyId=key, KeySpec="AES_128")["Plaintext"]) == 16
    assert len(estate.alice.generate_data_key(KeyId=key, NumberOfBytes=7)["Plaintext"]) == 7
    bare = estate.alice.generate_data_key_without_plaintext(KeyId=key, KeySpec="AES_256")
    assert "Plaintext" not in bare
    assert len(estate.alice.decrypt(CiphertextBlob=bare["CiphertextBlob"])["Plaintext"]) == 32
    assert estate.alice.generate_data_key(KeyId=key, KeySpec="AES_256")["Plaintext"] != out["Plaintext"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"KeySpec": "AES_256", "NumberOfBytes": 32},
        {"NumberOfBytes": 0},
        {"NumberOfBytes": 1025},
        {"KeySpec": "X"},
    ],
)
def test_data_key_parameters_are_validated(estate: Estate, params: dict[str, object]) -> None:
    key = new_key(estate.alice)
    with pytest.raises(KMSError, match="ValidationException"):
        estate.alice.generate_data_key(KeyId=key, **params)


def test_data_key_pair_private_key_decrypts_to_the_pair(estate: Estate) -> None:
    key = new_key(estate.alice)
    out = estate.alice.generate_data_key_pair(KeyId=key, KeyPairSpec="ECC_NIST_P256")
    private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], None)
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public == out["PublicKey"]
    back = estate.alice.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"])["Plaintext"]
    assert back == out["PrivateKeyPlaintext"]
    bare = estate.alice.generate_data_key_pair_without_plaintext(KeyId=key, KeyPairSpec="ECC_SECG_P256K1")
    assert "PrivateKeyPlaintext" not in bare


def test_plaintext_limits(estate: Estate) -> None:
    key = new_key(estate.alice)
    estate.alice.encrypt(KeyId=key, Plaintext=b"x" * 4096)
    for bad in (b"", b"x" * 4097):
        with pytest.raises(KMSError, match="ValidationException"):
            estate.alice.encrypt(KeyId=key, Plaintext=bad)


def test_rsa_encryption_interoperates_with_the_public_key(estate: Estate) -> None:
    key = new_key(estate.alice, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    public = serialization.load_der_public_key(estate.alice.get_public_key(KeyId=key)["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    offline = public.encrypt(b"made offline", oaep)
    out = estate.alice.decrypt(CiphertextBlob=offline, KeyId=key, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert out["Plaintext"] == b"made offline"
    inside = estate.alice.encrypt(KeyId=key, Plaintext=b"p", EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    back = estate.alice.decrypt(
        CiphertextBlob=inside["CiphertextBlob"], KeyId=key, EncryptionAlgorithm="RSAES_OAEP_SHA_1"
    )
    assert back["Plaintext"] == b"p"
    with pytest.raises(KMSError, match="InvalidKeyUsageException"):
        estate.alice.encrypt(KeyId=key, Plaintext=b"p")  # SYMMETRIC_DEFAULT on an RSA key
    with pytest.raises(KMSError, match="ValidationException"):
        estate.alice.encrypt(KeyId=key, Plaintext=b"x" * 191, EncryptionAlgorithm="RSAES_OAEP_SHA_256")


@pytest.mark.parametrize(
    ("spec", "algorithm", "curve"),
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256", ec.SECP256R1),
        ("ECC_NIST_P384", "ECDSA_SHA_384", ec.SECP384R1),
        ("ECC_SECG_P256K1", "ECDSA_SHA_256", ec.SECP256K1),
    ],
)
def test_ecdsa_sign_verifies_outside(estate: Estate, spec: str, algorithm: str, curve: type) -> None:
    key = new_key(estate.alice, KeySpec=spec, KeyUsage="SIGN_VERIFY")
    signature = estate.alice.sign(KeyId=key, Message=b"msg", SigningAlgorithm=algorithm)["Signature"]
    public = serialization.load_der_public_key(estate.alice.get_public_key(KeyId=key)["PublicKey"])
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert isinstance(public.curve, curve)
    digest = hashes.SHA256() if algorithm.endswith("256") else hashes.SHA384()
    public.verify(signature, b"msg", ec.ECDSA(digest))
    assert estate.alice.verify(KeyId=key, Message=b"msg", Signature=signature, SigningAlgorithm=algorithm)[
        "SignatureValid"
    ]


def test_rsa_pss_digest_signing_uses_digest_length_salt(estate: Estate) -> None:
    key = new_key(estate.alice, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    digest = hashlib.sha256(b"msg").digest()
    signature = estate.alice.sign(
        KeyId=key, Message=digest, MessageType="DIGEST", SigningAlgorithm="RSASSA_PSS_SHA_256"
    )["Signature"]
    public = serialization.load_der_public_key(estate.alice.get_public_key(KeyId=key)["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    public.verify(signature, b"msg", pss, hashes.SHA256())  # DIGEST was not hashed again
    # the message type may differ between signing and verifying
    estate.alice.verify(KeyId=key, Message=b"msg", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256")
    with pytest.raises(KMSError) as err:
        estate.alice.sign(
            KeyId=key, Message=b"short", MessageType="DIGEST", SigningAlgorithm="RSASSA_PSS_SHA_256"
        )
    assert err.value.code == "ValidationException"
    assert err.value.message == "Digest is invalid length for algorithm RSASSA_PSS_SHA_256."


def test_pkcs1_signature_and_failed_verify_throws(estate: Estate) -> None:
    key = new_key(estate.alice, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    alg = "RSASSA_PKCS1_V1_5_SHA_384"
    signature = estate.alice.sign(KeyId=key, Message=b"msg", SigningAlgorithm=alg)["Signature"]
    with pytest.raises(KMSError) as err:
        estate.alice.verify(KeyId=key, Message=b"other", Signature=signature, SigningAlgorithm=alg)
    assert (err.value.code, err.value.message) == ("KMSInvalidSignatureException", "")
    with pytest.raises(KMSError, match="InvalidKeyUsageException"):
        estate.alice.sign(KeyId=key, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    with pytest.raises(KMSError, match="InvalidKeyUsageException"):
        estate.alice.encrypt(KeyId=key, Plaintext=b"m")


def test_hmac(estate: Estate) -> None:
    key = new_key(estate.alice, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    mac = estate.alice.generate_mac(KeyId=key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert len(mac) == 32
    assert estate.alice.verify_mac(KeyId=key, Message=b"m", Mac=mac, MacAlgorithm="HMAC_SHA_256")["MacValid"]
    with pytest.raises(KMSError) as err:
        estate.alice.verify_mac(KeyId=key, Message=b"n", Mac=mac, MacAlgorithm="HMAC_SHA_256")
    assert (err.value.code, err.value.message) == ("KMSInvalidMacException", "")
    with pytest.raises(KMSError) as err:
        estate.alice.generate_mac(KeyId=key, Message=b"m", MacAlgorithm="HMAC_SHA_384")
    assert err.value.message == "Algorithm HMAC_SHA_384 is incompatible with key spec HMAC_256."
    with pytest.raises(KMSError, match="ValidationException"):
        estate.alice.create_key(KeySpec="HMAC_256")  # KeyUsage is required for non-symmetric keys


def test_symmetric_key_cannot_sign_or_make_data_keys_from_asymmetric(estate: Estate) -> None:
    symmetric = new_key(estate.alice)
    with pytest.raises(KMSError) as err:
        estate.alice.sign(KeyId=symmetric, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert err.value.code == "InvalidKeyUsageException"
    assert err.value.message == f"{symmetric} key usage is ENCRYPT_DECRYPT which is not valid for Sign."
    signing = new_key(estate.alice, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    with pytest.raises(KMSError, match="InvalidKeyUsageException"):
        estate.alice.generate_data_key(KeyId=signing, KeySpec="AES_256")
    with pytest.raises(KMSError, match="UnsupportedOperationException"):
        estate.alice.get_public_key(KeyId=symmetric)


def test_re_encrypt_between_keys(estate: Estate) -> None:
    one, two = new_key(estate.alice), new_key(estate.alice)
    blob = estate.alice.encrypt(KeyId=one, Plaintext=b"p", EncryptionContext={"a": "1"})["CiphertextBlob"]
    out = estate.alice.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"a": "1"},
        DestinationKeyId=two,
        DestinationEncryptionContext={"b": "2"},
    )
    assert out["SourceKeyId"] == one
    assert out["KeyId"] == two
    back = estate.alice.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"b": "2"})
    assert back["Plaintext"] == b"p"
    assert back["KeyId"] == two
    with pytest.raises(KMSError, match="IncorrectKeyException"):
        estate.alice.re_encrypt(
            CiphertextBlob=blob, SourceKeyId=two, DestinationKeyId=two, SourceEncryptionContext={"a": "1"}
        )


def test_generate_random(estate: Estate) -> None:
    assert len(estate.alice.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024
    for bad in (0, 1025):
        with pytest.raises(KMSError, match="ValidationException"):
            estate.alice.generate_random(NumberOfBytes=bad)


def test_decrypt_by_alias_and_account_other_key_ids(estate: Estate) -> None:
    key = new_key(estate.alice)
    estate.alice.create_alias(AliasName="alias/app", TargetKeyId=key)
    blob = estate.alice.encrypt(KeyId="alias/app", Plaintext=b"p")["CiphertextBlob"]
    assert estate.alice.decrypt(CiphertextBlob=blob, KeyId="alias/app")["KeyId"] == key
    alias_arn = f"arn:aws:kms:{REGION}:{A}:alias/app"
    assert estate.alice.encrypt(KeyId=alias_arn, Plaintext=b"p")["KeyId"] == key
