"""The blocks behind a "Share in channel" button, kept for a day."""

from __future__ import annotations

import json
import logging

from app.errors import StateUnavailable

from .base import SlackStore

log = logging.getLogger("ucc.slack")


class ShareStore(SlackStore):
    TTL = 86400.0

    def put(self, share_id: str, blocks: list[dict], text: str) -> str:
        """Keep the blocks under ``share_id`` (:class:`~app.errors.StateUnavailable` when they cannot be)."""
        now = self.clock()
        self.execute("DELETE FROM shares WHERE at < ?", (now - self.TTL,))
        self.execute("INSERT INTO shares (id, payload, at) VALUES (?, ?, ?) "
                     "ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, at = excluded.at",
                     (share_id, json.dumps({"blocks": blocks, "text": text}), now))
        return share_id

    def get(self, share_id: str) -> dict | None:
        """The blocks kept under ``share_id``; None when unknown, expired or out of reach."""
        try:
            rows = self.execute("SELECT payload FROM shares WHERE id = ?", (share_id,))
        except StateUnavailable as exc:
            log.warning("shared answer unavailable: %s", exc.reason)
            return None
        return json.loads(rows[0][0]) if rows else None
