"""Simulator throughput: `python benchmarks/bench_simulator.py`.

In-process, authorised calls through the client on one core (a role session whose access comes from a
key policy with conditions plus a delegated identity policy, audit log and thread lock on; quotas off,
as a benchmark must not be throttled by the simulated clock that does not move here).

1. Encrypt + Decrypt round trips of 4 KB with an encryption context. Target: >= 5,000/s.
2. GenerateDataKey (AES_256). Target: >= 10,000/s.

Each is measured twice: the same request repeated (decisions are memoised per world state and request,
as a long-running simulation would see), and with a fresh encryption context on every call (every
decision computed by the literal authoriser). Times are CPU seconds of this process.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

from kmspolicy.simulator import Client, World

ACCOUNT = "111122223333"
REGION = "us-east-1"
PAYLOAD = os.urandom(4096)


def setup() -> tuple[Client, str]:
    world = World(quotas_enabled=False)
    world.add_account(ACCOUNT)
    admin = world.client(
        world.add_user(
            ACCOUNT,
            "admin",
            policies=[
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
                }
            ],
        ),
        REGION,
    )
    role = world.add_role(
        ACCOUNT,
        "App",
        policies=[
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt"],
                        "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/*",
                    }
                ],
            }
        ],
    )
    key = admin.create_key(Description="bench")["KeyMetadata"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "AppUse", "Effect": "Allow", "Principal": {"AWS": role},
             "Action": ["kms:Encrypt", "kms:GenerateDataKey*"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT},
                           "Null": {"kms:EncryptionContextKeys": "false"}}},
            {"Sid": "NoOutsiders", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}}},
        ],
    }  # fmt: skip
    admin.put_key_policy(KeyId=key, Policy=json.dumps(policy))
    return world.client(world.assume_role(role, "bench"), REGION), key


def rate(label: str, n: int, run: Callable[[int, int], None], target: float) -> float:
    run(200, n)  # warm up on requests the measured run does not repeat
    start = time.process_time()
    run(n, 0)
    per_second = n / (time.process_time() - start)
    verdict = "ok" if per_second >= target else "BELOW TARGET"
    print(f"{label:<58} {per_second:>10,.0f}/s  (target {target:,.0f}/s: {verdict})")
    return per_second


def main() -> None:
    client, key = setup()

    def round_trips(fresh: bool) -> Callable[[int, int], None]:
        def run(n: int, first: int) -> None:
            for i in range(first, first + n):
                context = {"app": "bench", "n": str(i)} if fresh else {"app": "bench"}
                blob = client.encrypt(KeyId=key, Plaintext=PAYLOAD, EncryptionContext=context)[
                    "CiphertextBlob"
                ]
                assert client.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == PAYLOAD

        return run

    def data_keys(fresh: bool) -> Callable[[int, int], None]:
        def run(n: int, first: int) -> None:
            for i in range(first, first + n):
                context = {"app": "bench", "n": str(i)} if fresh else {"app": "bench"}
                client.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext=context)

        return run

    rate("Encrypt+Decrypt round trips, 4 KB, same request", 10_000, round_trips(False), 5_000)
    rate("Encrypt+Decrypt round trips, 4 KB, fresh context each call", 5_000, round_trips(True), 5_000)
    rate("GenerateDataKey AES_256, same request", 20_000, data_keys(False), 10_000)
    rate("GenerateDataKey AES_256, fresh context each call", 10_000, data_keys(True), 10_000)


if __name__ == "__main__":
    main()
