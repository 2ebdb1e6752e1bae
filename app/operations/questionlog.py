"""The question log: every ask, its outcome and its feedback, for moderators and analytics.

One SQLite file (``questions.db`` under ``UCC_DATA_DIR``; WAL, busy timeout, written through
sqlite-utils) with two tables:

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
the agenda seed of the next UserCentriCafé) and :meth:`export_csv`. :func:`outcome` says a
status in plain words.

Logs made before the answer, route and follow-up columns existed are migrated in place when
opened (``ALTER TABLE ... ADD COLUMN``): old rows keep everything and show no answer.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import hmac
import io
import json
import math
import os
import re
import secrets
import sqlite3
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from indexer import store as st
from indexer.datafiles import LOG_SALT, QUESTIONS_DB
from indexer.errors import InvalidRequest, NotFound

from app.network.examples import safe_cell

CHANNELS = ("web", "widget", "slack", "cli")
RATINGS = ("up", "down")
STATUSES = ("answered", "need_more_detail", "cannot_answer", "error")
UNANSWERED = ("need_more_detail", "cannot_answer", "error")
MAX_QUESTION_CHARS = 2000
MAX_COMMENT_CHARS = 2000
MAX_SOURCES = 5
SALT_FILE = LOG_SALT
PURGE_EVERY = 3600.0  # seconds between automatic purges
MAX_ANSWER_CHARS = 300  # the start of the answer given, for moderators (the assistant's words)
TOPIC_QUESTIONS = 2000  # most recent questions clustered by topics(): bounded work
EMBED_THRESHOLD = 0.45  # average cosine between two groups of questions to merge them (sentence embeddings)
TFIDF_THRESHOLD = 0.20  # the same with TF-IDF vectors (no embedder given)
TOPIC_CACHE = 16  # topic lists kept, by log state
VECTOR_CACHE = 4 * TOPIC_QUESTIONS  # question vectors kept, by embedder and text
CSV_COLUMNS = ("asked_at", "answer_id", "channel", "status", "intent", "question", "sources", "latency_ms",
               "generation", "user_hash", "conversation_hash", "rating", "comment", "route", "route_failed",
               "resolved_question", "answer", "language")
# Columns added after the first release, with their types: added to older logs when opened.
_ADDED_COLUMNS = {"answer": "TEXT", "resolved_question": "TEXT", "follow_up": "TEXT", "route": "TEXT",
                  "route_failed": "INTEGER", "language": "TEXT"}
# What a moderator reads for each status and reason.
OUTCOMES = {
    ("answered", None): "answered",
    ("need_more_detail", None): "asked for more detail",
    ("cannot_answer", "outside_scope"): "could not answer: outside the network's scope",
    ("cannot_answer", "no_content"): "could not answer: nothing in the knowledge base",
    ("cannot_answer", None): "could not answer",
    ("error", None): "failed: an error on our side",
}
# The routes in a moderator's words (the assistant's intents).
ROUTES = {
    "answer": "cited answer",
    "scores": "dashboard scores",
    "ranking": "dashboard ranking",
    "similar": "similar members",
    "learn_from": "peers to learn from",
    "examples": "examples",
    "members": "members",
    "dashboard": "dashboard overview",
    "compare": "comparison",
    "awards": "awards",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS asks (
    id TEXT PRIMARY KEY,             -- the answer_id given to the client
    at REAL NOT NULL,                -- unix time
    question TEXT NOT NULL,
    status TEXT NOT NULL,            -- answered | need_more_detail | cannot_answer | error
    intent TEXT,
    reason TEXT,
    channel TEXT NOT NULL,           -- web | widget | slack | cli
    user_hash TEXT,                  -- HMAC-SHA256 of the user id with the salt; never the id
    conversation_hash TEXT,
    sources TEXT NOT NULL,           -- JSON list of the top sources cited
    latency_ms REAL,
    generation INTEGER,
    answer TEXT,                     -- the start of the answer given (MAX_ANSWER_CHARS)
    resolved_question TEXT,          -- what a follow-up was rewritten to (NULL when unchanged)
    follow_up TEXT,                  -- how a follow-up was resolved: place | measure | others | about
    route TEXT,                      -- the route the question was sent to (the router's intent)
    route_failed INTEGER,            -- 1: a routed question fell back to a cited answer
    language TEXT                    -- the question's language (ISO 639-1; "und": taken as English)
);
CREATE INDEX IF NOT EXISTS asks_at ON asks (at);
CREATE INDEX IF NOT EXISTS asks_status ON asks (status, at);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    answer_id TEXT NOT NULL,
    at REAL NOT NULL,
    rating TEXT NOT NULL,            -- up | down
    comment TEXT
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id);
CREATE INDEX IF NOT EXISTS feedback_at ON feedback (at);
"""

