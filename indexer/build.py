"""Incremental, crash-safe index builds.

A build compares every file under the given roots with what the store saw
last time (size and mtime first, then a SHA-256 of the bytes), loads and
chunks only what changed, embeds only passages whose text it has never
embedded with this model, writes the next generation's FAISS file beside the
live one, and commits the new generation in one SQLite transaction.
A file that cannot be loaded is reported and skipped, and its previous
version (if any) stays in the index.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import queue
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from . import store as st
from .chunking import chunk_document
from .documents import SourceDocument
from .embedders import Embedder, get_embedder
from .errors import BuildInProgress, DocumentError, InvalidRequest
from .loaders import FileLimits, discover, load_file
from .rows import document_row, facets
from .settings import Settings

Progress = Callable[[str, int, int], None]  # (stage, done, total)
_DONE = object()


@dataclass
class BuildReport:
    generation: int | None = None  # the new live generation; None when nothing changed
    added: list[str] = field(default_factory=list)  # files, as root-relative paths
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"path", "reason"}
    documents: int = 0  # in the live generation after the build
    chunks: int = 0
    chunks_embedded: int = 0  # passages sent to the model
    chunks_reused: int = 0  # passages whose vector came from the cache
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict:
        return {
            "generation": self.generation,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": self.skipped,
            "documents": self.documents,
            "chunks": self.chunks,
            "chunks_embedded": self.chunks_embedded,
            "chunks_reused": self.chunks_reused,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


@dataclass
class _FileState:
    root: str
    rel: str
    mtime_ns: int
    size: int
    sha256: str | None = None
    error: str | None = None
    documents: list[SourceDocument] = field(default_factory=list)


def _noop(stage: str, done: int, total: int) -> None:
    return None


@contextmanager
def build_lock(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildInProgress("Another build is running on this data directory; try again when it ends.") from None
        yield
    finally:
        os.close(fd)


def index_config(embedder: Embedder, max_tokens: int) -> dict:
    return {
        "model": embedder.name,
        "model_key": model_key(embedder),
        "dim": embedder.dim,
        "chunk_tokens": max_tokens,
        "schema": st.SCHEMA_VERSION,
    }


def model_key(embedder: Embedder) -> str:
    prefix = getattr(embedder, "passage_prefix", "")
    return f"{embedder.name}|{embedder.dim}|{hashlib.sha1(prefix.encode()).hexdigest()[:8]}"


def build_index(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Bring the index in ``settings.data_dir`` up to date with ``paths``."""
    started = time.perf_counter()
    progress = progress or _noop
    roots = [_check_root(p) for p in paths]
    store = st.Store(settings.data_dir)
    with build_lock(store.lock_path):
        embedder = embedder or get_embedder(settings)
        report = _Builder(store, settings, embedder, progress).run(roots)
    store.close()
    report.seconds = time.perf_counter() - started
    return report


def _check_root(path: Path) -> Path:
    path = Path(path).expanduser()
    if not path.exists():
        raise InvalidRequest(f"{path} does not exist.")
    return path.resolve()


