"""Real cryptography for the simulated keys, and the opaque ciphertext blob.

Blob layout (kms-simulator.md §2.6): `KS` | kind (1 regional, 2 multi-Region) | sealed reference
(12-byte nonce + AES-GCM of the 16-byte key handle and 4-byte material version under a per-region, or
for multi-Region keys per-partition, simulator secret) | 12-byte IV | AES-256-GCM ciphertext and tag.
The whole header plus the canonical encryption context is the AAD of the data part, so a changed
header, context, key or Region fails authentication and never yields plaintext. The key id is never
in clear, and two encryptions of the same plaintext share no bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, field
from typing import Literal

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kmspolicy.simulator.kmserror import KMSError

MAGIC = b"KS"
KIND_REGIONAL = 1
KIND_MULTI_REGION = 2
_REF_AAD = b"kmspolicy-simulator-key-reference-v1"
_REF_LEN = 12 + 20 + 16
HEADER_LEN = len(MAGIC) + 1 + _REF_LEN
MAX_CIPHERTEXT = 6144

MaterialKind = Literal["symmetric", "rsa", "ecc", "hmac"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
    "224": hashes.SHA224,
}
_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}
_RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
_HMAC_BYTES = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}

RSA_ENCRYPTION = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
RSA_SIGNING = (
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
)
ECDSA_BY_SPEC = {
    "ECC_NIST_P256": "ECDSA_SHA_256",
    "ECC_NIST_P384": "ECDSA_SHA_384",
    "ECC_NIST_P521": "ECDSA_SHA_512",
    "ECC_SECG_P256K1": "ECDSA_SHA_256",
}
SUPPORTED_SPECS = ("SYMMETRIC_DEFAULT", *_RSA_BITS, *_CURVES, *_HMAC_BYTES)
DATA_KEY_PAIR_SPECS = (*_RSA_BITS, *_CURVES)


def usages_for(spec: str) -> tuple[str, ...]:
    """KeyUsage values a KeySpec allows (reference §5.7), key agreement left out of the simulator."""
    if spec == "SYMMETRIC_DEFAULT":
        return ("ENCRYPT_DECRYPT",)
    if spec in _RSA_BITS:
        return ("ENCRYPT_DECRYPT", "SIGN_VERIFY")
    if spec in _CURVES:
        return ("SIGN_VERIFY",)
    if spec in _HMAC_BYTES:
        return ("GENERATE_VERIFY_MAC",)
    return ()


def algorithms_for(spec: str, usage: str) -> dict[str, list[str]]:
    """The KeyMetadata algorithm member that applies to the key, and its values."""
    if spec == "SYMMETRIC_DEFAULT":
        return {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]}
    if spec in _RSA_BITS:
        if usage == "ENCRYPT_DECRYPT":
            return {"EncryptionAlgorithms": list(RSA_ENCRYPTION)}
        return {"SigningAlgorithms": list(RSA_SIGNING)}
    if spec in _CURVES:
        return {"SigningAlgorithms": [ECDSA_BY_SPEC[spec]]}
    return {"MacAlgorithms": [f"HMAC_SHA_{spec.removeprefix('HMAC_')}"]}


def new_material_id() -> str:
    return os.urandom(32).hex()


@dataclass
class Material:
    """A key's material: every symmetric/HMAC version (rotation keeps old ones), or one key pair."""

    kind: MaterialKind
    spec: str
    versions: list[tuple[str, bytes]] = field(default_factory=list)  # (KeyMaterialId, secret)
    private: PrivateKey | None = None
    _aead: dict[int, AESGCM] = field(default_factory=dict, repr=False)

    @property
    def current_version(self) -> int:
        return len(self.versions) - 1

    @property
    def current_id(self) -> str:
        return self.versions[-1][0]

    def aead(self, version: int) -> AESGCM:
        found = self._aead.get(version)
        if found is None:
            found = self._aead[version] = AESGCM(self.versions[version][1])
        return found

    def rotate(self) -> str:
        material_id = new_material_id()
        self.versions.append((material_id, os.urandom(32)))
        return material_id

    def public_der(self) -> bytes:
        assert self.private is not None
        return self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": self.kind,
            "spec": self.spec,
            "versions": [[mid, secret.hex()] for mid, secret in self.versions],
        }
        if self.private is not None:
            out["private"] = private_der(self.private).hex()
        return out

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Material:
        raw_versions = data["versions"]
        assert isinstance(raw_versions, list)
        private_hex = data.get("private")
        private = None
        if isinstance(private_hex, str):
            loaded = serialization.load_der_private_key(bytes.fromhex(private_hex), password=None)
            assert isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
            private = loaded
        kind = data["kind"]
        assert kind in ("symmetric", "rsa", "ecc", "hmac")
        return cls(
            kind=kind,
            spec=str(data["spec"]),
            versions=[(str(mid), bytes.fromhex(str(secret))) for mid, secret in raw_versions],
            private=private,
        )


