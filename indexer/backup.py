"""Online backups of a data directory, and restoring them.

A backup is a folder holding:

- every SQLite file, copied through SQLite's backup API (``Connection.backup`` in one step,
  so the copy is one consistent snapshot even while the service writes and ``ucc index``
  builds), then switched to a plain rollback journal so that each copy is one self-contained
  file;
- the FAISS file of the generation that is live *in the copied* ``index.db``, read after that
  snapshot was taken (the copy forgets the retired generations, whose files are not kept). A build running meanwhile may commit newer generations and its garbage
  collection may delete that file (it keeps ``UCC_KEEP_GENERATIONS``): the file is opened by
  name and then read from the open handle (an unlinked file stays readable), and if it is gone
  before it could be opened, the whole index snapshot is taken again;
- plain files the caller names (the question log's salt);
- ``manifest.json``, written last: format, version, creation time, the live generation (its id,
  model, dimension, build time, document and chunk counts), the index configuration it was built
  with (``meta.index_config``: model key, chunk size, schema), and the size and SHA-256 of every
  file.

With ``live_only`` (what :mod:`indexer.publish` ships to web hosts) the copied ``index.db`` keeps
only the live generation's rows and the cached vectors of its chunks, and is compacted.

The folder is assembled beside the destination and renamed into place, so a backup that died
half-way never looks complete. :func:`restore_backup` copies a backup into a folder beside the
data directory, checks every checksum, ``PRAGMA integrity_check`` of every database and that the
FAISS file holds exactly the live chunks, and only then swaps the folders (one atomic exchange
where Linux offers it, else two renames: a crash between them leaves no data directory and both
complete folders beside it, never a mix).
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import store as st
from .build import build_lock
from .datafiles import BUILD_LOCK, FAISS_DIR, INDEX_DB
from .store import fsync_path
from .errors import IndexNotBuilt, UccError

FORMAT = "ucc-backup"
VERSION = 1
MANIFEST = "manifest.json"
ATTEMPTS = 5  # index snapshots taken before giving up when builds keep deleting the live file
_BLOCK = 1 << 20


class BackupError(UccError):
    """A backup cannot be made, or cannot be trusted, or cannot be restored where asked."""

    status = 409


@dataclass
class BackupReport:
    path: str
    generation: int
    documents: int
    chunks: int
    files: list[dict] = field(default_factory=list)  # {"path", "bytes", "sha256"}
    attempts: int = 1  # index snapshots taken (more than one when a build raced the backup)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"backup": self.path, "generation": self.generation, "documents": self.documents,
                "chunks": self.chunks, "files": self.files, "bytes": sum(f["bytes"] for f in self.files),
                "attempts": self.attempts, "seconds": round(self.seconds, 3)}


@dataclass
class RestoreReport:
    data_dir: str
    source: str
    generation: int
    documents: int
    chunks: int
    files: int
    replaced: str | None = None  # where the previous contents of the data directory were moved
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"restored": self.data_dir, "from": self.source, "generation": self.generation,
                "documents": self.documents, "chunks": self.chunks, "files": self.files,
                "replaced": self.replaced, "seconds": round(self.seconds, 3)}


# --- backup ----------------------------------------------------------------------------------

def create_backup(data_dir: Path, dest: Path, databases: tuple[str, ...] = (),
                  files: tuple[str, ...] = (), live_only: bool = False) -> BackupReport:
    """Back up the index of ``data_dir`` and the named ``databases`` and ``files`` (names in
    ``data_dir``; those that do not exist are left out) into the new folder ``dest``. With
    ``live_only`` the index copy holds the live generation alone (see the module's notes)."""
    started = time.perf_counter()
    store = st.Store(data_dir)
    if not store.db_path.exists():
        raise IndexNotBuilt(f"{store.data_dir} holds no index to back up. Run `ucc index` first.")
    dest = Path(dest).expanduser().absolute()
    _check_destination(dest, store.data_dir)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".{dest.name}.partial-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    try:
        live, attempts = _snapshot_index(store, staging)
        if live_only:
            _keep_live_only(staging / INDEX_DB, live["id"])
        for name in databases:
            if (store.data_dir / name).is_file():
                _snapshot_sqlite(store.data_dir / name, staging / name)
        for name in files:
            if (store.data_dir / name).is_file():
                _copy(store.data_dir / name, staging / name)
        listed = [_describe(staging, path) for path in sorted(_files_under(staging))]
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "generation": live["id"],
            "faiss_file": f"faiss/{live['faiss_file']}",
            "model": live["model"],
            "dim": live["dim"],
            "finished_at": live["finished_at"],
            "index_config": live["index_config"],
            "documents": live["documents"],
            "chunks": live["chunks"],
            "databases": [INDEX_DB] + [n for n in databases if (staging / n).exists()],
            "files": {f["path"]: {"bytes": f["bytes"], "sha256": f["sha256"]} for f in listed},
        }
        _write_durably(staging / MANIFEST, json.dumps(manifest, indent=2).encode("utf-8"))
        _fsync_tree(staging)
        os.rename(staging, dest)  # onto a missing or empty folder
        fsync_path(dest.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BackupReport(str(dest), live["id"], live["documents"], live["chunks"], listed, attempts,
                        time.perf_counter() - started)


def _check_destination(dest: Path, data_dir: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists and is not an empty folder; give a new folder.")
    if dest.resolve().is_relative_to(data_dir.resolve()):
        raise BackupError(f"{dest} is inside the data directory {data_dir}; put backups elsewhere.")


def _snapshot_index(store: st.Store, staging: Path) -> tuple[dict, int]:
    """Copy index.db, then the FAISS file of the generation live in the copy.

    The generation files on disk are opened *before* the snapshot: a build that commits and
    collects the snapshot's generation before its file is read cannot take it away then (an
    unlinked file stays readable through an open handle). Only when that file appeared and
    vanished around the snapshot (builds faster than a snapshot) is the snapshot taken again.
    """
    faiss_dir = staging / FAISS_DIR
    for attempt in range(1, ATTEMPTS + 1):
        shutil.rmtree(faiss_dir, ignore_errors=True)
        handles = _open_generation_files(store.faiss_dir)
        try:
            _snapshot_sqlite(store.db_path, staging / INDEX_DB)
            live = live_generation(staging / INDEX_DB)
            if live is None:
                raise IndexNotBuilt(f"{store.data_dir} holds no live index generation. Run `ucc index` first.")
            name = live["faiss_file"]
            try:
                source = open(store.faiss_dir / name, "rb")  # noqa: SIM115 - closed below
            except FileNotFoundError:
                source = handles.pop(name, None)  # collected since: the handle opened before still reads it
            if source is None:
                continue  # written and collected around the snapshot: take it again
            faiss_dir.mkdir(mode=0o700)
            with source:
                _copy_from(source, faiss_dir / name)
        finally:
            for fh in handles.values():
                fh.close()
        check_faiss(faiss_dir / name, live, staging / INDEX_DB)
        with closing(sqlite3.connect(str(staging / INDEX_DB))) as conn, conn:
            # Only the live generation's file is in the backup: forget the retired ones (their
            # rows go at the next build's garbage collection, as always).
            conn.execute("DELETE FROM generations WHERE id != ?", [live["id"]])
        return live, attempt
    raise BackupError(f"The index changed {ATTEMPTS} times while it was being backed up; try again when "
                      "`ucc index` has finished.")


def _keep_live_only(db_path: Path, gen: int) -> None:
    """Drop every row the live generation ``gen`` does not need (retired documents and their
    chunks, vectors no live chunk uses), then compact the file."""
    live = {"gen": gen}
    dead_docs = f"SELECT d.id FROM documents d WHERE NOT ({st.live_clause()})"
    with closing(sqlite3.connect(str(db_path))) as conn:
        with conn:
            conn.execute(f"DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE doc IN ({dead_docs}))", live)
            conn.execute(f"DELETE FROM doc_facets WHERE doc IN ({dead_docs})", live)
            conn.execute(f"DELETE FROM chunks WHERE doc IN ({dead_docs})", live)
            conn.execute(f"DELETE FROM documents WHERE id IN ({dead_docs})", live)
            conn.execute("DELETE FROM embeddings WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.embed_hash = "
                         "embeddings.hash) OR model != (SELECT json_extract(value, '$.model_key') FROM meta "
                         "WHERE key = 'index_config')")
        conn.execute("VACUUM")


def _open_generation_files(faiss_dir: Path) -> dict:
    handles = {}
    for path in sorted(faiss_dir.glob("gen-*.index")) if faiss_dir.is_dir() else []:
        try:
            handles[path.name] = open(path, "rb")  # noqa: SIM115 - closed by the caller
        except FileNotFoundError:
            pass
    return handles


def _snapshot_sqlite(source: Path, target: Path) -> None:
    """One consistent copy of a live SQLite database (WAL included), as a single file."""
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(str(source), timeout=30)) as src, closing(sqlite3.connect(str(target))) as dst:
        src.execute("PRAGMA busy_timeout = 30000")
        src.backup(dst)  # pages=-1: every page in one step, under one read transaction
        dst.execute("PRAGMA journal_mode = DELETE")
    os.chmod(target, 0o600)


# --- checks ----------------------------------------------------------------------------------

def live_generation(db_path: Path) -> dict | None:
    """The live generation of the index in ``db_path`` and its live chunks as counted by rows."""
    with closing(sqlite3.connect(str(db_path))) as conn:
        gen = st.live_generation(conn)
        if gen is None:
            return None
        rows = conn.execute(f"SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.doc WHERE {st.live_clause()}",
                            {"gen": gen.id}).fetchone()[0]
        config = conn.execute("SELECT value FROM meta WHERE key = 'index_config'").fetchone()
    return {"id": gen.id, "faiss_file": gen.faiss_file, "model": gen.model, "dim": gen.dim,
            "finished_at": gen.finished_at, "documents": gen.documents, "chunks": gen.chunks, "chunk_rows": rows,
            "index_config": json.loads(config[0]) if config else None}


def check_faiss(path: Path, live: dict, db_path: Path) -> None:
    """The FAISS file must hold one vector per live chunk, under exactly the live chunks' ids."""
    import faiss
    import numpy as np

    index = faiss.read_index(str(path))
    if not index.ntotal == live["chunks"] == live["chunk_rows"]:
        raise BackupError(f"{path.name} holds {index.ntotal} vectors but generation {live['id']} has {live['chunks']} "
                          f"chunks ({live['chunk_rows']} chunk rows): the index files do not match.")
    with closing(sqlite3.connect(str(db_path))) as conn:
        rows = [r for (r,) in conn.execute(f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc "
                                          f"WHERE {st.live_clause()} ORDER BY c.id", {"gen": live["id"]})]
    ids = np.sort(faiss.vector_to_array(index.id_map)) if hasattr(index, "id_map") else None
    if ids is None or not np.array_equal(ids, np.asarray(rows, dtype=ids.dtype)):
        raise BackupError(f"{path.name} does not hold the chunk ids of generation {live['id']}: "
                          "the index files do not match.")


def check_database(path: Path, name: str) -> None:
    try:
        with closing(sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True)) as conn:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{name} in the backup is not a usable SQLite database ({exc}).") from None
    if result != ["ok"]:
        raise BackupError(f"{name} in the backup fails PRAGMA integrity_check: {'; '.join(result[:3])}")


