"""Markdown (with Jekyll-style YAML front matter) to a :class:`SourceDocument`.

A small line-based reader, enough for knowledge-base pages: ATX and setext
headings, paragraphs, lists (one block per list), fenced code, block quotes,
pipe tables and HTML tables (rows as ``a | b`` lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from bs4 import BeautifulSoup

from indexer.documents import Block, SourceDocument
from indexer.loaders.common import (
    FileContext,
    Heading,
    build_blocks,
    decode_utf8,
    readable_stem,
    single_document,
    require_text,
    squash,
    table_blocks,
)
from indexer.loaders.htmlpage import html_table_blocks
from indexer.loaders.mdinline import is_tag_only, strip_file_noise, strip_inline

# Front-matter fields that hold the page's summary, best first.
SUMMARY_FIELDS = ("lead", "what", "summary", "description", "excerpt")
SECOND_SUMMARY_FIELDS = ("why",)

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_ITEM = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*)|$)")
_HTML_ITEM = re.compile(r"^(\s*)<li\b[^>]*>(.*)$", re.IGNORECASE)
_TASK = re.compile(r"^\[[ xX]\]\s+")
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
_REF_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-*:?\s*)*\|?\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def load(data: bytes, ctx: FileContext) -> list[SourceDocument]:
    text = decode_utf8(data, ctx)
    require_text(text, ctx)
    front, body = split_front_matter(text, ctx)
    fm_title = front.get("title")
    title_hint = strip_inline(str(fm_title)) if fm_title is not None else ""
    parser = _Parser(strip_file_noise(body).split("\n"))
    parser.run()
    title = title_hint or parser.first_h1 or readable_stem(ctx.path)
    items: list[Heading | Block] = [Block(s) for s in _summaries(front, parser)]
    blocks = build_blocks(items + parser.items, title)
    if not blocks:
        raise ctx.error("no text (nothing but front matter and markup)")
    return single_document(ctx, title, blocks, front, "markdown")


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases: ``*name`` can make a few lines of front matter stand for
    billions of values ("billion laughs"), and front matter has no use for them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, f"aliases (*{event.anchor}) are not allowed",
                                              event.start_mark)
        return super().compose_node(parent, index)


def split_front_matter(text: str, ctx: FileContext) -> tuple[dict[str, Any], str]:
    """The YAML mapping between a first ``---`` line and the next, and the rest of the file."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise ctx.error("front matter is not closed (no second --- line)")
    try:
        data = yaml.load("\n".join(lines[1:end]), Loader=_FrontMatterLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise ctx.error(f"front matter is not valid YAML: {_yaml_problem(exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ctx.error(f"front matter is not a mapping (it is {_yaml_kind(data)})")
    return data, "\n".join(lines[end + 1 :])


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
    if mark is None:
        return problem
    return f"line {mark.line + 2}: {problem}"  # +1 for 1-based, +1 for the opening ---


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, (int, float)):
        return "a number"
    return f"a {type(value).__name__}"


def _summaries(front: dict[str, Any], parser: _Parser) -> list[str]:
    """The page summary from front matter (``lead``, ``what``, ``description``…), cleaned."""
    out: list[str] = []
    for names in (SUMMARY_FIELDS, SECOND_SUMMARY_FIELDS):
        value = next((front[n] for n in names if isinstance(front.get(n), str) and front[n].strip()), None)
        if value is None:
            continue
        text = squash(" ".join(strip_inline(p) for p in strip_file_noise(value).split("\n\n")))
        if text and not parser.contains(text):
            out.append(text)
    return out


@dataclass
class _ListItem:
    indent: int
    marker: str
    text: str


@dataclass
class _Parser:
    """Reads Markdown lines into headings and blocks (``items``)."""

    lines: list[str]
    items: list[Heading | Block] = field(default_factory=list)
    first_h1: str = ""
    _para: list[str] = field(default_factory=list)
    _quote: list[str] = field(default_factory=list)
    _list: list[_ListItem] = field(default_factory=list)
    _blank_in_list: bool = False

    def contains(self, text: str) -> bool:
        return any(isinstance(i, Block) and text in i.text for i in self.items[:3])

    def run(self) -> None:
        i = 0
        while i < len(self.lines):
            i = self._step(i)
        self._flush()

    def _step(self, i: int) -> int:
        line = self.lines[i]
        stripped = line.strip()
        if _FENCE.match(line):
            self._flush()
            return self._code(i)
        if not stripped:
            self._blank()
            return i + 1
        if self._list and self._blank_in_list and not self._continues_list(line):
            self._flush()
        if stripped.lower().startswith("<table"):
            self._flush()
            return self._html_table(i)
        if self._heading(line):
            return i + 1
        if _THEMATIC.match(line) or is_tag_only(stripped) or _REF_DEFINITION.match(line):
            self._flush()
            return i + 1
        if self._table_starts(i):
            self._flush()
            return self._pipe_table(i)
        self._text_line(line)
        return i + 1

    # -- block kinds ------------------------------------------------------------

    def _heading(self, line: str) -> bool:
        setext = _SETEXT.match(line)
        if setext and self._para and not self._list and not self._quote:
            text, self._para = " ".join(self._para), []
            self._add_heading(1 if setext.group(1).startswith("=") else 2, text)
            return True
        atx = _ATX.match(line)
        if atx:
            self._flush()
            self._add_heading(len(atx.group(1)), atx.group(2) or "")
            return True
        return False

    def _add_heading(self, level: int, raw: str) -> None:
        text = strip_inline(raw)
        if not text:
            return
        if level == 1 and not self.first_h1:
            self.first_h1 = text
        self.items.append(Heading(level, text))

    def _code(self, i: int) -> int:
        fence = _FENCE.match(self.lines[i]).group(1)  # type: ignore[union-attr]
        body: list[str] = []
        j = i + 1
        while j < len(self.lines) and not self.lines[j].strip().startswith(fence):
            body.append(self.lines[j].rstrip())
            j += 1
        code = "\n".join(body).strip("\n")
        if code.strip():
            self.items.append(Block(code))
        return j + 1

    def _html_table(self, i: int) -> int:
        j = i
        while j < len(self.lines) - 1 and "</table" not in self.lines[j].lower():
            j += 1
        fragment = "\n".join(self.lines[i : j + 1])
        table = BeautifulSoup(fragment, "lxml").find("table")
        if table is not None:
            self.items.extend(Block(text) for text in html_table_blocks(table))
        return j + 1

    def _table_starts(self, i: int) -> bool:
        stripped = self.lines[i].strip()
        if stripped.startswith("|") and stripped.count("|") >= 2:
            return True
        nxt = self.lines[i + 1] if i + 1 < len(self.lines) else ""
        return "|" in stripped and "|" in nxt and "-" in nxt and bool(_DELIMITER_ROW.match(nxt))

    def _pipe_table(self, i: int) -> int:
        rows: list[list[str]] = []
        header: list[str] | None = None
        j = i
        while j < len(self.lines) and self.lines[j].strip() and "|" in self.lines[j]:
            line = self.lines[j]
            if _DELIMITER_ROW.match(line) and "-" in line:
                if header is None and len(rows) == 1:
                    header = rows.pop()
            else:
                rows.append(_cells(line))
            j += 1
        self.items.extend(Block(text) for text in table_blocks(rows, header))
        return j

    def _text_line(self, line: str) -> None:
        item = _list_item(line)
        quote = _QUOTE.match(line)
        if item and not self._quote:
            self._flush_para()
            self._list.append(item)
            self._blank_in_list = False
        elif quote and not self._list:
            self._flush_para()
            self._quote.append(quote.group(1))
        elif self._list:
            self._list[-1].text += " " + line.strip()
            self._blank_in_list = False
        elif self._quote:
            self._quote.append(line.strip())  # lazy continuation
        else:
            self._para.append(line.strip())

    def _continues_list(self, line: str) -> bool:
        indent = len(line) - len(line.lstrip())
        return _list_item(line) is not None or indent >= 2

    def _blank(self) -> None:
        if self._list:
            self._blank_in_list = True
        else:
            self._flush()

    # -- flushing ---------------------------------------------------------------

    def _flush(self) -> None:
        self._flush_para()
        if self._quote:
            self.items.append(Block(strip_inline(" ".join(self._quote))))
            self._quote = []
        if self._list:
            self.items.append(Block(_render_list(self._list)))
            self._list = []
        self._blank_in_list = False

    def _flush_para(self) -> None:
        if self._para:
            self.items.append(Block(strip_inline(" ".join(self._para))))
            self._para = []


def _list_item(line: str) -> _ListItem | None:
    """A Markdown list item, or an HTML ``<li>`` line read as a bullet."""
    item = _ITEM.match(line)
    if item:
        indent, marker, text = item.group(1), item.group(2), item.group(3) or ""
    else:
        html_item = _HTML_ITEM.match(line)
        if not html_item:
            return None
        indent, marker, text = html_item.group(1), "-", html_item.group(2)
    return _ListItem(len(indent.expandtabs(4)), marker, _TASK.sub("", text.strip()))


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [strip_inline(c) for c in _CELL_SPLIT.split(inner)]


def _render_list(items: list[_ListItem]) -> str:
    """One line per item, ``- `` for bullets, renumbered ``1.`` for ordered items, nesting indented."""
    lines: list[str] = []
    indents: list[int] = []
    numbers: list[int | None] = []
    for item in items:
        while indents and item.indent < indents[-1]:
            indents.pop()
            numbers.pop()
        if not indents or item.indent > indents[-1]:
            indents.append(item.indent)
            numbers.append(None)
        text = strip_inline(item.text)
        if not text:
            continue
        depth = len(indents) - 1
        lines.append("  " * depth + _marker(item.marker, numbers) + " " + text)
    return "\n".join(lines)


def _marker(marker: str, numbers: list[int | None]) -> str:
    if not marker[0].isdigit():
        numbers[-1] = None
        return "-"
    previous = numbers[-1]
    numbers[-1] = previous + 1 if previous is not None else int(marker[:-1])
    return f"{numbers[-1]}."
