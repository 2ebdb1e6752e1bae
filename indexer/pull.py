"""Pulling a published generation into this host's data folder (``ucc pull``).

The source is a publication folder (:mod:`indexer.publish`), on a local or mounted path or at an
``http(s)://`` URL that serves it. A pull only reads from it and only writes inside
``UCC_DATA_DIR``:

1. ``LATEST`` names the generation folder (or ``--generation N`` does), and its ``manifest.json``
   is read (at most :data:`MAX_MANIFEST` bytes) and checked: a ucc backup manifest that lists
   exactly ``index.db`` and ``faiss/gen-N.index`` (a path with ``..``, an absolute path or any
   other file is refused, so is a symbolic link in a source folder), and an index built with the
   embedding model this host is configured with (name, dimension and passage prefix; the
   ONNX and PyTorch runtimes of one model count as the same, as for search).
2. When that manifest is the one this host pulled last and its generation is still live, nothing
   is done.
3. Otherwise the two files are copied into ``UCC_DATA_DIR/.pull-<random>/`` (each at most the
   size its manifest gives, with its SHA-256 checked; over HTTP every read has a timeout: see
   :mod:`indexer.publication`), and
   the copy is checked as ``ucc restore`` checks a backup: ``PRAGMA integrity_check``, the
   manifest's generation live in it, its FAISS file holding exactly the live chunk ids.
4. Then, holding the build lock as a build does, the FAISS file is renamed into ``faiss/`` and
   one SQLite transaction on the host's own ``index.db`` replaces the documents, chunks,
   full-text rows and file records with the published generation's, adds its cached vectors and
   marks it live. That commit is the switch, exactly as a build's: every running ``ucc serve``
   worker and the Slack bot read the live generation in each query's snapshot and load its FAISS
   file the first time they meet it, so they answer from the pulled index on their next query,
   with no restart. A query already running finishes on the previous generation, whose FAISS
   file stays (``UCC_KEEP_GENERATIONS``, as after a build).

Generation numbers on a host only grow, and one number always means one index (the assistant's
caches are keyed by it): the pulled generation keeps the build host's number when that is higher
than any this host has used (the usual case), else it takes the next free one (a roll-back with
``--generation``, a host that built its own index). ``meta.pulled`` in ``index.db`` records the
source, the build host's number and the manifest's SHA-256.

Anything that fails before the commit leaves the current index serving, unchanged; the partial
copy is deleted (or, after a crash, by the next pull). The service's own files (question log,
conversations, the Slack bot's state, the log salt) are never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import backup as bk
from . import store as st
from .build import build_lock, model_key
from .datafiles import INDEX_DB, PULL_STAGING
from .errors import PullError
from .publication import TIMEOUT, Progress, open_source
from .publish import GENERATION_DIR, LATEST, generation_dir
from .settings import Settings

MAX_MANIFEST = 1 << 20  # bytes
MAX_LATEST = 256
FAISS_FILE = re.compile(r"^faiss/gen-\d{6,}\.index$")


@dataclass
class PullReport:
    source: str
    generation: int  # the live generation on this host after the pull
    published_generation: int  # its number on the build host
    pulled: bool  # False: it was live here already, nothing was done
    previous: int | None  # the live generation before
    documents: int
    chunks: int
    bytes: int  # copied
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"pulled": self.pulled, "source": self.source, "generation": self.generation,
                "published_generation": self.published_generation, "previous": self.previous,
                "documents": self.documents, "chunks": self.chunks, "bytes": self.bytes,
                "seconds": round(self.seconds, 3)}


def pull(settings: Settings, src: str, generation: int | None = None, embedder=None,
         progress: Progress | None = None, timeout: float = TIMEOUT) -> PullReport:
    """Make the published generation in ``src`` (the newest, or ``generation``) live in
    ``settings.data_dir``; see the module's notes for every check."""
    started = time.perf_counter()
    source = open_source(src, timeout)
    folder = generation_dir(generation) if generation is not None else _latest(source)
    raw = source.read(f"{folder}/{bk.MANIFEST}", MAX_MANIFEST)
    manifest = _checked_manifest(raw, source.where(f"{folder}/{bk.MANIFEST}"), folder)
    if embedder is None:
        from .embedders import get_embedder

        embedder = get_embedder(settings)
    check_compatible(manifest["index_config"], embedder)
    digest = hashlib.sha256(raw).hexdigest()
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = st.Store(data_dir)
    try:
        with build_lock(store.lock_path):
            live = store.live_generation()
            last = _pulled_record(store) if live is not None else {}
            if last.get("manifest_sha256") == digest and last.get("local_generation") == live.id \
                    and (store.faiss_dir / live.faiss_file).is_file():
                return PullReport(source.name, live.id, manifest["generation"], False, live.id, live.documents,
                                  live.chunks, 0, time.perf_counter() - started)
            _remove_leftovers(data_dir)
            staging = data_dir / f"{PULL_STAGING}{secrets.token_hex(4)}"
            staging.mkdir(mode=0o700)
            try:
                copied = _download(source, folder, manifest, staging, progress)
                _verify(staging, manifest, embedder)
                record = {"source": source.name, "generation": manifest["generation"], "manifest_sha256": digest,
                          "pulled_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
                new = _swap_in(store, staging, manifest, record, max(1, int(settings.keep_generations)))
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    finally:
        store.close()
    return PullReport(source.name, new.id, manifest["generation"], True, live.id if live else None,
                      new.documents, new.chunks, copied, time.perf_counter() - started)


# --- checks ----------------------------------------------------------------------------------

def _latest(source) -> str:
    name = source.read(LATEST, MAX_LATEST).decode("ascii", "replace").strip()
    if not GENERATION_DIR.match(name):
        raise PullError(f"{source.where(LATEST)} does not name a generation folder ({name[:40]!r}); "
                        "is this a folder `ucc publish` wrote?")
    return name


def _checked_manifest(raw: bytes, where: str, folder: str) -> dict:
    try:
        manifest = bk.parse_manifest(raw, where)
    except bk.BackupError as exc:
        raise PullError(f"Refused: {exc.message}") from None
    gen = manifest.get("generation")
    if not isinstance(gen, int) or generation_dir(gen) != folder:
        raise PullError(f"Refused: {where} describes generation {gen!r}, not the one its folder is named for.")
    files = manifest["files"]
    faiss_file = manifest.get("faiss_file")
    if set(files) != {INDEX_DB, faiss_file} or not FAISS_FILE.match(str(faiss_file)):
        raise PullError(f"Refused: {where} lists {', '.join(sorted(map(str, files)))}; a published index holds "
                        f"exactly {INDEX_DB} and faiss/gen-N.index (a full backup goes back with `ucc restore`).")
    for rel, meta in files.items():
        if not (isinstance(meta, dict) and isinstance(meta.get("bytes"), int) and meta["bytes"] >= 0
                and isinstance(meta.get("sha256"), str) and re.fullmatch(r"[0-9a-f]{64}", meta["sha256"])):
            raise PullError(f"Refused: {where} gives no valid size and SHA-256 for {rel}.")
    if not isinstance(manifest.get("index_config"), dict):
        raise PullError(f"Refused: {where} does not record the index configuration (model, dimension); "
                        "publish it again with this version of ucc.")
    return manifest


def check_compatible(config: dict, embedder) -> None:
    """The index configuration a generation was built with must suit this host's embedder:
    the same model (either runtime), dimension and passage prefix, and the same schema."""
    if config.get("schema") != st.SCHEMA_VERSION:
        raise PullError(f"Refused: the index has schema {config.get('schema')!r}; this ucc reads {st.SCHEMA_VERSION}. "
                        "Run the same ucc version on the build host and here.")
    built = str(config.get("model", "")).split("+", 1)[0]
    here = str(getattr(embedder, "name", "")).split("+", 1)[0]
    if built != here or config.get("dim") != embedder.dim:
        raise PullError(f"Refused: the index was built with {built!r} ({config.get('dim')} dimensions) but this host "
                        f"is configured with {here!r} ({embedder.dim}); set UCC_EMBEDDING_MODEL as on the build host.")
    prefix = str(config.get("model_key", "")).rsplit("|", 1)[-1]
    if prefix != model_key(embedder).rsplit("|", 1)[-1]:
        raise PullError("Refused: the index was built with another UCC_PASSAGE_PREFIX than this host's; "
                        "set it (and UCC_QUERY_PREFIX) as on the build host.")


def _verify(staging: Path, manifest: dict, embedder) -> None:
    try:
        bk.check_database(staging / INDEX_DB, INDEX_DB)
        live = bk.live_generation(staging / INDEX_DB)
        if live is None or live["id"] != manifest["generation"]:
            raise PullError(f"Refused: index.db does not hold generation {manifest['generation']} live.")
        bk.check_faiss(staging / manifest["faiss_file"], live, staging / INDEX_DB)
    except bk.BackupError as exc:
        raise PullError(f"Refused: {exc.message}") from None
    check_compatible(live["index_config"] or {}, embedder)


def _pulled_record(store: st.Store) -> dict:
    row = store.db.execute("SELECT value FROM meta WHERE key = 'pulled'").fetchone()
    try:
        return json.loads(row[0]) if row else {}
    except ValueError:
        return {}


# --- copying ---------------------------------------------------------------------------------

def _download(source, folder: str, manifest: dict, staging: Path, progress: Progress | None) -> int:
    files = manifest["files"]
    total = sum(meta["bytes"] for meta in files.values())
    needed = total + files[INDEX_DB]["bytes"]  # the copy, then its rows in this host's index.db
    free = shutil.disk_usage(staging).free
    if needed > free:
        raise PullError(f"Not enough free disk in {staging.parent}: the pull needs about {needed / 1e6:.1f} MB, "
                        f"{free / 1e6:.1f} MB are free.")
    for rel, meta in files.items():
        target = staging / rel
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        digest, size = source.copy(f"{folder}/{rel}", target, meta["bytes"], progress)
        if size != meta["bytes"] or digest != meta["sha256"]:
            raise PullError(f"Refused: {source.where(folder + '/' + rel)} does not match its checksum in the manifest "
                            f"({size} bytes, the manifest says {meta['bytes']}); the current index keeps serving.")
    return total


# --- the switch ------------------------------------------------------------------------------

def _swap_in(store: st.Store, staging: Path, manifest: dict, record: dict, keep: int) -> st.Generation:
    """Rename the FAISS file into place and commit the published rows as the live generation."""
    conn = store.db.conn
    previous = st.live_generation(conn)
    newest = conn.execute("SELECT COALESCE(MAX(id), 0) FROM generations").fetchone()[0]
    published = manifest["generation"]
    new_id = published if published > newest else newest + 1
    target = store.faiss_path(new_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging / manifest["faiss_file"], target)
    st.fsync_path(target.parent)
    record = dict(record, local_generation=new_id)
    try:
        _import_rows(conn, staging / INDEX_DB, published, new_id, target.name,
                     previous.id if previous is not None and keep >= 2 else None, record)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    wanted = {name for (name,) in conn.execute("SELECT faiss_file FROM generations")}
    for path in store.faiss_dir.iterdir():
        if path.name not in wanted:
            path.unlink(missing_ok=True)
    return st.live_generation(conn)


_IMPORT = [
    "DELETE FROM main.chunks_fts",
    "DELETE FROM main.doc_facets",
    "DELETE FROM main.chunks",
    "DELETE FROM main.documents",
    "DELETE FROM main.files",
    "DELETE FROM main.generations WHERE id IS NOT :kept",
    "UPDATE main.generations SET status = 'retired'",
    "INSERT INTO main.documents (id, root, file, doc_id, source, title, kind, city, country, year, url, format, "
    "metadata, content_hash, gen_from, gen_to) SELECT d.id, d.root, d.file, d.doc_id, d.source, d.title, d.kind, "
    "d.city, d.country, d.year, d.url, d.format, d.metadata, d.content_hash, :new, NULL FROM pub.documents d "
    f"WHERE {st.live_clause('d').replace(':gen', ':pub')}",
    "INSERT INTO main.doc_facets (doc, facet, value) SELECT f.doc, f.facet, f.value FROM pub.doc_facets f "
    "WHERE f.doc IN (SELECT id FROM main.documents)",
    "INSERT INTO main.chunks (id, doc, chunk_id, ordinal, section, page, text, embed_hash) SELECT c.id, c.doc, "
    "c.chunk_id, c.ordinal, c.section, c.page, c.text, c.embed_hash FROM pub.chunks c "
    "WHERE c.doc IN (SELECT id FROM main.documents)",
    "INSERT INTO main.chunks_fts (rowid, title, section, text) SELECT f.rowid, f.title, f.section, f.text "
    "FROM pub.chunks_fts f WHERE f.rowid IN (SELECT id FROM main.chunks)",
    "INSERT INTO main.files (root, path, mtime_ns, size, sha256, error) SELECT root, path, mtime_ns, size, sha256, "
    "error FROM pub.files",
    "INSERT OR REPLACE INTO main.embeddings (model, hash, vector) SELECT e.model, e.hash, e.vector "
    "FROM pub.embeddings e WHERE e.model = (SELECT json_extract(value, '$.model_key') FROM pub.meta "
    "WHERE key = 'index_config') AND e.hash IN (SELECT embed_hash FROM main.chunks)",
    "INSERT INTO main.generations (id, status, started_at, finished_at, model, dim, faiss_file, documents, chunks, "
    "summary) SELECT :new, 'live', started_at, finished_at, model, dim, :faiss, documents, chunks, summary "
    "FROM pub.generations WHERE id = :pub",
    "INSERT OR REPLACE INTO main.meta (key, value) SELECT key, value FROM pub.meta WHERE key = 'index_config'",
    "INSERT OR REPLACE INTO main.meta (key, value) VALUES ('pulled', :record)",
]


def _import_rows(conn, db_path: Path, published: int, new_id: int, faiss_name: str, kept: int | None,
                 record: dict) -> None:
    """One transaction: the published generation's rows replace the host's, and become live."""
    params = {"pub": published, "new": new_id, "faiss": faiss_name, "kept": kept, "record": json.dumps(record)}
    conn.execute("ATTACH DATABASE ? AS pub", [str(db_path)])
    try:
        with st.switch_transaction(conn):  # the switch survives a power loss, as a build's
            for sql in _IMPORT:
                conn.execute(sql, params)
            live = st.live_generation(conn)
            if live is None or live.id != new_id:
                raise PullError(f"Generation {published} could not be made live here; the current index keeps serving.")
    finally:
        conn.execute("DETACH DATABASE pub")


def _remove_leftovers(data_dir: Path) -> None:
    """Copies of pulls that died half-way (called with the build lock held)."""
    for path in data_dir.glob(f"{PULL_STAGING}*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
