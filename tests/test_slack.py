"""The Slack bot through the real slack-bolt stack: signed HTTP requests in, a fake Slack Web API out."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from app.assistant import Assistant
from app.operations.questionlog import QuestionLog
from indexer.settings import load_settings

SECRET = "test-signing-secret"


class FakeSlack:
    """Records Web API calls (``/api/<method>``) and response_url posts (``/response/<n>``)."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.do_POST()

            def do_POST(self):
                url = urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8") or url.query
                try:
                    body = json.loads(raw) if raw.strip().startswith("{") else {
                        k: v[0] for k, v in parse_qs(raw).items()}
                except ValueError:
                    body = {"raw": raw}
                path = url.path if url.path.startswith("/api/") else self.path
                name = path.rstrip("/").split("/")[-1] if path.startswith("/api/") else path
                with fake.lock:
                    fake.calls.append((name, body))
                reply = {"ok": True, "ts": f"{time.time():.6f}", "channel": body.get("channel", "C1")}
                if name == "auth.test":
                    reply.update(user_id="UBOT", bot_id="BBOT", team_id="T1", user="ucc", team="Test")
                if name == "users.info":  # UADMIN* are workspace admins, UOWNER* owners, the rest members
                    uid = body.get("user", "")
                    reply["user"] = {"id": uid, "is_admin": uid.startswith("UADMIN"),
                                     "is_owner": uid.startswith("UOWNER")}
                out = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, name: str) -> list[dict]:
        with self.lock:
            return [b for n, b in self.calls if n == name or n.startswith(name)]

    def wait(self, name: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(name)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.of(name)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Spy:
    """The assistant, remembering the conversation each question came with (its use cases, such as
    ask_and_record, ask through the spy)."""

    def __init__(self, assistant):
        self._a = assistant
        self.asked: list[tuple[str, str | None]] = []
        self._ask = assistant.ask
        assistant.ask = self.ask

    def ask(self, question, conversation=None, filters=None):
        self.asked.append((question, conversation))
        return self._ask(question, conversation=conversation, filters=filters)

    def __getattr__(self, name):
        return getattr(self._a, name)


@pytest.fixture
def slack():
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def bot(slack, tmp_path, knowledge_searcher_fake, catalog):
    from bots.app import build_app
    from bots.flask_adapter import create_flask_app

    settings = load_settings({**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                              "UCC_SLACK_API_URL": slack.url + "/api/", "UCC_DATA_DIR": str(tmp_path / "var")})
    spy = Spy(Assistant(settings, searcher=knowledge_searcher_fake, catalog=catalog))
    app = build_app(settings, spy)
    client = create_flask_app(app).test_client()
    return client, spy, settings


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def event_body(event: dict, event_id: str = "Ev1") -> str:
    """The JSON body Slack sends for ``event`` (an event_callback for the bot UBOT)."""
    return json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
                       "event_time": int(time.time()), "event": event,
                       "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]})


def post_event(client, event: dict, event_id: str = "Ev1", headers: dict | None = None):
    body = event_body(event, event_id)
    return client.post("/slack/events", data=body, content_type="application/json",
                       headers={**sign(body), **(headers or {})})


def post_form(client, form: dict):
    body = urlencode(form)
    return client.post("/slack/events", data=body, content_type="application/x-www-form-urlencoded",
                       headers=sign(body))


def mention(text: str, ts: str = "100.1", **extra) -> dict:
    return {"type": "app_mention", "user": "U1", "text": f"<@UBOT> {text}", "ts": ts, "channel": "C1",
            "client_msg_id": f"m-{ts}", **extra}


def command(slack, text: str, n: int = 1) -> dict:
    return {"command": "/ucc", "text": text, "user_id": "U1", "channel_id": "C1", "team_id": "T1",
            "response_url": f"{slack.url}/response/{n}", "trigger_id": "t1"}


def blocks_text(message: dict) -> str:
    blocks = message.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return json.dumps(blocks or [], ensure_ascii=False) + " " + str(message.get("text", ""))


# -- request verification ------------------------------------------------------------------------
def test_bad_signature_is_rejected(bot, slack):
    client, _, _ = bot
    body = json.dumps({"type": "event_callback", "event_id": "Ev9", "event": mention("hi")})
    r = client.post("/slack/events", data=body, content_type="application/json",
                    headers=sign(body, secret="wrong-secret"))
    assert r.status_code == 401
    assert not slack.of("chat.postMessage")


def test_a_rejected_request_is_logged_without_its_body(bot, slack, caplog):
    client, _, _ = bot
    body = json.dumps({"type": "event_callback", "event_id": "Ev9",
                       "event": mention("my neighbour Maria Rossi at via Roma 12 needs help")})
    from bots.app import BOLT_VERIFICATION_LOGGER

    caplog.set_level(logging.INFO, logger=BOLT_VERIFICATION_LOGGER)  # as `ucc slack` runs (INFO)
    with caplog.at_level(logging.DEBUG):
        r = client.post("/slack/events", data=body, content_type="application/json",
                        headers=sign(body, secret="wrong-secret"))
    assert r.status_code == 401
    assert "Rejected a Slack request (invalid signature" in caplog.text  # the fact is logged
    assert "Maria Rossi" not in caplog.text and "via Roma" not in caplog.text


def test_old_timestamp_is_rejected(bot, slack):
    client, _, _ = bot
    body = json.dumps({"type": "event_callback", "event_id": "Ev9", "event": mention("hi")})
    r = client.post("/slack/events", data=body, content_type="application/json",
                    headers=sign(body, timestamp=int(time.time()) - 6 * 60))
    assert r.status_code == 401


# -- mentions, threads, retries ------------------------------------------------------------------
def test_mention_is_answered_once_in_a_thread_despite_retries(bot, slack):
    client, _, _ = bot
    event = mention("How do cities run one-stop shops for residents?")
    for retry in range(4):
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        assert post_event(client, event, "EvSame", headers).status_code == 200
    posts = slack.wait("chat.postMessage")
    time.sleep(0.5)
    posts = slack.of("chat.postMessage")
    assert len(posts) == 1
    assert posts[0]["thread_ts"] == "100.1" and posts[0]["channel"] == "C1"
    assert "feedback_up" in blocks_text(posts[0])


def test_thread_follow_up_keeps_the_conversation(bot, slack):
    client, spy, _ = bot
    post_event(client, mention("How do cities run one-stop shops for residents?", ts="200.1"), "EvA")
    assert len(slack.wait("chat.postMessage")) == 1
    follow = {"type": "message", "channel_type": "channel", "user": "U1", "text": "And in Madrid?",
              "ts": "200.5", "thread_ts": "200.1", "channel": "C1", "client_msg_id": "m-200.5"}
    post_event(client, follow, "EvB")
    posts = slack.wait("chat.postMessage", 2)
    assert len(posts) == 2 and posts[1]["thread_ts"] == "200.1"
    first_conv = spy.asked[0][1]
    assert first_conv is None and spy.asked[1][1]  # the follow-up came with the thread's conversation


def test_messages_in_threads_the_bot_did_not_answer_are_ignored(bot, slack):
    client, spy, _ = bot
    post_event(client, {"type": "message", "channel_type": "channel", "user": "U1", "text": "hello",
                        "ts": "300.5", "thread_ts": "300.1", "channel": "C1"}, "EvC")
    time.sleep(0.5)
    assert not slack.of("chat.postMessage") and not spy.asked


def test_bots_and_itself_are_ignored(bot, slack):
    client, spy, _ = bot
    post_event(client, {"type": "message", "channel_type": "im", "bot_id": "BOTHER", "subtype": "bot_message",
                        "text": "question?", "ts": "1.1", "channel": "D1"}, "EvD")
    post_event(client, {"type": "message", "channel_type": "im", "user": "UBOT", "bot_id": "BBOT",
                        "text": "my own answer", "ts": "1.2", "channel": "D1"}, "EvE")
    time.sleep(0.5)
    assert not slack.of("chat.postMessage") and not spy.asked


def test_direct_message_is_answered(bot, slack):
    client, _, _ = bot
    post_event(client, {"type": "message", "channel_type": "im", "user": "U1", "channel": "D1",
                        "text": "How do cities run one-stop shops for residents?", "ts": "5.1",
                        "client_msg_id": "m-5.1"}, "EvDM")
    posts = slack.wait("chat.postMessage")
    assert len(posts) == 1 and posts[0]["channel"] == "D1"


def test_empty_and_overlong_questions_get_a_friendly_message(bot, slack):
    client, spy, _ = bot
    post_event(client, mention("", ts="400.1"), "EvEmpty")
    post_event(client, mention("x" * 4000, ts="401.1"), "EvLong")
    posts = slack.wait("chat.postMessage", 2)
    texts = " ".join(blocks_text(p) for p in posts)
    assert "ask me a question" in texts and "2,000" in texts
    assert not spy.asked


# -- the slash command ---------------------------------------------------------------------------
def test_slash_command_is_acked_then_answered_ephemerally_with_share(bot, slack):
    client, _, _ = bot
    t0 = time.monotonic()
    r = post_form(client, command(slack, "ask How do cities run one-stop shops for residents?"))
    assert r.status_code == 200 and time.monotonic() - t0 < 3
    replies = slack.wait("/response/1")
    assert len(replies) == 1
    assert replies[0]["response_type"] == "ephemeral"
    assert "share_in_channel" in blocks_text(replies[0])


def test_slash_unknown_city_suggests(bot, slack):
    client, _, _ = bot
    assert post_form(client, command(slack, "similar Atlantisville")).status_code == 200
    replies = slack.wait("/response/1")
    text = blocks_text(replies[0])
    assert "Atlantisville" in text and "Did you mean" in text and "Traceback" not in text


def test_slash_scores_and_help(bot, slack):
    client, _, _ = bot
    post_form(client, command(slack, "help", 1))
    post_form(client, command(slack, "scores Madrid", 2))
    assert "/ucc similar" in blocks_text(slack.wait("/response/1")[0])
    scores = blocks_text(slack.wait("/response/2")[0])
    assert "```" in scores or "dashboard" in scores.lower()


# -- buttons -------------------------------------------------------------------------------------
def test_thumbs_up_records_feedback(bot, slack):
    client, _, settings = bot
    log = QuestionLog.from_settings(settings)
    answer_id = log.record_ask("q?", "answered", channel="slack", user_id="U1")
    payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "api_app_id": "A1",
               "trigger_id": "t", "channel": {"id": "C1"}, "response_url": f"{slack.url}/response/7",
               "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1"},
               "actions": [{"type": "button", "action_id": "feedback_up", "block_id": "feedback",
                            "value": answer_id, "action_ts": "1.2"}]}
    r = post_form(client, {"payload": json.dumps(payload)})
    assert r.status_code == 200
    assert "Thanks" in blocks_text(slack.wait("/response/7")[0])
    rows = log._db().execute("SELECT rating FROM feedback WHERE answer_id = ?", [answer_id]).fetchall()
    assert [tuple(r) for r in rows] == [("up",)]


