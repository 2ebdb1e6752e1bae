"""The question log: every ask, its outcome and its feedback, for moderators and analytics.

Kept in the state store (:mod:`app.state`): the SQLite file ``questions.db`` under ``UCC_DATA_DIR``
(WAL, busy timeout, ``synchronous=FULL``), or the PostgreSQL database of ``UCC_DATABASE_URL`` that
several hosts share; two tables:

- ``asks``: one row per question asked on any channel (web, widget, slack, cli): the text, the
  status of the answer (answered, need_more_detail, cannot_answer, error), the route taken (and
  whether a routed question fell back to a cited answer), the question a follow-up was rewritten
  to, the start of the answer given (:data:`MAX_ANSWER_CHARS`), the top sources cited, the
  latency, the index generation, and a salted hash of the user id;
- ``feedback``: up or down ratings of an answer (by its ``answer_id``), with an optional comment.

Nothing that identifies a person is stored: user ids (Slack ids, widget session ids) are
reduced to an HMAC-SHA256 with a secret salt (``UCC_LOG_SALT``; when it is empty a random salt is
made once and kept in ``UCC_DATA_DIR/log-salt``, mode 0600), conversation ids are hashed the same
way, and IP addresses are never given to this module. Rows older than ``UCC_LOG_RETENTION_DAYS``
are deleted by :meth:`QuestionLog.purge`, which also runs by itself at the first use of the log
in a process and then at most hourly, whether that use writes or reads.

Analytics for moderators: :meth:`recent` (every question with its answer, route and outcome),
:meth:`content_gaps` (what the knowledge base could not answer; failed routes are kept apart in
:meth:`failed_routes`), :meth:`unanswered`, :meth:`down_rated`, :meth:`topics` (the most asked
topics of a period: the questions embedded with the index's model and grouped by average-linkage
agglomerative clustering on cosine similarity, each group labelled by its most central question:
the agenda seed of the next UserCentriCafé; :mod:`app.operations.questiontopics`) and
:meth:`export_csv`. :func:`~app.operations.questionrows.outcome` says a status in plain words
(:mod:`app.operations.questionrows`: what a row says).

Logs made before the answer, route and follow-up columns existed are migrated in place when
opened (:mod:`app.state.migrations`): old rows keep everything and show no answer.

With PostgreSQL out of reach, an ask is kept in memory and written when it is back (bounded; see
:mod:`app.state.postgres`), so the question is answered and keeps its ``answer_id``; a rating is
refused with :class:`~app.errors.StateUnavailable` (HTTP 503) rather than acknowledged and lost.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from indexer.datafiles import LOG_SALT, QUESTIONS_DB
from indexer.errors import ConfigurationError, InvalidRequest, NotFound

from app.errors import StateUnavailable
from app.network.examples import safe_cell
from app.operations.questionrows import (ASK_COLUMNS, CHANNELS, MAX_ANSWER_CHARS, MAX_COMMENT_CHARS,
                                         MAX_QUESTION_CHARS, RATINGS, STATUSES, UNANSWERED, ask_details,
                                         ask_row, cited_sources, clip, epoch, iso, outcome, rewritten,
                                         route_words, short)
from app.operations.questiontopics import TOPIC_QUESTIONS, Topic, TopicFinder, agglomerate, tfidf, top_words
from app.state import open_state

__all__ = ["CHANNELS", "CSV_COLUMNS", "QuestionLog", "SALT_FILE", "TOPIC_QUESTIONS", "Topic", "agglomerate",
           "ask_details", "iso", "load_or_create_salt", "outcome", "route_words", "tfidf", "top_words"]

log = logging.getLogger("ucc.questionlog")

SALT_FILE = LOG_SALT
PURGE_EVERY = 3600.0  # seconds between automatic purges
CSV_COLUMNS = ("asked_at", "answer_id", "channel", "status", "intent", "question", "sources", "latency_ms",
               "generation", "user_hash", "conversation_hash", "rating", "comment", "route", "route_failed",
               "resolved_question", "answer", "language")
_ASK_FIELDS = ("id", "at", "question", "status", "intent", "reason", "channel", "user_hash", "conversation_hash",
               "sources", "latency_ms", "generation", "answer", "resolved_question", "follow_up", "route",
               "route_failed", "language")
# idempotent: an ask kept while PostgreSQL was out of reach may be written twice, and is kept once
_INSERT_ASK = (f"INSERT INTO asks ({', '.join(_ASK_FIELDS)}) VALUES ({', '.join('?' * len(_ASK_FIELDS))}) "
               "ON CONFLICT (id) DO NOTHING")


def load_or_create_salt(data_dir: Path) -> bytes:
    """The salt kept in ``data_dir/log-salt`` (0600), created once with 32 random bytes."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SALT_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32))
            fh.flush()
            os.fsync(fh.fileno())
    for _ in range(50):  # another process may be writing it right now
        text = path.read_text(encoding="ascii").strip()
        if text:
            return text.encode("ascii")
        time.sleep(0.01)
    raise InvalidRequest(f"{path} is empty: delete it and a new salt will be made.")



