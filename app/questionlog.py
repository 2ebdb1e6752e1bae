"""The question log: every ask, its outcome and its feedback, for moderators and analytics.

One SQLite file (``questions.db`` under ``UCC_DATA_DIR``; WAL, busy timeout, written through
sqlite-utils) with two tables:

- ``asks``: one row per question asked on any channel (web, widget, slack, cli): the text, the
  status of the answer (answered, need_more_detail, cannot_answer, error), the route taken, the
  top sources cited, the latency, the index generation, and a salted hash of the user id;
- ``feedback``: up or down ratings of an answer (by its ``answer_id``), with an optional comment.

Nothing that identifies a person is stored: user ids (Slack ids, widget session ids) are
reduced to an HMAC-SHA256 with a secret salt (``UCC_LOG_SALT``; when it is empty a random salt is
made once and kept in ``UCC_DATA_DIR/log-salt``, mode 0600), conversation ids are hashed the same
way, and IP addresses are never given to this module. Rows older than ``UCC_LOG_RETENTION_DAYS``
are deleted by :meth:`QuestionLog.purge`, which also runs by itself at the first use of the log
in a process and then at most hourly, whether that use writes or reads.

Analytics for moderators: :meth:`unanswered`, :meth:`down_rated`, :meth:`topics` (the most asked
topics of a period, questions clustered by cosine similarity, each cluster labelled by its most
central question and its top words: the agenda seed of the next UserCentriCafé) and
:meth:`export_csv`.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import math
import os
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from indexer import store as st
from indexer.errors import InvalidRequest, NotFound

from .examples import safe_cell

CHANNELS = ("web", "widget", "slack", "cli")
RATINGS = ("up", "down")
STATUSES = ("answered", "need_more_detail", "cannot_answer", "error")
UNANSWERED = ("need_more_detail", "cannot_answer", "error")
MAX_QUESTION_CHARS = 2000
MAX_COMMENT_CHARS = 2000
MAX_SOURCES = 5
SALT_FILE = "log-salt"
PURGE_EVERY = 3600.0  # seconds between automatic purges
TOPIC_QUESTIONS = 5000  # most recent questions clustered by topics()
EMBED_THRESHOLD = 0.55  # cosine between a question and a cluster's centre (sentence embeddings)
TFIDF_THRESHOLD = 0.30  # the same with TF-IDF vectors (no embedder given)
CSV_COLUMNS = ("asked_at", "answer_id", "channel", "status", "intent", "question", "sources", "latency_ms",
               "generation", "user_hash", "conversation_hash", "rating", "comment")

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
    generation INTEGER
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

    FILE = "questions.db"

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
        self._db()  # create the schema now: errors show at start-up, not at the first question

    @classmethod
    def from_settings(cls, settings) -> QuestionLog:
        return cls(settings.data_dir / cls.FILE, salt=settings.log_salt or None,
                   retention_days=settings.log_retention_days)

    def _db(self):
        db = self._connections.get()
        self._purge_if_due()
        return db

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
                   generation: int | None = None) -> str:
        """Store one ask; returns its ``answer_id`` (random, URL-safe).

        ``sources`` are doc ids or dicts with ``doc_id``/``source``/``title``; the first five are kept.
        ``user_id`` and ``conversation_id`` are hashed with the salt before they are stored.
        """
        if channel not in CHANNELS:
            raise InvalidRequest(f"Unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}.")
        if status not in STATUSES:
            raise InvalidRequest(f"Unknown status {status!r}; use one of: {', '.join(STATUSES)}.")
        text = " ".join(str(question or "").split())[:MAX_QUESTION_CHARS]
        answer_id = secrets.token_urlsafe(12)
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
            "(SELECT f.comment FROM feedback f WHERE f.answer_id = a.id ORDER BY f.at DESC, f.id DESC LIMIT 1) "
            "FROM asks a WHERE a.at >= ? AND a.at < ? ORDER BY a.at, a.rowid", [lo, hi],
        )
        for r in rows:
            sources = "; ".join(s.get("doc_id") or s.get("title") or "" for s in json.loads(r[6] or "[]"))
            writer.writerow([safe_cell(v) for v in (iso(r[0]), *r[1:6], sources, *r[7:])])
        return buf.getvalue()

    def topics(self, since: Any = None, until: Any = None, k: int = 10, embedder: Any = None,
               threshold: float | None = None) -> list[Topic]:
        """The ``k`` most asked topics of the period, most asked first.

        Questions (the most recent :data:`TOPIC_QUESTIONS`) are embedded with ``embedder`` (an
        object with ``embed_passages``; the searcher's model) or, without one, as TF-IDF vectors;
        each distinct question, most asked first, joins the cluster whose centre is closest if the
        cosine is at least ``threshold``, else starts a new one. A cluster is labelled by its most
        central question and its top words.
        """
        if not 1 <= int(k) <= 100:
            raise InvalidRequest("k must be between 1 and 100.")
        lo, hi = self._range(since, until)
        rows = self._db().execute(
            "SELECT question, status FROM asks WHERE at >= ? AND at < ? AND question != '' "
            "ORDER BY at DESC LIMIT ?", [lo, hi, TOPIC_QUESTIONS],
        ).fetchall()
        if not rows:
            return []
        counts: Counter[str] = Counter()
        shown: dict[str, str] = {}
        statuses: dict[str, Counter[str]] = {}
        for question, status in rows:
            key = " ".join(_words(question)) or question.casefold()
            counts[key] += 1
            shown.setdefault(key, question)
            statuses.setdefault(key, Counter())[status] += 1
        keys = sorted(counts, key=lambda q: (-counts[q], q))
        texts = [shown[q] for q in keys]
        if embedder is not None:
            vectors = np.asarray(embedder.embed_passages(texts), dtype=np.float32)
            limit = EMBED_THRESHOLD if threshold is None else threshold
        else:
            vectors = tfidf(texts)
            limit = TFIDF_THRESHOLD if threshold is None else threshold
        weights = np.asarray([counts[q] for q in keys], dtype=np.float32)
        clusters = cluster(vectors, weights, limit)
        topics = []
        for members in clusters:
            centre = (vectors[members] * weights[members, None]).sum(axis=0)
            norm = float(np.linalg.norm(centre)) or 1.0
            central = max(members, key=lambda i: (float(vectors[i] @ centre) / norm, weights[i]))
            total = int(weights[members].sum())
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
        return topics[: int(k)]


# --- helpers ---------------------------------------------------------------------------------

_ASK_COLUMNS = "a.id, a.at, a.question, a.status, a.intent, a.reason, a.channel, a.sources, a.latency_ms, a.generation"


def _ask(row: Sequence[Any]) -> dict[str, Any]:
    return {"answer_id": row[0], "asked_at": iso(row[1]), "question": row[2], "status": row[3], "intent": row[4],
            "reason": row[5], "channel": row[6], "sources": json.loads(row[7] or "[]"), "latency_ms": row[8],
            "generation": row[9]}


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


def cluster(vectors: np.ndarray, weights: np.ndarray, threshold: float) -> list[list[int]]:
    """Greedy centroid clustering in the given order (most asked first): each item joins the
    cluster whose weighted centre is most similar, if at least ``threshold``; else starts one."""
    centres: list[np.ndarray] = []
    members: list[list[int]] = []
    for i, v in enumerate(vectors):
        best, best_sim = -1, threshold
        if centres:
            c = np.stack(centres)
            norms = np.linalg.norm(c, axis=1)
            norms[norms == 0] = 1.0
            sims = (c @ v) / norms
            j = int(np.argmax(sims))
            if sims[j] >= best_sim:
                best, best_sim = j, float(sims[j])
        if best < 0:
            centres.append(v * weights[i])
            members.append([i])
        else:
            centres[best] = centres[best] + v * weights[i]
            members[best].append(i)
    return members


def top_words(texts: Sequence[str], weights: Sequence[int], n: int = 5) -> list[str]:
    """The words most used by the questions of a cluster (each question counted as often as asked)."""
    counts: Counter[str] = Counter()
    for text, w in zip(texts, weights):
        for word in dict.fromkeys(_words(text)):
            counts[word] += w
    return [w for w, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:n]]