_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’-][^\W_]+)*", re.UNICODE)
_STOP = frozenset(
    """a an and are as at be by can could do does did for from has have how i if in into is it its of on or our
    should so than that the their them then there these they this to was we what when where which who why will
    with would you your about any some more most other such only own same too very just also me my us please
    get got make made want need know tell give show doing done been being were while out up there here city
    cities our ours one way ways""".split()
)

def _epoch(value: Any, default: float | None = None) -> float | None:
    """A point in time as unix seconds: a number, an ISO 8601 string, a datetime, or None."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidRequest("A time must be a date, a date and time, or unix seconds.")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{text[:40]!r} is not a date (use YYYY-MM-DD or an ISO 8601 date and time).") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


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


@dataclass
class Topic:
    label: str  # the most central question of the cluster
    words: list[str]  # its top words
    count: int  # questions in the cluster (repeats counted)
    questions: list[str]  # up to 5 distinct questions, most asked first
    statuses: dict[str, int]
    answered_share: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "words": self.words, "count": self.count, "questions": self.questions,
                "statuses": self.statuses, "answered_share": self.answered_share}


class QuestionLog:
    """Records asks and feedback in SQLite; answers moderators' questions about them."""

    FILE = QUESTIONS_DB

    def __init__(self, path: str | Path, salt: str | bytes | None = None, retention_days: float = 180,
                 clock: Callable[[], float] = time.time):
        # durable: a recorded question or rating survives a power loss
        self._connections = st.ThreadConnections(path, self.FILE, _SCHEMA, durable=True)
        self.path = self._connections.path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(salt, str):
            salt = salt.encode("utf-8")
        self._salt = salt or load_or_create_salt(self.path.parent)
        self.retention_days = float(retention_days or 0)
        self.clock = clock
        self._last_purge = 0.0
        self._cache_lock = threading.Lock()
        self._topic_cache: OrderedDict[tuple, list[Topic]] = OrderedDict()
        self._vector_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._db()  # create the schema now: errors show at start-up, not at the first question
        self._migrate()

    @classmethod
    def from_settings(cls, settings) -> QuestionLog:
        return cls(settings.data_dir / cls.FILE, salt=settings.log_salt or None,
                   retention_days=settings.log_retention_days)

    def _db(self):
        db = self._connections.get()
        self._purge_if_due()
        return db

    def _migrate(self) -> None:
        """Add the columns a log made by an older release lacks; its rows are kept as they are."""
        conn = self._connections.get().conn
        have = {row[1] for row in conn.execute("PRAGMA table_info(asks)")}
        for column, kind in _ADDED_COLUMNS.items():
            if column in have:
                continue
            try:
                conn.execute(f"ALTER TABLE asks ADD COLUMN {column} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it meanwhile
                if "duplicate column" not in str(exc):
                    raise

    def _purge_if_due(self) -> None:
        """Retention holds for readers too: whatever touches the log first in an hour (a question,
        the console, an export) deletes what is past the retention period."""
        if self.retention_days <= 0:
            return
        now = self.clock()
        if now - self._last_purge >= PURGE_EVERY:
            self._last_purge = now
            self.purge()

    def close(self) -> None:
        self._connections.close()

    # -- privacy ------------------------------------------------------------------------------
    def hash_user(self, raw_id: Any) -> str | None:
        """HMAC-SHA256 of ``raw_id`` with the log's salt (hex, 32 characters); None for no id."""
        if raw_id is None or str(raw_id).strip() == "":
            return None
        return hmac.new(self._salt, str(raw_id).strip().encode("utf-8"), hashlib.sha256).hexdigest()[:32]

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
        takes these from the assistant's result.
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
            "sources": json.dumps(_sources(sources), ensure_ascii=False),
            "latency_ms": None if latency_ms is None else round(float(latency_ms), 2),
            "generation": generation,
            "answer": _clip(answer, MAX_ANSWER_CHARS),
            "resolved_question": _rewritten(text, resolved_question),
            "follow_up": _short(follow_up) if follow_up not in (None, "", "new") else None,
            "route": _short(route),
            "route_failed": 1 if route_failed else 0,
            "language": _short(language),
        }
        self._db()["asks"].insert(row)
        return answer_id

    def record_feedback(self, answer_id: str, rating: str, comment: str | None = None) -> dict[str, Any]:
        """Store a rating of an answer. :class:`NotFound` for an unknown (or purged) answer id,
        :class:`InvalidRequest` for a rating other than up or down or a comment too long."""
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
        db["feedback"].insert({"answer_id": aid, "at": now, "rating": rating, "comment": comment})
        return {"answer_id": aid, "rating": rating, "comment": comment, "recorded_at": iso(now)}

    def purge(self, now: float | None = None) -> int:
        """Delete asks and feedback older than the retention period; returns the rows deleted."""
        if self.retention_days <= 0:
            return 0
        cutoff = (self.clock() if now is None else now) - self.retention_days * 86400
        conn = self._connections.get().conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            n = conn.execute("DELETE FROM feedback WHERE at < ? OR answer_id IN (SELECT id FROM asks WHERE at < ?)",
                             [cutoff, cutoff]).rowcount
            n += conn.execute("DELETE FROM asks WHERE at < ?", [cutoff]).rowcount
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return n

    # -- reading ------------------------------------------------------------------------------
    def _range(self, since: Any, until: Any) -> tuple[float, float]:
        lo = _epoch(since, 0.0)
        hi = _epoch(until, self.clock() + 1)
        if lo > hi:
            raise InvalidRequest("'since' must come before 'until'.")
        return lo, hi

    def count(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM asks").fetchone()[0]

    def get(self, answer_id: str) -> dict[str, Any]:
        row = self._db().execute(f"SELECT {_ASK_COLUMNS} FROM asks a WHERE a.id = ?", [answer_id]).fetchone()
        if row is None:
            raise NotFound("No answer has this answer_id.")
        return _ask(row)

    def recent(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict[str, Any]]:
        """Every question of the period with its answer, route and outcome, newest first."""
        return self._asks("1", since, until, limit)

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
            f"SELECT {_ASK_COLUMNS} FROM asks a WHERE a.at >= ? AND a.at < ? AND {where} "
            "ORDER BY a.at DESC, a.rowid DESC LIMIT ?", [lo, hi, int(limit)],
        ).fetchall()
        return [_ask(r) for r in rows]

    def unanswered(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict[str, Any]]:
        """Questions the assistant could not answer (or asked to be clarified, or failed on),
        newest first."""
        lo, hi = self._range(since, until)
        marks = ",".join("?" * len(UNANSWERED))
        rows = self._db().execute(
            f"SELECT {_ASK_COLUMNS} FROM asks a WHERE a.at >= ? AND a.at < ? AND a.status IN ({marks}) "
            "ORDER BY a.at DESC, a.rowid DESC LIMIT ?", [lo, hi, *UNANSWERED, int(limit)],
        ).fetchall()
        return [_ask(r) for r in rows]

    def down_rated(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict[str, Any]]:
        """Answers rated down (by the time of the rating), newest first, with the comment."""
        lo, hi = self._range(since, until)
        rows = self._db().execute(
            f"SELECT {_ASK_COLUMNS}, f.at, f.comment FROM feedback f JOIN asks a ON a.id = f.answer_id "
            "WHERE f.rating = 'down' AND f.at >= ? AND f.at < ? ORDER BY f.at DESC, f.id DESC LIMIT ?",
            [lo, hi, int(limit)],
        ).fetchall()
        out = []
        for r in rows:
            item = _ask(r[:-2])
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
        state = db.execute(f"SELECT COUNT(*), MIN(rowid), MAX(rowid), MAX(at) FROM ({picked})",
                           [lo, hi, TOPIC_QUESTIONS]).fetchone()
        if not state[0]:
            return []
        key = (tuple(state), int(k), threshold, _embedder_key(embedder))
        with self._cache_lock:
            if key in self._topic_cache:
                self._topic_cache.move_to_end(key)
                return copy.deepcopy(self._topic_cache[key])
        rows = db.execute(picked, [lo, hi, TOPIC_QUESTIONS]).fetchall()
        topics = self._cluster_topics([(q, st_) for _, _, q, st_ in rows], int(k), embedder, threshold)
        with self._cache_lock:
            self._topic_cache[key] = copy.deepcopy(topics)
            while len(self._topic_cache) > TOPIC_CACHE:
                self._topic_cache.popitem(last=False)
        return topics

    def _vectors(self, texts: list[str], embedder: Any) -> np.ndarray:
        """``embedder.embed_passages`` of ``texts``, only the texts not embedded before."""
        ident = _embedder_key(embedder)
        with self._cache_lock:
            known = {t: self._vector_cache[(ident, t)] for t in texts if (ident, t) in self._vector_cache}
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        if todo:
            fresh = np.asarray(embedder.embed_passages(todo), dtype=np.float32)
            with self._cache_lock:
                for t, v in zip(todo, fresh):
                    known[t] = v
                    self._vector_cache[(ident, t)] = v
                while len(self._vector_cache) > VECTOR_CACHE:
                    self._vector_cache.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def _cluster_topics(self, rows: list[tuple[str, str]], k: int, embedder: Any,
                        threshold: float | None) -> list[Topic]:
        counts: Counter[str] = Counter()
        shown: dict[str, str] = {}
        statuses: dict[str, Counter[str]] = {}
        for question, status in rows:
            key = " ".join(_words(question)) or question.casefold()
            counts[key] += 1
            shown.setdefault(key, question)  # the newest wording of a repeated question
            statuses.setdefault(key, Counter())[status] += 1
        keys = sorted(counts, key=lambda q: (-counts[q], q))
        texts = [shown[q] for q in keys]
        if embedder is not None:
            vectors = _unit(self._vectors(texts, embedder))
            limit = EMBED_THRESHOLD if threshold is None else threshold
        else:
            vectors = tfidf(texts)
            limit = TFIDF_THRESHOLD if threshold is None else threshold
        weights = np.asarray([counts[q] for q in keys], dtype=np.float32)
        topics = []
        for members in agglomerate(vectors, limit):
            sims = vectors[members] @ vectors[members].T
            w = weights[members]
            centrality = (sims * w[None, :]).sum(axis=1) / w.sum()  # mean similarity to the group's asks
            central = members[max(range(len(members)), key=lambda i: (float(centrality[i]), w[i], -members[i]))]
            total = int(w.sum())
            st_counts: Counter[str] = Counter()
            for i in members:
                st_counts.update(statuses[keys[i]])
            topics.append(Topic(
                label=texts[central],
                words=top_words([texts[i] for i in members], [int(weights[i]) for i in members]),
                count=total,
                questions=[texts[i] for i in sorted(members, key=lambda i: (-weights[i], i))[:5]],
                statuses=dict(st_counts),
                answered_share=round(st_counts.get("answered", 0) / total, 3),
            ))
        topics.sort(key=lambda t: (-t.count, t.label))
        return topics[:k]