def generate_private(spec: str) -> PrivateKey:
    if spec in _RSA_BITS:
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS[spec])
    return ec.generate_private_key(_CURVES[spec]())


def private_der(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def new_material(spec: str) -> Material:
    if spec == "SYMMETRIC_DEFAULT":
        return Material("symmetric", spec, [(new_material_id(), os.urandom(32))])
    if spec in _HMAC_BYTES:
        return Material("hmac", spec, [(new_material_id(), os.urandom(_HMAC_BYTES[spec]))])
    kind: MaterialKind = "rsa" if spec in _RSA_BITS else "ecc"
    return Material(kind, spec, [(new_material_id(), b"")], private=generate_private(spec))


# --------------------------------------------------------------------------- symmetric blobs


def canonical_context(context: dict[str, str] | None) -> bytes:
    """Unambiguous AAD: count, then sorted length-prefixed UTF-8 keys and values (no moto collision)."""
    if not context:
        return b"\x00\x00\x00\x00"
    parts = [struct.pack(">I", len(context))]
    for k, v in sorted((k.encode(), v.encode()) for k, v in context.items()):
        parts.append(struct.pack(">I", len(k)) + k + struct.pack(">I", len(v)) + v)
    return b"".join(parts)


def seal_reference(secret: AESGCM, kind: int, handle: bytes, version: int) -> bytes:
    nonce = os.urandom(12)
    return (
        MAGIC + bytes([kind]) + nonce + secret.encrypt(nonce, handle + struct.pack(">I", version), _REF_AAD)
    )


@dataclass(frozen=True, slots=True)
class BlobReference:
    kind: int
    handle: bytes
    version: int


def blob_kind(blob: bytes) -> int:
    if (
        len(blob) < HEADER_LEN + 12 + 16
        or blob[:2] != MAGIC
        or blob[2] not in (KIND_REGIONAL, KIND_MULTI_REGION)
    ):
        raise KMSError("InvalidCiphertextException", "")
    return blob[2]


def open_reference(blob: bytes, secret: AESGCM) -> BlobReference:
    """Which key and material version made the blob; fails for a foreign or tampered header."""
    kind = blob_kind(blob)
    nonce, sealed = blob[3:15], blob[15:HEADER_LEN]
    try:
        opened = secret.decrypt(nonce, sealed, _REF_AAD)
    except InvalidTag:
        raise KMSError("InvalidCiphertextException", "") from None
    return BlobReference(kind, opened[:16], struct.unpack(">I", opened[16:])[0])


def encrypt_symmetric(
    header: bytes, material: Material, plaintext: bytes, context: dict[str, str] | None
) -> bytes:
    iv = os.urandom(12)
    aead = material.aead(material.current_version)
    return header + iv + aead.encrypt(iv, plaintext, header + canonical_context(context))


def decrypt_symmetric(blob: bytes, material: Material, version: int, context: dict[str, str] | None) -> bytes:
    if version >= len(material.versions):
        raise KMSError("InvalidCiphertextException", "")
    header, iv, body = blob[:HEADER_LEN], blob[HEADER_LEN : HEADER_LEN + 12], blob[HEADER_LEN + 12 :]
    try:
        return material.aead(version).decrypt(iv, body, header + canonical_context(context))
    except InvalidTag:
        raise KMSError("InvalidCiphertextException", "") from None


# --------------------------------------------------------------------------- asymmetric and HMAC


def _oaep(algorithm: str) -> padding.OAEP:
    digest: hashes.HashAlgorithm = hashes.SHA1() if algorithm == "RSAES_OAEP_SHA_1" else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def rsa_encrypt(material: Material, algorithm: str, plaintext: bytes) -> bytes:
    assert isinstance(material.private, rsa.RSAPrivateKey)
    digest_len = 20 if algorithm == "RSAES_OAEP_SHA_1" else 32
    limit = material.private.key_size // 8 - 2 * digest_len - 2
    if len(plaintext) > limit:
        raise KMSError("ValidationException", f"plaintext is too long for `{algorithm}` with {material.spec}")
    return material.private.public_key().encrypt(plaintext, _oaep(algorithm))


def rsa_decrypt(material: Material, algorithm: str, ciphertext: bytes) -> bytes:
    assert isinstance(material.private, rsa.RSAPrivateKey)
    try:
        return material.private.decrypt(ciphertext, _oaep(algorithm))
    except ValueError:
        raise KMSError("InvalidCiphertextException", "") from None


def _hash_for(algorithm: str) -> hashes.HashAlgorithm:
    return _HASHES[algorithm.rsplit("_", 1)[1]]()


def _message_argument(
    algorithm: str, message: bytes, message_type: str
) -> tuple[bytes, hashes.HashAlgorithm | utils.Prehashed]:
    digest = _hash_for(algorithm)
    if message_type == "DIGEST":
        if len(message) != digest.digest_size:
            raise KMSError("ValidationException", f"Digest is invalid length for algorithm {algorithm}.")
        return message, utils.Prehashed(digest)
    return message, digest


def _rsa_padding(algorithm: str) -> padding.AsymmetricPadding:
    if algorithm.startswith("RSASSA_PSS"):
        # AWS uses a salt as long as the digest (kms-simulator.md §2.3 Sign)
        return padding.PSS(
            mgf=padding.MGF1(_hash_for(algorithm)), salt_length=_hash_for(algorithm).digest_size
        )
    return padding.PKCS1v15()


def sign(material: Material, algorithm: str, message: bytes, message_type: str) -> bytes:
    data, alg = _message_argument(algorithm, message, message_type)
    if isinstance(material.private, rsa.RSAPrivateKey):
        return material.private.sign(data, _rsa_padding(algorithm), alg)
    assert isinstance(material.private, ec.EllipticCurvePrivateKey)
    return material.private.sign(data, ec.ECDSA(alg))


def verify(material: Material, algorithm: str, message: bytes, message_type: str, signature: bytes) -> None:
    data, alg = _message_argument(algorithm, message, message_type)
    public = material.private.public_key() if material.private is not None else None
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, _rsa_padding(algorithm), alg)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(alg))
    except InvalidSignature:
        raise KMSError("KMSInvalidSignatureException", "") from None


def mac(material: Material, algorithm: str, message: bytes) -> bytes:
    name = "sha" + algorithm.rsplit("_", 1)[1]
    return hmac.new(material.versions[-1][1], message, getattr(hashlib, name)).digest()


def verify_mac(material: Material, algorithm: str, message: bytes, tag: bytes) -> None:
    if not hmac.compare_digest(mac(material, algorithm, message), tag):
        raise KMSError("KMSInvalidMacException", "")


def data_key_pair(spec: str) -> tuple[bytes, bytes]:
    """(private key PKCS#8 DER, public key SubjectPublicKeyInfo DER) for GenerateDataKeyPair."""
    private = generate_private(spec)
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_der(private), public
