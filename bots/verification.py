"""Is this HTTP request from Slack? Checked before bolt, a listener or an error handler sees the body.

Slack signs every request: ``X-Slack-Signature = v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")`` with
``X-Slack-Request-Timestamp`` in whole seconds. A request fails verification when either header is
missing or malformed (a timestamp that is not an integer), older or newer than five minutes, or
signed with another secret; it is then answered 401 and nothing else happens.

``response_url`` (slash commands, buttons) is where the bot answers a user; it is followed only to
Slack's own hosts, so that even a signed body cannot make the bot call anywhere else.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from slack_sdk.signature import SignatureVerifier

MAX_CLOCK_SKEW = 60 * 5  # seconds; Slack's own recommendation
_TIMESTAMP = re.compile(r"\d{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
SLACK_RESPONSE_HOSTS = ("hooks.slack.com",)


def verify_request(secret: str, body: bytes, timestamp: str | None, signature: str | None,
                   now: float | None = None) -> str | None:
    """None when Slack signed ``body``; otherwise why not (for the log, never the body itself)."""
    if not secret:
        return "no signing secret is configured"
    if not timestamp or not _TIMESTAMP.fullmatch(timestamp.strip()):
        return "missing or malformed X-Slack-Request-Timestamp"
    if not signature or not _SIGNATURE.fullmatch(signature.strip()):
        return "missing or malformed X-Slack-Signature"
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW:
        return "stale X-Slack-Request-Timestamp"
    verifier = SignatureVerifier(secret, clock=_FixedClock(now))
    if not verifier.is_valid(body=body, timestamp=timestamp.strip(), signature=signature.strip()):
        return "invalid signature"
    return None


class _FixedClock:
    def __init__(self, now: float):
        self._now = now

    def now(self) -> float:
        return self._now


def response_hosts(api_url: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Hosts a ``response_url`` may point to: Slack's hooks host and the configured Web API host
    (tests and proxies point UCC_SLACK_API_URL elsewhere), plus any extra ones."""
    hosts = {h.lower() for h in SLACK_RESPONSE_HOSTS} | {h.strip().lower() for h in extra if h.strip()}
    api_host = urlsplit(api_url or "").hostname
    if api_host:
        hosts.add(api_host.lower())
    return frozenset(hosts)


def response_url_allowed(url: object, hosts: frozenset[str], api_url: str = "") -> bool:
    """Whether the bot may POST to ``url``: https to an allowed host (http only where the configured
    Web API itself is plain http on that host, as in tests)."""
    if not isinstance(url, str) or not url:
        return False
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if host not in hosts or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    api = urlsplit(api_url or "")
    return parts.scheme == "http" and api.scheme == "http" and (api.hostname or "").lower() == host


_DICT_FIELDS = ("event", "user", "team", "channel", "container", "message", "view", "authorizations")


def shape_problem(body: bytes, content_type: str | None) -> str | None:
    """None when a (verified) body has the shape Slack sends; otherwise what is wrong with it.

    bolt assumes that shape in its own middleware (``body["event"].get(...)``), so a signed body
    that is a list, or whose ``event`` is a list, would fail inside bolt with a 500 and reach the
    error handler; it is answered 400 here instead."""
    import json
    from urllib.parse import parse_qs

    try:
        text = body.decode("utf-8")
        if (content_type or "").startswith("application/x-www-form-urlencoded"):
            form = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
            if "payload" not in form:
                return None  # a slash command: flat strings
            data = json.loads(form["payload"])
        else:
            data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "the body is not JSON or a form"
    if not isinstance(data, dict):
        return "the body is not an object"
    for name in _DICT_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, dict if name != "authorizations" else list):
            return f"{name!r} has the wrong type"
    actions = data.get("actions")
    if actions is not None and not (isinstance(actions, list) and all(isinstance(a, dict) for a in actions)):
        return "'actions' is not a list of objects"
    return None