# --- helpers ---------------------------------------------------------------------------------

_ASK_COLUMNS = ("a.id, a.at, a.question, a.status, a.intent, a.reason, a.channel, a.sources, a.latency_ms, "
                "a.generation, a.answer, a.resolved_question, a.follow_up, a.route, a.route_failed, a.language")


def _ask(row: Sequence[Any]) -> dict[str, Any]:
    out = {"answer_id": row[0], "asked_at": iso(row[1]), "question": row[2], "status": row[3], "intent": row[4],
           "reason": row[5], "channel": row[6], "sources": json.loads(row[7] or "[]"), "latency_ms": row[8],
           "generation": row[9], "answer": row[10], "resolved_question": row[11], "follow_up": row[12],
           "route": row[13], "route_failed": bool(row[14]), "language": row[15]}
    out["outcome"] = outcome(out["status"], out["reason"])
    return out


def outcome(status: str | None, reason: str | None = None) -> str:
    """A status (and a cannot-answer reason) in a moderator's words: "answered", "asked for more
    detail", "could not answer: outside the network's scope", "could not answer: nothing in the
    knowledge base". A reason that is not a known code is said as it is."""
    known = OUTCOMES.get((status, reason)) or OUTCOMES.get((status, None))
    if known is None:
        return (status or "unknown").replace("_", " ")
    if reason and (status, reason) not in OUTCOMES:
        return f"{known}: {reason.replace('_', ' ')}"
    return known


