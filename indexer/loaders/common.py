"""Helpers shared by the format loaders.

Decoding with readable errors, whitespace normalisation, metadata
normalisation, table rendering and :func:`build_blocks`, which turns a stream
of headings and blocks into blocks that carry their section path.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.documents import KNOWN_FIELDS, LIST_FIELDS, Block, SourceDocument
from indexer.errors import DocumentError

_SPACES = re.compile(r"\s+")
_BOM = b"\xef\xbb\xbf"
_BULLET_LINE = re.compile(r"^\s*(?:[-*+•]|\d{1,9}[.)])\s+")
# Fields whose value is a plain string when present.
_STRING_FIELDS = ("kind", "city", "country", "url")


@dataclass(frozen=True)
class FileLimits:
    """Per-file limits of a build (UCC_MAX_FILE_MB, UCC_MAX_PAGES, UCC_MAX_PARAGRAPHS,
    UCC_MAX_PARSE_SECONDS): a file past one is skipped with the reason, the build goes on."""

    max_bytes: int = 32 << 20
    max_pages: int = 2000
    max_paragraphs: int = 100_000
    max_seconds: float = 60.0

    @classmethod
    def from_settings(cls, settings) -> FileLimits:
        return cls(max_bytes=int(settings.max_file_mb * (1 << 20)), max_pages=settings.max_pages,
                   max_paragraphs=settings.max_paragraphs, max_seconds=settings.max_parse_seconds)


@dataclass(frozen=True)
class FileContext:
    """The file being loaded: where it is, how it is named in the index, and its limits."""

    path: Path
    source: str
    limits: FileLimits = FileLimits()
    started: float = 0.0  # time.monotonic() when loading began; 0: no parse-time limit

    def check_time(self) -> None:
        """Raise once the file has taken longer than its parse-time limit (called in long loops)."""
        if self.started and time.monotonic() - self.started > self.limits.max_seconds:
            raise self.error(f"took longer than {self.limits.max_seconds:g} s to parse (UCC_MAX_PARSE_SECONDS)")

    def check_count(self, what: str, count: int, limit: int, setting: str) -> None:
        if count > limit:
            raise self.error(f"too many {what} ({count:,} > {limit:,}; {setting})")

    @property
    def stem(self) -> str:
        return self.path.stem

    def error(self, reason: str) -> DocumentError:
        return DocumentError(str(self.path), reason)


@dataclass(frozen=True)
class Heading:
    """A heading met while reading a document, before sections are assigned."""

    level: int
    text: str


# --------------------------------------------------------------------------- text


def decode_utf8(data: bytes, ctx: FileContext) -> str:
    """Decode UTF-8 (a BOM is accepted) with newlines normalised to ``\\n``."""
    offset = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = exc.start + offset
        raise ctx.error(f"not valid UTF-8 (byte 0x{data[at]:02x} at offset {at})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def require_text(text: str, ctx: FileContext) -> None:
    """Refuse a file that holds nothing but whitespace."""
    if not text.strip():
        raise ctx.error("no text (the file holds only whitespace)")


def squash(text: str) -> str:
    """Collapse every run of whitespace to one space and trim."""
    return _SPACES.sub(" ", text).strip()


def squash_lines(text: str) -> str:
    """Squash each line, dropping empty ones; the newlines between lines stay."""
    lines = (squash(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def join_lines(lines: Iterable[str]) -> str:
    """Join wrapped lines into a paragraph, keeping list items on their own lines."""
    out: list[str] = []
    for raw in lines:
        line = squash(raw)
        if not line:
            continue
        if out and not _BULLET_LINE.match(raw):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines, each normalised with :func:`join_lines`."""
    paragraphs = (join_lines(part.split("\n")) for part in re.split(r"\n[ \t]*\n", text))
    return [p for p in paragraphs if p]


def readable_stem(path: Path) -> str:
    """``card-sorting`` → ``Card sorting``."""
    words = squash(re.sub(r"[-_.]+", " ", path.stem))
    return words[:1].upper() + words[1:] if words else path.name


def first_words(text: str, limit: int = 80) -> str:
    """The first words of ``text``, at most ``limit`` characters, cut at a word boundary."""
    flat = squash(text)
    if len(flat) <= limit:
        return flat
    cut = flat[: limit + 1].rsplit(" ", 1)[0]
    return cut if cut and len(cut) <= limit else flat[:limit]


