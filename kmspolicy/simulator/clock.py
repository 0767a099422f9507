"""The simulated clock: time only moves when the test says so."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

EPOCH_START = datetime(2026, 1, 1, tzinfo=UTC)


class SimClock:
    def __init__(self, start: datetime = EPOCH_START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("the simulated clock needs an aware datetime")
        with self._lock:
            self._now = when
