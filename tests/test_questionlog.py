"""The question log: asks and feedback in SQLite, privacy, moderators' views, topics, retention."""

from __future__ import annotations

import csv
import io
import os
import stat
import threading

import pytest

from app.operations.questionlog import QuestionLog, agglomerate, ask_details, outcome, route_words, tfidf
from indexer.errors import InvalidRequest, NotFound

from .conftest import FakeEmbedder

DAY = 86400.0


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def qlog(tmp_path, clock):
    return QuestionLog(tmp_path / "var", salt="pepper", retention_days=30, clock=clock)


def test_record_ask_and_feedback(qlog):
    aid = qlog.record_ask("How do  cities\nrun participatory budgets?", "answered", channel="slack",
                          sources=[{"doc_id": "cases/a.md", "title": "A", "city": "paris", "snippet": "long"},
                                   "guides/b.md", {"doc_id": "cases/a.md", "title": "A", "city": "paris"}],
                          latency_ms=12.345, user_id="U024BE7LH", intent="answer", generation=4)
    row = qlog.get(aid)
    assert row["question"] == "How do cities run participatory budgets?"
    assert row["sources"] == [{"doc_id": "cases/a.md", "title": "A", "city": "paris"}, {"doc_id": "guides/b.md"}]
    assert row["latency_ms"] == 12.35 and row["generation"] == 4 and row["channel"] == "slack"
    assert row["asked_at"] == "2027-01-15T08:00:00Z"
    fb = qlog.record_feedback(aid, "down", "  wrong   city ")
    assert fb == {"answer_id": aid, "rating": "down", "comment": "wrong city", "recorded_at": row["asked_at"]}
    assert qlog.count() == 1


def test_feedback_errors(qlog):
    aid = qlog.record_ask("q?", "answered")
    with pytest.raises(NotFound):
        qlog.record_feedback("no-such-id", "up")
    with pytest.raises(NotFound):
        qlog.record_feedback("", "up")
    with pytest.raises(InvalidRequest):
        qlog.record_feedback(aid, "sideways")
    with pytest.raises(InvalidRequest):
        qlog.record_feedback(aid, "up", "x" * 2001)
    with pytest.raises(InvalidRequest):
        qlog.record_ask("q?", "answered", channel="email")
    with pytest.raises(InvalidRequest):
        qlog.record_ask("q?", "maybe")


def test_user_ids_are_hashed_with_the_salt_and_never_stored(tmp_path, qlog):
    h = qlog.hash_user("U024BE7LH")
    assert h == qlog.hash_user(" U024BE7LH ") and len(h) == 32 and qlog.hash_user(None) is None
    other = QuestionLog(tmp_path / "other", salt="another salt")
    assert other.hash_user("U024BE7LH") != h
    qlog.record_ask("q?", "answered", user_id="U024BE7LH", conversation_id="conv-abcdefgh-123")
    raw = b"".join(p.read_bytes() for p in (tmp_path / "var").iterdir() if p.name.startswith("questions.db"))
    assert b"U024BE7LH" not in raw and b"conv-abcdefgh-123" not in raw
    rows = list(csv.DictReader(io.StringIO(qlog.export_csv())))
    assert rows[0]["user_hash"] == h and "U024BE7LH" not in qlog.export_csv()


def test_an_empty_salt_is_made_once_and_kept_private(tmp_path):
    a = QuestionLog(tmp_path / "data", salt="")
    path = tmp_path / "data" / "log-salt"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(path.read_text().strip()) == 64
    b = QuestionLog(tmp_path / "data", salt=None)
    assert a.hash_user("x") == b.hash_user("x")


