"""HTTP load on the served API: ``ucc serve`` (gunicorn) on 127.0.0.1 and a load generator of
threads with keep-alive ``http.client`` connections, in this process.

Scenarios, each bounded by a duration and a request cap and stopping by itself:

- ``search``: closed loop of ``--search-clients`` clients on ``GET /api/v1/search`` (hybrid, k=10)
  with the questions of tests/data (answerable, unanswerable, router cases); throughput in
  requests/s, latency percentiles, errors. ``--unique`` makes every query and question distinct (a number is
  appended), so the workers' query-embedding caches never help: the cost of new questions.
- ``ask``: ``--ask-clients`` clients (default 20) on ``POST /api/v1/ask`` with the same questions,
  closed loop (each client sends its next question when the answer arrives) and, with
  ``--think S``, with S seconds between a client's questions (people reading answers);
  p50/p90/p99 latency and errors. Every ask is logged in the question log, as in production.
- ``swap``: ``--search-clients`` clients on ``GET /api/v1/search`` while ``--rebuilds`` runs of
  ``ucc index`` (separate processes, as a timer would start them) each change one document of a
  copy of knowledge/ and swap a new generation in; errors (the aim: none), the generations the
  responses came from, latency during the swaps, and each rebuild's wall time.
- memory: resident (RSS) and proportional (PSS) memory of each gunicorn worker once warm
  (``memory_before``) and after the load (``memory``), from /proc: growth under load would be a leak.

The server runs with ``UCC_RATE_LIMIT=0`` (one client at 127.0.0.1 would otherwise be limited) and
its own data folder (a temporary one with knowledge/ indexed, or ``--data-dir``). The load
generator shares the machine's cores with the server: on 2 cores it costs the server some
throughput; the figures are a floor.

    .venv/bin/python bench/http_load.py                       # all scenarios, defaults
    .venv/bin/python bench/http_load.py --scenarios search --duration 20 --unique
    .venv/bin/python bench/http_load.py --scenarios ask --ask-clients 20 --think 1.0
    .venv/bin/python bench/http_load.py --scenarios swap --rebuilds 10
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

from _common import REPO, emit, median, percentile

MAX_REQUESTS = 200_000  # per scenario, whatever the duration
HARD_LIMIT = 900  # seconds: the whole run stops after this
IDLE_RECONNECT = 4.0  # seconds: a connection idle longer is replaced (the server's keep-alive is 5 s)


def questions() -> list[str]:
    out: list[str] = []
    for name in ("answerable.jsonl", "unanswerable.jsonl", "router_cases.jsonl"):
        path = REPO / "tests" / "data" / name
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    q = row.get("question") or row.get("text") or row.get("q")
                    if isinstance(q, str) and q.strip():
                        out.append(q.strip())
    out = list(dict.fromkeys(out))
    random.Random(7).shuffle(out)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``ucc serve`` in its own process group; stopped with SIGTERM (SIGKILL after 40 s)."""

    def __init__(self, data_dir: Path, workers: int, threads: int, log_path: Path, knowledge_dir: Path):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("UCC_")}
        env.update(UCC_DATA_DIR=str(data_dir), UCC_KNOWLEDGE_DIR=str(knowledge_dir), UCC_RATE_LIMIT="0",
                   UCC_WORKERS=str(workers), UCC_THREADS=str(threads), PYTHONUNBUFFERED="1")
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from app.commands.serve import serve_command; serve_command(prog_name='ucc serve')",
             "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 300) -> float:
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited; see {self.log.name}")
            try:
                status, _ = request(self.port, "GET", "/readyz", timeout=2)
                if status == 200:
                    return time.time() - t0
            except OSError:
                pass
            time.sleep(0.25)
        raise SystemExit("the server did not become ready in time")

    def wait_warm(self, timeout: float = 180) -> float:
        """Until 10 fresh connections in a row (spread over the workers) say the answer cache is warm."""
        t0 = time.time()
        in_a_row = 0
        while time.time() - t0 < timeout and in_a_row < 10:
            status, body = request(self.port, "GET", "/readyz", timeout=5)
            in_a_row = in_a_row + 1 if status == 200 and json.loads(body).get("warm") else 0
            time.sleep(0.05 if in_a_row else 0.5)
        return time.time() - t0

    def worker_pids(self) -> list[int]:
        try:
            out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        except FileNotFoundError:
            return []
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