def title_key(text: str) -> str:
    return squash(text).casefold().rstrip(" .:")


def same_title(heading: str, title: str) -> bool:
    """True when a heading repeats the title (``Title | Site`` counts as the title)."""
    h, t = title_key(heading), title_key(title)
    if not h:
        return False
    if h == t:
        return True
    rest = t[len(h) :].lstrip() if t.startswith(h) else ""
    return bool(rest) and rest[0] in "|-–—:·"


# ----------------------------------------------------------------------- sections


def build_blocks(
    items: Iterable[Heading | Block], title: str, title_level: int | None = 1
) -> list[Block]:
    """Give each block the path of headings above it.

    The first heading of ``title_level`` (any level when None) is left out of
    the path when it repeats ``title``. Blocks without text are dropped.
    """
    stack: list[tuple[int, str]] = []
    first_seen = False
    blocks: list[Block] = []
    for item in items:
        if isinstance(item, Heading):
            text = squash(item.text)
            if not text:
                continue
            while stack and stack[-1][0] >= item.level:
                stack.pop()
            is_candidate = title_level is None or item.level == title_level
            if is_candidate and not first_seen:
                first_seen = True
                if same_title(text, title):
                    continue
            stack.append((item.level, text))
        elif item.text.strip():
            blocks.append(Block(item.text.strip(), tuple(t for _, t in stack), item.page))
    return blocks


def table_blocks(
    rows: list[list[str]], header: list[str] | None = None, max_rows: int = 10, max_chars: int = 1200
) -> list[str]:
    """Render table rows as ``a | b | c`` lines, grouped into paragraph-sized blocks.

    Every group after the first repeats the header row, so each block reads on its own.
    """
    head = " | ".join(squash(c) for c in header) if header and any(c.strip() for c in header) else ""
    lines = [squash(" | ".join(squash(c) for c in row)) for row in rows if any(c.strip() for c in row)]
    if not lines:
        return [head] if head else []
    groups: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if groups[-1] and (len(groups[-1]) >= max_rows or size + len(line) > max_chars):
            groups.append([])
            size = 0
        groups[-1].append(line)
        size += len(line)
    return ["\n".join(([head] if head else []) + group) for group in groups]


# ----------------------------------------------------------------------- metadata


def normalise_metadata(raw: Mapping[Any, Any]) -> dict[str, Any]:
    """Known fields normalised, everything else kept JSON-serialisable; ``title`` dropped."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key)
        if name.lower() in KNOWN_FIELDS:
            name = name.lower()
        if name == "title" or value is None:
            continue
        if name in LIST_FIELDS:
            out[name] = as_string_list(value)
        elif name == "year":
            out[name] = as_year(value)
        elif name in _STRING_FIELDS and isinstance(value, (str, int, float, bool)):
            out[name] = scalar_text(value)
        else:
            out[name] = jsonable(value)
    return out


def as_string_list(value: Any) -> list[str]:
    """A list of strings: a single value becomes a one-item list; numbers keep their digits."""
    items = value if isinstance(value, (list, tuple, set)) else [value]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        text = scalar_text(item) if not isinstance(item, (dict, list, tuple)) else str(jsonable(item))
        if text.strip():
            out.append(text.strip())
    return out


def split_list_cell(value: str, name: str) -> list[str]:
    """Split a one-cell list (CSV, HTML keywords): on ``;`` or ``|``, else on ``,``.

    ``sources`` is never split on commas, since a citation holds commas.
    """
    if re.search(r"[;|]", value):
        parts = re.split(r"[;|]", value)
    elif name != "sources":
        parts = value.split(",")
    else:
        parts = [value]
    return [squash(p) for p in parts if p.strip()]


def as_year(value: Any) -> Any:
    if isinstance(value, bool):
        return jsonable(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.year
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,6}\s*", value):
        return int(value)
    return jsonable(value)


def scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def jsonable(value: Any) -> Any:
    """``value`` with dates as ISO strings and containers turned into dicts and lists."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return scalar_text(value)


def single_document(ctx: FileContext, title: str, blocks: list[Block], metadata: Mapping[str, Any],
                    fmt: str) -> list[SourceDocument]:
    """The one document of a file that holds a single document (everything but CSV and JSONL)."""
    return [
        SourceDocument(
            doc_id=ctx.source,
            source=ctx.source,
            title=title,
            blocks=blocks,
            metadata=normalise_metadata(metadata),
            format=fmt,
        )
    ]
