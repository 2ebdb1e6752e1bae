"""What POST /api/v1/ask takes on trust, and bodies the server hands over in pieces (issue 16,
point 8): a web client cannot record its questions as the Slack bot's or the command line's, nor
pass for a Slack user in the question log; a chunked body over the limit is 413 (werkzeug stopped
at the limit and the truncated JSON was a 400), and a body the server cannot read is 400, not 500.
"""

from __future__ import annotations

import io
import json
import sqlite3

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .test_abuse import error, make_app, still_serving

QUESTION = "How do cities run participatory budgets?"


@pytest.fixture
def app(tmp_path, knowledge_searcher_fake, catalog):
    return make_app(tmp_path, knowledge_searcher_fake, catalog)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.mark.parametrize("channel", ["slack", "cli"])
def test_web_clients_cannot_speak_for_the_other_faces(client, app, channel):
    qlog = app.extensions["ucc.questionlog"]
    before = qlog.count()
    err = error(client.post("/api/v1/ask", json={"question": QUESTION, "channel": channel}), 400, "invalid_channel")
    assert "web, widget" in err["message"] and "record their own" in err["message"]
    assert qlog.count() == before  # nothing recorded under the channel claimed
    for allowed in ("web", "widget", "", None):
        r = client.post("/api/v1/ask", json={"question": QUESTION, "channel": allowed})
        assert r.status_code == 200 and r.get_json()["channel"] == (allowed or "web")


def _user_hash(app, answer_id: str) -> str | None:
    db = app.extensions["ucc.settings"].data_dir / "questions.db"
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT user_hash FROM asks WHERE id = ?", [answer_id]).fetchone()[0]


def test_a_claimed_user_id_never_hashes_like_a_slack_users(client, app):
    qlog = app.extensions["ucc.questionlog"]
    slack_user = "U024BE7LH"
    r = client.post("/api/v1/ask", json={"question": QUESTION, "channel": "widget", "user_id": slack_user})
    assert r.status_code == 200
    user_hash = _user_hash(app, r.get_json()["answer_id"])
    assert user_hash == qlog.hash_user("web:" + slack_user)
    assert user_hash != qlog.hash_user(slack_user)  # what the Slack bot records for that user
    raw = (app.extensions["ucc.settings"].data_dir / "questions.db").read_bytes()
    assert slack_user.encode() not in raw
    r = client.post("/api/v1/ask", json={"question": QUESTION, "user_id": ""})
    assert r.status_code == 200 and _user_hash(app, r.get_json()["answer_id"]) is None


def _without_length(app, stream) -> tuple[int, dict]:
    """POST /api/v1/ask as a server passes on a chunked body: no Content-Length, the input
    terminated by the server."""
    env = EnvironBuilder(path="/api/v1/ask", method="POST", content_type="application/json").get_environ()
    env.pop("CONTENT_LENGTH", None)
    env.update({"wsgi.input": stream, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    body, status, _ = run_wsgi_app(app, env, buffered=True)
    return int(status.split()[0]), json.loads(b"".join(body))


def test_a_chunked_body_over_the_limit_is_413(app):
    limit = app.extensions["ucc.settings"].max_body_bytes
    status, body = _without_length(app, io.BytesIO(json.dumps({"question": "y" * 200_000}).encode()))
    assert status == 413 and body["error"]["code"] == "request_entity_too_large"
    status, body = _without_length(app, io.BytesIO(b"{" * (limit + 1)))
    assert status == 413
    exact = json.dumps({"question": QUESTION}).encode()
    exact += b" " * (limit - len(exact))  # exactly at the limit: read and answered
    status, body = _without_length(app, io.BytesIO(exact))
    assert status == 200 and body["answer_id"]
    still_serving(app.test_client())


class InvalidChunkSize(Exception):
    """What gunicorn raises from the body stream when a chunk size is not hexadecimal."""


class Unreadable(io.RawIOBase):
    def readable(self):
        return True

    def readinto(self, b):
        raise InvalidChunkSize("Invalid chunk size: b'zz'")

    def read(self, size=-1):
        raise InvalidChunkSize("Invalid chunk size: b'zz'")


def test_a_body_the_server_cannot_read_is_400_not_500(app):
    status, body = _without_length(app, Unreadable())
    assert status == 400 and body["error"]["code"] == "invalid_body"
    still_serving(app.test_client())
