"""Where conversations are kept: the recent turns of each, for follow-up questions.

:class:`ConversationStore` keeps the last ``UCC_CONVERSATION_TURNS`` turns of every conversation
in the state store (:mod:`app.state`: ``conversations.db`` under ``UCC_DATA_DIR``, or the PostgreSQL
database of ``UCC_DATABASE_URL``, so that a follow-up sent to another host continues the
conversation) for ``UCC_CONVERSATION_TTL`` seconds after its last turn; expired conversations are
deleted lazily. A :class:`Turn` holds the text the user typed, how it was understood, the filters,
and what the answer cited (document ids, cities, topics): nothing else about the person.

A conversation is a convenience, not a record: while PostgreSQL is out of reach a question is
answered as a new one (no history) and its turn is not kept, with a warning in the log, rather
than failing. :mod:`app.answering.conversations` resolves follow-ups with what is kept here.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from indexer.datafiles import CONVERSATIONS_DB
from indexer.errors import InvalidRequest

from app.errors import StateUnavailable
from app.state import open_state

log = logging.getLogger("ucc.conversations")

_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass
class Turn:
    question: str  # as typed
    resolved_question: str  # as understood (shown to the user)
    query: str = ""  # the text searched
    subject: str = ""  # the question without its place, for "and in Spain?"
    filters: dict = field(default_factory=dict)
    doc_ids: list[str] = field(default_factory=list)  # cited, in citation order
    cities: list[str] = field(default_factory=list)  # city slugs of the cited documents, each once
    topics: list[str] = field(default_factory=list)  # short titles of the cited documents
    doc_cities: list[str | None] = field(default_factory=list)  # the city of each cited document
    status: str = ""
    at: float = 0.0
    intent: str = ""  # the route that answered: answer, scores, similar, members...
    template: str = ""  # a routed answer's question with {place} for its place ("what about Porto?")

    def to_dict(self) -> dict:
        return asdict(self)


class ConversationStore:
    """Recent turns per conversation id, in the state store, kept ``ttl`` seconds after the last turn."""

    FILE = CONVERSATIONS_DB

    def __init__(self, path: str | Path, turns: int = 6, ttl: float = 3600, clock: Callable[[], float] = time.time,
                 database_url: str = ""):
        # created now: errors show at start-up, not at the first question
        self._state = open_state(path, self.FILE, "conversations", url=database_url)
        self.path = getattr(self._state, "path", None)
        self.max_turns = max(1, int(turns))
        self.ttl = float(ttl)
        self.clock = clock
        self._last_sweep = 0.0

    @classmethod
    def from_settings(cls, settings) -> ConversationStore:
        return cls(settings.data_dir / cls.FILE, turns=settings.conversation_turns, ttl=settings.conversation_ttl,
                   database_url=settings.database_url)

    def _db(self):
        self._state.ensure("conversations")
        return self._state

    @staticmethod
    def new_id() -> str:
        """A random, URL-safe conversation id."""
        return secrets.token_urlsafe(16)

    @staticmethod
    def check_id(conversation_id: str) -> str:
        cid = str(conversation_id or "").strip()
        if not _ID.match(cid):
            raise InvalidRequest("A conversation id is 8 to 64 letters, digits, '-' or '_'.")
        return cid

    def turns(self, conversation_id: str) -> list[Turn]:
        """The kept turns of a conversation, oldest first; [] if unknown or expired, or while the
        state store is out of reach (the question is then answered as a new one)."""
        cid = self.check_id(conversation_id)
        now = self.clock()
        try:
            db = self._db()
            row = db.execute("SELECT updated_at FROM conversations WHERE id = ?", [cid]).fetchone()
            if row is None or row[0] < now - self.ttl:
                return []
            rows = db.execute("SELECT data FROM turns WHERE conversation_id = ? ORDER BY seq", [cid]).fetchall()
        except StateUnavailable as exc:
            log.warning("conversation history unavailable, answering as a new question: %s", exc.reason)
            return []
        known = set(Turn.__dataclass_fields__)
        return [Turn(**{k: v for k, v in json.loads(r[0]).items() if k in known}) for r in rows]

    def last(self, conversation_id: str) -> Turn | None:
        turns = self.turns(conversation_id)
        return turns[-1] if turns else None

    def append(self, conversation_id: str, turn: Turn) -> None:
        """Add a turn; keep only the last ``turns``; drop expired conversations now and then. Not
        kept (a warning) while the state store is out of reach."""
        cid = self.check_id(conversation_id)
        now = self.clock()
        turn.at = now
        try:
            with self._db().transaction() as tx:
                self._append(tx, cid, turn, now)
        except StateUnavailable as exc:
            log.warning("a conversation turn was not kept: %s", exc.reason)

    def _append(self, tx, cid: str, turn: Turn, now: float) -> None:
        # the no-op update locks the conversation's row on PostgreSQL (SQLite holds the write lock)
        tx.execute("UPDATE conversations SET updated_at = updated_at WHERE id = ?", [cid])
        row = tx.execute("SELECT updated_at FROM conversations WHERE id = ?", [cid]).fetchone()
        if row is not None and row[0] < now - self.ttl:  # expired: start afresh under the same id
            tx.execute("DELETE FROM turns WHERE conversation_id = ?", [cid])
        seq = tx.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE conversation_id = ?", [cid]).fetchone()[0]
        tx.execute("INSERT INTO turns (conversation_id, seq, at, data) VALUES (?, ?, ?, ?)",
                   [cid, seq, now, json.dumps(turn.to_dict(), ensure_ascii=False)])
        tx.execute("DELETE FROM turns WHERE conversation_id = ? AND seq <= ?", [cid, seq - self.max_turns])
        tx.execute("INSERT INTO conversations (id, updated_at) VALUES (?, ?) "
                   "ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at", [cid, now])
        if now - self._last_sweep >= min(60.0, self.ttl):
            self._sweep(tx, now)
            self._last_sweep = now

    def delete_expired(self) -> int:
        """Delete every expired conversation now; returns how many."""
        with self._db().transaction() as tx:
            return self._sweep(tx, self.clock())

    def _sweep(self, tx, now: float) -> int:
        cutoff = now - self.ttl
        tx.execute("DELETE FROM turns WHERE conversation_id IN (SELECT id FROM conversations WHERE updated_at < ?)",
                   [cutoff])
        return tx.execute("DELETE FROM conversations WHERE updated_at < ?", [cutoff]).rowcount

    def forget(self, conversation_id: str) -> None:
        """Delete one conversation (a user may ask the assistant to forget it)."""
        cid = self.check_id(conversation_id)
        with self._db().transaction() as tx:
            tx.execute("DELETE FROM turns WHERE conversation_id = ?", [cid])
            tx.execute("DELETE FROM conversations WHERE id = ?", [cid])

    def count(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM conversations").fetchone()[0]

    def close(self) -> None:
        self._state.close()
