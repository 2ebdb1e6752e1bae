"""The state store on both backends: SQLite files (UCC_DATABASE_URL empty) and PostgreSQL (a
throw-away cluster, tests/pg.py). Every store answers the same on both; on PostgreSQL two store
objects stand for two hosts sharing one database; a server that stops and starts again is survived
without a restart."""

from __future__ import annotations

import time

import pytest

from app.answering.conversationstore import ConversationStore, Turn
from app.errors import StateUnavailable
from app.operations.questionlog import QuestionLog
from app.state import open_state, state_status
from app.state.migrations import COMPONENTS, latest
from app.state.postgres import PostgresState, translate
from app.web.console.sessions import SessionStore
from app.web.ratelimit import FailureThrottle
from bots.stores import ChannelSettings, EventDedupe, ShareStore, ThreadMap

from .pg import fresh_database


class Clock:
    def __init__(self, now: float = 1_900_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_placeholders_and_rowid_are_translated_for_postgresql():
    assert translate("SELECT rowid, a.rowid FROM asks WHERE at >= ? AND q LIKE '5%'") == \
        "SELECT seq, a.seq FROM asks WHERE at >= %s AND q LIKE '5%%'"
    assert translate("SELECT rowids FROM t") == "SELECT rowids FROM t"


def test_every_migration_splits_into_whole_statements():
    import sqlite3

    from app.state.migrations import DIALECT, MIGRATIONS, statements

    for m in MIGRATIONS:
        if isinstance(m.sql, str):
            for dialect, words in DIALECT.items():
                for statement in statements(m.sql.format(**words)):
                    assert sqlite3.complete_statement(statement + ";"), (m.component, m.version, dialect, statement)
                    assert statement.upper().startswith("CREATE"), statement


def test_every_store_is_migrated_once_to_its_latest_version(tmp_path, state_url):
    for component in COMPONENTS:
        state = open_state(tmp_path / "var", f"{component}.db", component, url=state_url)
        state.ensure(component)
        again = open_state(tmp_path / "var", f"{component}.db", component, url=state_url)
        again.ensure(component)
        rows = state.execute("SELECT component, version FROM schema_version").fetchall()
        assert (component, latest(component)) in [tuple(r) for r in rows]
    if not state_url:  # one file per store, as before
        assert {p.name for p in (tmp_path / "var").glob("*.db")} == {f"{c}.db" for c in COMPONENTS}


def test_question_log_on_both_backends(tmp_path, state_url):
    clock = Clock()
    log = QuestionLog(tmp_path / "var", salt="s", clock=clock, database_url=state_url)
    first = log.record_ask("How do cities run budgets?", "cannot_answer", channel="slack", reason="no_content",
                           user_id="U1", sources=["a", {"doc_id": "b", "title": "B"}], latency_ms=12.345)
    clock.now += 1
    second = log.record_ask("Examples of apps for reporting problems", "answered", channel="web",
                            answer="Ghent runs one.", route="examples", route_failed=True, language="en")
    clock.now += 1
    assert log.record_feedback(second, "down", "  not   about apps ")["comment"] == "not about apps"
    with pytest.raises(Exception, match="No answer has this answer_id"):
        log.record_feedback("nope", "up")
    assert [r["answer_id"] for r in log.recent()] == [second, first]
    assert log.get(first)["sources"] == [{"doc_id": "a"}, {"doc_id": "b", "title": "B"}]
    assert log.get(first)["latency_ms"] == pytest.approx(12.35)
    assert [r["answer_id"] for r in log.content_gaps()] == [first]
    assert [r["answer_id"] for r in log.failed_routes()] == [second]
    assert [r["answer_id"] for r in log.unanswered()] == [first]
    assert [(r["answer_id"], r["comment"]) for r in log.down_rated()] == [(second, "not about apps")]
    summary = log.summary()
    assert summary["asks"] == 2 and summary["by_channel"] == {"slack": 1, "web": 1} and summary["ratings"] == {"down": 1}
    csv_text = log.export_csv()
    assert csv_text.count("\n") == 3 and "not about apps" in csv_text
    topics = log.topics(k=5)
    assert sum(t.count for t in topics) == 2 and log.topics(k=5)[0].label == topics[0].label  # cached
    assert log.count() == 2
    log.retention_days = 1
    clock.now += 2 * 86400
    log.record_ask("new", "answered")
    assert log.purge() == 0 and log.count() == 1  # the hourly purge at that ask took the old rows


def test_conversations_on_both_backends_and_across_hosts(tmp_path, state_url):
    clock = Clock()
    one = ConversationStore(tmp_path / "var", turns=2, ttl=60, clock=clock, database_url=state_url)
    other = ConversationStore(tmp_path / "var", turns=2, ttl=60, clock=clock, database_url=state_url)
    cid = one.new_id()
    for i in range(3):
        (one if i % 2 else other).append(cid, Turn(question=f"q{i}", resolved_question=f"q{i}", doc_ids=[f"d{i}"]))
        clock.now += 1
    assert [t.question for t in one.turns(cid)] == ["q1", "q2"] == [t.question for t in other.turns(cid)]
    assert other.last(cid).doc_ids == ["d2"] and one.count() == 1
    clock.now += 61
    assert one.turns(cid) == [] and one.delete_expired() == 1 and one.count() == 0
    one.append(cid, Turn(question="again", resolved_question="again"))
    other.forget(cid)
    assert one.turns(cid) == []


def test_slack_stores_on_both_backends(tmp_path, state_url):
    hosts = [EventDedupe(tmp_path / "var", database_url=state_url) for _ in range(2)]
    assert [d.claim("event:Ev1") for d in hosts] == [True, False]  # one host answers
    assert hosts[1].claim("event:Ev2") and hosts[0].claim(None)
    threads = ThreadMap(tmp_path / "var", database_url=state_url)
    threads.remember("C1", "1.5", "conv-1")
    threads.remember("C1", "1.5", "conv-2")
    assert ThreadMap(tmp_path / "var", database_url=state_url).lookup("C1", "1.5") == "conv-2"
    assert threads.lookup("C1", "9.9") is None
    shares = ShareStore(tmp_path / "var", database_url=state_url)
    shares.put("s1", [{"type": "section"}], "text")
    assert shares.get("s1") == {"blocks": [{"type": "section"}], "text": "text"} and shares.get("s2") is None
    channels = ChannelSettings(tmp_path / "var", database_url=state_url)
    assert channels.get("C1") == {"mode": "mention", "filters": {}, "lang": "en"}
    channels.update("C1", "U1", mode="all")
    channels.update("C1", "U1", filters={"city": "ghent"})
    assert ChannelSettings(tmp_path / "var", database_url=state_url).get("C1") == \
        {"mode": "all", "filters": {"city": "ghent"}, "lang": "en"}


def test_wrong_token_counts_are_shared_on_both_backends(tmp_path, state_url):
    clock = Clock()
    workers = [FailureThrottle(tmp_path / "var", b"salt", clock=clock, database_url=state_url) for _ in range(2)]
    client = workers[0].client_key("203.0.113.9")
    assert client == workers[1].client_key("203.0.113.9")
    outcomes = [workers[i % 2].attempt(client) for i in range(FailureThrottle.FREE + 1)]
    assert outcomes[:FailureThrottle.FREE] == [(0, n) for n in range(1, FailureThrottle.FREE + 1)]
    assert outcomes[-1] == (1, FailureThrottle.FREE)  # refused: the first wait of the back-off
    clock.now += 1
    assert workers[1].attempt(client) == (0, FailureThrottle.FREE + 1)
    workers[0].succeeded(client)
    assert workers[1].attempt(client) == (0, 1)
    clock.now += FailureThrottle.FORGET + 1
    assert workers[0].purge() == 1


def test_console_sessions_are_shared_on_both_backends(tmp_path, state_url):
    clock = Clock()
    one, other = (SessionStore(tmp_path / "var", clock=clock, idle=600, lifetime=3600, database_url=state_url)
                  for _ in range(2))
    sid = one.create()
    assert other.valid(sid) and one.valid(sid)  # signed in on one host, valid on the other
    assert not other.valid(sid + "x") and not other.valid("") and not other.valid(None)
    stored = [r[0] for r in one._state.execute("SELECT id FROM sessions").fetchall()]
    assert stored == [SessionStore._key(sid)] and sid not in stored  # only a hash of the id
    clock.now += 500
    assert other.valid(sid)  # used: its idle time starts again
    clock.now += 500
    assert one.valid(sid)
    later = other.create()
    other.end(sid)  # signed out on the other host: ended on both
    assert not one.valid(sid) and one.valid(later)
    clock.now += 601
    assert not one.valid(later)  # idle too long
    kept = one.create()  # a new sign-in deletes the sessions that ended
    assert [r[0] for r in other._state.execute("SELECT id FROM sessions").fetchall()] == [SessionStore._key(kept)]
    for _ in range(6):
        clock.now += 599
        assert other.valid(kept)
    clock.now += 10
    assert not one.valid(kept)  # used 10 s ago, but an hour after sign-in, however busy


def test_an_existing_sessions_file_keeps_its_sessions(tmp_path):
    import sqlite3

    (tmp_path / "var").mkdir()
    with sqlite3.connect(tmp_path / "var" / SessionStore.FILE) as db:  # the file as it was before the state store
        db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, created REAL NOT NULL, seen REAL NOT NULL, "
                   "expires REAL NOT NULL)")
        db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", [SessionStore._key("old-sid"), 0.0, 0.0, 2e9])
    store = SessionStore(tmp_path / "var", clock=Clock(1.0))
    assert store.valid("old-sid") and store.path == tmp_path / "var" / "console-sessions.db"
    assert store._state.execute("SELECT version FROM schema_version").fetchone()[0] == latest("console_sessions")