class _Builder:
    def __init__(self, store: st.Store, settings: Settings, embedder: Embedder, progress: Progress):
        self.store = store
        self.db = store.db
        self.settings = settings
        self.embedder = embedder
        self.progress = progress
        self.max_tokens = max(32, min(settings.chunk_tokens, embedder.max_tokens))
        self.config = index_config(embedder, self.max_tokens)
        self.mkey = self.config["model_key"]
        self.report = BuildReport()
        self.limits = FileLimits.from_settings(settings)

    # -- the steps ------------------------------------------------------
    def run(self, roots: list[Path]) -> BuildReport:
        t = time.perf_counter()
        live = self.store.live_generation()
        self._check_pulled(roots)
        force = live is None or self._stored_config() != self.config
        if force and live is not None:
            # A new model or chunk size touches every document: re-process every known root too.
            known_roots = [Path(r) for (r,) in self.db.execute("SELECT DISTINCT root FROM files")]
            roots = list(dict.fromkeys(roots + [r for r in known_roots if r.is_dir()]))
        changed, unchanged_touch, removed = self._scan(roots, force)
        self.report.timings["scan"] = time.perf_counter() - t

        t = time.perf_counter()
        chunked = self._process(changed)
        self.report.timings["load_chunk_embed"] = time.perf_counter() - t

        replaced_files = [(f.root, f.rel) for f in changed if f.error is None]
        if not (replaced_files or removed or force):
            self._record_files(unchanged_touch + [f for f in changed if f.error])
            if live is not None:  # finish the clean-up of a build killed after its commit
                self._collect_garbage(live.id)
            self._summarise(live)
            return self.report

        t = time.perf_counter()
        gen = self._commit(live, chunked, replaced_files, removed, changed + unchanged_touch)
        self.report.timings["commit"] = time.perf_counter() - t
        self._collect_garbage(gen)
        self._summarise(self.store.live_generation())
        return self.report

    def _check_pulled(self, roots: list[Path]) -> None:
        """An index pulled from a build host (indexer.pull) records that host's folders: building
        another folder here would index every document a second time beside them."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'pulled'").fetchone()
        if row is None:
            return
        known = {r for (r,) in self.db.execute("SELECT DISTINCT root FROM files")}
        other = [str(r if r.is_dir() else r.parent) for r in roots]
        other = [r for r in other if r not in known]
        if known and other:
            raise InvalidRequest(
                f"This index was pulled from a build host (`ucc pull`), which built it from {', '.join(sorted(known))}; "
                f"building {', '.join(other)} here would add every document a second time. Build on the build host "
                "and pull, or move index.db out of UCC_DATA_DIR to build this host's own index.")

    def _stored_config(self) -> dict | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'index_config'").fetchone()
        return st.json.loads(row[0]) if row else None

    def _scan(self, roots: list[Path], force: bool):
        known: dict[tuple[str, str], tuple] = {
            (r, p): (m, s, h, e)
            for r, p, m, s, h, e in self.db.execute("SELECT root, path, mtime_ns, size, sha256, error FROM files")
        }
        changed: list[_FileState] = []
        touch: list[_FileState] = []
        seen: set[tuple[str, str]] = set()
        for root in roots:
            base = root if root.is_dir() else root.parent
            root_key = str(base)
            for path in discover(root, self._skip):
                rel = path.relative_to(base).as_posix()
                try:
                    stat = path.stat()
                    old = known.get((root_key, rel))
                    if old and not force and old[0] == stat.st_mtime_ns and old[1] == stat.st_size:
                        seen.add((root_key, rel))
                        self._count_unchanged(rel, old[3])
                        continue
                    state = _FileState(root_key, rel, stat.st_mtime_ns, stat.st_size)
                    state.sha256 = st.sha256_file(path)
                except OSError as exc:  # vanished or unreadable since it was listed
                    self._skip(rel, f"cannot read the file ({exc.strerror or exc})")
                    continue
                seen.add((root_key, rel))
                if old and not force and old[2] == state.sha256:
                    state.error = old[3]
                    touch.append(state)
                    self._count_unchanged(rel, old[3])
                    continue
                (self.report.updated if old else self.report.added).append(rel)
                changed.append(state)
        # Files gone from a folder that was scanned leave the index; a root given as a
        # single file says nothing about its siblings.
        dir_roots = {str(r) for r in roots if r.is_dir()}
        removed = [(r, p) for (r, p) in known if r in dir_roots and (r, p) not in seen]
        self.report.removed.extend(p for _, p in removed)
        return changed, touch, removed

    def _skip(self, rel: str, reason: str) -> None:
        self.report.skipped.append({"path": rel, "reason": reason})

    def _count_unchanged(self, rel: str, error: str | None) -> None:
        if error:
            self.report.skipped.append({"path": rel, "reason": error})
        else:
            self.report.unchanged += 1

    def _process(self, changed: list[_FileState]):
        """Load and chunk files in a worker thread while this thread embeds what is ready,
        so parsing (PDFs especially) overlaps with the model's work."""
        ready: queue.Queue = queue.Queue(maxsize=256)

        def produce() -> None:
            try:
                for i, state in enumerate(changed):
                    self._load_one(state)
                    for doc in state.documents if state.error is None else []:
                        ready.put(((state, doc), chunk_document(doc, self.embedder.count_tokens, self.max_tokens)))
                    self.progress("load", i + 1, len(changed))
                ready.put(_DONE)
            except BaseException as exc:  # handed to the main thread, raised there
                ready.put(exc)

        worker = threading.Thread(target=produce, name="ucc-loader", daemon=True)
        worker.start()
        chunked, pending, seen = [], {}, set()
        step = max(128, self.settings.embed_batch_size * 4)
        while (item := ready.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            chunked.append(item)
            for c in item[1]:
                if c.embed_hash not in seen:
                    seen.add(c.embed_hash)
                    pending[c.embed_hash] = c.embed_text
            if len(pending) >= step:
                self._embed(pending, len(seen))
                pending = {}
        self._embed(pending, len(seen))
        worker.join()
        return chunked

    def _load_one(self, state: _FileState) -> None:
        try:
            state.documents = load_file(Path(state.root) / state.rel, Path(state.root), self.limits)
        except DocumentError as exc:
            state.error = exc.reason
        if state.error:
            self.report.skipped.append({"path": state.rel, "reason": state.error})
            for bucket in (self.report.added, self.report.updated):
                if state.rel in bucket:
                    bucket.remove(state.rel)

    def _embed(self, wanted: dict[str, str], known: int) -> None:
        """Embed the passages (hash -> text) the cache does not hold yet, and cache them.
        ``known`` is how many distinct passages the build has seen so far (for progress)."""
        if not wanted:
            return
        cached = self._cached_hashes(list(wanted))
        # Longest first, so each model call pads little (as one big encode() call would).
        todo = sorted(((h, text) for h, text in wanted.items() if h not in cached), key=lambda ht: -len(ht[1]))
        self.report.chunks_reused += len(cached)
        if not todo:
            self.progress("embed", self.report.chunks_embedded + self.report.chunks_reused, known)
            return
        vectors = self.embedder.embed_passages([text for _, text in todo])
        rows = [(self.mkey, h, st.vector_to_blob(v)) for (h, _), v in zip(todo, vectors)]
        with st.write_transaction(self.db.conn):
            self.db.conn.executemany("INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?, ?, ?)", rows)
        self.report.chunks_embedded += len(todo)
        self.progress("embed", self.report.chunks_embedded + self.report.chunks_reused, known)

    def _cached_hashes(self, hashes: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(hashes), 500):
            part = hashes[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(
                h
                for (h,) in self.db.execute(
                    f"SELECT hash FROM embeddings WHERE model = ? AND hash IN ({marks})", [self.mkey, *part]
                )
            )
        return found

    def _commit(self, live, chunked, replaced_files, removed, file_states) -> int:
        """Write the new generation's FAISS file, then switch to it in one SQLite transaction: a
        crash before the commit leaves the previous generation live and the new file unreferenced."""
        prev = live.id if live else 0
        gen = self._next_id("generations")
        retired = self._retired(prev, set(replaced_files) | set(removed))
        rows = self._new_rows(chunked, gen)
        t = time.perf_counter()
        ids, faiss_path = self._write_faiss(prev, set(retired), rows["chunks"], gen)
        self.report.timings["faiss"] = time.perf_counter() - t
        self.progress("commit", 0, 1)
        started = _now()
        kept = (self.db.execute(f"SELECT COUNT(*) FROM documents d WHERE {st.live_clause()}", {"gen": prev})
                .fetchone()[0] if prev else 0)
        n_docs = kept - len(retired) + len(rows["documents"])
        with st.switch_transaction(self.db.conn):
            self._insert_rows(gen, rows, retired, removed, file_states)
            self._mark_live(gen, started, faiss_path, n_docs, len(ids))
        self.report.generation = gen
        self.progress("commit", 1, 1)
        return gen

    def _next_id(self, table: str) -> int:
        return (self.db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0] or 0) + 1

    def _retired(self, prev: int, gone: set) -> list[int]:
        """Rows of the live documents whose files changed or disappeared."""
        if not prev:
            return []
        return [doc_row for doc_row, root, file in self.db.execute(
            f"SELECT d.id, d.root, d.file FROM documents d WHERE {st.live_clause()}", {"gen": prev})
            if (root, file) in gone]

    def _new_rows(self, chunked, gen: int) -> dict[str, list[tuple]]:
        """The rows of the new and changed documents: documents, facets, chunks and their FTS rows."""
        next_doc, next_chunk = self._next_id("documents"), self._next_id("chunks")
        rows = {"documents": [], "facets": [], "chunks": [], "fts": []}
        for (state, doc), chunks in chunked:
            doc_row = next_doc
            next_doc += 1
            rows["documents"].append(document_row(doc_row, state.root, state.rel, doc, gen))
            rows["facets"].extend((doc_row, f, v) for f, v in facets(doc))
            for c in chunks:
                section = " > ".join(c.section)
                rows["chunks"].append((next_chunk, doc_row, c.chunk_id, c.ordinal, section, c.page, c.text,
                                       c.embed_hash))
                rows["fts"].append((next_chunk, doc.title, section, c.text))
                next_chunk += 1
        return rows

    def _write_faiss(self, prev: int, retired: set[int], chunk_rows: list[tuple], gen: int):
        """The new generation's vectors (kept chunks and new ones, all from the embedding cache)
        written atomically as its FAISS file; the chunk ids and the file's path."""
        ids, blobs = [], []
        if prev:
            for cid, doc_row, blob in self.db.execute(
                f"SELECT c.id, c.doc, e.vector FROM chunks c JOIN documents d ON d.id = c.doc "
                f"JOIN embeddings e ON e.model = :model AND e.hash = c.embed_hash WHERE {st.live_clause()} "
                f"ORDER BY c.id",
                {"gen": prev, "model": self.mkey},
            ):
                if doc_row not in retired:
                    ids.append(cid)
                    blobs.append(blob)
        new_hashes = [r[7] for r in chunk_rows]
        vectors_by_hash = self._vectors_for(new_hashes)
        ids.extend(r[0] for r in chunk_rows)
        blobs.extend(vectors_by_hash[h] for h in new_hashes)
        vectors = st.blob_to_vectors(blobs, self.embedder.dim)
        index = st.build_faiss(np.asarray(ids, dtype=np.int64), vectors, self.embedder.dim)
        faiss_path = self.store.faiss_path(gen)
        st.write_faiss_atomically(index, faiss_path)
        return ids, faiss_path

    def _insert_rows(self, gen: int, rows, retired: list[int], removed, file_states) -> None:
        conn = self.db.conn
        conn.executemany(
            "INSERT INTO documents (id, root, file, doc_id, source, title, kind, city, country, year, url, "
            "format, metadata, content_hash, gen_from, gen_to) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
            rows["documents"],
        )
        conn.executemany("INSERT INTO doc_facets (doc, facet, value) VALUES (?,?,?)", rows["facets"])
        conn.executemany(
            "INSERT INTO chunks (id, doc, chunk_id, ordinal, section, page, text, embed_hash) "
            "VALUES (?,?,?,?,?,?,?,?)",
            rows["chunks"],
        )
        conn.executemany("INSERT INTO chunks_fts (rowid, title, section, text) VALUES (?,?,?,?)", rows["fts"])
        conn.executemany("UPDATE documents SET gen_to = ? WHERE id = ?", [(gen, r) for r in retired])
        for root, rel in removed:
            conn.execute("DELETE FROM files WHERE root = ? AND path = ?", (root, rel))
        self._upsert_files(conn, file_states)

    def _mark_live(self, gen: int, started: str, faiss_path, n_docs: int, n_chunks: int) -> None:
        conn = self.db.conn
        conn.execute("UPDATE generations SET status = 'retired' WHERE status = 'live'")
        conn.execute(
            "INSERT INTO generations (id, status, started_at, finished_at, model, dim, faiss_file, documents, "
            "chunks, summary) VALUES (?, 'live', ?, ?, ?, ?, ?, ?, ?, ?)",
            (gen, started, _now(), self.embedder.name, self.embedder.dim, faiss_path.name, n_docs, n_chunks,
             st.dumps({k: v for k, v in self.report.to_dict().items() if k not in ("timings",)})),
        )
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('index_config', ?)", (st.dumps(self.config),))

    def _vectors_for(self, hashes: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ",".join("?" * len(part))
            for h, blob in self.db.execute(
                f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})", [self.mkey, *part]
            ):
                out[h] = blob
        return out

    def _record_files(self, states: list[_FileState]) -> None:
        if states:
            with st.write_transaction(self.db.conn):
                self._upsert_files(self.db.conn, states)

    @staticmethod
    def _upsert_files(conn, states: list[_FileState]) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO files (root, path, mtime_ns, size, sha256, error) VALUES (?,?,?,?,?,?)",
            [(s.root, s.rel, s.mtime_ns, s.size, s.sha256 or "", s.error) for s in states if s.sha256],
        )

    def _collect_garbage(self, gen: int) -> None:
        """Drop rows and files no kept generation needs. Safe to interrupt."""
        keep = max(1, self.settings.keep_generations)
        oldest = gen - keep + 1
        db = self.db
        with st.write_transaction(db.conn):
            doomed = [r for (r,) in db.execute("SELECT id FROM documents WHERE gen_to IS NOT NULL AND gen_to <= ?", [oldest])]
            for start in range(0, len(doomed), 500):
                part = doomed[start : start + 500]
                marks = ",".join("?" * len(part))
                db.execute(f"DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE doc IN ({marks}))", part)
                db.execute(f"DELETE FROM documents WHERE id IN ({marks})", part)
            db.execute("DELETE FROM generations WHERE id < ?", [oldest])
            db.execute(
                "DELETE FROM embeddings WHERE model = ? AND hash NOT IN (SELECT embed_hash FROM chunks)", [self.mkey]
            )
        wanted = {name for (name,) in db.execute("SELECT faiss_file FROM generations")}
        if self.store.faiss_dir.exists():
            for path in self.store.faiss_dir.iterdir():
                if path.name not in wanted:
                    path.unlink(missing_ok=True)

    def _summarise(self, live) -> None:
        if live is not None:
            self.report.documents = live.documents
            self.report.chunks = live.chunks


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
