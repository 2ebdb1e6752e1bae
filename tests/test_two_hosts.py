"""Two hosts, one service: two ``ucc serve`` (and two ``ucc slack --http``) on 127.0.0.1, each with
its own data folder (the second's index pulled, ``ucc pull``, from the generation the first published with ``ucc publish``), sharing one
PostgreSQL (a throw-away cluster, tests/pg.py) through ``UCC_DATABASE_URL``.

- a conversation started on one host continues on the other;
- a Slack event delivered to both hosts is answered once;
- the console's questions list on either host shows the questions asked on both;
- a moderator signed in to the console on one host is signed in on the other, and signing out
  on the other ends the session on the first;
- PostgreSQL stopped and started again during a bounded load on both hosts: no search and no
  question fails, every rating acknowledged (201) is in the database afterwards, and the hosts
  recover without a restart (``/readyz`` says degraded, then ok).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from click.testing import CliRunner

from .conftest import REPO, write
from .pg import fresh_database
from .ports import free_port
from .test_slack import SECRET, FakeSlack, event_body, mention

TOKEN = "k7Qz-2vNw_8RtLp4XsYb9MhJc3Ud"
SALT = "two-hosts-shared-salt"
DOCS = {
    "snow.md": ("Snow clearing routes", "The city publishes its snow plough routes every winter morning so that "
                "residents know which streets are cleared first, and sends a text message when their street is done."),
    "permits.md": ("Parking permits online", "Residents renew a parking permit online in three steps: sign in with "
                   "the national e-ID, check the car's registration, and pay; the permit is valid at once."),
    "library.md": ("Library cards for newcomers", "Newcomers get a library card with their residence registration, "
                   "without a visit, and can borrow e-books the same day."),
}


def _request(port: int, method: str, path: str, payload: dict | None = None, headers: dict | None = None,
             body: str | None = None, timeout: float = 30.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = body if body is not None else (json.dumps(payload) if payload is not None else None)
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _console(port: int, method: str, path: str, cookie: str = "", form: dict | None = None) -> tuple[int, str, str]:
    """A console request as a browser makes it: (status, the new cookie or the one sent, the page)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Cookie": f"ucc_console={cookie}"} if cookie else {}
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=urlencode(form) if form is not None else None, headers=headers)
        r = conn.getresponse()
        found = re.match(r"ucc_console=([^;]*)", r.getheader("Set-Cookie") or "")
        return r.status, found.group(1) if found else cookie, r.read().decode()
    finally:
        conn.close()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _ask(port: int, question: str, conversation: str | None = None) -> dict:
    payload = {"question": question, **({"conversation_id": conversation} if conversation else {})}
    status, body = _request(port, "POST", "/api/v1/ask", payload)
    assert status == 200, body[:300]
    return json.loads(body)


