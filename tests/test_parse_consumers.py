"""What the readers add for the key-configuration rules: imported-material expiry on keys (describe-key,
snapshots) and `KeyConsumer`s of CloudFormation and Terraform (more in tests/iac_cases/*/consumers_*)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kmspolicy.model import InputKind, Span, Unknown
from kmspolicy.parse import parse_paths, parse_text
from kmspolicy.parse.consumers import CLOUDFORMATION, TERRAFORM, ConsumerSpec, consumer

ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _metadata(**extra: object) -> dict[str, object]:
    return {"KeyId": ARN.rsplit("/", 1)[1], "Arn": ARN, "Origin": "EXTERNAL", **extra}


def test_describe_key_reads_expiry() -> None:
    text = json.dumps(
        {
            "KeyMetadata": _metadata(
                ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo="2027-01-01T00:00:00+00:00"
            )
        }
    )
    parsed = parse_text(text, "key.json", kind=InputKind.DESCRIBE_KEY)
    (key,) = parsed.documents[0].keys
    assert (key.origin, key.expiration_model, key.valid_to) == (
        "EXTERNAL",
        "KEY_MATERIAL_EXPIRES",
        "2027-01-01T00:00:00+00:00",
    )
    assert not parsed.findings


def test_describe_key_without_expiry_keeps_none() -> None:
    parsed = parse_text(json.dumps({"KeyMetadata": _metadata()}), "key.json", kind=InputKind.DESCRIBE_KEY)
    (key,) = parsed.documents[0].keys
    assert (key.expiration_model, key.valid_to) == (None, None)


def test_unknown_expiration_model_is_a_finding() -> None:
    text = json.dumps({"KeyMetadata": _metadata(ExpirationModel="SOMETIMES")})
    parsed = parse_text(text, "key.json", kind=InputKind.DESCRIBE_KEY)
    assert parsed.documents[0].keys[0].expiration_model is None
    assert [(f.id, f.span.pointer) for f in parsed.findings] == [("KMS092", "/KeyMetadata/ExpirationModel")]
    assert "`SOMETIMES`" in parsed.findings[0].message


def test_snapshot_describe_key_reads_expiry(tmp_path: Path) -> None:
    folder = tmp_path / "snapshot" / "kms" / "us-east-1" / "k1"
    folder.mkdir(parents=True)
    metadata = _metadata(ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo="2027-01-01T00:00:00+00:00")
    (folder / "describe-key.json").write_text(json.dumps({"KeyMetadata": metadata}), encoding="utf-8")
    parsed = parse_paths([str(tmp_path / "snapshot")], kind=InputKind.SNAPSHOT)
    keys = [k for d in parsed.documents for k in (*d.keys, *(d.account.keys if d.account else ()))]
    # A snapshot lists its keys on the document and on its account: the same key, read once.
    assert {(k.key_id, k.expiration_model, k.valid_to) for k in keys} == {
        ("1234abcd-12ab-34cd-56ef-1234567890ab", "KEY_MATERIAL_EXPIRES", "2027-01-01T00:00:00+00:00")
    }


SPAN = Span(file="t.json", pointer="/x")
SPECS = [*CLOUDFORMATION.items(), *TERRAFORM.items()]


@pytest.mark.parametrize(("resource_type", "spec"), SPECS, ids=[name for name, _ in SPECS])
def test_a_named_key_is_kept_whatever_the_switch(resource_type: str, spec: ConsumerSpec) -> None:
    placeholder = Unknown(expr="GetAtt(Key.Arn)")
    for switched in (None, True, False):
        made = consumer(spec, resource_type, "R", placeholder, switched, SPAN)
        assert (made.key, made.encrypted) == (placeholder, True)


@pytest.mark.parametrize(("resource_type", "spec"), SPECS, ids=[name for name, _ in SPECS])
def test_no_key_means_the_service_default(resource_type: str, spec: ConsumerSpec) -> None:
    on = consumer(spec, resource_type, "R", None, True, SPAN)
    off = consumer(spec, resource_type, "R", None, False, SPAN)
    assert on.key == spec.default_key
    if spec.switch is None:
        assert off == on  # without a switch, nothing turns KMS off
    else:
        assert (off.key, off.encrypted) == (None, spec.encrypted_without_kms)
    assert all(
        c.key is None or c.key.startswith("alias/aws/") for c in (on, off) if not isinstance(c.key, Unknown)
    )
