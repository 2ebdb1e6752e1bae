"""Threads the bot answered, each with its conversation id, so that a reply in the thread is a
follow-up (kept 30 days)."""

from __future__ import annotations

import logging

from app.errors import StateUnavailable

from .base import SlackStore

log = logging.getLogger("ucc.slack")


class ThreadMap(SlackStore):
    TTL = 30 * 86400.0

    def remember(self, channel: str, thread_ts: str, conversation: str | None) -> None:
        """Remember the thread (not kept, with a warning, while the state store is out of reach)."""
        try:
            self.execute("INSERT INTO threads (thread, conversation, at) VALUES (?, ?, ?) "
                         "ON CONFLICT (thread) DO UPDATE SET conversation = excluded.conversation, at = excluded.at",
                         (f"{channel}:{thread_ts}", conversation or "", self.clock()))
        except StateUnavailable as exc:
            log.warning("thread not remembered: %s", exc.reason)

    def lookup(self, channel: str, thread_ts: str | None) -> str | None:
        """The conversation id of a thread the bot answered ("" when it had none); None otherwise,
        and while the state store is out of reach."""
        if not thread_ts:
            return None
        try:
            rows = self.execute("SELECT conversation FROM threads WHERE thread = ? AND at >= ?",
                                (f"{channel}:{thread_ts}", self.clock() - self.TTL))
        except StateUnavailable as exc:
            log.warning("thread lookup unavailable: %s", exc.reason)
            return None
        return rows[0][0] if rows else None