def route_words(route: str | None) -> str | None:
    """A route (an intent) in a moderator's words; None for none."""
    if not route:
        return None
    return ROUTES.get(route, route.replace("_", " "))


def ask_details(result: dict[str, Any] | None) -> dict[str, Any]:
    """The keyword arguments of :meth:`QuestionLog.record_ask` that describe the answer given,
    from the assistant's result (``Assistant.ask``): the answer, the rewritten question, how a
    follow-up was resolved, the route and whether a routed question fell back to a cited answer
    (the router sent it to a capability, which found nothing, and a cited answer was given)."""
    if not isinstance(result, dict):
        return {}
    route = result.get("route") if isinstance(result.get("route"), dict) else {}
    routed = route.get("intent") or None
    follow_up = result.get("follow_up") or "new"
    if "route_failed" in result:  # the assistant says so (app/answering/reply.py)
        fell_back = bool(result["route_failed"])
    else:  # an older result shape: infer it
        fell_back = bool(routed and routed != "answer" and result.get("intent") == "answer"
                         and follow_up == "new" and not result.get("filters"))
    return {"answer": result.get("answer") or None, "resolved_question": result.get("resolved_question") or None,
            "follow_up": follow_up, "route": routed or result.get("intent") or None, "route_failed": fell_back,
            "language": result.get("language") or None}


