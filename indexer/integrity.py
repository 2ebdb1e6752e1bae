"""Is a data directory consistent? Checks of the index and of the service's SQLite files.

:func:`check_data_dir` reads (never repairs) ``UCC_DATA_DIR`` and returns an
:class:`IntegrityReport`:

- ``index.db``: ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check``; the FTS5 index's own
  integrity check and one FTS row for every chunk row; exactly one live generation whose document
  and chunk counts match its rows; no rows of a generation newer than the live one; a cached vector
  for every live chunk (the next build takes kept chunks' vectors from the cache);
- the live generation's FAISS file: present, readable, ``ntotal`` equal to the live chunk count,
  the same dimension, and its ids exactly the live chunk row ids;
- every other ``*.db`` in the folder (``questions.db``, ``conversations.db``, ``slack-events.db``):
  ``PRAGMA integrity_check``.

Errors make the report fail. What a build leaves when it is interrupted and cleans up on its next
run (temporary FAISS files, a written but uncommitted generation file, generations beyond
``UCC_KEEP_GENERATIONS``) is reported as a warning; so is a missing file of a retired generation.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import store as st
from .datafiles import INDEX_DB
from .settings import Settings


@dataclass(frozen=True)
class Finding:
    level: str  # error | warning
    where: str  # the file it is about, relative to the data directory
    message: str

    def to_dict(self) -> dict:
        return {"level": self.level, "where": self.where, "message": self.message}

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


@dataclass
class IntegrityReport:
    data_dir: str
    generation: int | None = None  # the live generation
    documents: int | None = None  # its document rows
    chunks: int | None = None  # its chunk rows
    faiss_vectors: int | None = None  # ntotal of its FAISS file
    databases: dict[str, str] = field(default_factory=dict)  # file -> "ok" or what is wrong
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def error(self, where: str, message: str) -> None:
        self.findings.append(Finding("error", where, message))

    def warn(self, where: str, message: str) -> None:
        self.findings.append(Finding("warning", where, message))

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "data_dir": self.data_dir,
            "generation": self.generation,
            "documents": self.documents,
            "chunks": self.chunks,
            "faiss_vectors": self.faiss_vectors,
            "databases": self.databases,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
        }


def check_integrity(settings: Settings) -> IntegrityReport:
    """:func:`check_data_dir` for ``UCC_DATA_DIR`` and ``UCC_KEEP_GENERATIONS``."""
    return check_data_dir(settings.data_dir, settings.keep_generations)


def check_data_dir(data_dir: Path, keep_generations: int = 2) -> IntegrityReport:
    data_dir = Path(data_dir)
    report = IntegrityReport(str(data_dir))
    if not data_dir.is_dir():
        report.error(str(data_dir), "the data directory does not exist")
        return report
    store = st.Store(data_dir)
    if not store.db_path.exists():
        report.error(INDEX_DB, "no index has been built yet (run `ucc index`)")
    else:
        _check_index(store, max(1, int(keep_generations)), report)
    for path in sorted(data_dir.glob("*.db")):
        if path.name != INDEX_DB:
            _check_sqlite_file(path, report)
    return report


def _open(path: Path) -> sqlite3.Connection:
    """A plain connection: no schema is created, nothing is written."""
    conn = sqlite3.connect(str(path), timeout=10, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _integrity(conn: sqlite3.Connection) -> str:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return "ok" if rows == ["ok"] else "; ".join(str(r) for r in rows[:5])


def _check_sqlite_file(path: Path, report: IntegrityReport) -> None:
    try:
        conn = _open(path)
        try:
            result = _integrity(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        result = f"cannot be read: {exc}"
    report.databases[path.name] = result
    if result != "ok":
        report.error(path.name, f"PRAGMA integrity_check: {result}")


def _check_index(store: st.Store, keep: int, report: IntegrityReport) -> None:
    try:
        conn = _open(store.db_path)
    except sqlite3.Error as exc:
        report.databases[INDEX_DB] = f"cannot be read: {exc}"
        report.error(INDEX_DB, f"cannot be opened: {exc}")
        return
    try:
        conn.execute("BEGIN")  # one snapshot, even while a build commits
        try:
            result = _integrity(conn)
            report.databases[INDEX_DB] = result
            if result != "ok":
                report.error(INDEX_DB, f"PRAGMA integrity_check: {result}")
                return
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = {"meta", "generations", "files", "documents", "doc_facets", "chunks", "chunks_fts",
                       "embeddings"} - tables
            if missing:
                report.error(INDEX_DB, f"tables missing: {', '.join(sorted(missing))}")
                return
            _check_rows(conn, report)
            live = _check_generations(conn, keep, report)
            if live is not None:
                _check_live(conn, store, live, report)
            _check_faiss_folder(conn, store, report)
        finally:
            conn.execute("COMMIT")
        _check_fts(conn, report)
    except sqlite3.Error as exc:
        report.error(INDEX_DB, f"cannot be read: {exc}")
    finally:
        conn.close()


def _check_rows(conn: sqlite3.Connection, report: IntegrityReport) -> None:
    dangling = conn.execute("PRAGMA foreign_key_check").fetchall()
    if dangling:
        tables = sorted({r[0] for r in dangling})
        report.error(INDEX_DB, f"{len(dangling)} rows point to missing documents (in {', '.join(tables)})")
    no_fts = conn.execute(
        "SELECT COUNT(*) FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM chunks_fts f WHERE f.rowid = c.id)"
    ).fetchone()[0]
    fts_only = conn.execute(
        "SELECT COUNT(*) FROM chunks_fts f WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = f.rowid)"
    ).fetchone()[0]
    if no_fts:
        report.error(INDEX_DB, f"{no_fts} chunks have no full-text row (BM25 cannot find them)")
    if fts_only:
        report.error(INDEX_DB, f"{fts_only} full-text rows belong to no chunk")


def _check_fts(conn: sqlite3.Connection, report: IntegrityReport) -> None:
    """FTS5's own check that its index matches its rows. It is a write statement (it changes
    nothing), so it runs outside the read snapshot and waits while a build commits."""
    try:
        conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('integrity-check')")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            report.warn(INDEX_DB, "the full-text index was not checked: a build held the database")
        else:
            report.error(INDEX_DB, f"the full-text index fails its integrity check: {exc}")
    except sqlite3.Error as exc:
        report.error(INDEX_DB, f"the full-text index fails its integrity check: {exc}")


def _check_generations(conn: sqlite3.Connection, keep: int, report: IntegrityReport) -> st.Generation | None:
    rows = st.live_generations(conn)
    kept = conn.execute("SELECT COUNT(*) FROM generations").fetchone()[0]
    if not rows:
        report.error(INDEX_DB, "no live generation" + (" (generations exist but none is live)" if kept else
                                                        "; no index has been built yet (run `ucc index`)"))
        return None
    if len(rows) > 1:
        report.error(INDEX_DB, f"{len(rows)} generations are marked live: {', '.join(str(r.id) for r in rows)}")
    live = rows[0]
    newest = conn.execute("SELECT MAX(id) FROM generations").fetchone()[0]
    if newest != live.id:
        report.error(INDEX_DB, f"generation {newest} is newer than the live generation {live.id}")
    if kept > keep:
        report.warn(INDEX_DB, f"{kept} generations are kept, UCC_KEEP_GENERATIONS={keep} "
                              "(an interrupted clean-up; the next build finishes it)")
    ahead = conn.execute("SELECT COUNT(*) FROM documents WHERE gen_from > ?", [live.id]).fetchone()[0]
    if ahead:
        report.error(INDEX_DB, f"{ahead} document rows belong to a generation after the live one ({live.id})")
    return live


def _check_live(conn: sqlite3.Connection, store: st.Store, live: st.Generation, report: IntegrityReport) -> None:
    report.generation = live.id
    params = {"gen": live.id}
    documents = conn.execute(f"SELECT COUNT(*) FROM documents d WHERE {st.live_clause()}", params).fetchone()[0]
    chunk_ids = [cid for (cid,) in conn.execute(
        f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc WHERE {st.live_clause()} ORDER BY c.id", params
    )]
    report.documents, report.chunks = documents, len(chunk_ids)
    if documents != live.documents:
        report.error(INDEX_DB, f"generation {live.id} records {live.documents} documents but has {documents}")
    if len(chunk_ids) != live.chunks:
        report.error(INDEX_DB, f"generation {live.id} records {live.chunks} chunks but has {len(chunk_ids)}")
    config = conn.execute("SELECT value FROM meta WHERE key = 'index_config'").fetchone()
    model_key = json.loads(config[0]).get("model_key") if config else None
    if model_key is None:
        report.error(INDEX_DB, "the index configuration (meta.index_config) is missing")
    else:
        uncached = conn.execute(
            f"SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.doc WHERE {st.live_clause()} AND NOT EXISTS "
            "(SELECT 1 FROM embeddings e WHERE e.model = :model AND e.hash = c.embed_hash)",
            dict(params, model=model_key),
        ).fetchone()[0]
        if uncached:
            report.error(INDEX_DB, f"{uncached} live chunks have no cached vector (the next build would drop them)")
    _check_faiss(store, live, chunk_ids, report)


def _check_faiss(store: st.Store, live: st.Generation, chunk_ids: list[int], report: IntegrityReport) -> None:
    import faiss
    import numpy as np

    path = store.faiss_dir / live.faiss_file
    where = f"faiss/{live.faiss_file}"
    if not path.exists():
        report.error(where, f"the FAISS file of the live generation {live.id} is missing")
        return
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        report.error(where, f"cannot be read: {str(exc).strip().splitlines()[-1][:200]}")
        return
    report.faiss_vectors = int(index.ntotal)
    if index.ntotal != len(chunk_ids):
        report.error(where, f"holds {index.ntotal} vectors; the live generation has {len(chunk_ids)} chunks")
    if index.d != live.dim:
        report.error(where, f"vectors have {index.d} dimensions; the generation records {live.dim}")
    if hasattr(index, "id_map") and index.ntotal == len(chunk_ids):
        ids = np.sort(faiss.vector_to_array(index.id_map))
        if not np.array_equal(ids, np.asarray(chunk_ids, dtype=ids.dtype)):
            report.error(where, "its vector ids are not the live generation's chunk row ids")


def _check_faiss_folder(conn: sqlite3.Connection, store: st.Store, report: IntegrityReport) -> None:
    wanted = dict(conn.execute("SELECT faiss_file, id FROM generations"))
    for name, gen in wanted.items():
        if not (store.faiss_dir / name).exists() and gen != report.generation:
            report.warn(f"faiss/{name}", f"the file of retired generation {gen} is missing")
    if not store.faiss_dir.is_dir():
        return
    for path in sorted(store.faiss_dir.iterdir()):
        if path.name in wanted:
            continue
        if path.name.endswith(".tmp"):
            report.warn(f"faiss/{path.name}", "a temporary file of an interrupted build (the next build removes it)")
        else:
            report.warn(f"faiss/{path.name}", "belongs to no kept generation: left by an interrupted build or "
                                             "written by a build running now (the next build removes it)")
