"""Publishing the live generation for web hosts to pull (``ucc publish``, ``ucc index --publish``).

A build host builds; web hosts only serve. Publishing writes the live generation of a data
folder into a *publication folder* that web hosts read, directly or over HTTP(S)
(:mod:`indexer.pull`)::

    DEST/
      LATEST                    "gen-000042\\n": the generation to pull, replaced atomically, last
      gen-000042/               one published generation, never changed once in place
        manifest.json           the backup manifest (indexer.backup): generation, model, dimension,
                                index configuration, size and SHA-256 of every file
        index.db                the live generation's rows and the cached vectors of its chunks
        faiss/gen-000042.index  its FAISS file
      gen-000041/               older ones, ``keep`` in all (the one LATEST names always kept)

Each generation folder is a backup of the index alone (:func:`indexer.backup.create_backup` with
``live_only``: one consistent snapshot while builds go on, checked FAISS file, manifest written
last, assembled under a hidden name and renamed into place), so ``ucc restore`` accepts it too.
Nothing else of the data folder is published: not the question log, conversations, the Slack
bot's state nor the log salt. What is published is readable by all (folders 0755, files 0644,
whatever the umask), for the web server that serves DEST.

Publishing a generation already in DEST is a no-op (the same number, build time and FAISS file
checksum). A folder of the same number that holds another build (a data folder rebuilt from
scratch numbers its generations from 1 again) is refused rather than overwritten.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import backup as bk
from . import store as st
from .errors import PublishError
from .store import fsync_path

LATEST = "LATEST"
GENERATION_DIR = re.compile(r"^gen-(\d{6,})$")
DEFAULT_KEEP = 3


def generation_dir(generation: int) -> str:
    """The folder name of a published generation (``gen-000042``)."""
    return f"gen-{int(generation):06d}"


@dataclass
class PublishReport:
    path: str  # the publication folder
    generation: int
    folder: str  # gen-NNNNNN inside it
    published: bool  # False when this generation was there already
    documents: int
    chunks: int
    bytes: int
    removed: list[str]  # older generation folders deleted (beyond ``keep``)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"published": self.published, "path": self.path, "generation": self.generation,
                "folder": self.folder, "documents": self.documents, "chunks": self.chunks, "bytes": self.bytes,
                "removed": self.removed, "seconds": round(self.seconds, 3)}


def publish(data_dir: Path, dest: Path, keep: int = DEFAULT_KEEP) -> PublishReport:
    """Publish the live generation of ``data_dir`` into the publication folder ``dest`` (created
    if missing), point ``LATEST`` at it, and keep the newest ``keep`` generation folders."""
    started = time.perf_counter()
    if keep < 1:
        raise PublishError("Keep at least one published generation (--keep 1 or more).")
    dest = Path(dest).expanduser().absolute()
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"{dest} is a file; give a folder to publish into.")
    data_dir = Path(data_dir).expanduser().absolute()
    if dest.resolve().is_relative_to(data_dir.resolve()) or data_dir.resolve().is_relative_to(dest.resolve()):
        raise PublishError(f"{dest} and the data directory {data_dir} must not contain each other.")
    dest.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(dest)
    store = st.Store(data_dir)
    try:
        live = store.require_live()
    finally:
        store.close()
    manifest = _published_manifest(dest, live.id)
    if manifest is not None and _identity(manifest) == (live.finished_at,
                                                        _sha256_or_none(store.faiss_dir / live.faiss_file)):
        published = False  # already there: only LATEST and retention below
    else:
        manifest, published = _publish_snapshot(data_dir, dest)
    folder = generation_dir(manifest["generation"])
    _write_latest(dest, folder)
    removed = _retain(dest, keep, folder)
    size = sum(int(f["bytes"]) for f in manifest["files"].values())
    return PublishReport(str(dest), manifest["generation"], folder, published, manifest["documents"],
                         manifest["chunks"], size, removed, time.perf_counter() - started)


def _publish_snapshot(data_dir: Path, dest: Path) -> tuple[dict, bool]:
    """Snapshot the live generation under a hidden name, then rename it to its generation's
    folder (the snapshot may have caught a generation a build committed meanwhile)."""
    hidden = dest / f".publishing-{secrets.token_hex(4)}"
    try:
        report = bk.create_backup(data_dir, hidden, live_only=True)
    except bk.BackupError as exc:
        raise PublishError(f"Cannot publish: {exc.message}") from None
    try:
        manifest = bk.read_manifest(hidden)
        target = dest / generation_dir(report.generation)
        existing = _published_manifest(dest, report.generation)
        if existing is not None:
            if _identity(existing) != _identity(manifest):
                raise PublishError(
                    f"{target} holds another build's generation {report.generation} (built "
                    f"{existing.get('finished_at')}, the live one {manifest.get('finished_at')}): this data folder "
                    "was rebuilt from scratch. Publish into a new folder, or remove the old generations.")
            return existing, False
        if target.exists():  # a folder without a readable manifest: not ours to replace silently
            raise PublishError(f"{target} exists but holds no readable manifest; remove it and publish again.")
        _make_readable(hidden)
        os.rename(hidden, target)
        fsync_path(dest)
        return manifest, True
    finally:
        shutil.rmtree(hidden, ignore_errors=True)


def _identity(manifest: dict) -> tuple:
    """What tells one build's generation from another of the same number: its build time and
    the SHA-256 of its FAISS file (written once, never changed)."""
    faiss_file = manifest["files"].get(manifest.get("faiss_file"), {})
    return manifest.get("finished_at"), faiss_file.get("sha256")


def _sha256_or_none(path: Path) -> str | None:
    try:
        return st.sha256_file(path)
    except OSError:  # collected by a build meanwhile: the snapshot below settles it
        return None


def _published_manifest(dest: Path, generation: int) -> dict | None:
    folder = dest / generation_dir(generation)
    if not folder.is_dir() or folder.is_symlink():
        return None
    try:
        return bk.read_manifest(folder)
    except bk.BackupError:
        return None


def _make_readable(folder: Path) -> None:
    """Folders 0755, files 0644 whatever the umask: a web server on the build host serves them
    (they hold the knowledge base's text and vectors, nothing of the service's users)."""
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def _write_latest(dest: Path, folder: str) -> None:
    """Replace ``LATEST`` atomically (a reader sees the old name or the new one, whole)."""
    st.write_file_atomically(dest / LATEST, folder + "\n", mode=0o644)


def _retain(dest: Path, keep: int, latest: str) -> list[str]:
    """Delete generation folders beyond the newest ``keep`` (never the one LATEST names)."""
    found = sorted((int(m.group(1)), p.name) for p in dest.iterdir()
                   if (m := GENERATION_DIR.match(p.name)) and p.is_dir() and not p.is_symlink())
    kept = {name for _, name in found[-keep:]} | {latest}
    removed = [name for _, name in found if name not in kept]
    for name in removed:
        shutil.rmtree(dest / name, ignore_errors=True)
    return removed


def _remove_leftovers(dest: Path) -> None:
    """Hidden folders and files of a publish that died half-way (never a generation folder)."""
    for path in dest.iterdir():
        if path.name.startswith((".publishing-", "..publishing-", f".{LATEST}.")):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
