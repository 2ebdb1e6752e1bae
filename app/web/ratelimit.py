"""Per-client rate limits for the API: a token bucket per client, in memory.

Each client may make ``UCC_RATE_LIMIT`` requests per minute (0: no limit), with bursts up to
that many; past it the API answers 429 with ``Retry-After`` (whole seconds until a request
would be allowed again). Health checks, metrics and the API description are not limited.

A client is known by an HMAC of its address with a key made at random when the process starts:
the address itself is never kept, logged or written anywhere, and the keys mean nothing after a
restart. Behind a reverse proxy every client has the proxy's address; configure the proxy to
limit, or run Werkzeug's ``ProxyFix`` so that ``remote_addr`` is the client's own.

Each gunicorn worker keeps its own buckets, so with ``UCC_WORKERS`` workers a client may get up
to that many times the limit in the worst case (the kernel spreads connections over workers).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from typing import Callable

MAX_CLIENTS = 50_000  # buckets kept before idle ones are dropped


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute = max(0, int(per_minute))
        self.capacity = float(self.per_minute)
        self.rate = self.per_minute / 60.0  # tokens per second
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._buckets: dict[str, tuple[float, float]] = {}  # client key -> (tokens, last time)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def client_key(self, address: str | None) -> str:
        """A short keyed hash of the client's address (the address is not kept)."""
        return hmac.new(self._key, (address or "unknown").encode("utf-8"), hashlib.sha256).hexdigest()[:24]

    def hit(self, key: str) -> tuple[bool, int]:
        """Take one token for ``key``: ``(allowed, retry_after_seconds)``."""
        if not self.enabled:
            return True, 0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                allowed, wait = True, 0
            else:
                self._buckets[key] = (tokens, now)
                allowed, wait = False, max(1, math.ceil((1.0 - tokens) / self.rate))
            if len(self._buckets) > MAX_CLIENTS:
                self._prune(now)
        return allowed, wait

    def _prune(self, now: float) -> None:
        """Drop buckets that have refilled completely (their clients are idle)."""
        full = self.capacity / self.rate if self.rate else 0.0
        for key in [k for k, (_, last) in self._buckets.items() if now - last >= full]:
            del self._buckets[key]
