"""The one-line query language: what it reads, and the message and column of what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmspolicy.model import Request
from kmspolicy.query import QueryError, parse_query

ROLE = "arn:aws:iam::111122223333:role/app"
K1 = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

READS = [
    (
        f"can {ROLE} kms:Decrypt {K1} with kms:EncryptionContext:app=web and aws:SourceVpce=vpce-1",
        Request(
            principal=ROLE,
            action="kms:Decrypt",
            resource=K1,
            context={"kms:EncryptionContext:app": "web", "aws:SourceVpce": "vpce-1"},
        ),
    ),
    (
        f"can {ROLE} kms:Decrypt on {K1} using grant-token AQpA1, AQpA2",
        Request(principal=ROLE, action="kms:Decrypt", resource=K1, grant_tokens=("AQpA1", "AQpA2")),
    ),
    (
        f"CAN {ROLE} kms:RetireGrant {K1} Grant-Id g1 using grant-tokens T",
        Request(principal=ROLE, action="kms:RetireGrant", resource=K1, grant_id="g1", grant_tokens=("T",)),
    ),
    (f"can {ROLE} kms:CreateKey", Request(principal=ROLE, action="kms:CreateKey", resource="*")),
    (f"can {ROLE} kms:ListKeys *", Request(principal=ROLE, action="kms:ListKeys", resource="*")),
    (
        f'can s3.amazonaws.com kms:CreateGrant {K1} with kms:GrantOperations=[Decrypt, Encrypt] and k="a b"',
        Request(
            principal="s3.amazonaws.com",
            action="kms:CreateGrant",
            resource=K1,
            context={"kms:GrantOperations": ("Decrypt", "Encrypt"), "k": "a b"},
        ),
    ),
    (
        f"can {ROLE} kms:Decrypt {K1} with kms:EncryptionContextKeys=[]",
        Request(principal=ROLE, action="kms:Decrypt", resource=K1, context={"kms:EncryptionContextKeys": ()}),
    ),
]


@pytest.mark.parametrize(("text", "expected"), READS)
def test_reads(text: str, expected: Request) -> None:
    assert parse_query(text) == expected


# (query, where the error is: the last occurrence of this text, or None for the end, message)
REFUSES: list[tuple[str, str | None, str]] = [
    (f"{ROLE} kms:Decrypt", ROLE, "a query starts with `can`"),
    ("can", None, "expected the principal after `can`"),
    (f"can {ROLE}", None, "expected an action such as `kms:Decrypt` after the principal"),
    ("can app kms:Decrypt", "app", "expected a principal ARN or a service principal"),
    (f"can {ROLE} Decrypt", "Decrypt", "expected an action such as `kms:Decrypt`, found `Decrypt`"),
    (f"can {ROLE} kms:Decrypt key/1234", "key/1234", "expected a key or alias ARN, or `*`, found `key/1234`"),
    (f"can {ROLE} kms:Decrypt * with", None, "expected `key=value` after `with`"),
    (f"can {ROLE} kms:Decrypt * with k=v and", None, "expected `key=value` after `with`"),
    (f"can {ROLE} kms:Decrypt * with k", None, "expected `=` and a value after the condition key"),
    (f"can {ROLE} kms:Decrypt * with k=", None, "expected a value after `=`"),
    (f"can {ROLE} kms:Decrypt * with k=[a, b", None, "expected `]` to close the list"),
    (f'can {ROLE} kms:Decrypt * with k="v', '"', "a quoted value needs its closing"),
    (f"can {ROLE} kms:Decrypt * with k=v and K=w", "K=w", "the condition key `K` is given twice"),
    (f"can {ROLE} kms:Decrypt * using grant-token", None, "expected a grant token after `grant-token`"),
    (f"can {ROLE} kms:Decrypt * using T", "T", "expected `grant-token` after `using`"),
    (f"can {ROLE} kms:Decrypt * grant-id", None, "expected a grant id after `grant-id`"),
    (f"can {ROLE} kms:Decrypt * grant-id a grant-id b", "b", "`grant-id` is given twice"),
    (f"can {ROLE} kms:Decrypt {K1} {K1}", K1, "after the resource only `with`"),
]


@pytest.mark.parametrize(("text", "at", "message"), REFUSES)
def test_refuses(text: str, at: str | None, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert isinstance(caught.value, ValueError)
    assert message in caught.value.message
    assert caught.value.column == (len(text) + 1 if at is None else text.rindex(at) + 1)


_word = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9:/._*-]{0,20}", fullmatch=True).filter(
    lambda word: (
        word.lower() not in {"and", "with", "using", "on", "can", "grant-id", "grant-token", "grant-tokens"}
    )
)


@given(
    context=st.dictionaries(
        st.from_regex(r"(aws|kms):[A-Za-z][A-Za-z0-9/:]{0,15}", fullmatch=True),
        st.one_of(_word, st.lists(_word, max_size=3).map(tuple)),
        max_size=4,
    ).filter(lambda context: len({key.lower() for key in context}) == len(context)),
    tokens=st.lists(_word, max_size=3),
)
def test_written_query_reads_back(context: dict[str, str | tuple[str, ...]], tokens: list[str]) -> None:
    """Any request written in the query syntax reads back as the same request."""
    text = f"can {ROLE} kms:Decrypt {K1}"
    if context:
        text += " with " + " and ".join(
            f"{key}=[{', '.join(value)}]" if isinstance(value, tuple) else f"{key}={value}"
            for key, value in context.items()
        )
    if tokens:
        text += " using grant-token " + ", ".join(tokens)
    request = parse_query(text)
    assert request.context == context
    assert request.grant_tokens == tuple(tokens)
