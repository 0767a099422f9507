"""The one exception the simulated KMS raises, shaped like a boto3 `ClientError` from KMS."""

from __future__ import annotations


class KMSError(Exception):
    """A KMS API error: `code` is the wire `__type` (e.g. `AccessDeniedException`)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message

    @property
    def response(self) -> dict[str, object]:
        """The error as botocore would expose it on `ClientError.response`."""
        return {
            "Error": {"Code": self.code, "Message": self.message},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }


def validation(member: str, value: object, constraint: str) -> KMSError:
    """AWS's template for a service-side validation failure."""
    return KMSError(
        "ValidationException",
        "1 validation error detected: "
        f"Value '{value}' at '{member}' failed to satisfy constraint: {constraint}",
    )
