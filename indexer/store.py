"""The on-disk index: one SQLite database and one FAISS file per generation.

SQLite (WAL, busy timeout) holds files, documents, chunks, an FTS5 table for
BM25, the embedding cache and the build generations. Document rows are
versioned: a row is part of generation G when ``gen_from <= G`` and
(``gen_to`` is NULL or ``gen_to > G``). A build writes its FAISS file beside
the live one (``faiss/gen-000042.index``, via a temporary file, fsync and
``os.replace``), then commits every SQLite change and the switch of the live
generation in one transaction. A build killed before that commit leaves the
previous generation live and complete; its orphan file is removed by the next
build.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import sqlite_utils

from .datafiles import BUILD_LOCK, FAISS_DIR, INDEX_DB
from .errors import IndexNotBuilt

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS generations (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,            -- live | retired
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    model TEXT NOT NULL,
    dim INTEGER NOT NULL,
    faiss_file TEXT NOT NULL,
    documents INTEGER NOT NULL,
    chunks INTEGER NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS files (
    root TEXT NOT NULL,
    path TEXT NOT NULL,              -- relative to root
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    error TEXT,                      -- why it was skipped, if it was
    PRIMARY KEY (root, path)
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    root TEXT NOT NULL,
    file TEXT NOT NULL,              -- the file it came from, relative to root
    doc_id TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT, city TEXT, country TEXT, year INTEGER, url TEXT,
    format TEXT NOT NULL,
    metadata TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    gen_from INTEGER NOT NULL,
    gen_to INTEGER
);
CREATE INDEX IF NOT EXISTS documents_live ON documents (gen_to, gen_from);
CREATE INDEX IF NOT EXISTS documents_file ON documents (root, file);
CREATE TABLE IF NOT EXISTS doc_facets (
    doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    facet TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS doc_facets_lookup ON doc_facets (facet, value);
CREATE INDEX IF NOT EXISTS doc_facets_doc ON doc_facets (doc);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,          -- the FAISS id
    doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    chunk_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    section TEXT NOT NULL,
    page INTEGER,
    text TEXT NOT NULL,
    embed_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc);
CREATE INDEX IF NOT EXISTS chunks_embed ON chunks (embed_hash);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
    title, section, text, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, hash)
);
"""

# Multi-valued fields that filters can use, stored one value a row in doc_facets: the one list of
# filter names (search, the API, the console and Slack channel defaults use it; so do the CLI's options,
# through search's check).
FACETS = ("city", "country", "kind", "principle", "subindicator", "year", "tag")
# A filter may also be named in the plural ("cities": ["ghent", "espoo"]).
FACET_PLURALS = {"cities": "city", "countries": "country", "kinds": "kind", "principles": "principle",
                 "subindicators": "subindicator", "years": "year", "tags": "tag"}
# The document metadata field each facet is read from (list-valued fields are plural).
FACET_FIELDS = {"city": "city", "country": "country", "kind": "kind", "year": "year",
                "principles": "principle", "subindicators": "subindicator", "tags": "tag"}


@dataclass(frozen=True)
class Generation:
    id: int
    faiss_file: str
    model: str
    dim: int
    documents: int
    chunks: int
    finished_at: str


_LIVE_GENERATIONS = ("SELECT id, faiss_file, model, dim, documents, chunks, finished_at FROM generations "
                     "WHERE status = 'live' ORDER BY id DESC")


def live_generations(conn) -> list[Generation]:
    """Every generation marked live in an open index (an ``sqlite3`` or ``sqlite_utils``
    connection), newest first: one, or none before the first build; more only in a damaged index."""
    return [Generation(*row) for row in conn.execute(_LIVE_GENERATIONS).fetchall()]


def live_generation(conn) -> Generation | None:
    """The live generation of an open index, or None before the first build."""
    row = conn.execute(_LIVE_GENERATIONS + " LIMIT 1").fetchone()
    return Generation(*row) if row else None


