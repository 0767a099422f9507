"""Write a seeded, realistic corpus of kmspolicy inputs for the benchmarks.

    python benchmarks/corpus.py                 # 1,000 and 10,000 documents under benchmarks/.corpus/
    python benchmarks/corpus.py --size 500 --out /tmp/corpus

The mix follows what a real `kmspolicy lint` run sees: key policies (default, console-style and
service-scoped ones, with conditions), identity policies, `aws kms get-key-policy` outputs (the policy
as an escaped JSON string) and `aws kms list-grants` listings. The same seed gives the same files.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / ".corpus"
SIZES = (1_000, 10_000)
SERVICES = ("s3", "ebs", "rds", "dynamodb", "secretsmanager", "sqs", "sns", "lambda", "logs")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
ADMIN_ACTIONS = [
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
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
]
USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
GRANT_OPERATIONS = [
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
]


class _World:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.account = f"{rng.randrange(10**11, 10**12):012d}"
        self.partners = [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(3)]
        self.org = f"o-{rng.getrandbits(40):010x}"

    def role(self, account: str | None = None) -> str:
        name = self.rng.choice(["app", "etl", "admin", "ci-deploy", "analytics", "backup", "web", "worker"])
        return f"arn:aws:iam::{account or self.account}:role/{name}-{self.rng.randrange(100)}"

    def key_id(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def key_arn(self) -> str:
        return f"arn:aws:kms:{self.rng.choice(REGIONS)}:{self.account}:key/{self.key_id()}"


def _key_policy(w: _World) -> dict[str, object]:
    rng = w.rng
    statements: list[dict[str, object]] = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{w.account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "Allow access for Key Administrators",
            "Effect": "Allow",
            "Principal": {"AWS": [w.role() for _ in range(rng.randint(1, 3))]},
            "Action": ADMIN_ACTIONS,
            "Resource": "*",
        },
    ]
    for _ in range(rng.randint(1, 3)):
        service = rng.choice(SERVICES)
        region = rng.choice(REGIONS)
        statements.append(
            {
                "Sid": f"Allow use of the key through {service}",
                "Effect": "Allow",
                "Principal": {"AWS": [w.role() for _ in range(rng.randint(1, 4))]},
                "Action": rng.sample(USE_ACTIONS, rng.randint(2, len(USE_ACTIONS))),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"{service}.{region}.amazonaws.com",
                        "kms:CallerAccount": w.account,
                    }
                },
            }
        )
    if rng.random() < 0.5:
        statements.append(
            {
                "Sid": "Allow attachment of persistent resources",
                "Effect": "Allow",
                "Principal": {"AWS": w.role()},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            }
        )
    if rng.random() < 0.3:
        statements.append(
            {
                "Sid": "Cross-account decrypt",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{rng.choice(w.partners)}:root"},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::bucket-{rng.randrange(999)}"
                    }
                },
            }
        )
    if rng.random() < 0.4:
        statements.append(
            {
                "Sid": "Deny outside the organization",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:*",
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:PrincipalOrgID": w.org},
                    "Bool": {"aws:PrincipalIsAWSService": "false"},
                },
            }
        )
    if rng.random() < 0.2:
        statements.append(
            {
                "Sid": "Allow CloudTrail to encrypt logs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{w.account}:*"
                    },
                    "StringEquals": {"aws:SourceAccount": w.account},
                },
            }
        )
    return {"Version": "2012-10-17", "Id": f"key-consolepolicy-{rng.randint(1, 3)}", "Statement": statements}


def _identity_policy(w: _World) -> dict[str, object]:
    rng = w.rng
    statements: list[dict[str, object]] = []
    for index in range(rng.randint(1, 4)):
        statement: dict[str, object] = {
            "Sid": f"Kms{index}",
            "Effect": rng.choice(["Allow", "Allow", "Allow", "Deny"]),
            "Action": rng.sample([*USE_ACTIONS, "kms:CreateGrant", "kms:ListAliases"], rng.randint(1, 4)),
            "Resource": [w.key_arn() for _ in range(rng.randint(1, 3))],
        }
        if rng.random() < 0.5:
            statement["Condition"] = {
                "StringEquals": {"aws:ResourceTag/team": rng.choice(["data", "web", "platform"])},
                "ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/app-*"},
            }
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def _get_key_policy(w: _World) -> dict[str, object]:
    return {"Policy": json.dumps(_key_policy(w), indent=4), "PolicyName": "default"}


def _grant_listing(w: _World) -> dict[str, object]:
    rng = w.rng
    key = w.key_arn()
    grants = []
    for _ in range(rng.randint(1, 6)):
        grant: dict[str, object] = {
            "KeyId": key,
            "GrantId": f"{rng.getrandbits(256):064x}",
            "Name": rng.choice(["", "ebs-volume", "rds-instance", "lambda-env"]),
            "CreationDate": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00+00:00",
            "GranteePrincipal": w.role(),
            "IssuingAccount": f"arn:aws:iam::{w.account}:root",
            "Operations": rng.sample(GRANT_OPERATIONS, rng.randint(1, len(GRANT_OPERATIONS))),
        }
        if rng.random() < 0.5:
            grant["RetiringPrincipal"] = w.role()
        if rng.random() < 0.6:
            grant["Constraints"] = {
                "EncryptionContextSubset": {"aws:ebs:id": f"vol-{rng.getrandbits(64):016x}"}
            }
        grants.append(grant)
    return {"Grants": grants, "Truncated": False}


# (file prefix, share of the corpus, generator)
MIX: tuple[tuple[str, float, Callable[[_World], dict[str, object]]], ...] = (
    ("key-policy", 0.40, _key_policy),
    ("identity-policy", 0.25, _identity_policy),
    ("get-key-policy", 0.20, _get_key_policy),
    ("list-grants", 0.15, _grant_listing),
)


def write_corpus(out: Path, size: int, seed: int = 20240301) -> Path:
    """Write `size` documents to `out/<size>/` (replacing what was there) and return that folder."""
    folder = out / str(size)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    rng = random.Random(seed)
    world = _World(rng)
    prefixes = [prefix for prefix, _, _ in MIX]
    weights = [share for _, share, _ in MIX]
    makers = {prefix: make for prefix, _, make in MIX}
    for number in range(size):
        prefix = rng.choices(prefixes, weights)[0]
        text = json.dumps(makers[prefix](world), indent=2)
        (folder / f"{prefix}-{number:05d}.json").write_text(text + "\n", encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--size", type=int, action="append", help="documents per corpus (repeatable)")
    parser.add_argument("--seed", type=int, default=20240301)
    args = parser.parse_args()
    for size in args.size or SIZES:
        folder = write_corpus(args.out, size, args.seed)
        total = sum(p.stat().st_size for p in folder.iterdir())
        print(f"{folder}: {size:,} documents, {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
