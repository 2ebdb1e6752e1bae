"""Each channel's ``/ucc config``: when the bot answers, default filters, interface language."""

from __future__ import annotations

import json

from indexer.store import FACETS

from .base import SlackStore


class ChannelSettings(SlackStore):
    """Per-channel settings: ``mode`` (``mention`` | ``all``), default ``filters`` and interface ``lang``."""

    SCHEMA = """CREATE TABLE IF NOT EXISTS channel_settings (channel TEXT PRIMARY KEY,
    mode TEXT NOT NULL DEFAULT 'mention', filters TEXT NOT NULL DEFAULT '{}', lang TEXT NOT NULL DEFAULT 'en',
    updated_by TEXT, at REAL NOT NULL);"""
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