def read_manifest(src: Path) -> dict:
    path = Path(src) / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BackupError(f"{src} is not a backup: it has no {MANIFEST} (a backup that did not finish has none).")
    except OSError as exc:
        raise BackupError(f"{path} cannot be read ({exc}); the backup is damaged.") from None
    return parse_manifest(data, str(path))


def parse_manifest(data: bytes, path: str) -> dict:
    """A manifest's content, checked: format, version, the index files listed, no unsafe path
    (absolute, ``..``, the manifest itself). ``path`` names it in the errors."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise BackupError(f"{path} cannot be read ({exc}); the backup is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a ucc backup manifest.")
    if manifest.get("version") != VERSION:
        raise BackupError(f"{path} has version {manifest.get('version')!r}; this ucc reads version {VERSION}.")
    listed = manifest.get("files")
    if not isinstance(listed, dict) or INDEX_DB not in listed or manifest.get("faiss_file") not in listed:
        raise BackupError(f"{path} does not list the index files; the backup is damaged.")
    for rel in listed:
        parts = Path(rel).parts
        if Path(rel).is_absolute() or ".." in parts or not parts or rel == MANIFEST:
            raise BackupError(f"{path} lists an unsafe path {rel!r}; refusing it.")
    return manifest


# --- restore ---------------------------------------------------------------------------------

def restore_backup(src: Path, data_dir: Path, force: bool = False) -> RestoreReport:
    """Check the backup in ``src`` completely, then make it the contents of ``data_dir``.
    A non-empty ``data_dir`` is refused unless ``force``; its contents are then moved beside it
    (``NAME.replaced-<time>``), not deleted."""
    started = time.perf_counter()
    src = Path(src).expanduser().absolute()
    data_dir = Path(data_dir).expanduser().absolute()
    manifest = read_manifest(src)
    if data_dir.exists() and not data_dir.is_dir():
        raise BackupError(f"{data_dir} is a file, not a data directory.")
    occupied = data_dir.exists() and any(data_dir.iterdir())
    if occupied and not force:
        raise BackupError(f"{data_dir} is not empty; stop the service and add --force to replace it "
                          "(its contents are kept beside it).")
    if src.resolve().is_relative_to(data_dir.resolve()) or data_dir.resolve().is_relative_to(src.resolve()):
        raise BackupError("The backup and the data directory must not contain each other.")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = data_dir.parent / f".{data_dir.name}.restore-{secrets.token_hex(4)}"
    try:
        staging.mkdir(mode=0o700)
    except OSError as exc:
        raise BackupError(f"Cannot create {staging} ({exc.strerror}): restoring needs write access to the folder "
                          "that holds the data directory.") from None
    try:
        for rel, meta in manifest["files"].items():
            _restore_file(src, staging, rel, meta)
        for name in manifest.get("databases", [INDEX_DB]):
            check_database(staging / name, name)
        live = live_generation(staging / INDEX_DB)
        if live is None or live["id"] != manifest.get("generation"):
            raise BackupError(f"index.db in the backup does not hold generation {manifest.get('generation')} live.")
        check_faiss(staging / FAISS_DIR / live["faiss_file"], live, staging / INDEX_DB)
        _fsync_tree(staging)
        replaced = _swap_in(staging, data_dir, occupied)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RestoreReport(str(data_dir), str(src), live["id"], live["documents"], live["chunks"],
                         len(manifest["files"]), replaced, time.perf_counter() - started)


def _restore_file(src: Path, staging: Path, rel: str, meta: dict) -> None:
    source = src / rel
    if not source.is_file():
        raise BackupError(f"{rel} is missing from the backup in {src}; nothing was restored.")
    target = staging / rel
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(source, "rb") as fh:
        digest, size = _copy_from(fh, target)
    if digest != meta.get("sha256") or size != meta.get("bytes"):
        raise BackupError(f"{rel} does not match its checksum in the manifest: the backup is damaged; "
                          "nothing was restored.")


def _swap_in(staging: Path, data_dir: Path, occupied: bool) -> str | None:
    """Put ``staging`` in the place of ``data_dir``; returns where the old contents went."""
    if not data_dir.exists():
        os.rename(staging, data_dir)
        fsync_path(data_dir.parent)
        return None
    if not occupied:
        os.rename(staging, data_dir)  # onto an empty folder
        fsync_path(data_dir.parent)
        return None
    aside = data_dir.parent / f"{data_dir.name}.replaced-{datetime.now().strftime('%Y%m%dT%H%M%S')}"
    while aside.exists():
        aside = aside.with_name(aside.name + "-" + secrets.token_hex(2))
    with build_lock(data_dir / BUILD_LOCK):  # refuses while a build runs on the old contents
        if _exchange(staging, data_dir):
            os.rename(staging, aside)  # staging now holds the old contents
        else:
            os.rename(data_dir, aside)
            os.rename(staging, data_dir)
    fsync_path(data_dir.parent)
    return str(aside)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE); False if unavailable."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


# --- files -----------------------------------------------------------------------------------

def _files_under(root: Path):
    for path in root.rglob("*"):
        if path.is_file():
            yield path


def _describe(root: Path, path: Path) -> dict:
    return {"path": path.relative_to(root).as_posix(), "bytes": path.stat().st_size, "sha256": st.sha256_file(path)}


def _copy(source: Path, target: Path) -> None:
    with open(source, "rb") as fh:
        _copy_from(fh, target)


def _copy_from(fh, target: Path) -> tuple[str, int]:
    """Copy an open file to ``target`` (mode 0600, fsynced); returns its SHA-256 and size."""
    h = hashlib.sha256()
    size = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            h.update(block)
            size += len(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest(), size


def _write_durably(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_tree(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            fsync_path(path)
        else:
            fsync_path(path)
