"""Slack requests that fail verification never reach bolt; response_url only ever points at Slack.

Regression for the security review: a non-integer X-Slack-Request-Timestamp made the signature
check raise, and the bot's error handler then acted on the unsigned body (posted to the channel
it named and POSTed to its response_url, a blind SSRF), three times.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from bots.verification import response_hosts, response_url_allowed, verify_request

from .test_slack import SECRET, bot, command, event_body, mention, sign, slack  # noqa: F401 (fixtures)


def sent(slack) -> list:
    """What the bot sent to Slack or to a response_url (auth.test runs once when the app is built)."""
    return [c for c in slack.calls if c[0] != "auth.test"]


def _form(client, form: dict, headers: dict):
    body = urlencode(form)
    return client.post("/slack/events", data=body, content_type="application/x-www-form-urlencoded",
                       headers=headers)


@pytest.mark.parametrize("timestamp", ["abc", "1.5", "", " ", "-1", "1e9", "99999999999999999999"])
def test_a_malformed_timestamp_is_401_and_nothing_is_sent(bot, slack, timestamp):
    client, spy, _ = bot
    form = command(slack, "help", 1)
    body = urlencode(form)
    headers = {**sign(body), "X-Slack-Request-Timestamp": timestamp}
    r = _form(client, form, headers)
    assert r.status_code == 401
    time.sleep(0.5)  # bolt would answer in a background thread: give it the chance to misbehave
    assert sent(slack) == [] and spy.asked == []


def test_missing_headers_are_401_and_nothing_is_sent(bot, slack):
    client, spy, _ = bot
    event = event_body(mention("How do cities run one-stop shops?"))
    for headers in ({}, {"X-Slack-Request-Timestamp": str(int(time.time()))},
                    {"X-Slack-Signature": sign(event)["X-Slack-Signature"]}):
        r = client.post("/slack/events", data=event, content_type="application/json", headers=headers)
        assert r.status_code == 401
        assert r.get_json()["error"]["code"] == "invalid_signature"  # the web API's error shape
    time.sleep(0.3)
    assert sent(slack) == [] and spy.asked == []


def test_a_signed_response_url_off_slack_is_refused(bot, slack):
    """Even a correctly signed body cannot make the bot POST to a host of its choosing."""
    client, spy, _ = bot
    form = {**command(slack, "help", 1), "response_url": "https://attacker.example/x"}
    body = urlencode(form)
    r = client.post("/slack/events", data=body, content_type="application/x-www-form-urlencoded",
                    headers=sign(body))
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "invalid_response_url"
    time.sleep(0.3)
    assert sent(slack) == [] and spy.asked == []


def test_every_refusal_has_the_web_apis_error_shape(bot):
    client, _, _ = bot
    signed = sign("[]")
    cases = [(client.post("/slack/events", data="[]", content_type="application/json", headers=signed), 400,
              "invalid_request"),
             (client.get("/slack/events"), 405, "method_not_allowed"),
             (client.post("/elsewhere"), 404, "not_found"),
             (client.post("/slack/events", data=b"x" * (2 << 20), content_type="application/json"), 413,
              "request_entity_too_large")]
    for response, status, code in cases:
        error = response.get_json()["error"]
        assert (response.status_code, error["code"]) == (status, code) and error["message"], response.data
    assert "POST" in cases[1][0].headers["Allow"]


@pytest.mark.parametrize("body", [
    json.dumps({"type": "event_callback", "team_id": "T1", "event_id": "EvL", "event": ["a", "b"]}),
    json.dumps([None]),
    json.dumps({"type": "event_callback", "team_id": "T1", "event_id": "EvN", "event": None}),
    "payload=" + json.dumps({"type": "block_actions", "actions": "feedback_up", "user": {"id": "U1"}}),
    "payload=" + json.dumps([None]),
])
def test_signed_malformed_payloads_are_4xx_not_500(bot, slack, body):
    client, _, _ = bot
    ctype = "application/x-www-form-urlencoded" if body.startswith("payload=") else "application/json"
    r = client.post("/slack/events", data=body, content_type=ctype, headers=sign(body))
    assert 200 <= r.status_code < 500 and b"Traceback" not in r.data
    time.sleep(0.3)
    assert not slack.of("chat.postMessage")


def test_verify_request_reasons():
    body = b'{"a": 1}'
    now = time.time()
    good = sign(body.decode(), timestamp=int(now))
    ts, sig = good["X-Slack-Request-Timestamp"], good["X-Slack-Signature"]
    assert verify_request(SECRET, body, ts, sig, now=now) is None
    assert "no signing secret" in verify_request("", body, ts, sig, now=now)
    assert "malformed" in verify_request(SECRET, body, "abc", sig, now=now)
    assert "malformed" in verify_request(SECRET, body, ts, "v1=abc", now=now)
    assert "stale" in verify_request(SECRET, body, ts, sig, now=now + 301)
    assert "invalid" in verify_request(SECRET, body + b" ", ts, sig, now=now)


def test_response_urls_only_go_to_slack():
    hosts = response_hosts("https://slack.com/api/")
    assert response_url_allowed("https://hooks.slack.com/commands/T1/1/abc", hosts)
    for url in ("http://hooks.slack.com/x", "https://hooks.slack.com.evil.example/x", "https://evil.example/x",
                "https://user:pw@hooks.slack.com/x", "http://127.0.0.1:9/x", "file:///etc/passwd", "", None, 5):
        assert not response_url_allowed(url, hosts, "https://slack.com/api/"), url
    test_hosts = response_hosts("http://127.0.0.1:5555/api/")
    assert response_url_allowed("http://127.0.0.1:5555/response/1", test_hosts, "http://127.0.0.1:5555/api/")
