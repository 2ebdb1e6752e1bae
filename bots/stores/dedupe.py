"""Slack's retries answered once: event ids (and message ids) remembered for an hour."""

from __future__ import annotations

from typing import Callable

from slack_bolt import BoltResponse

from .base import SlackStore


class EventDedupe(SlackStore):
    SCHEMA = "CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL);"
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
