"""What the Slack bot's stores share: the file (``slack-events.db``), one connection per thread."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from indexer.datafiles import SLACK_EVENTS_DB
from indexer.store import ThreadConnections


class SlackStore:
    """One table of ``slack-events.db`` (``path`` may name the data folder); a subclass creates it
    with its ``SCHEMA``."""

    SCHEMA = ""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time):
        # durable: SQLite's default synchronous=FULL, as this state had before it shared the helper
        self._connections = ThreadConnections(path, SLACK_EVENTS_DB, self.SCHEMA, timeout_ms=5000, durable=True)
        self.path = self._connections.path
        self.clock = clock
        self._connections.get()  # create the table now

    def execute(self, sql: str, args=()):
        return self._connections.get().conn.execute(sql, args).fetchall()

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        self._connections.close()