def request(port: int, method: str, path: str, body: dict | None = None, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        return _send(conn, method, path, body)
    finally:
        conn.close()


def _send(conn: http.client.HTTPConnection, method: str, path: str, body: dict | None) -> tuple[int, bytes]:
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    payload = r.read()
    if (r.getheader("Connection") or "").lower() == "close":
        conn.close()
    return r.status, payload


def run_load(port: int, make_request, clients: int, duration: float, think: float = 0.0,
             max_requests: int = MAX_REQUESTS, inspect=None, until: threading.Event | None = None) -> dict:
    """``clients`` threads, each with one keep-alive connection, for ``duration`` seconds (or
    until ``until`` is set); ``inspect(payload)`` sees every 200 response's body."""
    latencies: list[float] = []
    errors: list[str] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    counter = iter(range(10**12))
    stop_at = time.perf_counter() + duration

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        last_used = time.monotonic()
        rnd = random.Random(n)
        if think:
            time.sleep(rnd.uniform(0, think))  # spread the clients' first requests
        while time.perf_counter() < stop_at and not (until is not None and until.is_set()):
            i = next(counter)
            if i >= max_requests:
                break
            method, path, body = make_request(i)
            if time.monotonic() - last_used > IDLE_RECONNECT:  # as browsers do: the server drops idle ones
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            t0 = time.perf_counter()
            try:
                status, payload = _send(conn, method, path, body)
                ok = status == 200
            except Exception as exc:  # a failed request is an error, whatever the cause
                status, ok = 0, False
                payload = repr(exc).encode()
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            dt = time.perf_counter() - t0
            last_used = time.monotonic()
            if ok and inspect is not None:
                inspect(payload)
            with lock:
                latencies.append(dt)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if not ok and len(errors) < 10:
                    errors.append(f"{status}: {payload[:200]!r}")
            if think:
                time.sleep(rnd.expovariate(1 / think))
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 120)
    wall = time.perf_counter() - t0
    ms = [x * 1000 for x in latencies]
    n_err = sum(v for k, v in statuses.items() if k != "200")
    return {
        "clients": clients, "think_s": think, "seconds": round(wall, 2), "requests": len(ms), "errors": n_err,
        "requests_per_s": round(len(ms) / wall, 1) if wall else None,
        "p50_ms": round(median(ms), 1) if ms else None, "p90_ms": round(percentile(ms, 90), 1) if ms else None,
        "p99_ms": round(percentile(ms, 99), 1) if ms else None, "max_ms": round(max(ms), 1) if ms else None,
        "statuses": statuses, "error_samples": errors,
    }


