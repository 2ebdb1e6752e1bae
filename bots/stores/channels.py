"""Each channel's ``/ucc config``: when the bot answers, default filters, interface language."""

from __future__ import annotations

import json
import logging

from indexer.store import FACETS

from app.errors import StateUnavailable

from .base import SlackStore

log = logging.getLogger("ucc.slack")


class ChannelSettings(SlackStore):
    """Per-channel settings: ``mode`` (``mention`` | ``all``), default ``filters`` and interface ``lang``."""

    MODES = ("mention", "all")
    FILTER_KEYS = FACETS
    DEFAULT = {"mode": "mention", "filters": {}, "lang": "en"}

    def get(self, channel: str | None) -> dict:
        """The channel's settings; the defaults for an unknown channel, and while the state store is
        out of reach (the bot then answers mentions only, without default filters)."""
        if not channel:
            return {**self.DEFAULT, "filters": {}}
        try:
            rows = self.execute("SELECT mode, filters, lang FROM channel_settings WHERE channel = ?", (channel,))
        except StateUnavailable as exc:
            log.warning("channel settings unavailable, using the defaults: %s", exc.reason)
            rows = []
        if not rows:
            return {**self.DEFAULT, "filters": {}}
        mode, filters, lang = rows[0]
        return {"mode": mode, "filters": json.loads(filters or "{}"), "lang": lang}

    def update(self, channel: str, user: str | None = None, **changes) -> dict:
        """Change the channel's settings (:class:`~app.errors.StateUnavailable` when they cannot be kept)."""
        current = {**self.get(channel), **{k: v for k, v in changes.items() if v is not None}}
        self.execute("INSERT INTO channel_settings (channel, mode, filters, lang, updated_by, at) "
                     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel) DO UPDATE SET mode = excluded.mode, "
                     "filters = excluded.filters, lang = excluded.lang, updated_by = excluded.updated_by, "
                     "at = excluded.at",
                     (channel, current["mode"], json.dumps(current["filters"]), current["lang"], user, self.clock()))
        return current
