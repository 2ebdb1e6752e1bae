"""Slack's retries answered once: event ids (and message ids) remembered for an hour.

The ids are claimed in the state store, so that with ``UCC_DATABASE_URL`` one event delivered to
two hosts is answered by one of them (``INSERT ... ON CONFLICT DO NOTHING``: one insert wins).
While PostgreSQL is out of reach the ids are claimed in this process's memory instead (bounded):
a retry that reaches the same process is still dropped, one that reaches another host in that
window may be answered twice; better than answering nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Callable

from slack_bolt import BoltResponse

from app.errors import StateUnavailable

from .base import SlackStore

log = logging.getLogger("ucc.slack")

MEMORY_KEYS = 50_000  # ids kept in memory while the state store is out of reach


class EventDedupe(SlackStore):
    TTL = 3600.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._memory: OrderedDict[str, float] = OrderedDict()
        self._memory_lock = threading.Lock()

    def claim(self, key: str | None) -> bool:
        """True the first time ``key`` is seen within the hour; False for a repeat."""
        if not key:
            return True
        now = self.clock()
        try:
            self.execute("DELETE FROM seen WHERE at < ?", (now - self.TTL,))
            self._state.ensure("slack")
            return self._state.execute("INSERT INTO seen (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                                       (str(key), now)).rowcount == 1
        except StateUnavailable as exc:
            log.warning("event ids claimed in memory: %s", exc.reason)
            return self._claim_in_memory(str(key), now)

    def _claim_in_memory(self, key: str, now: float) -> bool:
        with self._memory_lock:
            while self._memory and (len(self._memory) >= MEMORY_KEYS or next(iter(self._memory.values())) < now - self.TTL):
                self._memory.popitem(last=False)
            if key in self._memory:
                return False
            self._memory[key] = now
            return True

    def middleware(self):
        """A bolt global middleware that drops an event already seen (by event_id)."""

        def dedupe_events(body: dict, next: Callable, logger) -> BoltResponse | None:
            if isinstance(body, dict) and body.get("type") == "event_callback" and body.get("event_id"):
                if not self.claim("event:" + str(body["event_id"])):
                    logger.info("Dropping duplicate Slack event %s", body["event_id"])
                    return BoltResponse(status=200, body="")
            return next()

        return dedupe_events
