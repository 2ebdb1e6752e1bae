"""Document loaders: files of the knowledge base to :class:`SourceDocument` lists.

    discover(root, on_skip)        the supported files under ``root``, sorted
    load_file(path, root, limits)  the documents in one file (CSV and JSONL: one per record)

``load_file`` raises :class:`~indexer.errors.DocumentError` for anything it
cannot read, and nothing else. One module per format does the parsing.

Nothing outside the folder being indexed is ever read: a link is followed only when its target
lies inside that folder (links to folders are not followed at all); a link that leaves it, a
broken link, a link loop, a name that is not valid UTF-8 or holds control characters, and anything
that is not a regular file are skipped with the reason. Files are opened without following a
final link (``O_NOFOLLOW``) and refused past :class:`FileLimits`.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from indexer.documents import SourceDocument
from indexer.errors import DocumentError
from indexer.loaders import beir, htmlpage, markdown, pdf, plain, tabular, word
from indexer.loaders.common import FileContext, FileLimits

__all__ = ["IGNORE_FILE", "SUPPORTED_SUFFIXES", "FileLimits", "discover", "display_name", "load_file"]

Loader = Callable[[bytes, FileContext], list[SourceDocument]]

LOADERS: dict[str, Loader] = {
    ".md": markdown.load,
    ".markdown": markdown.load,
    ".html": htmlpage.load,
    ".htm": htmlpage.load,
    ".pdf": pdf.load,
    ".docx": word.load,
    ".txt": plain.load,
    ".csv": tabular.load,
    ".jsonl": beir.load,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(LOADERS)
IGNORE_FILE = ".uccignore"


def load_file(path: Path, root: Path, limits: FileLimits | None = None) -> list[SourceDocument]:
    """The documents in ``path``, named relative to ``root``. Raises only DocumentError."""
    path = Path(path)
    try:
        loader = LOADERS.get(path.suffix.lower())
        if loader is None:
            raise DocumentError(str(path), f"unsupported file type {path.suffix or '(no suffix)'!r}")
        problem = path_problem(path, Path(root))
        if problem:
            raise DocumentError(str(path), problem)
        ctx = FileContext(path=path, source=source_name(path, Path(root)), limits=limits or FileLimits(),
                          started=time.monotonic())
        data = _read(ctx)
        return loader(data, ctx)
    except DocumentError:
        raise
    except Exception as exc:  # the promise: nothing but DocumentError leaves a loader
        raise DocumentError(str(path), f"could not parse: {str(exc)[:200] or type(exc).__name__}") from exc


def source_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as a POSIX string; the file name when root is the file."""
    if root.is_file() or path == root:
        return path.name
    for base, target in ((root, path), (root.resolve(), path.resolve())):
        try:
            return target.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.name


def _read(ctx: FileContext) -> bytes:
    """The file's bytes, read from its real path without following a final link, within the size limit."""
    limit = ctx.limits.max_bytes
    try:
        fd = os.open(ctx.path.resolve(strict=True), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ctx.error("not a regular file")
            if info.st_size > limit:
                raise ctx.error(f"too large ({info.st_size:,} bytes > {limit:,}; UCC_MAX_FILE_MB)")
            data = handle.read(limit + 1)
    except (OSError, RuntimeError) as exc:
        raise ctx.error(f"cannot read the file ({getattr(exc, 'strerror', None) or exc})") from None
    if len(data) > limit:  # grew while being read
        raise ctx.error(f"too large (> {limit:,} bytes; UCC_MAX_FILE_MB)")
    if not data:
        raise ctx.error("empty file")
    return data


def display_name(name: str) -> str:
    """``name`` safe to print and store: undecodable bytes and control characters escaped."""
    raw = os.fsencode(name)
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(c if unicodedata.category(c) not in ("Cc", "Cf") else f"\\x{ord(c):02x}" for c in text)


def name_problem(name: str) -> str | None:
    """Why a file or folder name cannot be indexed, or None."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not valid UTF-8"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return "the file name holds control characters"
    return None


def path_problem(path: Path, root: Path) -> str | None:
    """Why ``path`` must not be read when indexing ``root``, or None: a broken link, a link loop,
    a link (anywhere on the way) to outside ``root``, or something that is not a regular file."""
    try:
        real = path.resolve(strict=True)
    except RuntimeError:
        return "a symbolic link loop"
    except FileNotFoundError:
        return "a broken symbolic link" if path.is_symlink() else "cannot read the file (no such file)"
    except OSError as exc:
        return f"cannot be resolved ({exc.strerror or exc})"
    try:
        real_root = root.resolve(strict=True)
    except (OSError, RuntimeError):
        return "the indexed folder cannot be resolved"
    if real_root.is_dir() and not real.is_relative_to(real_root):
        return "a symbolic link to outside the indexed folder (not followed)"
    if real_root.is_file() and real != real_root:
        return "a symbolic link to another file (not followed)"
    try:
        if not stat.S_ISREG(real.stat().st_mode):
            return "not a regular file"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return None


Skip = Callable[[str, str], None]


def discover(root: Path, on_skip: Skip | None = None) -> list[Path]:
    """Every supported file under ``root`` that is safe to read, sorted; hidden and ``.uccignore``d
    paths left out silently, unsafe ones (see the module docstring) reported to ``on_skip(rel, reason)``."""
    root = Path(root)
    skip = on_skip or (lambda rel, reason: None)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise DocumentError(str(root), "no such file or folder")
    ignore = _IgnoreRules.read(root / IGNORE_FILE)
    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(root, onerror=lambda e: skip(
            display_name(os.path.relpath(e.filename, root)) if e.filename else ".",
            f"cannot list the folder ({e.strerror or e})")):
        here = Path(folder)
        rel_folder = here.relative_to(root).as_posix()
        kept = []
        for d in dirnames:
            rel = _join(rel_folder, d)
            if d.startswith(".") or ignore.matches(rel, is_dir=True):
                continue
            problem = name_problem(d) or ("a symbolic link to a folder (not followed)"
                                          if os.path.islink(here / d) else None)
            if problem:
                skip(display_name(rel) + "/", problem)
            else:
                kept.append(d)
        dirnames[:] = kept
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in LOADERS:
                continue
            rel = _join(rel_folder, name)
            if ignore.matches(rel, is_dir=False):
                continue
            problem = name_problem(name) or path_problem(here / name, root)
            if problem:
                skip(display_name(rel), problem)
            else:
                found.append(here / name)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"


class _IgnoreRules:
    """Glob patterns from ``.uccignore``: relative to root; ``dir/`` ignores a folder.

    A pattern without a ``/`` (other than a trailing one) also matches a name at
    any depth, as in ``.gitignore``; a leading ``/`` anchors it to the root.
    """

    def __init__(self, patterns: list[str]):
        self.patterns = patterns

    @classmethod
    def read(cls, path: Path) -> _IgnoreRules:
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            return cls([])
        return cls([s for s in (line.strip() for line in lines) if s and not s.startswith("#")])

    def matches(self, rel: str, is_dir: bool) -> bool:
        return any(self._match(pattern, rel, is_dir) for pattern in self.patterns)

    @staticmethod
    def _match(pattern: str, rel: str, is_dir: bool) -> bool:
        if pattern.endswith("/"):
            if not is_dir:
                return False
            pattern = pattern.rstrip("/")
        anchored = pattern.startswith("/") or "/" in pattern
        pattern = pattern.lstrip("/")
        if fnmatch.fnmatchcase(rel, pattern):
            return True
        return not anchored and fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pattern)
