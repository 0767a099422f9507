"""Who a grant is for: the facts about grantee and retiring principals that the grant rules share."""

from __future__ import annotations

from kmspolicy.model import Grant, Span
from kmspolicy.parse.context import pointer_join
from kmspolicy.rules.statements import principal_account

# Encryption-context keys that AWS services put in the grants they create for their own resources.
_SERVICE_CONTEXT_PREFIXES = ("aws:ebs:", "aws:rds:", "aws:", "aws-crypto-")


def is_service_principal(value: str) -> bool:
    return value.endswith((".amazonaws.com", ".amazonaws.com.cn")) and not value.startswith("arn:")


def is_aws_service_grant(grant: Grant) -> bool:
    """A grant an AWS service created for its own resources (EBS, RDS, Auto Scaling service-linked roles).

    Revoking those breaks workloads, so the grant rules leave them alone: the grantee or retiring
    principal is a service principal or a service-linked role, or the constraints carry the service's
    encryption-context keys.
    """
    for value in (grant.grantee_principal, grant.retiring_principal):
        if isinstance(value, str) and (
            is_service_principal(value) or "/aws-service-role/" in value or ":role/AWSServiceRoleFor" in value
        ):
            return True
    constraints = grant.constraints
    if constraints is not None:
        for context in (constraints.encryption_context_equals, constraints.encryption_context_subset):
            if context and any(k.lower().startswith(_SERVICE_CONTEXT_PREFIXES) for k in context):
                return True
    return False


def account_of(value: str) -> str | None:
    return None if is_service_principal(value) else principal_account(value)


def field_span(grant: Grant, *parts: str | int) -> Span:
    return Span(file=grant.span.file, pointer=pointer_join(grant.span.pointer, *parts))