def test_from_settings_uses_the_data_dir(tmp_path):
    from indexer.settings import load_settings

    s = load_settings({}, UCC_DATA_DIR=str(tmp_path / "d"), UCC_LOG_RETENTION_DAYS=7)
    qlog = QuestionLog.from_settings(s)
    assert qlog.path == tmp_path / "d" / "questions.db" and qlog.retention_days == 7
    assert (tmp_path / "d" / "log-salt").exists()
    assert qlog._db().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unanswered_and_down_rated_by_period(qlog, clock):
    old = qlog.record_ask("Parking permits in Porto?", "cannot_answer", reason="no_content")
    clock.now += 2 * DAY
    vague = qlog.record_ask("services", "need_more_detail")
    ok = qlog.record_ask("How did Ghent grant social rights automatically?", "answered")
    failed = qlog.record_ask("Crash?", "error")
    qlog.record_feedback(ok, "down", "too vague")
    qlog.record_feedback(vague, "up")
    assert [r["answer_id"] for r in qlog.unanswered()] == [failed, vague, old]
    assert [r["answer_id"] for r in qlog.unanswered(since=clock.now - DAY)] == [failed, vague]
    assert [r["answer_id"] for r in qlog.unanswered(until=clock.now - DAY)] == [old]
    assert qlog.unanswered(since="2027-01-17", until="2027-01-18T00:00:00Z")[0]["answer_id"] == failed
    down = qlog.down_rated()
    assert [(r["answer_id"], r["comment"]) for r in down] == [(ok, "too vague")]
    summary = qlog.summary()
    assert summary["asks"] == 4 and summary["by_status"]["error"] == 1 and summary["ratings"] == {"down": 1, "up": 1}
    with pytest.raises(InvalidRequest):
        qlog.unanswered(since="last week")
    with pytest.raises(InvalidRequest):
        qlog.unanswered(since=clock.now, until=clock.now - 5)


def test_export_csv_defuses_formulas_and_carries_the_latest_rating(qlog):
    a = qlog.record_ask("=HYPERLINK(\"http://x\") proactive?", "answered", sources=["cases/x.md", "guides/y.md"])
    qlog.record_feedback(a, "up")
    qlog.record_feedback(a, "down", "@mention me")
    rows = list(csv.DictReader(io.StringIO(qlog.export_csv())))
    assert len(rows) == 1
    row = rows[0]
    assert row["question"].startswith("'=") and row["comment"] == "'@mention me" and row["rating"] == "down"
    assert row["sources"] == "cases/x.md; guides/y.md" and row["answer_id"] == a


def test_purge_deletes_rows_past_retention(qlog, clock):
    old = qlog.record_ask("old question", "answered")
    qlog.record_feedback(old, "up")
    clock.now += 20 * DAY
    recent = qlog.record_ask("recent question", "answered")
    clock.now += 15 * DAY  # old is 35 days old, recent 15
    assert qlog.purge() == 2
    assert [r["question"] for r in csv.DictReader(io.StringIO(qlog.export_csv()))] == ["recent question"]
    with pytest.raises(NotFound):
        qlog.record_feedback(old, "down")
    qlog.record_feedback(recent, "down")
    assert QuestionLog(qlog.path, salt="s", retention_days=0).purge() == 0  # 0 keeps everything


def test_record_ask_purges_now_and_then(tmp_path, clock):
    qlog = QuestionLog(tmp_path, salt="s", retention_days=1, clock=clock)
    qlog.record_ask("first", "answered")
    clock.now += 3 * DAY
    qlog.record_ask("second", "answered")
    assert qlog.count() == 1


def test_reading_the_log_purges_too(tmp_path, clock):
    """A service nobody asks still drops old rows: the console reading the log purges them."""
    writer = QuestionLog(tmp_path, salt="s", retention_days=1, clock=clock)
    writer.record_ask("first", "answered")
    clock.now += 3 * DAY
    reader = QuestionLog(tmp_path, salt="s", retention_days=1, clock=clock)  # a new process
    assert reader.export_csv().count("\n") == 1  # the header only
    assert writer.count() == 0


QUESTIONS = [
    ("How do cities run participatory budgeting?", 3),
    ("participatory budgeting examples in cities", 2),
    ("Which cities have participatory budgeting for residents?", 1),
    ("How can residents report potholes to the city?", 2),
    ("report potholes and broken streetlights app", 1),
    ("What is the weather tomorrow?", 1),
]


def _fill(qlog):
    for q, n in QUESTIONS:
        for _ in range(n):
            qlog.record_ask(q, "answered" if "weather" not in q else "cannot_answer")


