"""Concurrent callers on several threads never corrupt the world."""

from __future__ import annotations

import threading

from estate import REGION, A, allow

from kmspolicy.simulator import World


def test_concurrent_callers() -> None:
    world = World(quotas_enabled=False, grant_consistency_seconds=0)
    world.add_account(A)
    user = world.add_user(A, "u", policies=[allow("kms:*")])
    setup = world.client(user, REGION)
    key = setup.create_key()["KeyMetadata"]["Arn"]
    errors: list[BaseException] = []
    created: list[str] = []

    def worker(n: int) -> None:
        try:
            client = world.client(user, REGION)
            for i in range(40):
                blob = client.encrypt(
                    KeyId=key, Plaintext=f"{n}-{i}".encode(), EncryptionContext={"n": str(n)}
                )
                out = client.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"n": str(n)})
                assert out["Plaintext"] == f"{n}-{i}".encode()
                if i % 10 == 0:
                    created.append(client.create_key()["KeyMetadata"]["Arn"])
                    client.create_grant(KeyId=key, GranteePrincipal=user, Operations=["Decrypt"])
                    client.tag_resource(KeyId=key, Tags=[{"TagKey": f"t{n}", "TagValue": str(i)}])
        except BaseException as exc:  # collected and re-raised on the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    events = world.audit_events(A)
    assert len(events) == 1 + 8 * (80 + 12)
    assert len({e["eventID"] for e in events}) == len(events)
    assert len(set(created)) == 32
    assert len(setup.list_grants(KeyId=key, Limit=1000)["Grants"]) == 32
    assert len(setup.list_resource_tags(KeyId=key)["Tags"]) == 8