def test_bot_enabled_explains_missing_credentials():
    from bots.app import bot_enabled

    ok, message = bot_enabled(load_settings({}))
    assert not ok and "SLACK_BOT_TOKEN" in message and "SLACK_SIGNING_SECRET" in message
    ok, message = bot_enabled(load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}))
    assert ok


# -- robustness ----------------------------------------------------------------------------------
def test_manifest_matches_the_listeners():
    from .conftest import REPO

    manifest = json.loads((REPO / "bots" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["features"]["slash_commands"][0]["command"] == "/ucc"
    assert {"app_mention", "message.im"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"chat:write", "commands", "app_mentions:read", "im:history"} <= set(manifest["oauth_config"]["scopes"]["bot"])


class Slow(Spy):
    def ask(self, question, conversation=None, filters=None):
        time.sleep(1.5)
        return super().ask(question, conversation, filters)


def _app(slack, tmp_path, assistant):
    from bots.app import build_app
    from bots.flask_adapter import create_flask_app

    settings = load_settings({**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                              "UCC_SLACK_API_URL": slack.url + "/api/", "UCC_DATA_DIR": str(tmp_path / "var")})
    return create_flask_app(build_app(settings, assistant)).test_client()


def test_slash_command_is_acked_before_the_answer_is_posted(slack, tmp_path, knowledge_searcher_fake, catalog):
    settings = load_settings({**os.environ, "UCC_DATA_DIR": str(tmp_path / "var")})
    client = _app(slack, tmp_path, Slow(Assistant(settings, searcher=knowledge_searcher_fake, catalog=catalog)))
    t0 = time.monotonic()
    r = post_form(client, command(slack, "ask How do cities run one-stop shops for residents?", 3))
    assert r.status_code == 200 and time.monotonic() - t0 < 1.0
    assert not slack.of("/response/3")  # the answer is still being worked on
    assert len(slack.wait("/response/3")) == 1


class Broken(Spy):
    def ask(self, question, conversation=None, filters=None):
        raise RuntimeError("internal detail /srv/secret")


def test_unexpected_errors_get_a_polite_reply(slack, tmp_path, catalog):
    settings = load_settings({**os.environ, "UCC_DATA_DIR": str(tmp_path / "var")})
    client = _app(slack, tmp_path, Broken(Assistant(settings, catalog=catalog)))
    post_event(client, mention("How do cities run one-stop shops?", ts="700.1"), "EvBroken")
    posts = slack.wait("chat.postMessage")
    assert len(posts) == 1 and posts[0]["thread_ts"] == "700.1"
    text = blocks_text(posts[0])
    assert "Sorry" in text and "secret" not in text and "Traceback" not in text


def test_dedupe_survives_a_restart(slack, tmp_path, knowledge_searcher_fake, catalog):
    settings = load_settings({**os.environ, "UCC_DATA_DIR": str(tmp_path / "var")})
    assistant = Assistant(settings, searcher=knowledge_searcher_fake, catalog=catalog)
    event = mention("How do cities run one-stop shops for residents?", ts="800.1")
    post_event(_app(slack, tmp_path, assistant), event, "EvRestart")
    assert len(slack.wait("chat.postMessage")) == 1
    post_event(_app(slack, tmp_path, assistant), event, "EvRestart", {"X-Slack-Retry-Num": "1"})
    time.sleep(0.5)
    assert len(slack.of("chat.postMessage")) == 1


def test_share_in_channel_reposts_the_answer(bot, slack):
    client, _, _ = bot
    post_form(client, command(slack, "ask How do cities run one-stop shops for residents?", 1))
    reply = slack.wait("/response/1")[0]
    blocks = reply["blocks"] if isinstance(reply["blocks"], list) else json.loads(reply["blocks"])
    share = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "share_in_channel"]
    payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "api_app_id": "A1",
               "trigger_id": "t", "channel": {"id": "C1"}, "response_url": f"{slack.url}/response/8",
               "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1", "is_ephemeral": True},
               "actions": [{"type": "button", "action_id": "share_in_channel", "block_id": "share",
                            "value": share[0]["value"], "action_ts": "1.2"}]}
    assert post_form(client, {"payload": json.dumps(payload)}).status_code == 200
    shared = slack.wait("/response/8")[0]
    assert shared["response_type"] == "in_channel" and "feedback_up" in blocks_text(shared)
    assert "share_in_channel" not in blocks_text(shared)


