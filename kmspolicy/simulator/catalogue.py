"""The simulator's own small catalogue of KMS facts, transcribed from the reference documents.

Kept apart from `kmspolicy.catalog` on purpose: the simulator is the independent side of the
differential tests (kms-authorization.md §1.4, §1.5, §4; kms-simulator.md §2.2, §2.3, §2.7).
"""

from __future__ import annotations

# kms-authorization.md §1.4: "Operations that can be performed cross-account"
CROSS_ACCOUNT_ACTIONS = frozenset(
    "kms:" + a
    for a in [
        "CreateGrant",
        "Decrypt",
        "DeriveSharedSecret",
        "DescribeKey",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "GetKeyRotationStatus",
        "GetPublicKey",
        "ListGrants",
        "ReEncryptFrom",
        "ReEncryptTo",
        "RetireGrant",
        "RevokeGrant",
        "Sign",
        "Verify",
        "VerifyMac",
    ]
)

# §1.5: the GrantOperation enum, the only operations a grant can allow
GRANT_OPERATIONS = frozenset(
    [
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
        "Sign",
        "Verify",
        "GetPublicKey",
        "GenerateMac",
        "VerifyMac",
        "DeriveSharedSecret",
        "DescribeKey",
        "CreateGrant",
        "RetireGrant",
    ]
)

# §1.5: grant constraints apply only to operations that take an encryption context
ENCRYPTION_CONTEXT_OPERATIONS = frozenset(
    [
        "Encrypt",
        "Decrypt",
        "ReEncryptFrom",
        "ReEncryptTo",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
    ]
)

# §1.10: decided by identity policy + boundary + session policy + SCP only
IAM_ONLY_ACTIONS = frozenset(
    "kms:" + a
    for a in [
        "CreateKey",
        "ListKeys",
        "ListAliases",
        "GenerateRandom",
        "ListRetirableGrants",
        "ConnectCustomKeyStore",
        "CreateCustomKeyStore",
        "DeleteCustomKeyStore",
        "DescribeCustomKeyStores",
        "DisconnectCustomKeyStore",
        "UpdateCustomKeyStore",
    ]
)

# §1.9: the alias half of these is authorised by IAM on the alias ARN
ALIAS_ACTIONS = frozenset({"kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"})

# kms-simulator.md §2.1 "Key identifiers" and reference §1.4 Identification: the permissions whose KeyId may
# be an alias name or alias ARN (the crypto operations, DescribeKey, GetPublicKey, DeriveSharedSecret,
# GetKeyLastUsage); every other key permission needs a key ID or key ARN
ALIAS_KEY_ID_ACTIONS = frozenset(
    "kms:" + a
    for a in [
        "Decrypt",
        "DeriveSharedSecret",
        "DescribeKey",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "GetKeyLastUsage",
        "GetPublicKey",
        "ReEncryptFrom",
        "ReEncryptTo",
        "Sign",
        "Verify",
        "VerifyMac",
    ]
)

# §1.4 Identification: "for Decrypt, and for the source key of ReEncrypt, of symmetric ciphertext the current
# API Reference also accepts a short key ID for a key in another account"
FOREIGN_KEY_ID_ACTIONS = frozenset({"kms:Decrypt", "kms:ReEncryptFrom"})

# §3.1: CreateKey's request parameters, evaluated against their defaults when omitted (§3.2)
CREATE_KEY_DEFAULTS: dict[str, str] = {
    "kms:keyspec": "SYMMETRIC_DEFAULT",
    "kms:customermasterkeyspec": "SYMMETRIC_DEFAULT",
    "kms:keyusage": "ENCRYPT_DECRYPT",
    "kms:customermasterkeyusage": "ENCRYPT_DECRYPT",
    "kms:keyorigin": "AWS_KMS",
    "kms:multiregion": "false",
}
# §3.2 "resource-property keys need a key": never in the context of a key-less action (lower case; with
# every `aws:resourcetag/<k>`) ...
RESOURCE_PROPERTY_KEYS = frozenset(
    {
        *CREATE_KEY_DEFAULTS,
        "kms:multiregionkeytype",
        "kms:resourcealiases",
        "kms:calleraccount",
        "kms:viaservice",
    }
)
# ... except those an action lists: CreateKey's request parameters (§3.1), kms:CallerAccount for CreateKey
# and the custom key store operations (§3.1), and kms:ViaService for CreateKey. §3.1 gives kms:ViaService
# only to "key-resource ops", but §4's per-action row for kms:CreateKey (the SAR's list) names it, and the
# per-action list is the more specific source: a service creating a key for its caller carries it.
KEYLESS_RESOURCE_KEYS: dict[str, frozenset[str]] = {
    "kms:CreateKey": frozenset(
        {*CREATE_KEY_DEFAULTS, "kms:multiregionkeytype", "kms:calleraccount", "kms:viaservice"}
    ),
    **dict.fromkeys(
        (
            "kms:ConnectCustomKeyStore",
            "kms:CreateCustomKeyStore",
            "kms:DeleteCustomKeyStore",
            "kms:DescribeCustomKeyStores",
            "kms:DisconnectCustomKeyStore",
            "kms:UpdateCustomKeyStore",
        ),
        frozenset({"kms:calleraccount"}),
    ),
}

