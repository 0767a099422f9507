"""Evaluator throughput: `python benchmarks/bench_evaluate.py [--rounds N]`.

1. A typical request: a key policy of 5 statements with conditions, 3 identity policies, 2 grants,
   compiled once. Targets: >= 100,000 decisions/s without trace, >= 20,000 with trace, on fresh requests.
   The identity policies scope reads to S3 objects (`kms:EncryptionContext:aws:s3:arn`, IfExists) and
   freeze key deletion until June (`aws:CurrentTime`). Four callers in turn (a key user decrypting, a
   reader through S3, a second decrypting role, an admin scheduling deletion), in three streams:
   - fresh: every request carries its own `aws:CurrentTime` and `aws:SourceIp`, and the data requests an
     S3 object ARN as encryption context; in every request some condition of a statement that applies
     reads a value no other request has (the object ARN, or the time for the admin's change freeze),
     so no memo can answer it and its conditions are tested again. This is the figure the targets are for.
   - unread keys: requests differ only in `aws:SourceIp` (or in an encryption context pair) that no
     statement reads: the evaluator's work per (caller, action, key) covers them.
   - repeated: the same four requests over and over.
   Times are CPU seconds of this process (`time.process_time`), the best of `--rounds` rounds, each on
   requests not seen before (so no round is answered by an earlier one's memo).

2. An account-wide matrix: 500 roles x 200 keys x 10 most-used actions through `evaluate_grid`.
   Target: < 10 s. The roles are built from 20 policy templates (as real accounts are: many roles share
   managed policies); key policies name a few of them directly, so sharing has to respect that.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

from kmspolicy.evaluate import Subject, Target, evaluate, evaluate_grid
from kmspolicy.model import Grant, Key, Policy, PolicyKind, Request, Situation
from kmspolicy.parse import read_policy_object
from kmspolicy.parse.context import ReadContext
from kmspolicy.parse.policy import read_grant
from kmspolicy.parse.source import SourceSet

ACCOUNT = "111122223333"


def policy(statements: list[dict[str, Any]], kind: PolicyKind, name: str) -> Policy:
    return read_policy_object({"Version": "2012-10-17", "Statement": statements}, kind=kind, name=name)


def key_arn(i: int) -> str:
    return f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{i:08d}-0000-0000-0000-000000000000"


def key_policy(admin: str, user: str) -> Policy:
    role = f"arn:aws:iam::{ACCOUNT}:role/"
    return policy(
        [
            {
                "Sid": "Delegate",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "Admins",
                "Effect": "Allow",
                "Principal": {"AWS": role + admin},
                "Action": [
                    "kms:Create*",
                    "kms:Describe*",
                    "kms:Enable*",
                    "kms:List*",
                    "kms:Put*",
                    "kms:Update*",
                    "kms:Revoke*",
                    "kms:Disable*",
                    "kms:Get*",
                    "kms:Delete*",
                    "kms:ScheduleKeyDeletion",
                ],
                "Resource": "*",
            },
            {
                "Sid": "Use",
                "Effect": "Allow",
                "Principal": {"AWS": role + user},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
            },
            {
                "Sid": "Persistent",
                "Effect": "Allow",
                "Principal": {"AWS": role + user},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            {
                "Sid": "DenyOutsideOrg",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:*",
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
                    "Bool": {"aws:PrincipalIsAWSService": "false"},
                },
            },
        ],
        PolicyKind.KEY,
        "key-policy",
    )


def identity_policies(n: int) -> tuple[Policy, ...]:
    # The IfExists conditions and the change freeze leave every decision of the grid (requests without a
    # context) as it would be without them; the fresh requests of `typical` carry what they read.
    s3_object = {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::data-*"}
    return (
        policy(
            [
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:DescribeKey"],
                    "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/*",
                    "Condition": {"StringLikeIfExists": s3_object},
                }
            ],
            PolicyKind.IDENTITY,
            f"read-{n}",
        ),
        policy(
            [
                {
                    "Effect": "Allow",
                    "Action": "kms:GenerateDataKey*",
                    "Resource": "*",
                    "Condition": {
                        "StringLike": {"kms:ViaService": "s3.*.amazonaws.com"},
                        "StringLikeIfExists": s3_object,
                    },
                }
            ],
            PolicyKind.IDENTITY,
            f"s3-{n}",
        ),
        policy(
            [
                {
                    "Effect": "Deny",
                    "Action": "kms:ScheduleKeyDeletion",
                    "Resource": "*",
                    "Condition": {"DateLessThan": {"aws:CurrentTime": "2026-06-01T00:00:00Z"}},
                },
                {"Effect": "Allow", "Action": "kms:List*", "Resource": "*"},
            ],
            PolicyKind.IDENTITY,
            f"guard-{n}",
        ),
    )


def grants(key: str) -> tuple[Grant, ...]:
    ctx = ReadContext(file="grants", sources=SourceSet())
    found = []
    for i in range(2):
        listed = {
            "KeyId": key,
            "GrantId": f"g{i}",
            "GranteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/Worker{i}",
            "Operations": ["Decrypt", "GenerateDataKey"],
        }
        grant = read_grant(listed, ctx, f"/Grants/{i}")
        assert grant is not None
        found.append(grant)
    return tuple(found)


Extra = Callable[[int, Request], dict[str, str]]  # the context of request number j, from its base


def rate(
    label: str, rounds: int, batch: Callable[[int], list[Request]], decide: Callable[[Request], Any]
) -> None:
    """Best of `rounds`: CPU time of this process, so the figures stay comparable on a machine busy with
    other work. `batch(r)` builds round r's requests outside the timed part; the garbage the decisions
    make is collected inside it."""
    best = float("inf")
    count = 0
    for r in range(rounds):
        requests = batch(r)
        count = len(requests)
        # the collector's passes over the new requests belong to building them, not to deciding them
        gc.collect()
        start = time.process_time()
        for request in requests:
            decide(request)
        best = min(best, time.process_time() - start)
    print(f"{label}: {count / best:,.0f} decisions/s ({best * 1e6 / count:.1f} us each)")


def typical(rounds: int) -> None:
    k = key_arn(1)
    situation = Situation(
        key=Key(arn=k, key_id="k1", account=ACCOUNT),
        key_policy=key_policy("Admin", "App"),
        identity_policies=identity_policies(0),
        grants=grants(k),
        caller_org_id="o-a1b2c3d4e5",
    )
    requests = [
        Request(principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/App/s1", action="kms:Decrypt", resource=k),
        Request(
            principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/s1",
            action="kms:GenerateDataKey",
            resource=k,
            context={"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:bucket": "b"},
        ),
        Request(
            principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/Worker1/s1", action="kms:Decrypt", resource=k
        ),
        Request(
            principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/s1",
            action="kms:ScheduleKeyDeletion",
            resource=k,
        ),
    ]
    for request in requests:
        who = request.principal.rsplit(":", 1)[1]
        print(f"  {request.action} by {who}: {evaluate(situation, request).reason}")
    n, m = 50_000, 10_000

    def varied(start: int, size: int, extra: Extra) -> list[Request]:
        out = []
        for j in range(start, start + size):
            base = requests[j % len(requests)]
            out.append(base.model_copy(update={"context": {**base.context, **extra(j, base)}}))
        return out

    def ip(j: int) -> str:
        return f"10.{j >> 16 & 255}.{j >> 8 & 255}.{j & 255}"

    def fresh(j: int, base: Request) -> dict[str, str]:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_767_225_600 + j))  # 2026-01-01 + j s
        context = {"aws:SourceIp": ip(j), "aws:CurrentTime": now}
        if base.action != "kms:ScheduleKeyDeletion":
            context["kms:EncryptionContext:aws:s3:arn"] = f"arn:aws:s3:::data-{j % 7}/objects/{j}"
        return context

    def unread_ip(j: int, _: Request) -> dict[str, str]:
        return {"aws:SourceIp": ip(j)}

    def unread_ec(j: int, _: Request) -> dict[str, str]:
        return {"kms:EncryptionContext:n": str(j)}

    def no_trace(request: Request) -> Any:
        return evaluate(situation, request, trace=False)

    def traced(request: Request) -> Any:
        return evaluate(situation, request)

    def rounds_of(extra: Extra, first: int, size: int) -> Callable[[int], list[Request]]:
        # requests numbered from `first`: no two rounds, traced or not, share a number
        return lambda r: varied(first + r * size, size, extra)

    for label, extra in (("fresh", fresh), ("unread aws:SourceIp", unread_ip), ("unread context", unread_ec)):
        rate(f"{label}, trace=False", rounds, rounds_of(extra, 0, n), no_trace)
        rate(f"{label}, trace=True ", rounds, rounds_of(extra, rounds * n, m), traced)
    same = [requests[i % len(requests)] for i in range(n)]
    rate("repeated, trace=False", rounds, lambda _: same, no_trace)
    rate("repeated, trace=True ", rounds, lambda _: same, traced)


def grid() -> None:
    templates = [identity_policies(t) for t in range(20)]
    subjects = [
        Subject(
            principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/Role{r}/s",
            identity_policies=templates[r % 20],
            caller_org_id="o-a1b2c3d4e5",
        )
        for r in range(500)
    ]
    targets = []
    for k in range(200):
        arn = key_arn(k)
        targets.append(
            Target(
                key=Key(arn=arn, key_id=f"k{k}", account=ACCOUNT),
                key_policy=key_policy(f"Role{k % 500}", f"Role{(k * 7) % 500}"),
                grants=grants(arn),
            )
        )
    actions = [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:DescribeKey",
        "kms:ReEncryptFrom",
        "kms:CreateGrant",
        "kms:ListGrants",
        "kms:GetKeyPolicy",
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
    ]
    total = len(subjects) * len(targets) * len(actions)
    start = time.process_time()
    result = evaluate_grid(subjects, targets, actions)
    elapsed = time.process_time() - start
    allowed = sum(1 for d in result.values() if d.effect == "ALLOW")
    print(f"grid 500 roles x 200 keys x 10 actions: {total:,} decisions in {elapsed:.2f} s CPU")
    print(f"  ({allowed:,} allowed)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    typical(parser.parse_args().rounds)
    grid()