def test_topics_cluster_questions_with_tfidf(qlog):
    _fill(qlog)
    topics = qlog.topics(k=10)
    assert [t.count for t in topics] == [6, 3, 1]
    budget, potholes, weather = topics
    assert budget.label.startswith("How do cities run participatory budgeting")
    assert {"participatory", "budgeting"} <= set(budget.words[:3])
    assert "potholes" in potholes.words and potholes.answered_share == 1.0
    assert weather.statuses == {"cannot_answer": 1} and weather.answered_share == 0.0
    assert len(qlog.topics(k=2)) == 2
    assert topics[0].to_dict()["questions"][0] == QUESTIONS[0][0]


def test_topics_with_an_embedder_and_an_empty_period(qlog, clock):
    _fill(qlog)
    topics = qlog.topics(embedder=FakeEmbedder(), threshold=0.3)
    assert topics[0].count >= 6 and sum(t.count for t in topics) == 10
    assert qlog.topics(until=clock.now - 10) == []
    with pytest.raises(InvalidRequest):
        qlog.topics(k=0)


def test_topics_with_the_real_model(qlog, real_embedder):
    _fill(qlog)
    topics = qlog.topics(embedder=real_embedder)
    assert [t.count for t in topics[:2]] == [6, 3]


def test_cluster_and_tfidf_helpers():
    import numpy as np

    v = tfidf(["bike lanes", "bike lanes safety", "tax forms"])
    assert v.shape[0] == 3 and np.allclose(np.linalg.norm(v, axis=1), 1.0)
    assert agglomerate(v, 0.3) == [[0, 1], [2]]


def test_concurrent_writers(qlog):
    errors = []

    def work(i):
        try:
            for j in range(20):
                aid = qlog.record_ask(f"question {i}-{j}", "answered", channel="web")
                qlog.record_feedback(aid, "up")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and qlog.count() == 80


def test_the_log_is_durable_across_power_loss(tmp_path):
    """synchronous=FULL: a recorded question or rating is on disk when the call returns."""
    qlog = QuestionLog(tmp_path, salt="s")
    qlog.record_ask("q", "answered")
    assert qlog._db().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert qlog._db().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- answers, routes and outcomes ----------------------------------------------------------------


def test_the_answer_route_and_rewritten_question_are_kept(qlog):
    long_answer = "Ghent scores 75% on the dashboard.  " + "More words. " * 60
    aid = qlog.record_ask("what about Ghent?", "answered", intent="scores", answer=long_answer,
                          resolved_question="How does Ghent score on the dashboard?", follow_up="place",
                          route="scores")
    row = qlog.get(aid)
    assert row["answer"].startswith("Ghent scores 75% on the dashboard. More words.")
    assert len(row["answer"]) <= 300 and row["answer"].endswith("…")
    assert row["resolved_question"] == "How does Ghent score on the dashboard?"
    assert row["follow_up"] == "place" and row["route"] == "scores" and row["route_failed"] is False
    assert row["outcome"] == "answered"
    # an unchanged question is not stored twice; a plain ask stays as it was
    same = qlog.get(qlog.record_ask("How do cities run budgets?", "answered",
                                    resolved_question="how do cities  run budgets?", follow_up="new"))
    assert same["resolved_question"] is None and same["follow_up"] is None and same["answer"] is None


def test_outcomes_in_plain_words():
    assert outcome("answered") == "answered"
    assert outcome("need_more_detail") == "asked for more detail"
    assert outcome("cannot_answer", "outside_scope") == "could not answer: outside the network's scope"
    assert outcome("cannot_answer", "no_content") == "could not answer: nothing in the knowledge base"
    assert outcome("cannot_answer") == "could not answer"
    assert outcome("cannot_answer", "no passage close enough") == "could not answer: no passage close enough"
    assert outcome("error") == "failed: an error on our side"
    assert route_words("learn_from") == "peers to learn from" and route_words("answer") == "cited answer"
    assert route_words("some_new_intent") == "some new intent" and route_words(None) is None


