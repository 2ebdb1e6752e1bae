"""Slack bot ack latency and time to a posted answer, through the real bolt + Flask stack.

The bolt app runs behind ``bots.flask_adapter`` on a werkzeug threaded server on 127.0.0.1, with a fake
Slack Web API server (also on 127.0.0.1) receiving ``chat.postMessage``. Each round sends CONCURRENCY
signed ``app_mention`` events at once; for each we measure

* ack: the HTTP response time of POST /slack/events (Slack wants it within 3 s; target p99 <= 300 ms);
* posted: the time from sending the event until its answer reaches the fake chat.postMessage.

The knowledge base is ``knowledge/`` indexed with the real model into a temp dir, so answers are real.

    .venv/bin/python bench/slack_ack.py [--rounds 10] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _common import REPO, emit, percentile

SECRET = "bench-signing-secret"
QUESTIONS = [
    "How do cities run one-stop shops for residents?",
    "Examples of proactive services",
    "How do cities help residents with digital identity?",
    "Who should we learn from on co-creation?",
    "How do cities make e-services accessible?",
]


class FakeSlack:
    """Answers every Web API call with ok and records when each chat.postMessage arrived (by thread_ts)."""

    def __init__(self):
        self.posted: dict[str, float] = {}
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                at = time.perf_counter()
                body = {}
                if raw.strip().startswith("{"):
                    body = json.loads(raw)
                reply = {"ok": True, "ts": f"{time.time():.6f}"}
                if self.path.endswith("auth.test"):
                    reply.update(user_id="UBOT", bot_id="BBOT", team_id="T1", user="ucc", team="Bench")
                if self.path.endswith("chat.postMessage"):
                    with fake.lock:
                        fake.posted[body.get("thread_ts", "")] = at
                out = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def signed_event(n: int, question: str) -> tuple[bytes, dict]:
    ts = f"{1000 + n}.1"
    body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"EvBench{n}",
                       "event_time": int(time.time()),
                       "event": {"type": "app_mention", "user": "U1", "text": f"<@UBOT> {question}", "ts": ts,
                                 "channel": "C1", "client_msg_id": f"bench-{n}"},
                       "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]})
    stamp = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                           "X-Slack-Signature": sig}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for a round's answers")
    args = parser.parse_args(argv)

    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from app.assistant import Assistant
    from bots.app import build_app
    from bots.flask_adapter import create_flask_app
    from indexer.build import build_index
    from indexer.settings import load_settings

    fake = FakeSlack()
    tmp = Path(tempfile.mkdtemp(prefix="ucc-slack-bench-"))
    settings = load_settings({**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
                              "UCC_SLACK_API_URL": fake.url + "/api/", "UCC_DATA_DIR": str(tmp),
                              "UCC_KNOWLEDGE_DIR": str(REPO / "knowledge")})
    t0 = time.perf_counter()
    build_index([REPO / "knowledge"], settings)
    build_s = time.perf_counter() - t0
    assistant = Assistant(settings)
    assistant.ask(QUESTIONS[0])  # load the model before measuring
    server = make_server("127.0.0.1", 0, create_flask_app(build_app(settings, assistant)), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"

    acks: list[float] = []
    posted: list[float] = []
    statuses: dict[int, int] = {}
    missing = 0

    def send(n: int) -> tuple[str, float, float, int]:
        body, headers = signed_event(n, QUESTIONS[n % len(QUESTIONS)])
        start = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=30) as r:
            r.read()
            status = r.status
        return f"{1000 + n}.1", start, time.perf_counter() - start, status

    with ThreadPoolExecutor(args.concurrency) as pool:
        for rnd in range(args.rounds):
            ids = range(rnd * args.concurrency, (rnd + 1) * args.concurrency)
            sent = list(pool.map(send, ids))
            for _, _, ack, status in sent:
                acks.append(ack * 1000)
                statuses[status] = statuses.get(status, 0) + 1
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                with fake.lock:
                    if all(ts in fake.posted for ts, *_ in sent):
                        break
                time.sleep(0.01)
            with fake.lock:
                for ts, start, _, _ in sent:
                    if ts in fake.posted:
                        posted.append((fake.posted[ts] - start) * 1000)
                    else:
                        missing += 1
    server.shutdown()
    fake.server.shutdown()

    emit("slack_ack", {
        "command": "python bench/slack_ack.py --rounds %d --concurrency %d" % (args.rounds, args.concurrency),
        "server": "werkzeug threaded (make_server threaded=True) + bots.flask_adapter + slack-bolt",
        "events": len(acks), "http_status": statuses, "index_build_s": round(build_s, 1),
        "ack_ms": {"p50": round(percentile(acks, 50), 1), "p99": round(percentile(acks, 99), 1),
                   "max": round(max(acks), 1)},
        "posted_ms": {"p50": round(percentile(posted, 50), 1), "p99": round(percentile(posted, 99), 1),
                      "max": round(max(posted), 1) if posted else None},
        "answers_missing": missing,
        "target_ack_p99_ms": 300, "target_met": percentile(acks, 99) <= 300,
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
