"""Document loaders: files of the knowledge base to :class:`SourceDocument` lists.

    discover(root)          the supported files under ``root``, sorted
    load_file(path, root)   the documents in one file (CSV and JSONL: one per record)

``load_file`` raises :class:`~indexer.errors.DocumentError` for anything it
cannot read, and nothing else. One module per format does the parsing.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable
from pathlib import Path

from indexer.documents import SourceDocument
from indexer.errors import DocumentError
from indexer.loaders import beir, htmlpage, markdown, pdf, plain, tabular, word
from indexer.loaders.common import FileContext

__all__ = ["IGNORE_FILE", "SUPPORTED_SUFFIXES", "discover", "load_file"]

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


def load_file(path: Path, root: Path) -> list[SourceDocument]:
    """The documents in ``path``, named relative to ``root``. Raises only DocumentError."""
    path = Path(path)
    try:
        loader = LOADERS.get(path.suffix.lower())
        if loader is None:
            raise DocumentError(str(path), f"unsupported file type {path.suffix or '(no suffix)'!r}")
        ctx = FileContext(path=path, source=source_name(path, Path(root)))
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
    try:
        data = ctx.path.read_bytes()
    except OSError as exc:
        raise ctx.error(f"cannot read the file ({exc.strerror or exc})") from None
    if not data:
        raise ctx.error("empty file")
    return data


def discover(root: Path) -> list[Path]:
    """Every supported file under ``root``, sorted; hidden and ``.uccignore``d paths skipped."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise DocumentError(str(root), "no such file or folder")
    ignore = _IgnoreRules.read(root / IGNORE_FILE)
    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder)
        rel_folder = here.relative_to(root).as_posix()
        dirnames[:] = [
            d for d in dirnames if not d.startswith(".") and not ignore.matches(_join(rel_folder, d), is_dir=True)
        ]
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in LOADERS:
                continue
            if not ignore.matches(_join(rel_folder, name), is_dir=False):
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