def test_ask_details_from_the_assistants_result():
    routed = {"answer": "Ghent scores 75%.", "intent": "scores", "resolved_question": "How does Ghent score?",
              "follow_up": "place", "route": {"intent": "scores", "city": "ghent"}, "status": "answered"}
    assert ask_details(routed) == {"answer": "Ghent scores 75%.", "resolved_question": "How does Ghent score?",
                                   "follow_up": "place", "route": "scores", "route_failed": False,
                                   "language": None}
    # the router sent it to the scores, which had nothing: a cited answer was given instead
    fell_back = {"answer": "...", "intent": "answer", "route": {"intent": "scores", "city": "arezzo"},
                 "follow_up": "new", "status": "cannot_answer", "reason": "no_content", "filters": {}}
    assert ask_details(fell_back)["route_failed"] is True and ask_details(fell_back)["route"] == "scores"
    cited = {**fell_back, "route": {"intent": "answer"}}
    assert ask_details(cited)["route_failed"] is False
    follow_up = {**fell_back, "follow_up": "measure"}  # a cited follow-up is routed as an answer on purpose
    assert ask_details(follow_up)["route_failed"] is False
    assert ask_details(None) == {}


def test_content_gaps_leave_failed_routes_apart(qlog):
    qlog.record_ask("What is the parking fee in Riga?", "cannot_answer", reason="no_content", route="answer")
    qlog.record_ask("What is the weather tomorrow?", "cannot_answer", reason="outside_scope", route="answer")
    qlog.record_ask("tell me more", "need_more_detail", route="answer")
    qlog.record_ask("How does Arezzo score?", "cannot_answer", reason="no_content", intent="answer",
                    route="scores", route_failed=True)
    qlog.record_ask("How does Porto score?", "error")
    qlog.record_ask("How do cities run budgets?", "answered", answer="Paris runs one.", route="answer")
    gaps = [r["question"] for r in qlog.content_gaps()]
    assert gaps == ["tell me more", "What is the weather tomorrow?", "What is the parking fee in Riga?"]
    failed = [r["question"] for r in qlog.failed_routes()]
    assert failed == ["How does Porto score?", "How does Arezzo score?"]
    recent = qlog.recent(limit=3)
    assert [r["question"] for r in recent] == ["How do cities run budgets?", "How does Porto score?",
                                                 "How does Arezzo score?"]
    assert recent[0]["answer"] == "Paris runs one." and recent[1]["outcome"] == "failed: an error on our side"
    rows = list(csv.DictReader(io.StringIO(qlog.export_csv())))
    assert rows[3]["route"] == "scores" and rows[3]["route_failed"] == "1" and rows[5]["answer"] == "Paris runs one."