def _clip(text: Any, limit: int) -> str | None:
    flat = " ".join(str(text or "").split())
    if not flat:
        return None
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _short(value: Any) -> str | None:
    return _clip(value, 40)


def _rewritten(question: str, resolved: Any) -> str | None:
    text = _clip(resolved, MAX_QUESTION_CHARS)
    if text is None or text.casefold() == question.casefold():
        return None
    return text


def _embedder_key(embedder: Any) -> tuple | None:
    if embedder is None:
        return None
    return (type(embedder).__name__, getattr(embedder, "name", None), getattr(embedder, "dim", None), id(embedder))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def _sources(items: Iterable[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            entry = {k: item.get(k) for k in ("doc_id", "title", "city") if item.get(k) is not None}
            if "doc_id" not in entry and item.get("source"):
                entry["doc_id"] = item["source"]
        else:
            entry = {"doc_id": str(item)}
        if entry and entry not in out:
            out.append(entry)
        if len(out) >= MAX_SOURCES:
            break
    return out


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.casefold()) if w not in _STOP and len(w) > 1]


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def tfidf(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF vectors (words stemmed lightly, stop words removed)."""
    docs = [[_stem(w) for w in _words(t)] for t in texts]
    vocab: dict[str, int] = {}
    for d in docs:
        for w in d:
            vocab.setdefault(w, len(vocab))
    m = np.zeros((len(docs), max(len(vocab), 1)), dtype=np.float32)
    for i, d in enumerate(docs):
        for w, c in Counter(d).items():
            m[i, vocab[w]] = 1.0 + math.log(c)
    df = (m > 0).sum(axis=0)
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    m *= idf
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


def agglomerate(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage agglomerative clustering of unit ``vectors`` by cosine similarity: start with
    one group per vector and merge the two most similar groups (the mean cosine over all pairs
    across them) while that mean is at least ``threshold``. Deterministic; groups are returned as
    sorted index lists, in the order of their first member. A zero vector (a question without a
    content word) is similar to nothing and stays alone.

    Numpy only, O(n^2) memory and about O(n^2) time: each row keeps its most similar other group,
    recomputed only for the rows a merge touches.
    """
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    sims = np.asarray(vectors, dtype=np.float64) @ np.asarray(vectors, dtype=np.float64).T
    np.fill_diagonal(sims, -np.inf)
    alive = np.ones(n, dtype=bool)
    size = np.ones(n, dtype=np.float64)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    best = np.argmax(sims, axis=1)
    best_sim = sims[np.arange(n), best]
    while True:
        masked = np.where(alive, best_sim, -np.inf)
        a = int(np.argmax(masked))
        if masked[a] < threshold:
            break
        b = int(best[a])
        a, b = min(a, b), max(a, b)
        # Lance-Williams update for average linkage: the merged row is the size-weighted mean
        row = (size[a] * sims[a] + size[b] * sims[b]) / (size[a] + size[b])
        sims[a], sims[:, a] = row, row
        sims[a, a] = -np.inf
        sims[b], sims[:, b] = -np.inf, -np.inf
        alive[b] = False
        size[a] += size[b]
        members[a].extend(members.pop(b))
        best_sim[b] = -np.inf
        stale = np.flatnonzero(alive & ((best == a) | (best == b)))
        for i in np.append(stale, a):
            best[i] = int(np.argmax(sims[i]))
            best_sim[i] = sims[i, best[i]]
        others = np.flatnonzero(alive & (row > best_sim))  # rows for which the merged group is now closest
        best[others] = a
        best_sim[others] = row[others]
    return [sorted(members[i]) for i in sorted(members)]


def top_words(texts: Sequence[str], weights: Sequence[int], n: int = 5) -> list[str]:
    """The words most used by the questions of a cluster (each question counted as often as asked)."""
    counts: Counter[str] = Counter()
    for text, w in zip(texts, weights):
        for word in dict.fromkeys(_words(text)):
            counts[word] += w
    return [w for w, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:n]]
