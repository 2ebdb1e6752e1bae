"""Threads the bot answered, each with its conversation id, so that a reply in the thread is a
follow-up (kept 30 days)."""

from __future__ import annotations

from .base import SlackStore


class ThreadMap(SlackStore):
    SCHEMA = "CREATE TABLE IF NOT EXISTS threads (thread TEXT PRIMARY KEY, conversation TEXT, at REAL NOT NULL);"
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