def connect(path: Path, timeout_ms: int = 10_000, durable: bool = False) -> sqlite_utils.Database:
    """Open an SQLite file with a busy timeout (set first) and WAL. Every commit survives a
    crash of the process; with ``durable`` (``synchronous=FULL``) it also survives a power loss
    or an OS crash, at the cost of an fsync per commit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=timeout_ms / 1000, check_same_thread=False, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn)


class ThreadConnections:
    """One connection per thread to one SQLite file (see :func:`connect`), its ``schema`` (an SQL
    script, or a function given the connection) run on each first open. ``path`` may name the
    folder: ``file`` is then the file inside it. The service's stores (search, question log,
    conversations, console sessions, sign-in throttle, Slack state) share it; the builder uses
    :class:`Store`; the integrity check and backups open files their own way, as they must not
    create or change anything."""

    def __init__(self, path: str | Path, file: str, schema: str | Callable[[sqlite_utils.Database], None],
                 timeout_ms: int = 5000, durable: bool = False):
        path = Path(path)
        self.path = path / file if path.suffix == "" and (path.is_dir() or not path.exists()) else path
        self.schema = schema
        self.timeout_ms = timeout_ms
        self.durable = durable
        self._local = threading.local()

    def get(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path, timeout_ms=self.timeout_ms, durable=self.durable)
            if callable(self.schema):
                self.schema(db)
            else:
                db.conn.executescript(self.schema)
            self._local.db = db
        return db

    def is_open(self) -> bool:
        """Whether this thread has its connection already."""
        return getattr(self._local, "db", None) is not None

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None


def ensure_schema(db: sqlite_utils.Database) -> None:
    row = None
    if "meta" in db.table_names():
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row and int(row[0]) == SCHEMA_VERSION:
        return
    db.conn.executescript(_SCHEMA)
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


class Store:
    """Paths and read access to one data directory's index."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.db_path = self.data_dir / INDEX_DB
        self.faiss_dir = self.data_dir / FAISS_DIR
        self.lock_path = self.data_dir / BUILD_LOCK
        self._db: sqlite_utils.Database | None = None

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = connect(self.db_path)
            ensure_schema(self._db)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.conn.close()
            self._db = None

    def exists(self) -> bool:
        return self.db_path.exists()

    def live_generation(self) -> Generation | None:
        if not self.exists():
            return None
        return live_generation(self.db)

    def require_live(self) -> Generation:
        gen = self.live_generation()
        if gen is None:
            raise IndexNotBuilt("No index has been built yet. Run `ucc index` first.")
        return gen

    def faiss_path(self, generation: int) -> Path:
        return self.faiss_dir / f"gen-{generation:06d}.index"

    def read_faiss(self, gen: Generation):
        import faiss

        path = self.faiss_dir / gen.faiss_file
        if not path.exists():
            raise IndexNotBuilt(f"The index file for generation {gen.id} is missing. Run `ucc index` to rebuild it.")
        return faiss.read_index(str(path))


def fsync_path(path: Path) -> None:
    """Flush a file, or a folder's entries (after a rename into it), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def switch_transaction(conn) -> Iterator[None]:
    """The one write transaction that switches the live generation (a build's commit, a pull):
    the write lock taken first (``BEGIN IMMEDIATE``), rolled back on any error, and committed with
    ``synchronous=FULL`` so that the switch survives a power loss (``NORMAL`` again afterwards)."""
    conn.execute("PRAGMA main.synchronous = FULL")
    try:
        with write_transaction(conn):
            yield
    finally:
        conn.execute("PRAGMA main.synchronous = NORMAL")


@contextmanager
def write_transaction(conn) -> Iterator[None]:
    """A write transaction with the write lock taken first (``BEGIN IMMEDIATE``): committed at the
    end of the block, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def write_file_atomically(path: Path, data: bytes | str, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, whole, even
    after a crash: a unique temporary file in the same folder, fsync, ``os.replace``, fsync of the
    folder. ``mode`` is the new file's permission bits (0o644 for files a web server serves)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            out.flush()
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_faiss_atomically(index, final: Path) -> None:
    """Write beside the target, fsync, rename into place, fsync the folder."""
    import faiss

    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(final.name + ".tmp")
    faiss.write_index(index, str(tmp))
    fsync_path(tmp)
    os.replace(tmp, final)
    fsync_path(final.parent)


def build_faiss(ids: np.ndarray, vectors: np.ndarray, dim: int):
    """Exact inner-product search over normalised vectors; FAISS ids are chunk row ids."""
    import faiss

    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
    return index


def vector_to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def blob_to_vectors(blobs: list[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dim)


def live_clause(alias: str = "d") -> str:
    """SQL that keeps the document rows of generation ``:gen``."""
    return f"{alias}.gen_from <= :gen AND ({alias}.gen_to IS NULL OR {alias}.gen_to > :gen)"


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
