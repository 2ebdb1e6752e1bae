"""Slow clients cannot starve the service (issue 16, point 5).

The attack: connections that send their request a byte every 2 s. Under gunicorn's plain gthread
worker each held a thread for as long as it kept trickling, and a worker whose threads were all
held kept accepting connections and queuing them: with the defaults (2 workers x 1 thread) every
/healthz timed out. Here ``ucc serve`` (and ``ucc slack --http``) run on 127.0.0.1 with six such
clients (headers and bodies) and ``/healthz`` must answer in under a second throughout; the
server disconnects each slow client after its 10 s, and everything stops by itself.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

import pytest

from app.commands.serve import gunicorn_options
from app.operations.httpserver import (PARTIAL, READ_TIMEOUT, WHOLE, BufferedThreadWorker, IncomingRequest, error_page,
                            error_status)
from indexer.settings import load_settings

from .conftest import REPO, write
from .ports import free_port
from .test_serve import SNOW, _get, _wait_ready

SLOW_CLIENTS = 6  # three trickle their headers, three their body
TRICKLE_EVERY = 2.0  # seconds between bytes
WINDOW = 12.0  # seconds of health checks: longer than READ_TIMEOUT, so every slow client is cut off once
SECURITY_HEADERS = ("x-content-type-options", "content-security-policy", "referrer-policy", "x-frame-options")


# --- the request reader, byte by byte ----------------------------------------------------------


def _feed_bytewise(data: bytes, **limits) -> tuple[IncomingRequest, list]:
    incoming = IncomingRequest(**limits)
    states = []
    for i in range(len(data)):
        incoming.feed(data[i:i + 1])
        states.append(incoming.state())
    return incoming, states


def test_a_request_is_whole_only_when_its_last_byte_is_in():
    data = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    _, states = _feed_bytewise(data)
    assert states[-1] == WHOLE and set(states[:-1]) == {"more"}
    body = b'{"question": "snow?"}'
    data = b"POST /api/v1/ask HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    _, states = _feed_bytewise(data)
    assert states[-1] == WHOLE and set(states[:-1]) == {"more"}


def test_chunked_bodies_are_whole_at_the_last_chunk_and_trailers():
    head = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    for body in (b"5\r\nhello\r\n0\r\n\r\n", b"5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"):
        _, states = _feed_bytewise(head + body)
        assert states[-1] == WHOLE and set(states[:-1]) == {"more"}, body
    incoming = IncomingRequest(head + b"zz\r\n")  # malformed: whole, for gunicorn's parser to refuse
    assert incoming.state() == WHOLE


def test_bodies_over_the_buffer_are_handed_over_unread():
    incoming = IncomingRequest(b"POST /x HTTP/1.1\r\nContent-Length: 50000000\r\n\r\n{", max_body=1000)
    assert incoming.state() == PARTIAL
    chunk = b"%x\r\n%s\r\n" % (600, b"y" * 600)
    incoming = IncomingRequest(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 2, max_body=1000)
    assert incoming.state() == PARTIAL


def test_oversized_heads_are_refused_at_once():
    assert IncomingRequest(b"GET /" + b"a" * 9000).state() == (414, "URI Too Long")
    big = b"GET / HTTP/1.1\r\n" + b"X-A: " + b"a" * 70_000
    assert IncomingRequest(big).state() == (431, "Request Header Fields Too Large")
    assert IncomingRequest(big + b"\r\n\r\n").state() == (431, "Request Header Fields Too Large")


def test_expect_100_continue_is_answered_by_the_reader_only():
    incoming = IncomingRequest(b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
    assert incoming.state() == "more" and incoming.expects_continue and incoming.needs_body
    assert b"expect" not in bytes(incoming.buf).lower()  # so gunicorn does not send a second 100
    incoming.feed(b"{}")
    assert incoming.state() == WHOLE and bytes(incoming.buf).endswith(b"\r\n\r\n{}")


def test_gunicorns_error_statuses_are_kept():
    from gunicorn.http import errors

    assert error_status(errors.LimitRequestLine(9000, 8190)) == (414, "URI Too Long")
    assert error_status(errors.LimitRequestHeaders("too many")) == (431, "Request Header Fields Too Large")
    assert error_status(errors.InvalidRequestLine("x")) == (400, "Bad Request")
    assert error_status(errors.InvalidHeaderName("x")) == (400, "Bad Request")
    assert error_status(RuntimeError("boom"))[0] == 500
    page = error_page(431, "Request Header Fields Too Large").decode()
    head = page.split("\r\n\r\n", 1)[0].lower()
    assert all(f"\r\n{h}:" in head for h in SECURITY_HEADERS) and "connection: close" in head


def test_both_faces_run_the_buffering_worker():
    from bots.run import http_options

    settings = load_settings({})
    web = gunicorn_options(settings)
    slack = http_options(settings, "127.0.0.1", 3000)
    assert web["worker_class"] == slack["worker_class"] == "app.operations.httpserver.BufferedThreadWorker"
    assert web["accesslog"] is None and slack["accesslog"] is None
    assert slack["bind"] == ["127.0.0.1:3000"] and slack["proc_name"] == "ucc-slack"
    from gunicorn.util import load_class

    assert load_class(web["worker_class"]) is BufferedThreadWorker


def test_the_docs_state_the_limits_in_the_code():
    from app.commands.serve import WORKER_CONNECTIONS

    security = " ".join((REPO / "docs" / "security.md").read_text(encoding="utf-8").split())
    operations = " ".join((REPO / "docs" / "operations.md").read_text(encoding="utf-8").split())
    assert f"disconnected after {READ_TIMEOUT:g} seconds" in security
    assert f"at most {WORKER_CONNECTIONS} connections" in security
    assert f"A client has {READ_TIMEOUT:g} s to send its request" in operations
    assert f"at most {WORKER_CONNECTIONS} connections" in operations
    assert "development server" not in security


# --- real servers on 127.0.0.1 -----------------------------------------------------------------


def _slow_client(port: int, request: bytes, stop: threading.Event, cut_off: list[float]) -> None:
    """Send ``request`` a byte every TRICKLE_EVERY seconds; when the server hangs up, note when
    and start again on a new connection. Returns when ``stop`` is set."""
    sock = None
    sent = 0
    opened = time.monotonic()
    try:
        while not stop.is_set():
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sent, opened = 0, time.monotonic()
            try:
                sock.send(request[sent:sent + 1])  # a few bytes in the window: never the whole request
                sent += 1
                sock.settimeout(0.01)
                try:
                    if sock.recv(1) == b"":  # the server closed the connection
                        raise ConnectionResetError
                except (socket.timeout, BlockingIOError):
                    pass
                sock.settimeout(5)
            except OSError:
                cut_off.append(time.monotonic() - opened)
                sock.close()
                sock = None
                continue
            stop.wait(TRICKLE_EVERY)
    finally:
        if sock is not None:
            sock.close()


def _under_slow_clients(port: int, probe) -> tuple[list[tuple[float, object]], list[list[float]]]:
    """Run SLOW_CLIENTS trickling clients while ``probe()`` is timed every 0.25 s for WINDOW seconds."""
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 400 + b"\r\n\r\n"
    body = (b"POST /api/v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 400\r\n\r\n" + b" " * 400)
    stop = threading.Event()
    cut_offs: list[list[float]] = [[] for _ in range(SLOW_CLIENTS)]
    threads = [threading.Thread(target=_slow_client, args=(port, head if i % 2 else body, stop, cut_offs[i]),
                                daemon=True) for i in range(SLOW_CLIENTS)]
    for t in threads:
        t.start()
    results = []
    try:
        time.sleep(1.0)  # every slow client holds its connection
        end = time.monotonic() + WINDOW
        while time.monotonic() < end:
            t0 = time.perf_counter()
            try:
                outcome = probe()
            except OSError as exc:
                outcome = repr(exc)
            results.append((time.perf_counter() - t0, outcome))
            time.sleep(0.25)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    return results, cut_offs


def _stop(proc) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _no_client_addresses(log: str, port: int) -> None:
    """The log names no client address: the only 127.0.0.1 in it is the server's own address."""
    lines = [line for line in log.splitlines() if "127.0.0.1" in line.replace(f"127.0.0.1:{port}", "")]
    assert not lines, lines[:5]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``ucc serve`` on a free port of 127.0.0.1 over a one-document index (2 workers x 1 thread,
    the defaults); stopped at the end."""
    tmp = tmp_path_factory.mktemp("slow")
    kb = tmp / "kb"
    write(kb / "snow.md", SNOW)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("UCC_")}
    env.update(UCC_DATA_DIR=str(tmp / "var"), UCC_KNOWLEDGE_DIR=str(kb), UCC_RATE_LIMIT="0", PYTHONUNBUFFERED="1")
    log_path = tmp / "serve.log"
    with open(log_path, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from app.commands.serve import serve_command; serve_command(prog_name='ucc serve')",
             "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(port, proc, time.time() + 180)
        yield port, log_path
    finally:
        _stop(proc)


@pytest.mark.model
def test_slow_clients_do_not_starve_health_checks(served):
    port, log_path = served
    results, cut_offs = _under_slow_clients(port, lambda: _get(port, "/healthz", timeout=3)[0])
    latencies = [seconds for seconds, _ in results]
    print(f"\n/healthz under {SLOW_CLIENTS} slow clients: {len(results)} checks, median "
          f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; slow clients cut off "
          f"after {sorted(round(c, 1) for cs in cut_offs for c in cs)} s")
    assert len(results) >= WINDOW * 2
    assert all(outcome == 200 for _, outcome in results), [o for _, o in results if o != 200][:5]
    assert max(latencies) < 1.0, sorted(latencies)[-5:]
    # the server ended every slow request after its READ_TIMEOUT (checked at most a second late)
    assert all(cs and READ_TIMEOUT - 0.5 <= cs[0] <= READ_TIMEOUT + 3 for cs in cut_offs), cut_offs
    _no_client_addresses(log_path.read_text(), port)


@pytest.mark.model
def test_clients_that_never_close_do_not_stall_the_server(served):
    """gunicorn 27 closes a finished connection on its event loop's thread and waits up to 2 s
    there for the client to close too: clients sending ``Connection: close`` requests and then
    keeping their sockets open stopped the loop (every /healthz timed out). The worker drains
    them in its event loop instead."""
    port, _ = served
    held: list[socket.socket] = []
    stop = threading.Event()

    def never_close() -> None:
        while not stop.is_set() and len(held) < 400:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            held.append(sock)
            stop.wait(0.1)

    threads = [threading.Thread(target=never_close, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    latencies = []
    try:
        time.sleep(0.5)
        end = time.monotonic() + 6
        while time.monotonic() < end:
            t0 = time.perf_counter()
            try:
                outcome = _get(port, "/healthz", timeout=3)[0]
            except OSError as exc:
                outcome = repr(exc)
            latencies.append((time.perf_counter() - t0, outcome))
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        for sock in held:
            sock.close()
    assert len(held) >= 40 and len(latencies) >= 20
    assert all(outcome == 200 for _, outcome in latencies), latencies[:5]
    assert max(seconds for seconds, _ in latencies) < 1.0, sorted(latencies)[-3:]


def _raw(port: int, data: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


@pytest.mark.model
def test_the_servers_own_error_pages_carry_the_security_headers(served):
    """gunicorn answers these itself, before the application (issue 16, point 8)."""
    port, log_path = served
    cases = {
        414: b"GET /api/v1/search?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        431: b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-F%d: v\r\n" % i for i in range(120)) + b"\r\n",
        400: b"GARBAGE\r\n\r\n",
    }
    for status, request in cases.items():
        got, headers, body = _raw(port, request)
        assert got == status, (status, body[:200])
        assert all(h in headers for h in SECURITY_HEADERS), (status, headers)
        assert headers["content-type"].startswith("text/plain") and b"<" not in body
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"
    got, headers, _ = _raw(port, big)
    assert got == 431 and all(h in headers for h in SECURITY_HEADERS)
    assert _get(port, "/healthz")[0] == 200
    log = log_path.read_text()
    assert "Refused a request: 414" in log and "ip=" not in log
    _no_client_addresses(log, port)


@pytest.mark.model
def test_a_chunked_body_over_the_limit_is_413_over_http(served):
    """A 200 KB chunked body: refused with 413 (it was 400, the truncated JSON); a malformed chunk
    is 400 (it was 500); a small chunked body, or one sent after ``Expect: 100-continue``, is
    still answered."""
    port, _ = served
    body = json.dumps({"question": "y" * 200_000}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192]) for i in range(0, len(body), 8192))
    head = b"POST /api/v1/ask HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
    status, _, answer = _raw(port, head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
    assert status == 413 and json.loads(answer)["error"]["code"] == "request_entity_too_large"
    status, _, answer = _raw(port, head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
    assert status == 400 and json.loads(answer)["error"]["code"] == "invalid_body"  # was a 500
    small = json.dumps({"question": "Which routes does the city publish for snow?"}).encode()
    status, _, answer = _raw(port, head + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(small), small))
    assert status == 200 and json.loads(answer)["answer_id"]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(small))
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(small)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    assert out.startswith(b"HTTP/1.1 200") and out.count(b"HTTP/1.1 100") == 0


def test_the_slack_endpoint_is_served_by_the_same_server(tmp_path):
    """``ucc slack --http`` under gunicorn, not Werkzeug's development server: slow clients do not
    starve it, an unsigned request is still refused at once, and no client address is logged."""
    from .test_slack import FakeSlack

    slack = FakeSlack()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UCC_", "SLACK_"))}
    env.update(UCC_DATA_DIR=str(tmp_path / "var"), UCC_KNOWLEDGE_DIR=str(REPO / "knowledge"),
               UCC_SLACK_API_URL=slack.url + "/api/", SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s" * 32,
               PYTHONUNBUFFERED="1")
    log_path = tmp_path / "slack.log"
    with open(log_path, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app", "slack", "--http", "--port", str(port)], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def unsigned() -> int:
        return _raw(port, b"POST /slack/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                          b"application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\ncommand=x", timeout=3)[0]

    try:
        deadline = time.time() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()[-2000:]
            try:
                assert unsigned() == 401
                break
            except OSError:
                assert time.time() < deadline, log_path.read_text()[-2000:]
                time.sleep(0.25)
        results, _ = _under_slow_clients(port, unsigned)
        assert all(outcome == 401 for _, outcome in results), results[:5]
        assert max(seconds for seconds, _ in results) < 1.0
    finally:
        _stop(proc)
        slack.close()
    log = log_path.read_text()
    assert "BufferedThreadWorker" in log and "development server" not in log.lower()
    assert "Traceback" not in log, log[-2000:]
    _no_client_addresses(log, port)
