"""The literal matchers against simple oracles (hypothesis), and the policy reader's round trip."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from kmspolicy.model import PolicyKind
from kmspolicy.simulator.matching import arn_like, glob_match, wildcard_tokens
from kmspolicy.simulator.policy_json import policy_document, read_policy

ALPHABET = "ab:/*?"
PLAIN = "ab:/"


def _oracle(pattern: str, text: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


@given(st.text(ALPHABET, max_size=8), st.text(PLAIN, max_size=8))
def test_glob_agrees_with_a_regex_oracle(pattern: str, text: str) -> None:
    assert glob_match(wildcard_tokens(pattern), text) == _oracle(pattern, text)


@given(
    st.lists(st.text("ab*?", max_size=3), min_size=6, max_size=6),
    st.lists(st.text("ab", max_size=3), min_size=6, max_size=6),
)
def test_arn_like_matches_segment_by_segment(pattern: list[str], arn: list[str]) -> None:
    expected = all(_oracle(p, a) for p, a in zip(pattern, arn, strict=True))
    assert arn_like(wildcard_tokens(":".join(pattern)), ":".join(arn)) == expected


def test_star_does_not_cross_colons_in_arn_like() -> None:
    assert not arn_like(wildcard_tokens("arn:aws:kms:*:111122223333:*"), "arn:aws:kms:us-east-1:1:key/x")
    assert arn_like(wildcard_tokens("arn:aws:kms:*:1:key/*"), "arn:aws:kms:us-east-1:1:key/a/b")


def test_policy_document_round_trip() -> None:
    document = {
        "Version": "2012-10-17",
        "Id": "x",
        "Statement": [
            {
                "Sid": "A",
                "Effect": "Deny",
                "NotPrincipal": {"AWS": ["111122223333"], "Service": ["s3.amazonaws.com"]},
                "NotAction": ["kms:Decrypt"],
                "NotResource": ["*"],
                "Condition": {"ForAnyValue:StringLikeIfExists": {"kms:EncryptionContextKeys": ["a*"]}},
            },
            {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
        ],
    }
    policy = read_policy(document, PolicyKind.KEY, "p")
    again = read_policy(policy_document(policy), PolicyKind.KEY, "p")
    assert again == policy
    assert policy.statements[0].not_principal is not None
    assert policy.statements[0].not_principal[0].value == "arn:aws:iam::111122223333:root"
    assert policy.statements[0].conditions[0].operator is not None
    assert policy.statements[0].conditions[0].operator.qualifier == "ForAnyValue"
