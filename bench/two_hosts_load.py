"""Throughput of two `ucc serve` instances sharing one PostgreSQL, against one instance, on this machine.

What it runs, all on 127.0.0.1 and stopping by itself:

1. a throw-away PostgreSQL cluster (tests/pg.py's, as the tests make it; Debian's PostgreSQL 15);
2. host A: `ucc index` of knowledge/ then `ucc publish`; host B: `ucc pull` of that generation;
3. for each set-up — one instance (host A), then two instances (A and B), each with
   ``--workers`` gunicorn workers and ``UCC_DATABASE_URL`` set — a closed loop of ``--clients``
   clients for ``--duration`` seconds per scenario, the clients spread over the instances in
   turn (what a round-robin load balancer does): ``search`` (GET /api/v1/search) and ``ask``
   (POST /api/v1/ask, each answer written to the shared question log), with the questions of
   tests/data made unique (a number appended) so that no cache helps.

It prints requests/s, p50/p90 latency and errors per scenario and set-up, and ``--json`` the same
as JSON. On one 2-core machine the two instances share the cores that one instance has, so the
figure to expect is "no worse": two hosts are for surviving the loss of one, and each host of a
real deployment brings its own cores.

    .venv/bin/python bench/two_hosts_load.py --duration 20 --clients 8 --workers 1
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.pg import fresh_database, skip_reason, start_cluster  # noqa: E402  (the tests' throw-away cluster)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ucc(args: list[str], env: dict) -> None:
    subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _questions() -> list[str]:
    out = []
    for name in ("answerable.jsonl", "unanswerable.jsonl"):
        for line in (REPO / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(row.get("question") or row.get("q") or row.get("text"))
    return [q for q in out if q]


class Instance:
    def __init__(self, data: Path, env: dict, workers: int, log: Path):
        self.port = _free_port()
        env = {**env, "UCC_DATA_DIR": str(data), "UCC_WORKERS": str(workers)}
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--no-index", "--port", str(self.port)],
                                     cwd=REPO, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/readyz")
                r = conn.getresponse()
                if r.status == 200 and json.loads(r.read()).get("warm"):
                    return  # the answer caches are filled: no cold instance in the figures
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"instance on port {self.port} not ready in {timeout:g} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


def _load(ports: list[int], scenario: str, clients: int, duration: float, questions: list[str]) -> dict:
    latencies: list[float] = []
    errors = [0]
    counter = itertools.count()
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[i % len(ports)], timeout=60)
        while time.monotonic() < stop:
            n = next(counter)
            q = f"{questions[n % len(questions)]} {n}"
            t = time.perf_counter()
            try:
                if scenario == "search":
                    conn.request("GET", f"/api/v1/search?q={quote(q)}&k=10")
                else:
                    conn.request("POST", "/api/v1/ask", body=json.dumps({"question": q}),
                                 headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", ports[i % len(ports)], timeout=60)
            with lock:
                if ok:
                    latencies.append((time.perf_counter() - t) * 1000)
                else:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.monotonic() - t0
    qs = statistics.quantiles(latencies, n=10) if len(latencies) > 1 else [0.0] * 9
    return {"requests": len(latencies), "per_s": round(len(latencies) / wall, 1), "errors": errors[0],
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None, "p90_ms": round(qs[8], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per scenario and set-up")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients (closed loop)")
    ap.add_argument("--workers", type=int, default=1, help="gunicorn workers per instance")
    ap.add_argument("--scenarios", default="search,ask")
    ap.add_argument("--json", action="store_true", dest="as_json")
    args = ap.parse_args()
    reason = skip_reason()
    if reason:
        raise SystemExit(f"two_hosts_load: {reason}")
    questions = _questions()
    with tempfile.TemporaryDirectory(prefix="ucc-two-hosts-") as tmp:
        tmp = Path(tmp)
        cluster = start_cluster(tmp / "postgres")
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("UCC_")}
            env.update(UCC_DATABASE_URL=fresh_database(cluster), UCC_LOG_SALT="bench-salt-" + "x" * 24,
                       UCC_RATE_LIMIT="0", HF_HUB_OFFLINE="1")
            a, b = tmp / "host-a", tmp / "host-b"
            _ucc(["index"], {**env, "UCC_DATA_DIR": str(a)})
            _ucc(["publish", str(tmp / "published")], {**env, "UCC_DATA_DIR": str(a)})
            _ucc(["pull", str(tmp / "published"), "--quiet"], {**env, "UCC_DATA_DIR": str(b)})
            results = {}
            for setup, folders in (("one instance", [a]), ("two instances", [a, b])):
                instances = [Instance(f, env, args.workers, tmp / f"{f.name}.log") for f in folders]
                try:
                    for inst in instances:
                        inst.wait_ready()
                    ports = [inst.port for inst in instances]
                    for scenario in args.scenarios.split(","):
                        _load(ports, scenario, args.clients, min(3.0, args.duration), questions)  # warm-up
                        results[f"{setup} / {scenario}"] = _load(ports, scenario, args.clients, args.duration,
                                                                  questions)
                finally:
                    for inst in instances:
                        inst.stop()
        finally:
            from app.state.postgres import close_all

            close_all()
            cluster.close()
    if args.as_json:
        print(json.dumps(results, indent=2))
        return
    for name, r in results.items():
        print(f"{name:28} {r['per_s']:7.1f} req/s  p50 {r['p50_ms']} ms  p90 {r['p90_ms']} ms  "
              f"errors {r['errors']}  ({r['requests']} requests)")


if __name__ == "__main__":
    main()
