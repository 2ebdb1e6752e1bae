"""The production HTTP server both web faces run under: gunicorn with a threaded worker that a
slow client cannot starve.

gunicorn's own ``gthread`` worker hands a connection to a thread as soon as its first byte
arrives; the thread then blocks on the socket, with no deadline, until the whole request head
(and later the body) is in. A client that sends a byte every few seconds holds that thread for as
long as it likes, and a worker whose threads are all held still accepts connections and queues
them behind the held threads: on the measured defaults (2 workers x 1 thread) two such clients
made every ``/healthz`` time out, and 16 threads did not help against 8 of them
(bench/RESULTS.md).

:class:`BufferedThreadWorker` reads each request the way a buffering proxy does: the worker's
event loop, not a thread, receives the request head and body without blocking, and a thread
gets the request only once the whole of it is in memory. A client has :data:`READ_TIMEOUT`
seconds to send a request (head and body); one that is too slow is disconnected, having never
held a thread. A head over :data:`MAX_HEAD_BYTES` is answered 431 (414 for a request line over
gunicorn's ``limit_request_line``) at once. A body whose size is known is buffered up to
:func:`body_buffer_bytes`; a larger one is handed over with its head, for the application to
refuse from its ``Content-Length`` (413) without reading it, and the connection is then
closed rather than drained. gunicorn's own error pages (400, 414, 431, ...) carry the same
security headers as the application's, and no error line names the client's address.

The documented deployment still puts nginx in front (docs/operations.md): it buffers too, and
limits connections and request rates per client, which a single server process cannot do well.
"""

from __future__ import annotations

import os
import selectors
import socket
import ssl
import time
from collections import deque
from functools import partial
from typing import Any, Callable

from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import _DEFER, ThreadWorker

READ_TIMEOUT = 10.0  # seconds a client has to send a whole request, head and body (nginx: 10 s each)
MAX_HEAD_BYTES = 64 * 1024  # request line and headers together
BODY_SLACK = 64 * 1024  # buffered beyond the largest accepted body, so a chunked body over it is seen whole
DEFAULT_MAX_BODY = 1 << 20  # the Slack endpoint's limit; UCC_MAX_BODY_BYTES is 64 KiB by default
MAX_CHUNK_LINE = 4096
LINGER_SECONDS = 2.0  # after the last response, how long unread bytes from the client are drained
LINGER_BYTES = 64 * 1024

