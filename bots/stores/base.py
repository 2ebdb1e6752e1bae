"""What the Slack bot's stores share: their state (``slack-events.db``, or PostgreSQL), and a fallback.

Each store opens the bot's state in the state store (:mod:`app.state`): the SQLite file
``slack-events.db`` in ``UCC_DATA_DIR`` (durable: ``synchronous=FULL``), or, with
``UCC_DATABASE_URL``, the PostgreSQL database that every host shares, so that a Slack retry
delivered to another host is still recognised. The tables are created by the ``slack`` migrations
of :mod:`app.state.migrations`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from indexer.datafiles import SLACK_EVENTS_DB

from app.state import open_state


class SlackStore:
    """One table of the bot's state (``path`` may name the data folder)."""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time, database_url: str = ""):
        self._state = open_state(path, SLACK_EVENTS_DB, "slack", url=database_url, durable=True, timeout_ms=5000)
        self.path = getattr(self._state, "path", None)
        self.clock = clock

    def execute(self, sql: str, args=()) -> list[tuple]:
        """Run one statement (committed when it returns); its rows."""
        self._state.ensure("slack")
        return self._state.execute(sql, args).fetchall()

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        self._state.close()