# §3.1 kms:EncryptionAlgorithm: "data-key ops always SYMMETRIC_DEFAULT"
DATA_KEY_ACTIONS = frozenset(
    "kms:" + a
    for a in [
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
    ]
)

# §3.1 kms:GrantIsForAWSResource: the grant APIs that carry it
GRANT_API_ACTIONS = frozenset({"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"})

# every IAM action of §4, for canonical spelling of case-insensitive action names
KNOWN_ACTIONS = (
    CROSS_ACCOUNT_ACTIONS
    | IAM_ONLY_ACTIONS
    | ALIAS_ACTIONS
    | frozenset(
        "kms:" + a
        for a in [
            "CancelKeyDeletion",
            "DeleteImportedKeyMaterial",
            "DisableKey",
            "DisableKeyRotation",
            "EnableKey",
            "EnableKeyRotation",
            "GetKeyLastUsage",
            "GetKeyPolicy",
            "GetParametersForImport",
            "ImportKeyMaterial",
            "ListKeyPolicies",
            "ListKeyRotations",
            "ListResourceTags",
            "PutKeyPolicy",
            "ReplicateKey",
            "RotateKeyOnDemand",
            "ScheduleKeyDeletion",
            "SynchronizeMultiRegionKey",
            "TagResource",
            "UntagResource",
            "UpdateKeyDescription",
            "UpdatePrimaryRegion",
        ]
    )
)
CANONICAL_ACTION = {a.lower(): a for a in KNOWN_ACTIONS}

# kms-simulator.md §2.2 state rows: operation -> row name
STATE_ROW: dict[str, str] = {
    **dict.fromkeys(
        [
            "Encrypt",
            "Decrypt",
            "ReEncrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "GenerateDataKeyPair",
            "GenerateDataKeyPairWithoutPlaintext",
        ],
        "crypto",
    ),
    "CreateGrant": "crypto*",
    **dict.fromkeys(["Sign", "Verify", "GenerateMac", "VerifyMac", "GetPublicKey"], "asym"),
    **dict.fromkeys(
        [
            "DescribeKey",
            "GetKeyPolicy",
            "PutKeyPolicy",
            "ListGrants",
            "ListKeyPolicies",
            "ListResourceTags",
            "RetireGrant",
            "RevokeGrant",
            "DeleteAlias",
            "ListKeyRotations",
            "GetKeyRotationStatus",
        ],
        "any",
    ),
    **dict.fromkeys(["CreateAlias", "TagResource", "UntagResource", "UpdateKeyDescription"], "notPD"),
    **dict.fromkeys(["EnableKey", "DisableKey"], "toggle"),
    "ScheduleKeyDeletion": "notPD",
    "CancelKeyDeletion": "onlyPD",
    **dict.fromkeys(["EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand"], "rot"),
    **dict.fromkeys(["ReplicateKey", "UpdatePrimaryRegion"], "repl"),
}

# operations whose CloudTrail event is readOnly (§2.8: crypto and Describe/Get/List)
READ_ONLY_OPERATIONS = frozenset(
    [
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "Sign",
        "Verify",
        "GenerateMac",
        "VerifyMac",
        "GenerateRandom",
        "GetPublicKey",
        "DescribeKey",
        "GetKeyPolicy",
        "GetKeyRotationStatus",
        "ListAliases",
        "ListGrants",
        "ListKeyPolicies",
        "ListKeyRotations",
        "ListKeys",
        "ListResourceTags",
        "ListRetirableGrants",
    ]
)

# kms-simulator.md §2.7: per-operation request quotas (requests per second, archived defaults)
OPERATION_QUOTAS: dict[str, float] = {
    "CreateKey": 5,
    "CreateAlias": 5,
    "DeleteAlias": 15,
    "CreateGrant": 50,
    "RetireGrant": 30,
    "RevokeGrant": 30,
    "DescribeKey": 2000,
    "GetPublicKey": 2000,
    "ListResourceTags": 2000,
    "GetKeyPolicy": 1000,
    "GetKeyRotationStatus": 1000,
    "ListAliases": 500,
    "ListKeys": 500,
    "ListGrants": 100,
    "ListKeyPolicies": 100,
    "PutKeyPolicy": 15,
    "ScheduleKeyDeletion": 15,
    "EnableKeyRotation": 15,
    "TagResource": 10,
    "EnableKey": 5,
    "DisableKey": 5,
    "UntagResource": 5,
    "UpdateAlias": 5,
    "UpdateKeyDescription": 5,
}
# shared cryptographic pools by key family; GenerateDataKeyPair has per-spec quotas
CRYPTO_POOL_QUOTAS: dict[str, float] = {"symmetric": 10000, "rsa": 500, "ecc": 300}
DATA_KEY_PAIR_QUOTAS: dict[str, float] = {
    "RSA_2048": 1,
    "RSA_3072": 0.5,
    "RSA_4096": 0.1,
    "ECC_NIST_P256": 25,
    "ECC_NIST_P384": 25,
    "ECC_NIST_P521": 25,
    "ECC_SECG_P256K1": 25,
}
CRYPTO_OPERATIONS = frozenset(
    [
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "VerifyMac",
        "GenerateRandom",
        "Sign",
        "Verify",
    ]
)