def test_feedback_on_an_unknown_answer_is_polite(bot, slack):
    client, _, _ = bot
    payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "api_app_id": "A1",
               "trigger_id": "t", "channel": {"id": "C1"}, "response_url": f"{slack.url}/response/9",
               "actions": [{"type": "button", "action_id": "feedback_down", "block_id": "feedback",
                            "value": "no-such-answer", "action_ts": "1.2"}]}
    assert post_form(client, {"payload": json.dumps(payload)}).status_code == 200
    assert "No answer has this answer_id" in blocks_text(slack.wait("/response/9")[0])


def test_slash_command_errors_get_a_polite_reply(slack, tmp_path, catalog):
    settings = load_settings({**os.environ, "UCC_DATA_DIR": str(tmp_path / "var")})
    client = _app(slack, tmp_path, Broken(Assistant(settings, catalog=catalog)))
    assert post_form(client, command(slack, "ask How do cities run one-stop shops?", 4)).status_code == 200
    text = blocks_text(slack.wait("/response/4")[0])
    assert "Sorry" in text and "secret" not in text


def test_other_bots_are_answered_when_allowed(slack, tmp_path, knowledge_searcher_fake, catalog):
    from bots.app import build_app
    from bots.flask_adapter import create_flask_app

    settings = load_settings({**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                              "UCC_SLACK_API_URL": slack.url + "/api/", "UCC_DATA_DIR": str(tmp_path / "var"),
                              "UCC_SLACK_ALLOW_BOTS": "true"})
    app = build_app(settings, Assistant(settings, searcher=knowledge_searcher_fake, catalog=catalog))
    client = create_flask_app(app).test_client()
    post_event(client, {"type": "message", "channel_type": "im", "bot_id": "BOTHER", "subtype": "bot_message",
                        "text": "How do cities run one-stop shops for residents?", "ts": "9.1", "channel": "D1"},
               "EvBot")
    post_event(client, {"type": "message", "channel_type": "im", "user": "UBOT", "bot_id": "BBOT",
                        "text": "my own answer", "ts": "9.2", "channel": "D1"}, "EvSelf")
    assert len(slack.wait("chat.postMessage")) == 1
    time.sleep(0.5)
    assert len(slack.of("chat.postMessage")) == 1