def test_an_older_log_is_migrated_and_keeps_its_rows(tmp_path, clock):
    import sqlite3

    path = tmp_path / "questions.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE asks (id TEXT PRIMARY KEY, at REAL NOT NULL, question TEXT NOT NULL, status TEXT NOT NULL,
            intent TEXT, reason TEXT, channel TEXT NOT NULL, user_hash TEXT, conversation_hash TEXT,
            sources TEXT NOT NULL, latency_ms REAL, generation INTEGER);
        CREATE TABLE feedback (id INTEGER PRIMARY KEY, answer_id TEXT NOT NULL, at REAL NOT NULL,
            rating TEXT NOT NULL, comment TEXT);
    """)
    conn.execute("INSERT INTO asks VALUES ('old-1', ?, 'How do cities run budgets?', 'cannot_answer', 'answer', "
                 "'outside_scope', 'slack', 'h', NULL, '[]', 12.0, 3)", [clock.now - 10])
    conn.commit()
    conn.close()
    qlog = QuestionLog(tmp_path, salt="s", clock=clock)
    old = qlog.get("old-1")
    assert old["question"] == "How do cities run budgets?" and old["generation"] == 3
    assert old["answer"] is None and old["route"] is None and old["route_failed"] is False
    assert old["outcome"] == "could not answer: outside the network's scope"
    assert [r["answer_id"] for r in qlog.content_gaps()] == ["old-1"]
    new = qlog.record_ask("q?", "answered", answer="A.", route="answer")
    assert qlog.get(new)["answer"] == "A."
    QuestionLog(tmp_path, salt="s", clock=clock)  # opening it again changes nothing
    assert qlog.count() == 2


# --- topics by meaning -----------------------------------------------------------------------------


def test_agglomerate_merges_by_average_similarity():
    import numpy as np

    v = np.array([[1, 0, 0], [0.95, 0.31, 0], [0.9, 0, 0.43], [0, 1, 0], [0, 0, 0]], dtype=np.float32)
    v[:4] /= np.linalg.norm(v[:4], axis=1, keepdims=True)
    assert agglomerate(v, 0.8) == [[0, 1, 2], [3], [4]]  # the zero vector stays alone
    assert agglomerate(v, 0.99) == [[0], [1], [2], [3], [4]]
    assert agglomerate(v, -1.0) == [[0, 1, 2, 3, 4]]
    assert agglomerate(v[:0], 0.5) == [] and agglomerate(v[:1], 0.5) == [[0]]
    rng = np.random.default_rng(7)
    big = rng.normal(size=(300, 16)).astype(np.float32)
    big /= np.linalg.norm(big, axis=1, keepdims=True)
    groups = agglomerate(big, 0.2)
    assert sorted(i for g in groups for i in g) == list(range(300)) and groups == agglomerate(big, 0.2)


class CountingEmbedder(FakeEmbedder):
    def __init__(self):
        super().__init__()
        self.texts = []

    def embed_passages(self, texts):
        self.texts.extend(texts)
        return super().embed_passages(texts)


def test_topics_are_cached_by_log_state_and_embed_each_question_once(qlog):
    _fill(qlog)
    emb = CountingEmbedder()
    first = qlog.topics(embedder=emb, threshold=0.3)
    assert len(emb.texts) == 6  # one per distinct question
    assert [t.to_dict() for t in qlog.topics(embedder=emb, threshold=0.3)] == [t.to_dict() for t in first]
    assert len(emb.texts) == 6  # the same log state: nothing embedded again
    first[0].questions.append("changed by a caller")
    assert "changed by a caller" not in qlog.topics(embedder=emb, threshold=0.3)[0].questions
    qlog.record_ask("Where can residents report potholes?", "answered")
    again = qlog.topics(embedder=emb, threshold=0.3)
    assert emb.texts[6:] == ["Where can residents report potholes?"]  # only the new question
    assert sum(t.count for t in again) == 11


def test_topics_look_at_the_most_recent_questions_only(qlog, clock, monkeypatch):
    import app.operations.questionlog as ql

    monkeypatch.setattr(ql, "TOPIC_QUESTIONS", 4)
    for i in range(6):
        qlog.record_ask("old question about parking" if i < 2 else f"new question about bikes {i}", "answered")
        clock.now += 1
    topics = qlog.topics()
    assert sum(t.count for t in topics) == 4 and all("parking" not in t.label for t in topics)


def test_a_rewritten_follow_up_counts_as_the_question_it_stands_for(qlog):
    qlog.record_ask("How does Ghent score on the dashboard?", "answered")
    qlog.record_ask("what about Porto?", "answered", resolved_question="How does Porto score on the dashboard?")
    qlog.record_ask("What is the weather tomorrow?", "cannot_answer")
    topics = qlog.topics()
    assert [t.count for t in topics] == [2, 1]
    assert sorted(topics[0].questions) == ["How does Ghent score on the dashboard?",
                                           "How does Porto score on the dashboard?"]


def test_topics_group_by_meaning_with_the_real_model(qlog, real_embedder):
    asked = [
        "How do cities run participatory budgeting?",
        "Who lets citizens vote on how to spend part of the budget?",
        "Which cities have participatory budgeting for residents?",
        "How can residents report potholes to the city?",
        "Is there an app to report street problems?",
        "How do cities measure user satisfaction with online services?",
        "customer satisfaction surveys for digital services",
        "What is the capital of France?",
    ]
    for q in asked:
        qlog.record_ask(q, "answered")
    topics = {t.label: t for t in qlog.topics(embedder=real_embedder)}
    groups = sorted(sorted(t.questions) for t in topics.values())
    assert sorted(asked[:3]) in groups  # "vote on how to spend the budget" shares no word with the others
    assert sorted(asked[3:5]) in groups and sorted(asked[5:7]) in groups
    assert [asked[7]] in groups
