"""The SQLite backend of the state store: one file in ``UCC_DATA_DIR``, one connection per thread.

The file is opened as the stores always opened it (:class:`indexer.store.ThreadConnections`: WAL,
busy timeout, autocommit; ``durable`` sets ``synchronous=FULL`` so that a recorded question
survives a power loss). Each statement of :meth:`SqliteState.execute` is committed when it returns;
:meth:`SqliteState.transaction` takes the write lock first (``BEGIN IMMEDIATE``), so that a
check-then-write is atomic across the gunicorn workers sharing the file.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from indexer.store import ThreadConnections, write_transaction

from app.state.migrations import migrate


class SqliteState:
    """The state of one store in one SQLite file (see :mod:`app.state`)."""

    name = "sqlite"

    def __init__(self, path: str | Path, file: str, timeout_ms: int = 5000, durable: bool = False):
        self._connections = ThreadConnections(path, file, "", timeout_ms=timeout_ms, durable=durable)
        self.path = self._connections.path
        self._migrated: set[str] = set()

    def ensure(self, component: str) -> None:
        """Run ``component``'s migrations (once per object; the first open creates the file)."""
        if component not in self._migrated:
            migrate(self, component)
            self._migrated.add(component)

    @property
    def conn(self):
        """This thread's ``sqlite3`` connection (autocommit)."""
        return self._connections.get().conn

    def execute(self, sql: str, args: Sequence[Any] = ()):
        """Run one statement, committed when it returns; the ``sqlite3`` cursor."""
        return self._connections.get().execute(sql, list(args))

    def defer(self, sql: str, args: Sequence[Any] = ()) -> None:
        """A local file is always there: the write is made now."""
        self.execute(sql, args)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A write transaction (``BEGIN IMMEDIATE``): the connection, committed at the end of the block."""
        conn = self.conn
        with write_transaction(conn):
            yield conn

    def columns(self, table: str, tx: Any = None) -> set[str]:
        """The columns of ``table`` (this thread's connection: the one any transaction uses)."""
        return {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}

    def status(self) -> dict[str, Any]:
        return {"backend": self.name, "status": "ok"}

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        self._connections.close()