def test_a_real_answer_cites_numbered_sources_as_links(slack, tmp_path, knowledge_searcher, catalog):
    settings = load_settings({**os.environ, "UCC_DATA_DIR": str(tmp_path / "var")})
    client = _app(slack, tmp_path, Assistant(settings, searcher=knowledge_searcher, catalog=catalog))
    post_event(client, mention("How do cities help residents with digital identity?", ts="900.1"), "EvReal")
    posts = slack.wait("chat.postMessage")
    assert len(posts) == 1
    text = blocks_text(posts[0])
    assert "*Sources*" in text and "[1] <http" in text
    assert "feedback_up" in text


def test_wsgi_factory_refuses_to_start_without_credentials(monkeypatch):
    from bots.flask_adapter import wsgi
    from indexer.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="SLACK_BOT_TOKEN"):
        wsgi(load_settings({}))


def test_bot_enabled_for_socket_mode_wants_the_app_token():
    from bots.app import bot_enabled

    ok, message = bot_enabled(load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}), socket_mode=True)
    assert not ok and "SLACK_APP_TOKEN" in message


# -- per-channel settings (/ucc config) ----------------------------------------------------------
def config(slack, text: str, n: int, user: str = "UADMIN1", channel: str = "C1") -> dict:
    return {**command(slack, "config " + text if text else "config", n), "user_id": user, "channel_id": channel}


