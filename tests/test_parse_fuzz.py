"""Broken input is a finding, never a traceback: mutated policies, grants and keys never make a reader raise.

Each example starts from a valid document and applies a few random mutations (delete, replace with a
random JSON value or an `Unknown` placeholder, change the type, duplicate into a list). The reader must
return normally, and every finding it reports must point at a place that exists in the document.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmspolicy.model import PolicyKind, Unknown
from kmspolicy.parse.context import ReadContext
from kmspolicy.parse.policy import read_grant, read_key_metadata, read_policy
from kmspolicy.parse.source import SourceSet

KEY_POLICY = {
    "Version": "2012-10-17",
    "Id": "key-default-1",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:role/App"]},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "Allow use of the key",
            "Effect": "Deny",
            "NotPrincipal": {"Service": "cloudtrail.amazonaws.com"},
            "NotAction": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "NotResource": "arn:aws:kms:us-east-1:111122223333:key/${aws:username}",
            "Condition": {
                "StringEquals": {"kms:EncryptionContext:user": "${aws:username}"},
                "ForAnyValue:StringLike": {"kms:ResourceAliases": ["alias/a*", "alias/b"]},
                "Bool": {"kms:GrantIsForAWSResource": True},
                "NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 10},
            },
        },
    ],
}
GRANT = {
    "KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "GrantId": "abc",
    "Name": "n",
    "CreationDate": "2022-01-10T18:48:31+00:00",
    "GranteePrincipal": "arn:aws:iam::111122223333:role/App",
    "RetiringPrincipal": "arn:aws:iam::111122223333:role/Admin",
    "IssuingAccount": "arn:aws:iam::111122223333:root",
    "Operations": ["Decrypt", "Encrypt"],
    "Constraints": {"EncryptionContextEquals": {"a": "b"}, "EncryptionContextSubset": {"c": "d"}},
}
KEY_METADATA = {
    "AWSAccountId": "111122223333",
    "KeyId": "mrk-1",
    "Arn": "arn:aws:kms:us-east-1:111122223333:key/mrk-1",
    "Enabled": True,
    "KeyManager": "CUSTOMER",
    "KeySpec": "SYMMETRIC_DEFAULT",
    "MultiRegion": True,
    "MultiRegionConfiguration": {"MultiRegionKeyType": "PRIMARY", "ReplicaKeys": []},
    "PendingDeletionWindowInDays": 7,
    "DeletionDate": "2026-01-01T00:00:00Z",
}
ELEMENT_NAMES = [
    "Version",
    "Statement",
    "Effect",
    "Principal",
    "NotPrincipal",
    "AWS",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "StringEquals",
    "KeyId",
    "GrantId",
    "Arn",
    "Constraints",
]

unknowns = st.builds(Unknown, expr=st.sampled_from(["var.x", "aws_kms_key.k.arn", "Fn::GetAtt"]))
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["*", "Allow", "arn:aws:kms:*", "${aws:username", "111122223333", "StringEqual"])
    | unknowns
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(ELEMENT_NAMES) | st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, entry in value.items():
            found += _paths(entry, (*prefix, key))
    elif isinstance(value, list):
        for index, entry in enumerate(value):
            found += _paths(entry, (*prefix, index))
    return found


def _mutate(document: Any, data: st.DataObject) -> Any:
    for _ in range(data.draw(st.integers(1, 4))):
        paths = [p for p in _paths(document) if p]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        operation = data.draw(st.sampled_from(["delete", "replace", "retype", "duplicate"]))
        if operation == "delete":
            del parent[last]
        elif operation == "replace":
            parent[last] = data.draw(json_values)
        elif operation == "retype":
            current = parent[last]
            parent[last] = current[0] if isinstance(current, list) and current else [current]
        else:
            parent[last] = [parent[last], copy.deepcopy(parent[last])]
    return document


def _resolve(document: Any, pointer: str) -> None:
    """Raise if an RFC 6901 pointer does not exist in the document."""
    value = document
    for raw in pointer.split("/")[1:]:
        step = raw.replace("~1", "/").replace("~0", "~")
        value = value[int(step)] if isinstance(value, list) else value[step]


def _check(document: Any, ctx: ReadContext) -> None:
    for finding in ctx.findings:
        _resolve(document, finding.span.pointer)
        assert finding.message
        assert finding.message[0].islower()


FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.data(), st.sampled_from([None, *PolicyKind]))
def test_mutated_policies_only_produce_findings(data: st.DataObject, kind: PolicyKind | None) -> None:
    document = _mutate(copy.deepcopy(KEY_POLICY), data)
    ctx = ReadContext(file="fuzz.json", sources=SourceSet())
    policy = read_policy(document, ctx, "", kind=kind)
    assert policy is not None
    _check(document, ctx)


@FUZZ
@given(st.data())
def test_random_values_as_policies_only_produce_findings(data: st.DataObject) -> None:
    document = data.draw(json_values)
    ctx = ReadContext(file="fuzz.json", sources=SourceSet())
    policy = read_policy(document, ctx, "", kind=None)
    assert (policy is None) == (not isinstance(document, dict))
    _check(document, ctx)


@FUZZ
@given(st.data())
def test_mutated_grants_only_produce_findings(data: st.DataObject) -> None:
    document = _mutate(copy.deepcopy(GRANT), data)
    ctx = ReadContext(file="fuzz.json", sources=SourceSet())
    grant = read_grant(document, ctx, "")
    assert grant is not None or ctx.findings or ctx.notes
    _check(document, ctx)


@FUZZ
@given(st.data())
def test_mutated_key_metadata_only_produce_findings(data: st.DataObject) -> None:
    document = _mutate(copy.deepcopy(KEY_METADATA), data)
    ctx = ReadContext(file="fuzz.json", sources=SourceSet())
    key = read_key_metadata(document, ctx, "")
    assert key is not None or ctx.findings or ctx.notes
    _check(document, ctx)