def rebuild_while_serving(knowledge_dir: Path, data_dir: Path, rebuilds: int, done: threading.Event,
                          out: dict) -> None:
    """``rebuilds`` runs of ``ucc index``, each after changing one service description."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UCC_")}
    env.update(UCC_DATA_DIR=str(data_dir), UCC_KNOWLEDGE_DIR=str(knowledge_dir))
    files = sorted((knowledge_dir / "services").glob("*.md"))
    times, failures = [], []
    try:
        time.sleep(2.0)  # a baseline before the first swap
        for n in range(rebuilds):
            path = files[n % len(files)]
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(f"\nRevision note {n + 1}: this description was checked again.\n")
            t0 = time.perf_counter()
            done_run = subprocess.run([sys.executable, "-m", "app", "index", "--quiet"], cwd=REPO, env=env,
                                      capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if done_run.returncode != 0:
                failures.append(done_run.stderr[-500:])
            time.sleep(1.0)
        time.sleep(2.0)  # and after the last one
    finally:
        out.update(rebuilds=len(times), rebuild_failures=failures,
                   rebuild_s_median=round(median(times), 2) if times else None,
                   rebuild_s_max=round(max(times), 2) if times else None)
        done.set()


def memory(pids: list[int]) -> list[dict]:
    out = []
    for pid in pids:
        info = {"pid": pid}
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    info["rss_mib"] = round(int(line.split()[1]) / 1024, 1)
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    info["pss_mib"] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            continue
        out.append(info)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", default="search,ask", help="Comma-separated: search, ask, swap.")
    ap.add_argument("--rebuilds", type=int, default=10, help="Index rebuilds during the swap scenario.")
    ap.add_argument("--duration", type=float, default=20.0, help="Seconds per measured scenario (at most 120).")
    ap.add_argument("--warmup", type=float, default=10.0, help="Seconds of warm-up load before measuring.")
    ap.add_argument("--search-clients", type=int, default=8)
    ap.add_argument("--ask-clients", type=int, default=20)
    ap.add_argument("--think", type=float, default=0.0, help="Seconds between one ask client's questions (mean).")
    ap.add_argument("--unique", action="store_true",
                    help="Every query and question distinct (a number appended): no cache helps.")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, help="Keep the server's index here (default: a temporary folder).")
    args = ap.parse_args()
    duration = min(max(args.duration, 1.0), 120.0)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]

    timer = threading.Timer(HARD_LIMIT, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.daemon = True
    timer.start()
    qs = questions()
    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.mkdtemp(prefix="ucc-http-load-")
        data_dir = Path(tmp) / "var"
    data_dir.mkdir(parents=True, exist_ok=True)
    knowledge_dir = REPO / "knowledge"
    copy_root = None
    if "swap" in scenarios:  # the rebuilds change documents: serve a copy
        copy_root = tempfile.mkdtemp(prefix="ucc-http-load-kb-")
        knowledge_dir = Path(copy_root) / "knowledge"
        shutil.copytree(REPO / "knowledge", knowledge_dir)
    server = Server(data_dir, args.workers, args.threads, data_dir / "serve.log", knowledge_dir)
    result: dict = {"questions": len(qs), "workers": args.workers, "threads": args.threads,
                    "command": " ".join([Path(sys.executable).name, *sys.argv])}
    try:
        result["startup_s"] = round(server.wait_ready(), 1)
        result["warm_s"] = round(server.wait_warm(), 1)
        result["memory_before"] = memory(server.worker_pids())

        def search_req(i: int):
            q = qs[i % len(qs)] + (f" {i}" if args.unique else "")
            return "GET", f"/api/v1/search?q={quote(q)}&k=10", None

        def ask_req(i: int):
            q = qs[i % len(qs)] + (f" {i}" if args.unique else "")
            return "POST", "/api/v1/ask", {"question": q, "channel": "web"}  # the web API records web or widget only

        if "search" in scenarios:
            run_load(server.port, search_req, args.search_clients, min(args.warmup, duration))
            result["search"] = run_load(server.port, search_req, args.search_clients, duration)
            result["search"]["unique_queries"] = args.unique
        if "ask" in scenarios:
            run_load(server.port, ask_req, min(args.ask_clients, 4), args.warmup)  # fills the answer caches
            result["ask"] = run_load(server.port, ask_req, args.ask_clients, duration, think=args.think)
            result["ask"]["unique_questions"] = args.unique
        if "swap" in scenarios:
            generations: dict[str, int] = {}
            glock = threading.Lock()

            def seen(payload: bytes) -> None:
                g = str(json.loads(payload).get("generation"))
                with glock:
                    generations[g] = generations.get(g, 0) + 1

            done = threading.Event()
            swap: dict = {}
            rebuilder = threading.Thread(target=rebuild_while_serving,
                                         args=(knowledge_dir, data_dir, args.rebuilds, done, swap))
            rebuilder.start()
            swap.update(run_load(server.port, search_req, args.search_clients, HARD_LIMIT - 60, inspect=seen,
                                 until=done))
            rebuilder.join()
            swap["generations_served"] = dict(sorted(generations.items(), key=lambda kv: int(kv[0])))
            result["swap"] = swap
        result["memory"] = memory(server.worker_pids())
        status, body = request(server.port, "GET", "/metrics")
        result["metrics_workers"] = next((int(float(line.split()[1])) for line in body.decode().splitlines()
                                          if line.startswith("ucc_workers ")), None)
    finally:
        server.stop()
        timer.cancel()
        for folder in (tmp, copy_root):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
    emit("http_load", result)


if __name__ == "__main__":
    main()