def test_config_shows_the_defaults(bot, slack):
    client, _, _ = bot
    post_form(client, config(slack, "", 1, user="U1"))
    text = blocks_text(slack.wait("/response/1")[0])
    assert "mention" in text and "filters" in text and "`en`" in text


def test_only_admins_and_owners_may_change_settings(bot, slack):
    client, _, settings = bot
    post_form(client, config(slack, "mode all", 1, user="U1"))
    assert "only a workspace admin or owner" in blocks_text(slack.wait("/response/1")[0])
    assert any(b.get("user") == "U1" for b in slack.of("users.info"))
    post_form(client, config(slack, "mode all", 2, user="UOWNER1"))
    assert "Saved" in blocks_text(slack.wait("/response/2")[0])
    from bots.stores import ChannelSettings
    assert ChannelSettings(settings.data_dir).get("C1")["mode"] == "all"


def test_mode_all_answers_questions_in_the_channel(bot, slack):
    client, spy, _ = bot
    top = {"type": "message", "channel_type": "channel", "user": "U1", "channel": "C1"}
    post_event(client, {**top, "text": "How do cities run one-stop shops?", "ts": "10.1",
                        "client_msg_id": "m-10.1"}, "EvM1")
    time.sleep(0.5)
    assert not slack.of("chat.postMessage")  # default: mention only
    post_form(client, config(slack, "mode all", 1))
    assert "Saved" in blocks_text(slack.wait("/response/1")[0])
    post_event(client, {**top, "text": "lunch at noon", "ts": "10.2", "client_msg_id": "m-10.2"}, "EvM2")
    post_event(client, {**top, "text": "Which cities run one-stop shops?", "ts": "10.3",
                        "client_msg_id": "m-10.3"}, "EvM3")
    posts = slack.wait("chat.postMessage")
    time.sleep(0.5)
    posts = slack.of("chat.postMessage")
    assert len(posts) == 1 and posts[0]["thread_ts"] == "10.3"


