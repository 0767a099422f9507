"""Where a key property is written in each input format, so key-configuration findings point at it.

A pointer that the file does not contain resolves to its nearest ancestor (the key itself), so a
property that was left out (rotation never enabled) still gets a position.
"""

from __future__ import annotations

from kmspolicy.model import InputKind, Span
from kmspolicy.parse.context import pointer_join
from kmspolicy.rules.framework import KeyTarget

# property -> (CloudFormation property, Terraform attribute, describe-key / rotation-status field)
_FIELDS: dict[str, tuple[str, str, str]] = {
    "rotation": ("EnableKeyRotation", "enable_key_rotation", "KeyRotationEnabled"),
    "rotation_period": ("RotationPeriodInDays", "rotation_period_in_days", "RotationPeriodInDays"),
    "deletion_window": ("PendingWindowInDays", "deletion_window_in_days", "PendingDeletionWindowInDays"),
    "state": ("Enabled", "is_enabled", "KeyState"),
    "multi_region": ("MultiRegion", "multi_region", "MultiRegion"),
    "tags": ("Tags", "tags", "Tags"),
    "bypass": ("BypassPolicyLockoutSafetyCheck", "bypass_policy_lockout_safety_check", ""),
    "deletion": ("PendingWindowInDays", "deletion_window_in_days", "DeletionDate"),
    # CloudFormation cannot import key material; Terraform's `aws_kms_external_key` can, and its
    # `valid_to` decides whether the material expires.
    "expiry": ("", "valid_to", "ValidTo"),
    "expiration_model": ("", "valid_to", "ExpirationModel"),
}


def key_field_span(target: KeyTarget, field: str) -> Span:
    base = target.key.span or Span(file=target.document.file, pointer="")
    cfn, terraform, cli = _FIELDS[field]
    kind = target.document.kind
    if kind is InputKind.CLOUDFORMATION and cfn:
        parts: tuple[str, ...] = ("Properties", cfn)
    elif kind is InputKind.TERRAFORM_PLAN and terraform:
        parts = (terraform,)
    elif kind in (InputKind.DESCRIBE_KEY, InputKind.ROTATION_STATUS) and cli:
        parts = (cli,)
    else:
        return base
    return Span(file=base.file, pointer=pointer_join(base.pointer, *parts))
