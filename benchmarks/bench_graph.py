"""Access graph and diff speed: `python benchmarks/bench_graph.py [--roles 500 2000 8000]`.

1. A generated account (`generate_account`): N roles stamped from 40 profiles over 24 managed policies
   (as real accounts are: many roles share them), each with one of four `Project` tags;
   trust chains of 10 roles
   (CI -> deploy -> ... , each trusting the previous), the chain heads trusting a service; 500 keys
   whose policies come from 6 templates (delegation to IAM, console-style naming 3 roles each, a
   partner account, a `kms:ViaService` pattern, ABAC by tag) and 5,000 grants (10 per key, to random
   roles, a third with encryption-context constraints); SCPs at root, OU and account.
   Target at 2,000 roles: build the graph (Decrypt and the actions escalations go through: CreateGrant,
   PutKeyPolicy, TagResource; trust; escalations) and answer "who can decrypt with each key" for all
   500 keys in < 60 s and < 2 GB. Growth is reported for 500, 2,000 and 8,000 roles; `--every-action`
   builds the full graph of the 11 default actions instead.
2. `diff` of two versions of a 20-statement key policy (one condition loosened, one principal added).
   Target: < 1 s.

Times are wall seconds (`time.perf_counter`); memory is the peak resident set of the process
(`resource.getrusage`), so each size runs in its own subprocess.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kmspolicy.model import (
    Account,
    Grant,
    GrantConstraints,
    IamEntity,
    InputKind,
    Key,
    OrgPolicyAttachment,
    Policy,
    PolicyKind,
    Span,
)
from kmspolicy.parse import parse_text, read_policy_object

ACCOUNT = "111122223333"
SPAN = Span(file="bench")
PROJECTS = ("atlas", "orion", "vega", "lyra")


def _policy(statements: list[dict[str, Any]], kind: PolicyKind, name: str) -> Policy:
    return read_policy_object({"Version": "2012-10-17", "Statement": statements}, kind=kind, name=name)


def _role_arn(i: int) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/r{i:05d}"


def _key_arn(i: int) -> str:
    return f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{i:08d}-0000-0000-0000-000000000000"


def _managed() -> list[Policy]:
    """24 shared identity policies: users of keys, readers, ABAC users, assumers, a few admins."""
    out = []
    for i in range(24):
        statements: list[dict[str, Any]] = [
            {"Effect": "Allow", "Action": ["kms:DescribeKey", "kms:ListAliases"], "Resource": "*"}
        ]
        if i % 3 == 0:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    "Resource": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{i % 10:01d}*",
                }
            )
        if i % 4 == 1:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:ResourceTag/Project": "${aws:PrincipalTag/Project}"}},
                }
            )
        if i % 5 == 2:
            statements.append(
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/*"}
            )
        if i == 23:
            statements.append({"Effect": "Allow", "Action": ["kms:*", "iam:PutRolePolicy"], "Resource": "*"})
        out.append(_policy(statements, PolicyKind.IDENTITY, f"managed-{i}"))
    return out


def _trust(i: int) -> Policy:
    if i % 10 == 0:
        principal: dict[str, Any] = {"Service": "ec2.amazonaws.com"}
    else:
        principal = {"AWS": _role_arn(i - 1)}
    return _policy(
        [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        PolicyKind.TRUST,
        f"trust-{i}",
    )


def _key_policy(j: int, roles: int, rng: random.Random) -> Policy:
    root = {
        "Sid": "Root",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    template = j % 6
    statements: list[dict[str, Any]] = [root]
    if template == 1:
        named = [_role_arn(rng.randrange(roles)) for _ in range(3)]
        statements = [
            {
                "Sid": "Admins",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/r00000"},
                "Action": ["kms:Create*", "kms:Describe*", "kms:Put*", "kms:ScheduleKeyDeletion"],
                "Resource": "*",
            },
            {
                "Sid": "Users",
                "Effect": "Allow",
                "Principal": {"AWS": named},
                "Action": ["kms:Decrypt", "kms:Encrypt"],
                "Resource": "*",
            },
        ]
    elif template == 2:
        statements.append(
            {
                "Sid": "Partner",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        )
    elif template == 3:
        statements.append(
            {
                "Sid": "ViaS3",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": ACCOUNT,
                        "kms:ViaService": "s3.us-east-1.amazonaws.com",
                    }
                },
            }
        )
    return _policy(statements, PolicyKind.KEY, f"key-{j}")


def generate_account(roles: int, keys: int = 500, grants: int = 5000, seed: int = 7) -> Account:
    rng = random.Random(seed)
    managed = _managed()
    principals = []
    # 40 role profiles (a policy pair each), as roles are stamped from a few templates in real accounts
    profiles = [(managed[p % 23], managed[(p * 7 + 3) % 23]) for p in range(40)]
    for i in range(roles):
        chosen = profiles[i % 40] if i % 97 else (managed[23],)
        principals.append(
            IamEntity(
                arn=_role_arn(i),
                type="role",
                name=f"r{i:05d}",
                account=ACCOUNT,
                tags={"Project": PROJECTS[i % 4]},
                policies=chosen,
                trust_policy=_trust(i),
            )
        )
    key_list = []
    per_key = grants // keys
    for j in range(keys):
        arn = _key_arn(j)
        key_grants = []
        for g in range(per_key):
            constraints = GrantConstraints(encryption_context_equals={"app": f"a{g}"}) if g % 3 == 0 else None
            key_grants.append(
                Grant(
                    key_id=arn,
                    grant_id=f"g{j}-{g}",
                    grantee_principal=_role_arn(rng.randrange(roles)),
                    operations=("Decrypt", "Encrypt"),
                    constraints=constraints,
                    span=SPAN,
                )
            )
        key_list.append(
            Key(
                arn=arn,
                key_id=arn.rsplit("/", 1)[1],
                account=ACCOUNT,
                region="us-east-1",
                tags={"Project": PROJECTS[j % 4]},
                policy=_key_policy(j, roles, rng),
                grants=tuple(key_grants),
            )
        )
    full = _policy([{"Effect": "Allow", "Action": "*", "Resource": "*"}], PolicyKind.SCP, "FullAWSAccess")
    deny = _policy(
        [
            {
                "Effect": "Deny",
                "Action": "kms:ScheduleKeyDeletion",
                "Resource": "*",
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/r00000"}},
            }
        ],
        PolicyKind.SCP,
        "DenyDeletion",
    )
    scps = (
        OrgPolicyAttachment(target="r-root", policy=full),
        OrgPolicyAttachment(target="ou-prod", policy=full),
        OrgPolicyAttachment(target="ou-prod", policy=deny),
        OrgPolicyAttachment(target=ACCOUNT, policy=full),
    )
    return Account(
        account_id=ACCOUNT,
        org_id="o-a1b2c3d4e5",
        principals=tuple(principals),
        keys=tuple(key_list),
        scps=scps,
    )


# the question of the target, and the actions its escalations go through
DECRYPT_ACTIONS = ("kms:Decrypt", "kms:CreateGrant", "kms:PutKeyPolicy", "kms:TagResource")


def run_graph(roles: int, every_action: bool) -> dict[str, float]:
    from kmspolicy.review.graph import DEFAULT_ACTIONS, build_graph
    from kmspolicy.review.questions import who_can

    account = generate_account(roles)
    start = time.perf_counter()
    graph = build_graph(account, actions=DEFAULT_ACTIONS if every_action else DECRYPT_ACTIONS)
    built = time.perf_counter()
    decrypters = sum(len(who_can(graph, key, "kms:Decrypt").principals) for key in graph.keys)
    answered = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "roles": roles,
        "build_s": round(built - start, 2),
        "who_can_decrypt_all_keys_s": round(answered - built, 2),
        "total_s": round(answered - start, 2),
        "peak_mb": round(peak_mb),
        "edges": graph.graph.number_of_edges(),
        "decrypt_answers": decrypters,
    }


def _document(statements: list[dict[str, Any]]) -> Any:
    text = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return parse_text(text, "policy.json", kind=InputKind.KEY_POLICY).documents[0]


def run_diff() -> dict[str, float]:
    from kmspolicy.review.diff import diff

    statements: list[dict[str, Any]] = [
        {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["kms:Describe*", "kms:Put*", "kms:Create*"],
            "Resource": "*",
        }
    ]
    for i in range(19):
        statements.append(
            {
                "Sid": f"S{i}",
                "Effect": "Allow" if i % 7 else "Deny",
                "Principal": {"AWS": _role_arn(i)},
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {f"kms:EncryptionContext:k{i % 5}": f"v{i}"}},
            }
        )
    changed = [dict(s) for s in statements]
    changed[5] = {**changed[5], "Condition": {"StringLike": {"kms:EncryptionContext:k4": "v*"}}}
    changed[9] = {**changed[9], "Principal": {"AWS": [_role_arn(9), "arn:aws:iam::444455556666:root"]}}
    old, new = _document(statements), _document(changed)
    start = time.perf_counter()
    result = diff(old, new)
    return {
        "diff_s": round(time.perf_counter() - start, 3),
        "added": len(result.added),
        "removed": len(result.removed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--roles", type=int, nargs="*", default=[500, 2000, 8000])
    parser.add_argument("--every-action", action="store_true", help="all 11 default actions")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_graph(args.one, args.every_action)))
        return
    extra = ["--every-action"] if args.every_action else []
    for roles in args.roles:
        command = [sys.executable, __file__, "--one", str(roles), *extra]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        row = json.loads(done.stdout)
        verdict = ""
        if roles == 2000:
            verdict = (
                " PASS" if row["total_s"] < 60 and row["peak_mb"] < 2048 else " FAIL (target < 60 s, < 2 GB)"
            )
        print(
            f"graph {roles:>5} roles x 500 keys x 5,000 grants: build {row['build_s']} s,"
            " who-can-decrypt all keys"
            f" {row['who_can_decrypt_all_keys_s']} s, total {row['total_s']} s, peak {row['peak_mb']} MB,"
            f" {row['edges']:,} edges{verdict}"
        )
    row = run_diff()
    verdict = "PASS" if row["diff_s"] < 1 else "FAIL (target < 1 s)"
    print(
        f"diff of a 20-statement key policy: {row['diff_s']} s, {row['added']} added,"
        f" {row['removed']} removed {verdict}"
    )


if __name__ == "__main__":
    main()
