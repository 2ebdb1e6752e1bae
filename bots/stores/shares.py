"""The blocks behind a "Share in channel" button, kept for a day."""

from __future__ import annotations

import json

from .base import SlackStore


class ShareStore(SlackStore):
    SCHEMA = "CREATE TABLE IF NOT EXISTS shares (id TEXT PRIMARY KEY, payload TEXT NOT NULL, at REAL NOT NULL);"
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
