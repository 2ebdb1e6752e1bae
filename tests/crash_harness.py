"""Machinery for tests/test_crash_consistency.py: start real `ucc index` processes, watch their
progress, SIGKILL them, and keep a question-log writer busy meanwhile.

Two ways to start `ucc index`, both real processes running the real command line:

- ``exec``: ``python -m app index KB`` (pays every import each time: about half a second with
  the default ONNX encoder, seconds to over ten with ``UCC_EMBED_BACKEND=torch`` on a busy
  2-core machine);
- ``fork``: a long-lived process (``python -m tests.crash_harness zygote``) imports those modules
  once, then forks one child per run that calls ``app.cli.main(["index", KB])``. The child loads
  the model, reads, embeds, writes and commits exactly as ``python -m app index`` does; only the
  imports are done before it starts. Nothing model-related runs in the forking process, so the
  children's thread pools are not inherited.

Progress: each run's stderr is a pseudo-terminal, so `ucc index` shows its progress bars (they are
shown only on a terminal); the bars (stages load, embed, commit) tell which step a kill hit.

The writer (``python -m tests.crash_harness writer``) records questions and feedback through
:class:`app.operations.questionlog.QuestionLog` and prints each answer id or feedback token only after the
call returned (committed): those printed lines are what it acknowledged.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_BAR = re.compile(r"(load|embed|commit):\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)")


# -- progress seen on a pseudo-terminal -----------------------------------------------------------
@dataclass
class Event:
    t: float  # seconds since the run started
    stage: str
    done: int
    total: int


class ProgressTTY:
    """A pty whose slave end is a run's stderr; a thread turns tqdm bars into :class:`Event` s."""

    def __init__(self, started: float):
        self.started = started
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.path = os.ttyname(self.slave)
        self.events: list[Event] = []
        self.text: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        pending = ""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.005)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536).decode("utf-8", "replace")
            except OSError:
                break
            now = time.monotonic() - self.started
            self.text.append(data)
            parts = re.split(r"[\r\n]", pending + data)
            pending = parts.pop()
            for part in parts:
                m = _BAR.search(part)
                if m:
                    self.events.append(Event(now, m.group(1), int(m.group(2)), int(m.group(3))))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


# -- processes -------------------------------------------------------------------------------------
class Zygote:
    """``python -m tests.crash_harness zygote``: forks `ucc` runs with the heavy imports done."""

    def __init__(self, env: dict, log: Path):
        self._log = open(log, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.crash_harness", "zygote"], cwd=REPO, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        self.statuses: dict[int, int] = {}
        self._pids: list[int] = []
        self._cond = threading.Condition()
        self._ready = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            msg = json.loads(line)
            with self._cond:
                if "ready" in msg:
                    self._ready = True
                elif "status" in msg:
                    self.statuses[msg["pid"]] = msg["status"]
                else:
                    self._pids.append(msg["pid"])
                self._cond.notify_all()
        with self._cond:
            self._ready = None  # the zygote is gone
            self._cond.notify_all()

    def wait_ready(self, timeout: float = 300) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._ready is not False, timeout):
                raise TimeoutError("the zygote did not start")
            if self._ready is None:
                raise RuntimeError("the zygote exited: " + self._log.name)

    def start(self, args: list[str], env: dict, stdout: Path, tty: str) -> "Child":
        cmd = {"args": args, "env": env, "stdout": str(stdout), "tty": tty, "cwd": str(REPO)}
        with self._cond:
            n = len(self._pids)
            self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
            self.proc.stdin.flush()
            if not self._cond.wait_for(lambda: len(self._pids) > n or self._ready is None, 30):
                raise TimeoutError("the zygote did not fork")
            if self._ready is None:
                raise RuntimeError("the zygote exited: " + self._log.name)
            pid = self._pids[n]
        return Child(pid, lambda: self.statuses.get(pid), self._cond)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


class Child:
    """A running `ucc` process; killed through a pidfd (no pid-reuse race)."""

    def __init__(self, pid: int, status, cond: threading.Condition | None = None, popen=None):
        self.pid = pid
        self._status = status
        self._cond = cond
        self._popen = popen
        self.pidfd = os.pidfd_open(pid)

    def status(self) -> int | None:
        return self._status()

    def kill(self) -> None:
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self, timeout: float = 300) -> int:
        deadline = time.monotonic() + timeout
        while (code := self.status()) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"ucc process {self.pid} did not end")
            if self._popen is not None:
                try:
                    self._popen.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    pass
            else:
                with self._cond:
                    self._cond.wait(0.05)
        os.close(self.pidfd)
        return code


def exec_ucc(args: list[str], env: dict, stdout: Path, tty: str) -> Child:
    """``python -m app ARGS``: the literal command line, imports and all."""
    out = open(stdout, "wb")
    err = os.open(tty, os.O_RDWR | os.O_NOCTTY)
    try:
        popen = subprocess.Popen([sys.executable, "-m", "app", *args], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=err)
    finally:
        out.close()
        os.close(err)
    return Child(popen.pid, popen.poll, popen=popen)


class Writer:
    """``python -m tests.crash_harness writer``: logs questions and feedback until it is killed."""

    def __init__(self, env: dict, tag: str, interval: float = 0.05):
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.crash_harness", "writer", tag, str(interval)],
                                     cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.asks: list[str] = []
        self.feedback: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if not line.endswith(b"\n"):
                break  # cut by the kill: not acknowledged
            kind, value = line.decode().split()
            (self.asks if kind == "ask" else self.feedback).append(value)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._thread.join(timeout=10)
        self.proc.stderr.close()

    def alive(self) -> bool:
        return self.proc.poll() is None


# -- the two entry points -------------------------------------------------------------------------
def _zygote() -> None:
    import app.cli  # noqa: F401  (click, settings, the command line)
    import indexer.build  # noqa: F401
    import indexer.search  # noqa: F401
    import sentence_transformers  # noqa: F401  (imports torch and transformers)
    import faiss  # noqa: F401

    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        cmd = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _run_child(cmd)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()
        _, status = os.waitpid(pid, 0)
        out.write(json.dumps({"pid": pid, "status": os.waitstatus_to_exitcode(status)}) + "\n")
        out.flush()


def _run_child(cmd: dict) -> None:
    code = 1
    try:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(os.open(cmd["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
        os.dup2(os.open(cmd["tty"], os.O_RDWR | os.O_NOCTTY), 2)
        os.chdir(cmd["cwd"])
        os.environ.clear()
        os.environ.update(cmd["env"])
        from app.cli import main

        main(args=cmd["args"], prog_name="ucc")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _writer(tag: str, interval: float) -> None:
    from app.operations.questionlog import QuestionLog
    from indexer.settings import load_settings

    log = QuestionLog.from_settings(load_settings())
    i = 0
    while True:
        answer_id = log.record_ask(f"Writer {tag} question {i} about proactive services", "answered", channel="cli",
                                   sources=["services/ghent-proactive-services.md"], latency_ms=12.5)
        print("ask", answer_id, flush=True)
        if i % 3 == 0:
            token = f"{tag}-{i}"
            log.record_feedback(answer_id, "up" if i % 2 else "down", comment=token)
            print("fb", token, flush=True)
        i += 1
        time.sleep(interval)


if __name__ == "__main__":
    if sys.argv[1] == "zygote":
        _zygote()
    elif sys.argv[1] == "writer":
        _writer(sys.argv[2], float(sys.argv[3]))
    else:
        raise SystemExit(f"unknown role {sys.argv[1]!r}")