class Host:
    """One host: its data folder and its processes (ucc serve, ucc slack --http)."""

    def __init__(self, name: str, data: Path, env: dict, logs: Path):
        self.name, self.data, self.logs = name, data, logs
        self.env = {**env, "UCC_DATA_DIR": str(data)}
        self.port, self.slack_port = free_port(), free_port()
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        for args, port in ((["serve"], self.port), (["slack", "--http"], self.slack_port)):
            out = open(self.logs / f"{self.name}-{args[0]}.log", "w")
            self.procs.append(subprocess.Popen([sys.executable, "-m", "app", *args, "--port", str(port)], cwd=REPO,
                                               env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                               start_new_session=True))
            out.close()

    def wait_ready(self, deadline: float) -> None:
        for port, path in ((self.port, "/readyz"), (self.slack_port, None)):
            while True:
                assert all(p.poll() is None for p in self.procs), f"{self.name} exited: {self.log_tail()}"
                assert time.time() < deadline, f"{self.name} not ready in time: {self.log_tail()}"
                try:
                    if path is None:  # the Slack face answers (401 unsigned) once it is up
                        if _request(port, "POST", "/slack/events", body="{}", timeout=2)[0] in (401, 403):
                            break
                    elif _request(port, "GET", path, timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.25)

    def log_tail(self) -> str:
        return "".join(p.read_text()[-1500:] for p in sorted(self.logs.glob(f"{self.name}-*.log")))

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.fixture
def two_hosts(tmp_path, pg_cluster, real_embedder):
    from app.commands.publish import publish_command, pull_command
    from indexer.build import build_index
    from indexer.settings import load_settings

    kb = tmp_path / "kb"
    for name, (title, text) in DOCS.items():
        write(kb / name, f"---\ntitle: {title}\nkind: guide\n---\n\n# {title}\n\n{text}\n")
    url = fresh_database(pg_cluster)
    slack = FakeSlack()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UCC_", "SLACK_"))}
    env.update(UCC_KNOWLEDGE_DIR=str(kb), UCC_RATE_LIMIT="0", UCC_WORKERS="1", UCC_THREADS="2",
               UCC_DATABASE_URL=url, UCC_LOG_SALT=SALT, UCC_ADMIN_TOKEN=TOKEN, PYTHONUNBUFFERED="1",
               SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, UCC_SLACK_API_URL=slack.url + "/api/")
    a_dir, b_dir = tmp_path / "host-a", tmp_path / "host-b"
    build_index([kb], load_settings({"UCC_DATA_DIR": str(a_dir)}), embedder=real_embedder)
    runner = CliRunner()
    # host A builds and publishes; host B pulls the published generation (docs/scaling.md, b)
    for command, args, data in ((publish_command, [str(tmp_path / "published")], a_dir),
                                (pull_command, [str(tmp_path / "published"), "--quiet"], b_dir)):
        result = runner.invoke(command, args, env={"UCC_DATA_DIR": str(data)})
        assert result.exit_code == 0, result.output
    logs = tmp_path / "logs"
    logs.mkdir()
    hosts = [Host("a", a_dir, env, logs), Host("b", b_dir, env, logs)]
    try:
        for host in hosts:
            host.start()
        deadline = time.time() + 150
        for host in hosts:
            host.wait_ready(deadline)
        yield hosts, slack, url
    finally:
        for host in hosts:
            host.stop()
        slack.close()


def _signed(body: str) -> dict:
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


