"""The bot's small SQLite state in UCC_DATA_DIR/slack-events.db (WAL, survives restarts):

* :class:`EventDedupe` remembers event ids (and client_msg_ids) for an hour, so Slack's retries
  (``X-Slack-Retry-Num``) never produce a second answer;
* :class:`ThreadMap` maps a thread the bot answered to its conversation id (thread follow-ups);
* :class:`ShareStore` keeps the blocks behind a "Share in channel" button for a day;
* :class:`ChannelSettings` keeps each channel's ``/ucc config`` (mode, default filters, language).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

from slack_bolt import BoltResponse

from indexer.datafiles import SLACK_EVENTS_DB
from indexer.store import FACETS, ThreadConnections

FILE = SLACK_EVENTS_DB
_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS threads (thread TEXT PRIMARY KEY, conversation TEXT, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS shares (id TEXT PRIMARY KEY, payload TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS channel_settings (channel TEXT PRIMARY KEY, mode TEXT NOT NULL DEFAULT 'mention',
    filters TEXT NOT NULL DEFAULT '{}', lang TEXT NOT NULL DEFAULT 'en', updated_by TEXT, at REAL NOT NULL);
"""


class _Db:
    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time):
        # durable: SQLite's default synchronous=FULL, as this state had before it shared the helper
        self._connections = ThreadConnections(path, FILE, _SCHEMA, timeout_ms=5000, durable=True)
        self.path = self._connections.path
        self.clock = clock
        self._connections.get()  # create the schema now

    def execute(self, sql: str, args=()):
        return self._connections.get().conn.execute(sql, args).fetchall()

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        self._connections.close()


class EventDedupe(_Db):
    TTL = 3600.0

    def claim(self, key: str | None) -> bool:
        """True the first time ``key`` is seen within the hour; False for a repeat."""
        if not key:
            return True
        now = self.clock()
        conn = self._connections.get().conn
        conn.execute("DELETE FROM seen WHERE at < ?", (now - self.TTL,))
        return conn.execute("INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)", (str(key), now)).rowcount == 1

    def middleware(self):
        """A bolt global middleware that drops an event already seen (by event_id)."""

        def dedupe_events(body: dict, next: Callable, logger) -> BoltResponse | None:
            if isinstance(body, dict) and body.get("type") == "event_callback" and body.get("event_id"):
                if not self.claim("event:" + str(body["event_id"])):
                    logger.info("Dropping duplicate Slack event %s", body["event_id"])
                    return BoltResponse(status=200, body="")
            return next()

        return dedupe_events


class ThreadMap(_Db):
    TTL = 30 * 86400.0

    def remember(self, channel: str, thread_ts: str, conversation: str | None) -> None:
        self.execute("INSERT OR REPLACE INTO threads (thread, conversation, at) VALUES (?, ?, ?)",
                     (f"{channel}:{thread_ts}", conversation or "", self.clock()))

    def lookup(self, channel: str, thread_ts: str | None) -> str | None:
        """The conversation id of a thread the bot answered ("" when it had none); None otherwise."""
        if not thread_ts:
            return None
        rows = self.execute("SELECT conversation FROM threads WHERE thread = ? AND at >= ?",
                            (f"{channel}:{thread_ts}", self.clock() - self.TTL))
        return rows[0][0] if rows else None


class ShareStore(_Db):
    TTL = 86400.0

    def put(self, share_id: str, blocks: list[dict], text: str) -> str:
        now = self.clock()
        self.execute("DELETE FROM shares WHERE at < ?", (now - self.TTL,))
        self.execute("INSERT OR REPLACE INTO shares (id, payload, at) VALUES (?, ?, ?)",
                     (share_id, json.dumps({"blocks": blocks, "text": text}), now))
        return share_id

    def get(self, share_id: str) -> dict | None:
        rows = self.execute("SELECT payload FROM shares WHERE id = ?", (share_id,))
        return json.loads(rows[0][0]) if rows else None


class ChannelSettings(_Db):
    """Per-channel settings: ``mode`` (``mention`` | ``all``), default ``filters`` and interface ``lang``."""

    MODES = ("mention", "all")
    FILTER_KEYS = FACETS
    DEFAULT = {"mode": "mention", "filters": {}, "lang": "en"}

    def get(self, channel: str | None) -> dict:
        if not channel:
            return {**self.DEFAULT, "filters": {}}
        rows = self.execute("SELECT mode, filters, lang FROM channel_settings WHERE channel = ?", (channel,))
        if not rows:
            return {**self.DEFAULT, "filters": {}}
        mode, filters, lang = rows[0]
        return {"mode": mode, "filters": json.loads(filters or "{}"), "lang": lang}

    def update(self, channel: str, user: str | None = None, **changes) -> dict:
        current = {**self.get(channel), **{k: v for k, v in changes.items() if v is not None}}
        self.execute("INSERT OR REPLACE INTO channel_settings (channel, mode, filters, lang, updated_by, at) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     (channel, current["mode"], json.dumps(current["filters"]), current["lang"], user, self.clock()))
        return current
