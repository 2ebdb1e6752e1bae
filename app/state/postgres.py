"""The PostgreSQL backend of the state store: one database shared by every host, one pool per process.

:meth:`PostgresState.shared` gives each process one :class:`PostgresState` per ``UCC_DATABASE_URL``
(made on first use, after gunicorn's fork): a psycopg 3 ``ConnectionPool`` (:data:`POOL_MIN` to
:data:`POOL_MAX` connections, checked before each use, so a connection cut by a server restart is
replaced rather than handed out). Statements are written for SQLite (``?`` placeholders,
``rowid``) and translated here (:func:`translate`); each :meth:`~PostgresState.execute` and each
:meth:`~PostgresState.transaction` is committed before it returns.

When the server cannot be reached (a refused or cut connection, or no connection from the pool
within :data:`POOL_TIMEOUT` seconds) the state is *down*: every call raises
:class:`~app.errors.StateUnavailable` at once, and at most every :data:`RETRY_AFTER` seconds one
caller probes the server with a direct connection (a refused connection fails in milliseconds).
When the probe connects the state is up again and the pool, which has kept reconnecting in the
background, serves as before: no restart.

Writes that may wait (:meth:`~PostgresState.defer`: the question log's asks, idempotent inserts)
are kept in memory while the state is down, at most :data:`MAX_DEFERRED` (the oldest are dropped
past that, and counted), and written in order at the first successful use after it is back. They
are lost if the process stops before that; :meth:`~PostgresState.status` reports how many wait and
how many were dropped (``/readyz``).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from indexer.errors import ConfigurationError

from app.errors import StateUnavailable
from app.state.migrations import migrate

log = logging.getLogger("ucc.state")

POOL_MIN = 1
POOL_MAX = 8  # per process: 2 hosts x 2 workers x 8 stays well under PostgreSQL's 100 connections
POOL_TIMEOUT = 2.0  # seconds a caller waits for a connection before the state counts as down
CONNECT_TIMEOUT = 2  # seconds (libpq's connect_timeout) for a new connection or a probe
RETRY_AFTER = 1.0  # seconds between probes while the server is out of reach
MAX_DEFERRED = 10_000  # writes kept in memory while it is
FLUSH_BATCH = 500  # deferred writes written per transaction on recovery
_LOST = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)
_PLACEHOLDER = re.compile(r"\?")
_ROWID = re.compile(r"\browid\b")

_shared: dict[tuple[int, str], PostgresState] = {}
_shared_lock = threading.Lock()


def check_url(url: str) -> str:
    """``url`` if it names PostgreSQL; :class:`ConfigurationError` otherwise (the message never
    shows the URL, which may hold a password)."""
    if not re.match(r"postgres(?:ql)?://", url.strip()):
        raise ConfigurationError("UCC_DATABASE_URL must be empty (SQLite in UCC_DATA_DIR) or start with "
                                 "postgresql:// (one PostgreSQL for several hosts; see docs/scaling.md).")
    return url.strip()


def translate(sql: str) -> str:
    """SQLite's spelling as psycopg's: ``?`` -> ``%s`` (a literal ``%`` doubled), ``rowid`` -> the
    ``seq`` column that numbers the rows of the tables the stores order by insertion."""
    return _ROWID.sub("seq", _PLACEHOLDER.sub("%s", sql.replace("%", "%%")))


class _Rows:
    """What :meth:`PostgresState.execute` returns: the rows, read before the connection went back."""

    def __init__(self, rows: list[tuple], rowcount: int):
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> tuple | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple]:
        return list(self._rows)

    def __iter__(self):
        return iter(self._rows)


class _Transaction:
    def __init__(self, cursor):
        self._cursor = cursor

    def execute(self, sql: str, args: Sequence[Any] = ()):
        return self._cursor.execute(translate(sql), list(args))


class PostgresState:
    """The stores' state in one PostgreSQL database (see :mod:`app.state`)."""

    name = "postgresql"

    def __init__(self, url: str):
        self.url = url
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()
        self._migrated: set[str] = set()
        self._down_since: float | None = None
        self._next_probe = 0.0
        self._reason = ""
        self._probe = threading.Lock()
        self._deferred: deque[tuple[str, tuple]] = deque()
        self._dropped = 0
        self._flush = threading.Lock()

    @classmethod
    def shared(cls, url: str) -> PostgresState:
        """This process's state for ``url`` (one pool per process: a forked worker makes its own)."""
        key = (os.getpid(), url)
        with _shared_lock:
            state = _shared.get(key)
            if state is None:
                state = _shared[key] = cls(url)
            return state

    # -- connections --------------------------------------------------------------------------
    def _get_pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.url, min_size=POOL_MIN, max_size=POOL_MAX, timeout=POOL_TIMEOUT, open=False,
                    check=ConnectionPool.check_connection, name="ucc-state",
                    kwargs={"connect_timeout": CONNECT_TIMEOUT, "application_name": "ucc"})
                self._pool.open(wait=False)  # a server out of reach must not stop the process starting
            return self._pool

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        self._require_up()
        try:
            with self._get_pool().connection() as conn:  # committed at the end, rolled back on an error
                yield conn
        except _LOST as exc:
            self._went_down(exc)
            raise StateUnavailable(self._reason) from None

    def _require_up(self) -> None:
        """Raise at once while the server is known to be out of reach, except for the one caller
        whose turn it is to probe it."""
        if self._down_since is None:
            return
        if time.monotonic() < self._next_probe or not self._probe.acquire(blocking=False):
            raise StateUnavailable(self._reason)
        try:
            self._next_probe = time.monotonic() + RETRY_AFTER
            try:
                psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT, application_name="ucc-probe").close()
            except _LOST as exc:
                self._reason = _reason(exc)
                raise StateUnavailable(self._reason) from None
            log.warning("PostgreSQL is reachable again after %.1f s", time.monotonic() - self._down_since)
            self._down_since = None
            self._reason = ""
        finally:
            self._probe.release()

    def _went_down(self, exc: BaseException) -> None:
        self._reason = _reason(exc)
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("PostgreSQL is out of reach: %s", self._reason)
        self._next_probe = time.monotonic() + RETRY_AFTER

    # -- what the stores use ------------------------------------------------------------------
    def ensure(self, component: str) -> None:
        """Run ``component``'s migrations once per process; a server out of reach is logged, and
        the migrations run at the next use."""
        if component in self._migrated:
            return
        try:
            migrate(self, component)
        except StateUnavailable as exc:
            log.warning("state store not ready for %s yet: %s", component, exc.reason)
            return
        self._migrated.add(component)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> _Rows:
        """Run one statement, committed when it returns; its rows."""
        with self._connection() as conn:
            cur = conn.execute(translate(sql), list(args))
            result = _Rows(cur.fetchall() if cur.description else [], cur.rowcount)
        self._write_deferred()
        return result

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        """One transaction for the block, committed when it ends (rolled back on an error)."""
        with self._connection() as conn:
            with conn.transaction(), conn.cursor() as cur:
                yield _Transaction(cur)

    def defer(self, sql: str, args: Sequence[Any] = ()) -> None:
        """Write now, or keep the write for when the server is back (an idempotent insert)."""
        try:
            self.execute(sql, args)
        except StateUnavailable:
            with self._flush:
                if len(self._deferred) >= MAX_DEFERRED:
                    self._deferred.popleft()
                    self._dropped += 1
                self._deferred.append((sql, tuple(args)))

    def _write_deferred(self) -> None:
        """Write the kept writes, oldest first, in batches; what fails stays for the next time."""
        if not self._deferred or not self._flush.acquire(blocking=False):
            return
        try:
            while self._deferred:
                batch = [self._deferred[i] for i in range(min(FLUSH_BATCH, len(self._deferred)))]
                with self.transaction() as tx:
                    for sql, args in batch:
                        tx.execute(sql, args)
                for _ in batch:
                    self._deferred.popleft()
                log.info("wrote %d deferred state writes", len(batch))
        except StateUnavailable:
            pass
        finally:
            self._flush.release()

    def columns(self, table: str, tx: Any = None) -> set[str]:
        """The columns of ``table`` (as ``tx``, an open transaction, sees them)."""
        sql = ("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
               "AND table_schema = current_schema()")
        rows = tx.execute(sql, [table]).fetchall() if tx is not None else self.execute(sql, [table]).fetchall()
        return {r[0] for r in rows}

    def status(self) -> dict[str, Any]:
        """Checks the server now (``SELECT 1``, or a probe while it is down): ``ok`` or ``degraded``
        with the reason, and the deferred writes waiting and dropped."""
        try:
            self.execute("SELECT 1")
            status = {"backend": self.name, "status": "ok"}
        except StateUnavailable as exc:
            down = time.monotonic() - self._down_since if self._down_since is not None else 0.0
            status = {"backend": self.name, "status": "degraded", "reason": exc.reason,
                      "down_for_s": round(down, 1)}
        status.update(deferred_writes=len(self._deferred), dropped_writes=self._dropped)
        return status

    def close(self) -> None:
        """Close the pool (at the end of a process or a test); the next use opens a new one."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def _reason(exc: BaseException) -> str:
    """What went wrong, for operators: the first line of the error, without the URL."""
    if isinstance(exc, PoolTimeout):
        return f"PostgreSQL gave no connection within {POOL_TIMEOUT:g} s"
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"PostgreSQL unreachable: {first[:200]}"


def close_all() -> None:
    """Close every pool this process opened (tests)."""
    with _shared_lock:
        states = list(_shared.values())
        _shared.clear()
    for state in states:
        state.close()
