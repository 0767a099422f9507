"""Save and load: a reloaded world decrypts old ciphertext and keeps every record."""

from __future__ import annotations

from pathlib import Path

from estate import REGION, A, Estate, new_key

from kmspolicy.simulator import World


def test_save_and_load_round_trip(estate: Estate, tmp_path: Path) -> None:
    key = new_key(estate.alice, Tags=[{"TagKey": "t", "TagValue": "v"}])
    rsa = new_key(estate.alice, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    estate.alice.create_alias(AliasName="alias/app", TargetKeyId=key)
    blob = estate.alice.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"a": "b"})["CiphertextBlob"]
    estate.alice.rotate_key_on_demand(KeyId=key)
    grant = estate.alice.create_grant(KeyId=key, GranteePrincipal=estate.app_role, Operations=["Decrypt"])
    signature = estate.alice.sign(KeyId=rsa, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    estate.world.clock.advance(3600)
    path = tmp_path / "world.json"
    estate.world.save(path)

    loaded = World.load(path)
    assert loaded.audit_events(A) == estate.world.audit_events(A)
    alice = loaded.client(estate.alice.principal, REGION)
    app = loaded.client(estate.app.principal, REGION)
    assert loaded.clock.now() == estate.world.clock.now()
    assert (
        app.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"}, GrantTokens=[grant["GrantToken"]])[
            "Plaintext"
        ]
        == b"p"
    )
    assert alice.describe_key(KeyId="alias/app")["KeyMetadata"]["Arn"] == key
    assert alice.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "t", "TagValue": "v"}]
    alice.verify(KeyId=rsa, Message=b"m", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256")
