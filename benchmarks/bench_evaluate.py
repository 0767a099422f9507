"""Evaluator throughput: `python benchmarks/bench_evaluate.py`.

1. A typical request: a key policy of 5 statements with conditions, 3 identity policies, 2 grants.
   Targets: >= 100,000 decisions/s without trace, >= 20,000 with trace.
Times are CPU seconds of this process (`time.process_time`).

2. An account-wide matrix: 500 roles x 200 keys x 10 most-used actions through `evaluate_grid`.
   Target: < 10 s. The roles are built from 20 policy templates (as real accounts are: many roles share
   managed policies); key policies name a few of them directly, so sharing has to respect that.
"""

from __future__ import annotations

import time
from typing import Any

from kmspolicy.evaluate import Subject, Target, evaluate, evaluate_grid
from kmspolicy.model import Grant, Key, Policy, PolicyKind, Request, Situation, Span
from kmspolicy.parse.context import ReadContext
from kmspolicy.parse.policy import read_policy
from kmspolicy.parse.source import SourceSet

ACCOUNT = "111122223333"
SPAN = Span(file="bench")


def policy(statements: list[dict[str, Any]], kind: PolicyKind, name: str) -> Policy:
    read = read_policy(
        {"Version": "2012-10-17", "Statement": statements},
        ReadContext(file=name, sources=SourceSet()),
        "",
        kind=kind,
        name=name,
    )
    assert read is not None
    return read


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
    return (
        policy(
            [
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:DescribeKey"],
                    "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/*",
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
                    "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
                }
            ],
            PolicyKind.IDENTITY,
            f"s3-{n}",
        ),
        policy(
            [
                {"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
                {"Effect": "Allow", "Action": "kms:List*", "Resource": "*"},
            ],
            PolicyKind.IDENTITY,
            f"guard-{n}",
        ),
    )


def grants(key: str) -> tuple[Grant, ...]:
    return tuple(
        Grant(
            key_id=key,
            grant_id=f"g{i}",
            grantee_principal=f"arn:aws:iam::{ACCOUNT}:role/Worker{i}",
            operations=("Decrypt", "GenerateDataKey"),
            span=SPAN,
        )
        for i in range(2)
    )


def rate(label: str, count: int, run: Any) -> float:
    # CPU time of this process: the figures stay comparable on a machine busy with other work
    start = time.process_time()
    run()
    elapsed = time.process_time() - start
    per_second = count / elapsed
    print(f"{label}: {per_second:,.0f} decisions/s ({elapsed * 1e6 / count:.1f} us each)")
    return per_second


def typical() -> None:
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
    n = 50_000
    batch = [requests[i % len(requests)] for i in range(n)]
    for request in requests:
        who = request.principal.rsplit(":", 1)[1]
        print(f"  {request.action} by {who}: {evaluate(situation, request).reason}")
    # Every request distinct (a different aws:SourceIp), so no decision is served from the memo.
    fresh = [
        r.model_copy(
            update={"context": {**r.context, "aws:SourceIp": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"}}
        )
        for i, r in enumerate(batch)
    ]
    rate("distinct requests, trace=False", n, lambda: [evaluate(situation, r, trace=False) for r in fresh])
    m = 10_000
    rate("distinct requests, trace=True ", m, lambda: [evaluate(situation, r) for r in fresh[n - m :]])
    # Every request differs in its encryption context, which the grants read: nothing is shared.
    unshared = [
        r.model_copy(update={"context": {**r.context, "kms:EncryptionContext:n": str(i)}})
        for i, r in enumerate(batch)
    ]
    rate("unshared requests, trace=False", n, lambda: [evaluate(situation, r, trace=False) for r in unshared])
    rate("unshared requests, trace=True ", m, lambda: [evaluate(situation, r) for r in unshared[n - m :]])
    # The same four requests over and over: answered from the evaluator's memo after the first time.
    rate("repeated requests, trace=False", n, lambda: [evaluate(situation, r, trace=False) for r in batch])
    rate("repeated requests, trace=True ", n, lambda: [evaluate(situation, r) for r in batch])


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
    typical()
    grid()