@pytest.mark.model
def test_two_hosts_share_one_postgresql(two_hosts, pg_cluster):
    (a, b), slack, url = two_hosts

    # a conversation started on one host continues on the other
    first = _ask(a.port, "How do residents know which streets are cleared of snow?")
    assert first["status"] == "answered" and first["citations"], first
    follow = _ask(b.port, "tell me more", first["conversation_id"])
    assert follow["follow_up"] == "about" and follow["conversation_id"] == first["conversation_id"]
    assert "Snow clearing" in follow["resolved_question"], follow["resolved_question"]
    alone = _ask(b.port, "tell me more")  # the same words without the conversation: a new question
    assert alone.get("follow_up", "new") == "new"

    # a Slack event delivered to both hosts is answered once
    body = event_body(mention("How do newcomers get a library card?", ts="300.1"), "EvTwoHosts")
    threads = [threading.Thread(target=_request, args=(h.slack_port, "POST", "/slack/events"),
                                kwargs={"body": body, "headers": _signed(body)}) for h in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(slack.wait("chat.postMessage", 1, timeout=40)) == 1
    time.sleep(1.0)
    assert len(slack.of("chat.postMessage")) == 1, slack.of("chat.postMessage")

    # the question log, and the console on either host, show the questions of both
    on_b = _ask(b.port, "How do I renew a parking permit online?")
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    for host in (a, b):
        status, page = _request(host.port, "GET", "/console/questions", headers=bearer)
        text = page.decode()
        assert status == 200
        assert "which streets are cleared of snow" in text and "renew a parking permit online" in text
        assert "library card" in text  # asked through Slack on one of them
    status, csv_text = _request(a.port, "GET", "/api/v1/admin/questions.csv", headers=bearer)
    assert status == 200 and on_b["answer_id"] in csv_text.decode() and first["answer_id"] in csv_text.decode()

    # a console session signed in on A is valid on B, and signing out on B ends it on A
    status, cookie, page = _console(a.port, "GET", "/console/sign-in")
    status, cookie, _ = _console(a.port, "POST", "/console/sign-in", cookie, {"csrf_token": _csrf(page), "token": TOKEN})
    assert status == 303 and cookie
    status, _, page = _console(b.port, "GET", "/console/questions", cookie)
    assert status == 200 and "renew a parking permit online" in page
    assert _console(a.port, "GET", "/console/questions", cookie)[0] == 200
    assert _console(b.port, "POST", "/console/sign-out", cookie, {"csrf_token": _csrf(page)})[0] == 303
    stale = _console(a.port, "GET", "/console/questions", cookie)[0]  # the same cookie, kept: ended on A too
    assert stale == 302, stale

    # PostgreSQL stopped and started during a bounded load on both hosts
    _load_through_an_outage((a, b), pg_cluster, [first["answer_id"], on_b["answer_id"]], url)


def _load_through_an_outage(hosts, cluster, answer_ids: list[str], url: str) -> None:
    import psycopg

    failures: list[str] = []
    acknowledged: list[str] = []
    refused: list[int] = []
    counts = {"search": 0, "ask": 0}
    during = {"search": 0, "ask": 0}  # started while the database was down
    outage: list[float] = []  # when it stopped, when it started again
    stop = threading.Event()
    lock = threading.Lock()

    def count(kind: str, t0: float) -> None:
        counts[kind] += 1
        if outage and t0 >= outage[0] and (len(outage) == 1 or t0 < outage[1]):
            during[kind] += 1

    def searcher(port: int) -> None:
        while not stop.is_set() and counts["search"] < 20_000:  # bounded: stopped after the recovery
            t0 = time.monotonic()
            status, body = _request(port, "GET", "/api/v1/search?q=" + quote("snow plough routes") + "&k=2")
            with lock:
                count("search", t0)
                if status != 200:
                    failures.append(f"search {status} {body[:120]!r}")

    def asker(port: int) -> None:
        while not stop.is_set() and counts["ask"] < 5_000:
            t0 = time.monotonic()
            status, body = _request(port, "POST", "/api/v1/ask", {"question": "How do I renew a parking permit?"})
            with lock:
                count("ask", t0)
                if status != 200:
                    failures.append(f"ask {status} {body[:120]!r}")

    def rater(port: int, tag: str) -> None:
        n = 0
        while not stop.is_set() and n < 5_000:
            n += 1
            comment = f"{tag}-{n}"
            status, body = _request(port, "POST", "/api/v1/feedback",
                                    {"answer_id": answer_ids[n % 2], "rating": "up", "comment": comment})
            with lock:
                if status == 201:
                    acknowledged.append(comment)
                elif status == 503:  # refused, never acknowledged: the client may try again
                    assert json.loads(body)["error"]["code"] == "state_unavailable"
                    refused.append(status)
                else:
                    failures.append(f"feedback {status} {body[:120]!r}")
            time.sleep(0.02)

    workers = [threading.Thread(target=f, args=args) for h in hosts
               for f, args in ((searcher, (h.port,)), (asker, (h.port,)), (rater, (h.port, f"r{h.port}")))]
    for w in workers:
        w.start()
    try:
        time.sleep(1.5)
        cluster.stop()
        outage.append(time.monotonic())
        cluster.wait_down()
        time.sleep(0.5)
        status, body = _request(hosts[0].port, "GET", "/readyz")
        ready = json.loads(body)
        assert status == 200 and ready["state"]["status"] == "degraded" and ready["state"]["reason"], ready
        time.sleep(1.5)
        cluster.start()
        outage.append(time.monotonic())
        deadline = time.time() + 20
        while time.time() < deadline:
            states = [json.loads(_request(h.port, "GET", "/readyz")[1])["state"] for h in hosts]
            if all(s["status"] == "ok" for s in states):
                break
            time.sleep(0.25)
        assert all(s["status"] == "ok" for s in states), states
        time.sleep(1.0)  # load after the recovery too
    finally:
        stop.set()
        for w in workers:
            w.join(60)
    assert not failures, failures[:5]
    assert during["search"] >= 2 and during["ask"] >= 2 and acknowledged and refused, (during, counts)
    with psycopg.connect(url) as conn:
        stored = {r[0] for r in conn.execute("SELECT comment FROM feedback")}
        asked = conn.execute("SELECT COUNT(*) FROM asks WHERE question = 'How do I renew a parking permit?'"
                             ).fetchone()[0]
    lost = [c for c in acknowledged if c not in stored]
    assert not lost, f"{len(lost)} acknowledged ratings lost: {lost[:5]}"
    # every question was answered; those asked while the database was away were kept and written since
    assert asked == counts["ask"], (asked, counts)
    print(f"load through a {outage[1] - outage[0]:.1f} s outage: {counts} ({during} while down), "
          f"ratings acknowledged {len(acknowledged)}, refused {len(refused)}")
