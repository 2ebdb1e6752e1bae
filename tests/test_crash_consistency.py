"""Crash consistency, proven: `ucc index` killed with SIGKILL at random points, over and over.

A copy of knowledge/ changes before every run (files edited, added, deleted), so each build has
real loading, embedding, FAISS and commit work to do with the real model. Each run is killed at a
random moment (seeded; CRASH_SEED=N replays the draws) after a progress step, within that step's
duration in the last unkilled runs; most land after the files are read (model load and embedding,
gathering vectors and the FAISS write, the commit, clean-up). Every other run is a literal
`python -m app index` process (imports and all); the others are forked by a zygote that has done
the imports already (see tests/crash_harness.py), which spreads the kills more evenly over the
build's own steps.
After every kill the data directory must pass :func:`indexer.integrity.check_data_dir`, the live
generation's FAISS file must hold exactly its chunks, and a fresh searcher (a restarted service)
must find results. Every ten kills, and at the end, an unkilled rerun must complete and leave an
index that reflects exactly the files on disk.

Meanwhile the question log gets rows from this process and from a writer process that is itself
SIGKILLed while `ucc index` runs: every row that was acknowledged must survive.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import pytest

from app.operations.questionlog import QuestionLog
from indexer import store as st
from indexer.build import build_index, model_key
from indexer.integrity import check_data_dir
from indexer.search import Searcher
from indexer.settings import load_settings

from . import crash_harness as ch
from .conftest import REPO

KILLS = 50  # SIGKILLed `ucc index` runs
EXEC_EVERY = 2  # every other run is the literal `python -m app index` (imports and all), the rest forks
RERUN_EVERY = 10
KEEP = 2
QUERIES = ("proactive services for families", "usability testing with residents", "participatory budget")

pytestmark = pytest.mark.model


@dataclass
class Timing:
    """When a run that was not killed reached each step (seconds from its start)."""

    loaded: float  # every changed file read and chunked
    embedded: float  # passages embedded (the model is loaded by then)
    committed: float  # the new generation committed
    exited: float

    @classmethod
    def of(cls, events: list, exited: float) -> "Timing | None":
        def first(stage):
            return next((e.t for e in events if e.stage == stage and e.done >= e.total), None)

        loaded, embedded, committed = first("load"), first("embed"), first("commit")
        if None in (loaded, embedded, committed):
            return None  # nothing to embed or commit: an earlier, killed run had committed it all
        return cls(loaded, embedded, committed, exited)


@dataclass
class Corpus:
    root: Path
    rng: random.Random
    markers: dict[str, str] = field(default_factory=dict)  # file -> the marker its latest edit put in it
    counter: int = 0

    def files(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.md")
                      if p.relative_to(self.root).as_posix() != "README.md")  # .uccignore: /README.md

    def _marker(self) -> str:
        self.counter += 1
        return f"crashmark{self.counter:04d}x{self.rng.randrange(16 ** 6):06x}"

    def mutate(self, run: int) -> dict:
        """Edit two to four files (one with a new title, so all its passages change), add one
        (a variant of another document), sometimes delete one."""
        files = self.files()
        edited = self.rng.sample(files, self.rng.randint(2, 4))
        for i, rel in enumerate(edited):
            marker = self._marker()
            path = self.root / rel
            text = path.read_text(encoding="utf-8")
            if i == 0 and text.startswith("---\n") and "\ntitle:" in text:
                head, rest = text.split("\ntitle:", 1)
                title, tail = rest.split("\n", 1)
                text = f"{head}\ntitle: {_yaml_text(f'{_unquote(title)} revised {marker}')}\n{tail}"
            text += (f"\n\n## Update from run {run}\nThe service team recorded {marker}: residents asked for "
                     f"simpler forms and proactive reminders; {self.rng.choice(QUERIES)}.\n")
            path.write_text(text, encoding="utf-8")
            self.markers[rel] = marker
        added = []
        if self.rng.random() < 0.8:
            source = self.rng.choice(files)
            marker = self._marker()
            rel = f"{Path(source).parent.as_posix()}/crash-{run:03d}.md"
            text = (self.root / source).read_text(encoding="utf-8")
            if text.startswith("---\n") and "\ntitle:" in text:
                head, rest = text.split("\ntitle:", 1)
                title, tail = rest.split("\n", 1)
                text = f"{head}\ntitle: {_yaml_text(f'Variant {marker} of {_unquote(title)}')}\n{tail}"
            else:
                text = f"# Variant {marker}\n\n{text}"
            (self.root / rel).write_text(text, encoding="utf-8")
            self.markers[rel] = marker
            added.append(rel)
        deleted = []
        if len(files) > 55 and self.rng.random() < 0.5:
            rel = self.rng.choice([f for f in files if f not in edited])
            (self.root / rel).unlink()
            self.markers.pop(rel, None)
            deleted.append(rel)
        return {"edited": edited, "added": added, "deleted": deleted}


def _unquote(title: str) -> str:
    title = title.strip()
    return json.loads(title) if title.startswith('"') else title.strip("'")


def _yaml_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


class Harness:
    def __init__(self, tmp_path: Path, embedder, seed: int):
        self.tmp = tmp_path
        self.seed = seed
        self.rng = random.Random(seed)
        self.kb = tmp_path / "kb"
        self.data_dir = tmp_path / "var"
        self.settings = load_settings(UCC_DATA_DIR=str(self.data_dir), UCC_KEEP_GENERATIONS=KEEP)
        self.embedder = embedder
        self.env = dict(os.environ, UCC_DATA_DIR=str(self.data_dir), UCC_KEEP_GENERATIONS=str(KEEP),
                        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(REPO))
        self.corpus = Corpus(self.kb, random.Random(seed + 1))
        self.log = QuestionLog.from_settings(self.settings)
        self.logged_asks: list[str] = []
        self.logged_feedback: list[str] = []
        self.writers: list[ch.Writer] = []
        self.records: list[dict] = []
        self.timings: list[Timing] = []
        self.zygote: ch.Zygote | None = None

    def where(self) -> str:
        return f"(seed {self.seed}; CRASH_SEED={self.seed} replays it; run {len(self.records)})"

    # -- service-side writes ------------------------------------------------------------------
    def log_from_service(self, run: int) -> None:
        for i in range(2):
            aid = self.log.record_ask(f"Service question {run}.{i} on proactive services", "answered",
                                      channel="web", user_id=f"user-{run}")
            self.logged_asks.append(aid)
        token = f"service-{run}"
        self.log.record_feedback(aid, "down", comment=token)
        self.logged_feedback.append(token)

    # -- one `ucc index` run ------------------------------------------------------------------------
    def start(self, mode: str, run: int) -> tuple[ch.Child, ch.ProgressTTY, float]:
        started = time.monotonic()
        tty = ch.ProgressTTY(started)
        args = ["index", str(self.kb)]
        out = self.tmp / f"run-{run:03d}.out"
        if mode == "exec":
            child = ch.exec_ucc(args, self.env, out, tty.path)
        else:
            child = self.zygote.start(args, self.env, out, tty.path)
        return child, tty, started

    def run_to_end(self, run: int, mode: str = "fork") -> Timing | None:
        child, tty, started = self.start(mode, run)
        code = child.wait()
        exited = time.monotonic() - started
        time.sleep(0.05)
        tty.close()
        out = (self.tmp / f"run-{run:03d}.out").read_text()
        assert code == 0, f"an unkilled `ucc index` failed ({code}): {out} {''.join(tty.text)[-2000:]} {self.where()}"
        assert "Indexed in" in out and " 0 skipped" in out, out
        if "(generation " in out:  # it committed, so it cleaned up what killed runs left
            leftovers = check_data_dir(self.data_dir, KEEP).warnings
            assert not leftovers, f"a completed build left {[str(w) for w in leftovers]} {self.where()}"
        return self.learn(Timing.of(tty.events, exited))

    def learn(self, timing: Timing | None) -> Timing | None:
        if timing is not None:
            self.timings.append(timing)
        return timing

    def window(self, what) -> float:
        """The median of a step's duration over the last unkilled runs (machine load varies)."""
        values = sorted(what(t) for t in self.timings[-7:])
        return max(values[len(values) // 2], 0.001)

    def draw_kill(self) -> tuple[str, float]:
        """Where to kill: (the progress step to wait for, a delay after it)."""
        r = self.rng.random()
        if r < 0.15:  # start-up, scan, reading files
            return "start", self.rng.uniform(0, self.window(lambda t: t.loaded))
        if r < 0.55:  # loading the model, embedding
            return "load", self.rng.uniform(0, 0.95 * self.window(lambda t: t.embedded - t.loaded))
        if r < 0.85:  # gathering vectors, the FAISS write, the commit: a few milliseconds
            return "embed", self.rng.uniform(0, self.window(lambda t: t.committed - t.embedded))
        return "embed", self.rng.uniform(0, self.window(lambda t: t.exited - t.embedded))  # and clean-up, exit

    def kill_run(self, run: int, mode: str) -> dict:
        """Start `ucc index`, kill it at a drawn moment; return what happened."""
        anchor, delay = self.draw_kill()
        before = self.snapshot()
        child, tty, started = self.start(mode, run)
        writer_killed = False
        killed_at = None
        try:
            at = self.wait_for(child, tty, anchor, started)
            if at is not None:
                while time.monotonic() - started < at + delay and child.status() is None:
                    time.sleep(0.001)
                seen = list(tty.events)
                killed_at = time.monotonic() - started
                child.kill()
                if self.writers and self.writers[-1].alive() and self.rng.random() < 0.3:
                    self.writers[-1].kill()  # the question-log writer dies with the build, mid-write
                    writer_killed = True
            else:
                seen = list(tty.events)
            code = child.wait()
            exited = time.monotonic() - started
        finally:
            if child.status() is None:  # an assertion or timeout above: leave no build running
                child.kill()
                child.wait()
            time.sleep(0.02)
            tty.close()
        if code == 0:
            self.learn(Timing.of(tty.events, exited))
        change = store_change(before, self.snapshot())
        return {"run": run, "mode": mode, "anchor": anchor, "delay": round(delay, 4),
                "killed_at": None if killed_at is None else round(killed_at, 3), "exit": code,
                "killed": code == -9, "phase": phase_of(seen, code, change), "store": change,
                "writer_killed": writer_killed}

    def wait_for(self, child: ch.Child, tty: ch.ProgressTTY, anchor: str, started: float) -> float | None:
        """When the anchor step was reached (seconds from start); None if the process ended first."""
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if anchor == "start":
                return 0.0
            for e in list(tty.events):
                if e.stage == anchor and e.done >= e.total:
                    return e.t
            if child.status() is not None:
                return None
            time.sleep(0.002)
        return time.monotonic() - started  # never seen: kill now

    # -- what the store looks like ------------------------------------------------------------------
    def snapshot(self) -> dict:
        conn = sqlite3.connect(self.data_dir / "index.db", timeout=10)
        try:
            live = conn.execute("SELECT MAX(id) FROM generations WHERE status = 'live'").fetchone()[0]
            embeddings = conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        finally:
            conn.close()
        files = sorted(p.name for p in (self.data_dir / "faiss").iterdir())
        return {"live": live, "embeddings": embeddings, "faiss": files}

    # -- the checks ---------------------------------------------------------------------------------
    def check_consistent(self, context: str, queries: tuple[str, ...] = QUERIES) -> None:
        where = f"after {context} {self.where()}"
        report = check_data_dir(self.data_dir, KEEP)
        assert report.ok, f"integrity check failed {where}: {[str(f) for f in report.errors]}"
        assert report.databases.get("index.db") == "ok", where
        # The same facts, counted here independently of the checker.
        conn = sqlite3.connect(self.data_dir / "index.db", timeout=10)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", where
            gen, faiss_file, recorded = conn.execute(
                "SELECT id, faiss_file, chunks FROM generations WHERE status = 'live'").fetchone()
            chunks = conn.execute(f"SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.doc "
                                  f"WHERE {st.live_clause()}", {"gen": gen}).fetchone()[0]
        finally:
            conn.close()
        ntotal = faiss.read_index(str(self.data_dir / "faiss" / faiss_file)).ntotal
        assert ntotal == chunks == recorded == report.chunks == report.faiss_vectors, (
            f"FAISS holds {ntotal} vectors, generation {gen} has {chunks} chunk rows (records {recorded}; "
            f"checker saw {report.chunks}/{report.faiss_vectors}) {where}")
        searcher = Searcher(self.settings, embedder=self.embedder)  # a restarted service
        for query in queries:
            result = searcher.search(query, k=5)
            assert result.hits and result.generation == gen, f"no results for {query!r} {where}"

    def check_exact(self, context: str) -> None:
        """The live generation holds exactly the files on disk, each in its current version."""
        where = f"after {context} {self.where()}"
        conn = sqlite3.connect(self.data_dir / "index.db", timeout=10)
        try:
            gen = conn.execute("SELECT id FROM generations WHERE status = 'live'").fetchone()[0]
            live = {f: i for f, i in conn.execute(f"SELECT d.file, d.id FROM documents d WHERE {st.live_clause()}",
                                                  {"gen": gen})}
            stored = dict(conn.execute("SELECT path, sha256 FROM files WHERE error IS NULL"))
            assert set(live) == set(self.corpus.files()), (
                f"index != disk {where}: only indexed {sorted(set(live) - set(self.corpus.files()))[:5]}, "
                f"only on disk {sorted(set(self.corpus.files()) - set(live))[:5]}")
            for rel in self.corpus.files():
                digest = hashlib.sha256((self.kb / rel).read_bytes()).hexdigest()
                assert stored.get(rel) == digest, f"{rel}: the index saw another version {where}"
            for rel, marker in self.corpus.markers.items():
                n = conn.execute("SELECT COUNT(*) FROM documents d WHERE d.id = :doc AND (d.title LIKE :m OR EXISTS "
                                 "(SELECT 1 FROM chunks c WHERE c.doc = d.id AND c.text LIKE :m))",
                                 {"doc": live[rel], "m": f"%{marker}%"}).fetchone()[0]
                assert n, f"{rel}: its latest edit ({marker}) is not in the live index {where}"
        finally:
            conn.close()

    def check_service_rows(self) -> None:
        where = self.where()
        conn = sqlite3.connect(self.data_dir / "questions.db", timeout=10)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", where
            asks = {r for (r,) in conn.execute("SELECT id FROM asks")}
            comments = {r for (r,) in conn.execute("SELECT comment FROM feedback")}
        finally:
            conn.close()
        acked_asks = self.logged_asks + [a for w in self.writers for a in w.asks]
        acked_feedback = self.logged_feedback + [f for w in self.writers for f in w.feedback]
        lost = [a for a in acked_asks if a not in asks]
        assert not lost, f"{len(lost)} acknowledged question-log rows are lost {where}"
        lost = [f for f in acked_feedback if f not in comments]
        assert not lost, f"{len(lost)} acknowledged feedback rows are lost: {lost[:5]} {where}"
        self.service_rows = (len(acked_asks), len(acked_feedback))


def phase_of(events: list, code: int | None, change: str) -> str:
    """Which step of the build a kill hit: what the store shows it had finished, then the last
    progress bar seen before the kill."""
    if code != -9:
        return "finished before the kill"
    if change == "new generation live":
        return "after the commit (clean-up, exit)"
    if change == "temporary FAISS file left":
        return "FAISS write"
    if change == "FAISS file written, not committed":
        return "SQLite commit"
    if change == "embeddings cached, no generation":
        return "gathering vectors, FAISS build"
    done = {e.stage for e in events if e.done >= e.total}
    if "embed" in done:
        return "gathering vectors, FAISS build"
    if "load" in done:
        return "model load, embedding"
    return "start-up, scan, reading files"


def store_change(before: dict, after: dict) -> str:
    """What the killed run left behind, read from the store."""
    if after["live"] != before["live"]:
        return "new generation live"
    new_files = set(after["faiss"]) - set(before["faiss"])
    if any(f.endswith(".tmp") for f in new_files):
        return "temporary FAISS file left"
    if new_files:
        return "FAISS file written, not committed"
    if after["embeddings"] > before["embeddings"]:
        return "embeddings cached, no generation"
    return "no change"


def warm_embedding_cache(data_dir: Path, source_db: Path, embedder) -> int:
    """Copy the session's knowledge/ embeddings (the same model and passages) into the new store,
    so the first build here does not embed 350 passages again."""
    db = st.connect(data_dir / "index.db")
    st.ensure_schema(db)
    db.conn.close()
    conn = sqlite3.connect(data_dir / "index.db")
    try:
        conn.execute("ATTACH DATABASE ? AS src", [str(source_db)])
        n = conn.execute("INSERT OR IGNORE INTO embeddings SELECT * FROM src.embeddings WHERE model = ?",
                         [model_key(embedder)]).rowcount
        conn.commit()
        conn.execute("DETACH DATABASE src")
    finally:
        conn.close()
    return n


def test_sigkilled_builds_leave_a_consistent_index(tmp_path, real_embedder, knowledge_searcher):
    seed = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(10 ** 6))
    print(f"crash harness seed {seed} (CRASH_SEED={seed} replays it)")
    clock = time.monotonic()
    h = Harness(tmp_path, real_embedder, seed)
    h.zygote = ch.Zygote(h.env, tmp_path / "zygote.log")  # its imports overlap the first build
    try:
        shutil.copytree(REPO / "knowledge", h.kb)
        warm_embedding_cache(h.data_dir, knowledge_searcher.store.db_path, real_embedder)
        build_index([h.kb], h.settings, embedder=real_embedder)
        h.check_consistent("the first build")
        h.log_from_service(0)
        h.zygote.wait_ready()
        setup = time.monotonic() - clock
        print(f"set-up {setup:.1f} s")

        h.corpus.mutate(0)
        calibration = h.run_to_end(0)
        assert calibration is not None, "no progress bars seen on the calibration run"
        print(f"calibration {calibration} at {time.monotonic() - clock:.1f} s")
        h.check_consistent("the calibration run")
        h.check_exact("the calibration run")

        run, kills, reruns = 0, 0, 0
        while kills < KILLS and run < KILLS * 2:
            run += 1
            h.corpus.mutate(run)
            h.log_from_service(run)
            if not h.writers or not h.writers[-1].alive():
                h.writers.append(ch.Writer(h.env, f"w{run}"))
            t1 = time.monotonic()
            record = h.kill_run(run, "exec" if run % EXEC_EVERY == 0 else "fork")
            t2 = time.monotonic()
            h.records.append(record)
            assert record["exit"] in (0, -9), f"ucc index failed: {record} {h.where()}"
            kills += record["killed"]
            h.check_consistent(f"run {run} ({record['phase']})", queries=(QUERIES[run % len(QUERIES)],))
            t3 = time.monotonic()
            print(f"{time.monotonic() - clock:6.1f} s: run {t2 - t1:.2f} s, checks {t3 - t2:.2f} s", record)
            if record["killed"] and kills % RERUN_EVERY == 0:
                h.run_to_end(1000 + run)
                reruns += 1
                h.check_consistent(f"the rerun after run {run}")
                h.check_exact(f"the rerun after run {run}")
        for w in h.writers:
            if w.alive():
                w.kill()
        h.log_from_service(run + 1)
        h.run_to_end(2000)
        reruns += 1
        h.check_consistent("the final rerun")
        h.check_exact("the final rerun")
        h.check_service_rows()
    finally:
        h.zygote.close()
        for w in h.writers:
            if w.alive():
                w.kill()

    total = time.monotonic() - clock
    steps = Counter(r["phase"] for r in h.records if r["killed"])
    stores = Counter(r["store"] for r in h.records if r["killed"])
    modes = Counter(r["mode"] for r in h.records if r["killed"])
    print(f"{kills} SIGKILLs in {len(h.records)} runs ({dict(modes)}), {reruns} unkilled reruns, "
          f"{total:.0f} s in all ({setup:.0f} s set-up); calibration {calibration}")
    print("phases hit:", dict(steps))
    print("left behind:", dict(stores))
    print(f"writers killed mid-run: {sum(r['writer_killed'] for r in h.records)}; "
          f"question-log rows acknowledged and found: asks {h.service_rows[0]}, feedback {h.service_rows[1]}")
    assert kills >= KILLS, f"only {kills} runs were killed {h.where()}"
    assert modes["exec"] >= KILLS // (2 * EXEC_EVERY), f"too few literal `python -m app index` runs killed: {modes}"
    late = KILLS - steps["start-up, scan, reading files"]
    assert late >= KILLS * 2 // 3, f"most kills should land after the files are read: {dict(steps)}"
