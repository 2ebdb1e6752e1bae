"""Per-client rate limits for the API (a token bucket per client, in memory) and the wrong-token
throttle of the console and the admin API (:class:`FailureThrottle`, in the state store, shared by
workers and, with ``UCC_DATABASE_URL``, by hosts).

Each client may make ``UCC_RATE_LIMIT`` requests per minute (0: no limit), with bursts up to
that many; past it the API answers 429 with ``Retry-After`` (whole seconds until a request
would be allowed again). Health checks, metrics and the API description are not limited.

A client is known by an HMAC of its address with a key made at random when the process starts:
the address itself is never kept, logged or written anywhere, and the keys mean nothing after a
restart. Behind a reverse proxy every client has the proxy's address; configure the proxy to
limit, or run Werkzeug's ``ProxyFix`` so that ``remote_addr`` is the client's own.

Each gunicorn worker keeps its own buckets, so with ``UCC_WORKERS`` workers a client may get up
to that many times the limit in the worst case (the kernel spreads connections over workers).
Guesses at the admin token are not left to that: :class:`FailureThrottle` keeps its counts in
the state store (:mod:`app.state`): ``UCC_DATA_DIR/auth-throttle.db``, which every worker shares,
or the PostgreSQL database every host shares. While PostgreSQL is out of reach it fails closed:
an admin token is not checked at all (503), so guesses cannot go uncounted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from typing import Callable

from indexer.datafiles import AUTH_THROTTLE_DB

log = logging.getLogger("ucc.web.auth")

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


# --- wrong admin tokens ------------------------------------------------------------------------

class FailureThrottle:
    """Wrong admin tokens per client address, shared by every worker (and host) in the state store.

    Used by the console's sign-in, its bearer header and the admin API: they guess the same
    secret, so they share one count. The first :attr:`FREE` attempts in a row go through at
    once; after that each attempt waits ``BASE * 2**k`` seconds after the one before, capped at
    :attr:`MAX_DELAY` (1, 2, 4, 8, 15, 15, ...). An attempt during the wait is refused (429) and
    does not lengthen it, so the right token is never kept out longer than :attr:`MAX_DELAY`
    after the last attempt let through; a right token ends the count. The count is forgotten
    :attr:`FORGET` seconds after the last attempt.

    :meth:`attempt` counts an attempt as failed *before* the token is compared (and
    :meth:`succeeded` takes it back), in one write transaction that holds the client's row (SQLite's
    write lock, PostgreSQL's row lock): two workers or hosts cannot both let through the same free
    attempt, however many requests arrive at once.

    Clients are known by an HMAC of their address with a key shared by the workers (the log
    salt, with its own label): the table and the log hold that, never the address.
    """

    FILE = AUTH_THROTTLE_DB
    FREE = 5
    BASE = 1.0
    MAX_DELAY = 15
    FORGET = 900.0
    PURGE_EVERY = 300.0

    def __init__(self, data_dir, key: bytes, clock: Callable[[], float] = time.time, database_url: str = ""):
        from app.state import open_state

        self._state = open_state(data_dir, self.FILE, "auth_throttle", url=database_url)
        self.path = getattr(self._state, "path", None)
        self._key = hmac.new(key, b"ucc-auth-throttle-v1", hashlib.sha256).digest()
        self.clock = clock
        self._last_purge = 0.0

    @classmethod
    def from_settings(cls, settings) -> FailureThrottle:
        from app.operations.questionlog import load_or_create_salt

        salt = str(settings.log_salt or "").encode("utf-8") or load_or_create_salt(settings.data_dir)
        return cls(settings.data_dir, salt, database_url=settings.database_url)

    def client_key(self, address: str | None) -> str:
        """A keyed hash of the client's address, the same in every worker (24 hex digits)."""
        return hmac.new(self._key, (address or "unknown").encode("utf-8"), hashlib.sha256).hexdigest()[:24]

    def delay(self, failures: int) -> float:
        """Seconds the next attempt waits after ``failures`` attempts in a row."""
        if failures < self.FREE:
            return 0.0
        return float(min(self.MAX_DELAY, self.BASE * 2 ** min(failures - self.FREE, 30)))

    def attempt(self, client: str) -> tuple[int, int]:
        """Let an attempt from ``client`` through, counted as a failure until :meth:`succeeded`:
        ``(0, failures in a row)``; or refuse it: ``(seconds to wait, failures)``.
        :class:`~app.errors.StateUnavailable` (503) while the count cannot be kept."""
        now = self.clock()
        self._state.ensure("auth_throttle")
        row = self._state.execute("SELECT failures, last, next FROM attempts WHERE client = ?", [client]).fetchone()
        if row and now - row[1] < self.FORGET and now < row[2]:
            return max(1, math.ceil(row[2] - now)), row[0]  # refused without a write
        with self._state.transaction() as tx:  # check again and count, atomically across workers and hosts
            # a new client gets a row that counts nothing; the upsert holds the row until the commit
            tx.execute("INSERT INTO attempts (client, failures, last, next) VALUES (?, 0, 0, 0) "
                       "ON CONFLICT (client) DO UPDATE SET failures = attempts.failures", [client])
            known = tx.execute("SELECT failures, last, next FROM attempts WHERE client = ?", [client]).fetchone()
            failures = 0 if now - known[1] >= self.FORGET else known[0]
            if failures and now < known[2]:
                return max(1, math.ceil(known[2] - now)), failures
            failures += 1
            tx.execute("UPDATE attempts SET failures = ?, last = ?, next = ? WHERE client = ?",
                       [failures, now, now + self.delay(failures), client])
        if known[1] == 0 and now - self._last_purge >= self.PURGE_EVERY:
            self._last_purge = now
            self.purge(now)
        return 0, failures

    def succeeded(self, client: str) -> None:
        """The attempt was right: forget the client's count."""
        self._state.execute("DELETE FROM attempts WHERE client = ?", [client])

    def purge(self, now: float | None = None) -> int:
        """Forget clients whose last attempt is older than :attr:`FORGET`."""
        now = self.clock() if now is None else now
        return self._state.execute("DELETE FROM attempts WHERE last < ?", [now - self.FORGET]).rowcount

    def close(self) -> None:
        self._state.close()


def failure_throttle(app) -> FailureThrottle:
    """The app's wrong-token throttle, made on first use (a server without an admin token never
    opens its file)."""
    throttle = app.extensions.get("ucc.auth_throttle")
    if throttle is None:
        _log_to_stderr()
        throttle = app.extensions.setdefault("ucc.auth_throttle",
                                             FailureThrottle.from_settings(app.extensions["ucc.settings"]))
    return throttle


def _log_to_stderr() -> None:
    """Authentication events reach the journal at INFO even when nothing configured logging
    (gunicorn configures only its own loggers; Python's fallback shows warnings only)."""
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)


def log_auth(event: str, where: str, client: str) -> None:
    """An authentication decision that went through (``event``: "admin token accepted",
    "signed in", "signed out"), with the client's keyed hash; never a token or an address."""
    log.info("%s (%s) from client %s", event, where, client)


def log_wrong_token(throttle: FailureThrottle, where: str, client: str, failures: int) -> None:
    """A warning for a wrong admin token: where, which client (its keyed hash) and how many in a
    row; never the token that was sent, the right one or the address."""
    log.warning("wrong admin token (%s) from client %s: %d failed attempt%s in a row%s", where, client, failures,
                "" if failures == 1 else "s",
                f"; the next one waits {throttle.delay(failures):.0f} s" if throttle.delay(failures) else "")