def test_channel_filters_are_applied_to_answers(bot, slack, monkeypatch):
    client, spy, _ = bot
    seen = []
    real_ask = spy._a.ask
    monkeypatch.setattr(spy._a, "ask", lambda q, conversation=None, filters=None: (
        seen.append(filters), real_ask(q, conversation=conversation, filters=filters))[1])
    post_form(client, config(slack, "filter city=ghent", 1))
    assert "city=ghent" in blocks_text(slack.wait("/response/1")[0])
    post_form(client, config(slack, "filter bogus=1", 2))
    assert "Filters look like" in blocks_text(slack.wait("/response/2")[0])
    post_event(client, mention("How do cities run one-stop shops for residents?", ts="11.1"), "EvF1")
    slack.wait("chat.postMessage")
    assert seen and seen[-1] == {"city": "ghent"}
    post_form(client, config(slack, "filter clear", 3))
    assert "`none`" in blocks_text(slack.wait("/response/3")[0])


def test_other_languages_are_stored_with_a_note(bot, slack):
    client, _, _ = bot
    post_form(client, config(slack, "lang fr", 1))
    text = blocks_text(slack.wait("/response/1")[0])
    assert "`fr`" in text and "only English" in text


# -- the assistant side panel --------------------------------------------------------------------
def test_assistant_thread_gets_suggested_prompts(bot, slack):
    client, _, _ = bot
    event = {"type": "assistant_thread_started", "event_ts": "20.1",
             "assistant_thread": {"user_id": "U1", "channel_id": "D1", "thread_ts": "20.0", "context": {}}}
    assert post_event(client, event, "EvAT").status_code == 200
    calls = slack.wait("assistant.threads.setSuggestedPrompts")
    assert len(calls) == 1 and calls[0]["channel_id"] == "D1" and calls[0]["thread_ts"] == "20.0"
    prompts = calls[0]["prompts"] if isinstance(calls[0]["prompts"], list) else json.loads(calls[0]["prompts"])
    assert "Who should we learn from on co-creation?" in [p["message"] for p in prompts]


def test_assistant_thread_messages_are_answered_in_the_thread_with_a_status(bot, slack):
    client, spy, _ = bot
    post_event(client, {"type": "message", "channel_type": "im", "user": "U1", "channel": "D1",
                        "text": "How do cities run one-stop shops for residents?", "ts": "21.1",
                        "thread_ts": "20.0", "client_msg_id": "m-21.1"}, "EvAM")
    posts = slack.wait("chat.postMessage")
    assert len(posts) == 1 and posts[0]["channel"] == "D1" and posts[0]["thread_ts"] == "20.0"
    status = slack.of("assistant.threads.setStatus")
    assert status and status[0]["thread_ts"] == "20.0"
