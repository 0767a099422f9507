"""Request quotas: deterministic token buckets on the simulated clock (kms-simulator.md §2.7).

One bucket per (account, Region, quota name); a bucket holds at most one second of requests (at least
one request for quotas below 1/s) and refills continuously as the simulated clock moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kmspolicy.simulator.catalogue import (
    CRYPTO_OPERATIONS,
    CRYPTO_POOL_QUOTAS,
    DATA_KEY_PAIR_QUOTAS,
    OPERATION_QUOTAS,
)

THROTTLED = "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."


def quota_name(operation: str, key_spec: str | None, pair_spec: str | None) -> str | None:
    """Which shared quota a call draws on: a crypto pool by key family, a data-key-pair spec, or its own."""
    if operation in ("GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext") and pair_spec:
        return f"GenerateDataKeyPair:{pair_spec}"
    if operation in CRYPTO_OPERATIONS:
        if key_spec is None or key_spec == "SYMMETRIC_DEFAULT" or key_spec.startswith("HMAC"):
            return "crypto:symmetric"
        return "crypto:rsa" if key_spec.startswith("RSA") else "crypto:ecc"
    return operation if operation in OPERATION_QUOTAS else None


def default_limits() -> dict[str, float]:
    limits: dict[str, float] = dict(OPERATION_QUOTAS)
    limits.update({f"crypto:{k}": v for k, v in CRYPTO_POOL_QUOTAS.items()})
    limits.update({f"GenerateDataKeyPair:{k}": v for k, v in DATA_KEY_PAIR_QUOTAS.items()})
    return limits


@dataclass
class Quotas:
    enabled: bool = True
    limits: dict[str, float] = field(default_factory=default_limits)
    _buckets: dict[tuple[str, str, str], tuple[float, float]] = field(default_factory=dict)

    def take(self, account: str, region: str, name: str | None, now: float) -> bool:
        """Spend one request; False when the bucket is empty (ThrottlingException)."""
        if not self.enabled or name is None or name not in self.limits:
            return True
        rate = self.limits[name]
        capacity = max(rate, 1.0)
        tokens, last = self._buckets.get((account, region, name), (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[(account, region, name)] = (tokens, now)
            return False
        self._buckets[(account, region, name)] = (tokens - 1.0, now)
        return True

    def to_json(self) -> dict[str, object]:
        return {"enabled": self.enabled, "limits": self.limits}