class QuestionLog:
    """Records asks and feedback in the state store; answers moderators' questions about them."""

    FILE = QUESTIONS_DB

    def __init__(self, path: str | Path, salt: str | bytes | None = None, retention_days: float = 180,
                 clock: Callable[[], float] = time.time, database_url: str = ""):
        # durable: a recorded question or rating survives a power loss
        self._state = open_state(path, self.FILE, "questions", url=database_url, durable=True)
        path = Path(path)
        self.path = getattr(self._state, "path", None) or (path / self.FILE if path.suffix == "" else path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(salt, str):
            salt = salt.encode("utf-8")
        self._salt = salt or load_or_create_salt(self.path.parent)
        self.retention_days = float(retention_days or 0)
        self.clock = clock
        self._last_purge = 0.0
        self._topics = TopicFinder()

    @classmethod
    def from_settings(cls, settings) -> QuestionLog:
        if settings.database_url and not settings.log_salt:
            raise ConfigurationError("UCC_DATABASE_URL is set but UCC_LOG_SALT is empty: hosts that share one "
                                     "question log must hash user ids with one salt. Set the same UCC_LOG_SALT "
                                     "on every host (docs/scaling.md).")
        return cls(settings.data_dir / cls.FILE, salt=settings.log_salt or None,
                   retention_days=settings.log_retention_days, database_url=settings.database_url)

    def _db(self):
        """The state store, this log's tables migrated and past rows purged (hourly)."""
        self._state.ensure("questions")
        self._purge_if_due()
        return self._state

    def _purge_if_due(self) -> None:
        """Retention holds for readers too: whatever touches the log first in an hour (a question,
        the console, an export) deletes what is past the retention period."""
        if self.retention_days <= 0:
            return
        now = self.clock()
        if now - self._last_purge >= PURGE_EVERY:
            self._last_purge = now
            try:
                self.purge()
            except StateUnavailable:  # PostgreSQL out of reach: purge at the next use
                self._last_purge = 0.0

    def close(self) -> None:
        self._state.close()

    def hash_user(self, raw_id: Any) -> str | None:
        """HMAC-SHA256 of ``raw_id`` with the log's salt (hex, 32 characters); None for no id."""
        if raw_id is None or str(raw_id).strip() == "":
            return None
        return hmac.new(self._salt, str(raw_id).strip().encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    # -- writing ------------------------------------------------------------------------------

    # -- writing ------------------------------------------------------------------------------
    def record_ask(self, question: str, status: str, *, channel: str = "web", sources: Iterable[Any] = (),
                   latency_ms: float | None = None, user_id: Any = None, intent: str | None = None,
                   reason: str | None = None, conversation_id: str | None = None,
                   generation: int | None = None, answer: str | None = None,
                   resolved_question: str | None = None, follow_up: str | None = None,
                   route: str | None = None, route_failed: bool = False, language: str | None = None) -> str:
        """Store one ask; returns its ``answer_id`` (random, URL-safe).

        ``sources`` are doc ids or dicts with ``doc_id``/``source``/``title``; the first five are kept.
        ``user_id`` and ``conversation_id`` are hashed with the salt before they are stored.
        ``answer`` is cut to its first :data:`MAX_ANSWER_CHARS` characters; ``resolved_question``
        is kept only when it differs from the question (a rewritten follow-up). :func:`ask_details`
        takes these from the assistant's result. Kept in memory while PostgreSQL is out of reach,
        and written when it is back (see the module).
        """
        if channel not in CHANNELS:
            raise InvalidRequest(f"Unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}.")
        if status not in STATUSES:
            raise InvalidRequest(f"Unknown status {status!r}; use one of: {', '.join(STATUSES)}.")
        text = " ".join(str(question or "").split())[:MAX_QUESTION_CHARS]
        answer_id = secrets.token_hex(12)  # hex: never starts with a CSV formula character
        now = self.clock()
        row = {
            "id": answer_id,
            "at": now,
            "question": text,
            "status": status,
            "intent": intent,
            "reason": reason,
            "channel": channel,
            "user_hash": self.hash_user(user_id),
            "conversation_hash": self.hash_user(conversation_id),
            "sources": json.dumps(cited_sources(sources), ensure_ascii=False),
            "latency_ms": None if latency_ms is None else round(float(latency_ms), 2),
            "generation": generation,
            "answer": clip(answer, MAX_ANSWER_CHARS),
            "resolved_question": rewritten(text, resolved_question),
            "follow_up": short(follow_up) if follow_up not in (None, "", "new") else None,
            "route": short(route),
            "route_failed": 1 if route_failed else 0,
            "language": short(language),
        }
        self._db().defer(_INSERT_ASK, [row[f] for f in _ASK_FIELDS])
        return answer_id

    def record_feedback(self, answer_id: str, rating: str, comment: str | None = None) -> dict[str, Any]:
        """Store a rating of an answer. :class:`NotFound` for an unknown (or purged) answer id,
        :class:`InvalidRequest` for a rating other than up or down or a comment too long,
        :class:`~app.errors.StateUnavailable` when PostgreSQL is out of reach (never acknowledged
        unless committed)."""
        if rating not in RATINGS:
            raise InvalidRequest(f"The rating must be one of: {', '.join(RATINGS)}.")
        if comment is not None and not isinstance(comment, str):
            raise InvalidRequest("The comment must be text.")
        comment = " ".join((comment or "").split()) or None
        if comment and len(comment) > MAX_COMMENT_CHARS:
            raise InvalidRequest(f"The comment is too long ({len(comment)} characters; at most {MAX_COMMENT_CHARS}).")
        aid = str(answer_id or "").strip()
        db = self._db()
        if not aid or db.execute("SELECT 1 FROM asks WHERE id = ?", [aid]).fetchone() is None:
            raise NotFound("No answer has this answer_id (answers are kept for a limited time).")
        now = self.clock()
        db.execute("INSERT INTO feedback (answer_id, at, rating, comment) VALUES (?, ?, ?, ?)",
                   [aid, now, rating, comment])
        return {"answer_id": aid, "rating": rating, "comment": comment, "recorded_at": iso(now)}

    def purge(self, now: float | None = None) -> int:
        """Delete asks and feedback older than the retention period; returns the rows deleted."""
        if self.retention_days <= 0:
            return 0
        cutoff = (self.clock() if now is None else now) - self.retention_days * 86400
        self._state.ensure("questions")
        with self._state.transaction() as tx:
            n = tx.execute("DELETE FROM feedback WHERE at < ? OR answer_id IN (SELECT id FROM asks WHERE at < ?)",
                             [cutoff, cutoff]).rowcount
            n += tx.execute("DELETE FROM asks WHERE at < ?", [cutoff]).rowcount
        return n

    # -- reading ------------------------------------------------------------------------------
    # -- reading ------------------------------------------------------------------------------
    def _range(self, since: Any, until: Any) -> tuple[float, float]:
        lo = epoch(since, 0.0)
        hi = epoch(until, self.clock() + 1)
        if lo > hi:
            raise InvalidRequest("'since' must come before 'until'.")
        return lo, hi

    def count(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM asks").fetchone()[0]

    def get(self, answer_id: str) -> dict[str, Any]:
        row = self._db().execute(f"SELECT {ASK_COLUMNS} FROM asks a WHERE a.id = ?", [answer_id]).fetchone()
        if row is None:
            raise NotFound("No answer has this answer_id.")
        return ask_row(row)

    def recent(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict[str, Any]]:
        """Every question of the period with its answer, route and outcome, newest first."""
        return self._asks("1 = 1", since, until, limit)

    def content_gaps(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict[str, Any]]:
        """Questions the knowledge base could not answer or that needed more detail, newest first;
        not the failed routes (an error, or a routed question that fell back): those are
        :meth:`failed_routes`, a fault of the service rather than a gap in the content."""
        return self._asks("a.status IN ('need_more_detail', 'cannot_answer') AND COALESCE(a.route_failed, 0) = 0",
                          since, until, limit)

    def failed_routes(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict[str, Any]]:
        """Asks that failed (status error) or whose route fell back to a cited answer, newest first."""
        return self._asks("(a.status = 'error' OR COALESCE(a.route_failed, 0) = 1)", since, until, limit)

    def _asks(self, where: str, since: Any, until: Any, limit: int) -> list[dict[str, Any]]:
        lo, hi = self._range(since, until)
        rows = self._db().execute(
            f"SELECT {ASK_COLUMNS} FROM asks a WHERE a.at >= ? AND a.at < ? AND {where} "
            "ORDER BY a.at DESC, a.rowid DESC LIMIT ?", [lo, hi, int(limit)],
        ).fetchall()
        return [ask_row(r) for r in rows]

    def unanswered(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict[str, Any]]:
        """Questions the assistant could not answer (or asked to be clarified, or failed on),
        newest first."""
        lo, hi = self._range(since, until)
        marks = ",".join("?" * len(UNANSWERED))
        rows = self._db().execute(
            f"SELECT {ASK_COLUMNS} FROM asks a WHERE a.at >= ? AND a.at < ? AND a.status IN ({marks}) "
            "ORDER BY a.at DESC, a.rowid DESC LIMIT ?", [lo, hi, *UNANSWERED, int(limit)],
        ).fetchall()
        return [ask_row(r) for r in rows]

    def down_rated(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict[str, Any]]:
        """Answers rated down (by the time of the rating), newest first, with the comment."""
        lo, hi = self._range(since, until)
        rows = self._db().execute(
            f"SELECT {ASK_COLUMNS}, f.at, f.comment FROM feedback f JOIN asks a ON a.id = f.answer_id "
            "WHERE f.rating = 'down' AND f.at >= ? AND f.at < ? ORDER BY f.at DESC, f.id DESC LIMIT ?",
            [lo, hi, int(limit)],
        ).fetchall()
        out = []
        for r in rows:
            item = ask_row(r[:-2])
            item.update(rated_at=iso(r[-2]), comment=r[-1])
            out.append(item)
        return out

    def summary(self, since: Any = None, until: Any = None) -> dict[str, Any]:
        """Counts of a period: asks by status and channel, ratings."""
        lo, hi = self._range(since, until)
        db = self._db()
        by_status = dict(db.execute("SELECT status, COUNT(*) FROM asks WHERE at >= ? AND at < ? GROUP BY status",
                                    [lo, hi]).fetchall())
        by_channel = dict(db.execute("SELECT channel, COUNT(*) FROM asks WHERE at >= ? AND at < ? GROUP BY channel",
                                     [lo, hi]).fetchall())
        ratings = dict(db.execute("SELECT rating, COUNT(*) FROM feedback WHERE at >= ? AND at < ? GROUP BY rating",
                                  [lo, hi]).fetchall())
        return {"since": iso(lo), "until": iso(hi), "asks": sum(by_status.values()), "by_status": by_status,
                "by_channel": by_channel, "ratings": ratings}

    def export_csv(self, since: Any = None, until: Any = None) -> str:
        """Every ask of the period as CSV (oldest first), with its latest rating and comment.
        Cells a spreadsheet would run as a formula are defused with a leading apostrophe."""
        lo, hi = self._range(since, until)
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS)
        rows = self._db().execute(
            "SELECT a.at, a.id, a.channel, a.status, a.intent, a.question, a.sources, a.latency_ms, a.generation, "
            "a.user_hash, a.conversation_hash, "
            "(SELECT f.rating FROM feedback f WHERE f.answer_id = a.id ORDER BY f.at DESC, f.id DESC LIMIT 1), "
            "(SELECT f.comment FROM feedback f WHERE f.answer_id = a.id ORDER BY f.at DESC, f.id DESC LIMIT 1), "
            "a.route, a.route_failed, a.resolved_question, a.answer, a.language "
            "FROM asks a WHERE a.at >= ? AND a.at < ? ORDER BY a.at, a.rowid", [lo, hi],
        )
        for r in rows:
            sources = "; ".join(s.get("doc_id") or s.get("title") or "" for s in json.loads(r[6] or "[]"))
            writer.writerow([safe_cell(v) for v in (iso(r[0]), *r[1:6], sources, *r[7:])])
        return buf.getvalue()

    def topics(self, since: Any = None, until: Any = None, k: int = 10, embedder: Any = None,
               threshold: float | None = None) -> list[Topic]:
        """The ``k`` most asked topics of the period, most asked first.

        The most recent :data:`TOPIC_QUESTIONS` questions of the period are embedded with ``embedder``
        (an object with ``embed_passages``: the index's model) or, without one, as TF-IDF vectors,
        and grouped by :func:`agglomerate` (average linkage on cosine similarity; two groups merge
        while their questions are at least ``threshold`` similar on average). Repeats of a question
        count towards its group, and a rewritten follow-up counts as the question it was rewritten to.
        A group is labelled by its most central question and its top words.

        Results are cached by the state of the log in the period (rows in it, newest and oldest
        row) and question vectors by text, so a console reload embeds nothing and one new question
        embeds one text.
        """
        if not 1 <= int(k) <= 100:
            raise InvalidRequest("k must be between 1 and 100.")
        lo, hi = self._range(since, until)
        db = self._db()
        # a follow-up counts as the question it was rewritten to ("what about Porto?" is about scores)
        picked = ("SELECT rowid, at, COALESCE(NULLIF(resolved_question, ''), question), status FROM asks "
                  "WHERE at >= ? AND at < ? AND question != '' ORDER BY at DESC, rowid DESC LIMIT ?")
        state = db.execute(f"SELECT COUNT(*), MIN(rowid), MAX(rowid), MAX(at) FROM ({picked}) AS picked",
                           [lo, hi, TOPIC_QUESTIONS]).fetchone()
        if not state[0]:
            return []
        return self._topics.topics(tuple(state), lambda: [(q, s) for _, _, q, s in db.execute(
            picked, [lo, hi, TOPIC_QUESTIONS]).fetchall()], int(k), embedder, threshold)

