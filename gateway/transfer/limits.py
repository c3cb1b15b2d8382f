"""Per-client limits, so that one misbehaving sync cannot starve the others.

Each client (key) gets a token bucket (``rate`` requests a second, bursts up to ``burst``) and a
cap on transfers in flight at once. Limits are per gateway process; with several workers, each
enforces its own. A rate or burst of 0 switches the limit off.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from gateway.problems import Blocked


@dataclass
class _Bucket:
    tokens: float
    updated: float
    in_flight: int = 0


@dataclass
class ClientLimits:
    rate: float  # requests per second, sustained
    burst: int  # requests at once above the rate
    concurrency: int  # transfers in flight at once
    _buckets: dict[int, _Bucket] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def admit(self, client_id: int) -> AsyncIterator[None]:
        """Hold one of the client's places for the length of a transfer, or refuse with 429."""
        now = time.monotonic()
        bucket = self._buckets.get(client_id)
        if bucket is None:
            bucket = self._buckets[client_id] = _Bucket(tokens=float(self.burst), updated=now)
        if self.rate > 0 and self.burst > 0:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens < 1:
                wait = math.ceil((1 - bucket.tokens) / self.rate)
                raise Blocked(
                    429,
                    "rate-limited",
                    f"over {self.rate:g} requests a second; retry in {wait} s",
                    retry_after=wait,
                )
            bucket.tokens -= 1
        if self.concurrency > 0 and bucket.in_flight >= self.concurrency:
            raise Blocked(
                429,
                "rate-limited",
                f"{self.concurrency} transfers of this client are already in flight",
                retry_after=1,
            )
        bucket.in_flight += 1
        try:
            yield
        finally:
            bucket.in_flight -= 1