def test_postgresql_out_of_reach_then_back_without_a_restart(tmp_path, pg_cluster):
    url = fresh_database(pg_cluster)
    log = QuestionLog(tmp_path / "var", salt="s", database_url=url)
    conversations = ConversationStore(tmp_path / "var", database_url=url)
    dedupe = EventDedupe(tmp_path / "var", database_url=url)
    throttle = FailureThrottle(tmp_path / "var", b"salt", database_url=url)
    sessions = SessionStore(tmp_path / "var", database_url=url)
    signed_in = sessions.create()
    cid = conversations.new_id()
    conversations.append(cid, Turn(question="q", resolved_question="q"))
    before = log.record_ask("before the outage", "answered")
    assert state_status(url)["status"] == "ok"
    pg_cluster.stop()
    try:
        t0 = time.monotonic()
        during = log.record_ask("during the outage", "answered")  # kept in memory, answer_id given
        with pytest.raises(StateUnavailable):
            log.record_feedback(before, "up")  # never acknowledged unless committed
        assert conversations.turns(cid) == []  # answered as a new question
        conversations.append(cid, Turn(question="lost", resolved_question="lost"))
        assert dedupe.claim("event:E1") and not dedupe.claim("event:E1")  # in memory meanwhile
        with pytest.raises(StateUnavailable):
            throttle.attempt(throttle.client_key("203.0.113.9"))  # an admin token is not checked: fails closed
        for check in (sessions.valid, sessions.end):  # no session is taken as valid or ended: fails closed
            with pytest.raises(StateUnavailable):
                check(signed_in)
        with pytest.raises(StateUnavailable):
            sessions.create()
        status = state_status(url)
        assert status["status"] == "degraded" and "PostgreSQL" in status["reason"]
        assert status["deferred_writes"] == 1 and status["dropped_writes"] == 0
        assert time.monotonic() - t0 < 10  # failing fast, not waiting on the pool each time
    finally:
        pg_cluster.start()
    deadline = time.monotonic() + 10
    while state_status(url)["status"] != "ok" and time.monotonic() < deadline:
        time.sleep(0.2)
    status = state_status(url)
    assert status["status"] == "ok" and status["deferred_writes"] == 0
    assert {r["answer_id"] for r in log.recent()} == {before, during}
    assert log.record_feedback(during, "up")["rating"] == "up"
    assert [t.question for t in conversations.turns(cid)] == ["q"]
    assert sessions.valid(signed_in)


def test_a_bad_database_url_is_refused_without_showing_it(tmp_path):
    from indexer.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as err:
        open_state(tmp_path, "x.db", "questions", url="mysql://user:secret@db/x")
    assert "secret" not in str(err.value)


def test_a_shared_log_needs_one_salt_on_every_host(tmp_path):
    from indexer.errors import ConfigurationError
    from indexer.settings import load_settings

    with pytest.raises(ConfigurationError, match="UCC_LOG_SALT"):
        QuestionLog.from_settings(load_settings({"UCC_DATABASE_URL": "postgresql://u@127.0.0.1:1/x"}))
    assert PostgresState.shared("postgresql://u@127.0.0.1:1/x") is PostgresState.shared("postgresql://u@127.0.0.1:1/x")