# On every error page gunicorn writes itself (the application's responses get them from
# app/web/security.py): nothing in it may run, be framed or be sniffed.
ERROR_HEADERS = (
    ("Content-Type", "text/plain; charset=utf-8"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
)

MORE, WHOLE, PARTIAL = "more", "whole", "partial"


def body_buffer_bytes(max_body_bytes: int | None = None) -> int:
    """How much body the event loop buffers: the largest accepted body plus some slack."""
    return max(int(max_body_bytes or 0), DEFAULT_MAX_BODY) + BODY_SLACK


def error_page(status: int, reason: str) -> bytes:
    """A complete HTTP/1.1 error response with the security headers; the connection closes."""
    body = f"{status} {reason}\n".encode()
    lines = [f"HTTP/1.1 {status} {reason}", "Connection: close", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in ERROR_HEADERS]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class IncomingRequest:
    """The bytes of one request as they arrive, and whether the whole of it is in.

    :meth:`state` answers ``"more"`` (keep reading), ``"whole"`` (head and body are buffered; a
    malformed one too, for gunicorn's parser to refuse), ``"partial"`` (the body is larger than
    the buffer: hand it over as it is), or an ``(status, reason)`` error to answer at once. Each
    call resumes where the previous one stopped, so a client sending a byte at a time costs
    linear time.
    """

    def __init__(self, data: bytes = b"", max_head: int = MAX_HEAD_BYTES, max_line: int = 8190,
                 max_body: int = DEFAULT_MAX_BODY + BODY_SLACK):
        self.buf = bytearray(data)
        self.max_head, self.max_line, self.max_body = max_head, max_line, max_body
        self.head_end: int | None = None
        self.expects_continue = False
        self._scan = 0
        self._body: tuple[str, int] | None = None  # ("length", end) or ("chunked", next chunk line)

    def feed(self, data: bytes) -> None:
        self.buf += data

    def state(self) -> str | tuple[int, str]:
        if self.head_end is None:
            found = self._find_head()
            if found is not None:
                return found
        kind, at = self._body or ("none", 0)
        if kind == "none":
            return WHOLE
        if kind == "too large":
            return PARTIAL
        if kind == "length":
            return WHOLE if len(self.buf) >= at else MORE
        return self._chunked(at)

    def _find_head(self) -> str | tuple[int, str] | None:
        while self.buf.startswith(b"\r\n"):  # empty lines before a request line are ignored (RFC 9112 2.2)
            del self.buf[:2]
        end = self.buf.find(b"\r\n\r\n", max(0, self._scan - 3))
        if end < 0:
            self._scan = len(self.buf)
            line_end = self.buf.find(b"\r\n", 0, self.max_line + 2)
            if line_end < 0 and len(self.buf) > self.max_line + 2:
                return 414, "URI Too Long"
            if len(self.buf) > self.max_head:
                return 431, "Request Header Fields Too Large"
            return MORE
        if end + 4 > self.max_head:
            return 431, "Request Header Fields Too Large"
        self.head_end = end + 4
        self._read_head()
        return None

    def _read_head(self) -> None:
        head = bytes(self.buf[: self.head_end - 4]).decode("latin-1")
        request_line, *fields = head.split("\r\n")
        length = chunked = None
        kept = [request_line]
        for field in fields:
            name, _, value = field.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "expect" and value.lower() == "100-continue" and request_line.endswith("HTTP/1.1"):
                self.expects_continue = True
                continue  # answered here (see :meth:`continue_head`), not again by gunicorn
            if name == "content-length":
                length = value
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            kept.append(field)
        if self.expects_continue:
            rest = bytes(self.buf[self.head_end:])
            self.buf = bytearray(("\r\n".join(kept) + "\r\n\r\n").encode("latin-1")) + rest
            self.head_end = len(self.buf) - len(rest)
        if chunked:
            self._body = ("chunked", self.head_end)
        elif length is not None and length.isdigit():
            size = int(length)
            self._body = ("length", self.head_end + size) if size <= self.max_body else ("too large", 0)
        else:  # no body, or a malformed Content-Length gunicorn's parser refuses
            self._body = ("none", 0)

    @property
    def needs_body(self) -> bool:
        return self._body is not None and self._body[0] in ("length", "chunked")

    def _chunked(self, at: int) -> str:
        buf = self.buf
        while True:
            if at - self.head_end > self.max_body or len(buf) - self.head_end > self.max_body + MAX_CHUNK_LINE:
                return PARTIAL
            eol = buf.find(b"\r\n", at)
            if eol < 0:
                return WHOLE if len(buf) - at > MAX_CHUNK_LINE else MORE  # too long: the parser refuses it
            size_text = bytes(buf[at:eol]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                return WHOLE  # malformed: gunicorn's parser answers 400
            if size == 0:  # the last chunk, then trailer fields up to an empty line
                if buf[eol + 2: eol + 4] == b"\r\n" or buf.find(b"\r\n\r\n", eol) >= 0:
                    return WHOLE
                return MORE
            following = eol + 2 + size + 2
            if len(buf) < following:
                return MORE if following - self.head_end <= self.max_body else PARTIAL
            at = following
            self._body = ("chunked", at)


class BufferedThreadWorker(ThreadWorker):
    """gunicorn's gthread worker whose event loop reads each request before a thread sees it."""

    read_timeout = READ_TIMEOUT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reading: deque = deque()  # connections being read, oldest deadline first
        self.lingering: deque = deque()  # closed for writing, drained until the client closes
        self.body_buffer = body_buffer_bytes(getattr(self.app, "max_body_bytes", None))

    # -- reading in the event loop ---------------------------------------------------------
    def enqueue_req(self, conn) -> None:
        """Every request passes here (new connections, kept-alive ones, pipelined leftovers):
        it goes to a thread only once it is whole."""
        if self.cfg.is_ssl or getattr(conn, "is_http2", False):
            super().enqueue_req(conn)
            return
        leftover = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.ucc_in = IncomingRequest(leftover, max_line=self.cfg.limit_request_line or 8190,
                                      max_body=self.body_buffer)
        conn.ucc_deadline = time.monotonic() + self.read_timeout
        conn.ucc_continued = False
        conn.ucc_registered = False
        conn.sock.setblocking(False)
        done = self._progress(conn, receive=False) if leftover else False
        if not done and not self._progress(conn, receive=True):  # a kept-alive socket is readable now
            self.reading.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
            conn.ucc_registered = True

    def _on_readable(self, conn, _sock) -> None:
        self._progress(conn, receive=True)

    def _progress(self, conn, receive: bool) -> bool:
        """Read what has arrived; True once the connection has left the loop's hands."""
        incoming: IncomingRequest = conn.ucc_in
        if receive:
            try:
                data = conn.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                data = b""
            if not data:  # the client went away
                self._stop_reading(conn)
                self._close(conn)
                return True
            incoming.feed(data)
        state = incoming.state()
        if state == MORE:
            if incoming.expects_continue and incoming.needs_body and not conn.ucc_continued:
                conn.ucc_continued = True
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
            return False
        self._stop_reading(conn)  # the loop is done reading this connection
        if isinstance(state, tuple):
            self.log.info("Refused a request: %s %s", *state)
            self._send(conn, error_page(*state))
            self.nr_conns -= 1
            self._linger(conn)
            return True
        if conn.parser is None:
            conn.init()  # plain HTTP/1: creates the parser, reads nothing
        conn.data_ready = True
        conn.ucc_whole = state == WHOLE
        conn.parser.unreader.unread(bytes(incoming.buf))
        conn.ucc_in = None
        conn.sock.setblocking(True)
        super().enqueue_req(conn)
        return True

    def _send(self, conn, data: bytes) -> None:
        try:
            conn.sock.send(data)  # small; the socket buffer takes it, or the client loses it
        except OSError:
            pass

    def _stop_reading(self, conn) -> None:
        if not conn.ucc_registered:
            return
        conn.ucc_registered = False
        try:
            self.reading.remove(conn)
        except ValueError:
            pass
        self._unregister(conn)

    def _close(self, conn) -> None:
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Also disconnect clients that did not send their request within ``read_timeout``, and
        end lingering closes past their time."""
        super().murder_pending()
        now = time.monotonic()
        while self.reading and self.reading[0].ucc_deadline <= now:
            conn = self.reading.popleft()
            conn.ucc_registered = False
            self._unregister(conn)
            self._close(conn)
        while self.lingering and self.lingering[0].ucc_deadline <= now:
            conn = self.lingering.popleft()
            self._unregister(conn)
            conn.close()

    def _unregister(self, conn) -> None:
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass

    # -- closing without blocking the event loop ----------------------------------------------
    def finish_request(self, conn, fs):
        """gunicorn closes a finished connection gracefully on the event loop's thread, waiting up
        to 2 s for the client to close its side: a client that never does (``Connection: close``
        and then silence) would stop the loop that long, every time. Here the loop half-closes,
        then drains what the client still sends only when it arrives, for the same 2 s."""
        try:
            result = False if fs.cancelled() else fs.result()
        except Exception:  # noqa: BLE001 - as gunicorn: the connection is closed
            result = False
        if result is _DEFER or result:
            super().finish_request(conn, fs)
            return
        self.nr_conns -= 1
        self._linger(conn)

    def _linger(self, conn) -> None:
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
        except OSError:
            conn.close()
            return
        conn.ucc_deadline = time.monotonic() + LINGER_SECONDS
        conn.ucc_drained = 0
        self.lingering.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_linger_readable, conn))

    def _on_linger_readable(self, conn, _sock) -> None:
        try:
            data = conn.sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        conn.ucc_drained += len(data)
        if data and conn.ucc_drained < LINGER_BYTES:
            return
        self._unregister(conn)
        try:
            self.lingering.remove(conn)
        except ValueError:
            pass
        conn.close()

    def _keepalive_after(self, conn, keepalive):
        # A body larger than the buffer was not read: close rather than wait for it to drain.
        if keepalive and not getattr(conn, "ucc_whole", True):
            return False
        return super()._keepalive_after(conn, keepalive)

    # -- gunicorn's own error pages ----------------------------------------------------------
    def handle_error(self, req, client, addr, exc):
        """gunicorn's answer to a request it cannot parse, with the security headers, and a log
        line that names the problem but not the client's address."""
        status, reason = error_status(exc)
        if status >= 500:
            self.log.exception("Error handling a request")
        else:
            self.log.info("Refused a request: %s %s (%s)", status, reason, type(exc).__name__)
        try:
            client.setblocking(False)
            client.send(error_page(status, reason))
        except (OSError, ValueError):
            self.log.debug("Failed to send the error page.")


_CLIENT_ERRORS: dict[str, tuple[int, str]] = {
    "LimitRequestLine": (414, "URI Too Long"),
    "LimitRequestHeaders": (431, "Request Header Fields Too Large"),
    "ExpectationFailed": (417, "Expectation Failed"),
    "UnsupportedTransferCoding": (501, "Not Implemented"),
    "ForbiddenProxyRequest": (403, "Forbidden"),
    "ConfigurationProblem": (500, "Internal Server Error"),
}


def error_status(exc: BaseException) -> tuple[int, str]:
    """The status gunicorn gives a request it refuses (as gunicorn's own ``handle_error``)."""
    if isinstance(exc, (http_errors.InvalidResponseHeader, http_errors.InvalidResponseHeaderName)):
        return 500, "Internal Server Error"  # the application's fault, not the client's
    for cls in type(exc).__mro__:
        if cls.__name__ in _CLIENT_ERRORS and cls.__module__ == http_errors.__name__:
            return _CLIENT_ERRORS[cls.__name__]
    if isinstance(exc, http_errors.ParseException):
        return 400, "Bad Request"
    if isinstance(exc, ssl.SSLError):
        return 403, "Forbidden"
    return 500, "Internal Server Error"


def child_exit(server, worker) -> None:
    """gunicorn's hook in the master when a worker has exited: under prometheus_client's
    multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``ucc serve``), the worker's live
    gauges (its memory) leave ``/metrics``; its counters stay in the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def wsgi_server(options: dict[str, Any], load: Callable[[], Any], max_body_bytes: int | None = None):
    """A gunicorn application with ``options`` (and :func:`child_exit` as its hook unless they
    name one); each worker calls ``load()`` after the fork for its WSGI app, and buffers bodies up
    to ``max_body_bytes`` (plus slack)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"child_exit": child_exit, **options}.items():
                if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                    self.cfg.set(key, value)

        def load(self):
            return load()

    server = Server()
    server.max_body_bytes = max_body_bytes
    return server


__all__ = ["BufferedThreadWorker", "IncomingRequest", "READ_TIMEOUT", "child_exit", "error_page", "error_status",
           "wsgi_server"]
