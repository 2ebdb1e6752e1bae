"""Markdown to readable text with markdown-it-py (CommonMark), and whole-file clean-ups.

:func:`parser` is the one markdown-it-py parser of the Markdown loader: CommonMark with raw HTML
allowed, plus GFM tables and strikethrough. :func:`inline_text` reads the inline tokens of a
paragraph, list item, heading or table cell: links keep their text, images go, emphasis and code
markers go, HTML tags go (an inline element such as ``<span>`` leaves nothing, a block element
such as ``<p>`` a space; ``<city>``, no HTML element, stays), entities and backslash escapes are
decoded by the parser, kramdown attribute lists (``{: .class}``) go. Inline code is literal:
``<name>`` inside backticks is kept as written.

Replacing the former line-based reader changed no block of the 70 pages of knowledge/ nor of the
66 Markdown files of the shared corpora (compared block by block); loading those 136 files took
712 ms against 688 ms (best of 5), the parser being linear.

:func:`strip_file_noise` drops what is not Markdown and never shows on the page, before parsing:
HTML comments, Jekyll/Liquid tags and comments, style and script elements.
"""

from __future__ import annotations

import functools
import re
from typing import Iterable

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from indexer.loaders.common import squash

_HTML_NAMES = frozenset(
    "a abbr address article aside audio b bdi bdo big blockquote body br button canvas caption center cite "
    "code col colgroup dd del details dfn dialog div dl dt em embed fieldset figcaption figure font footer "
    "form h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label legend li link main "
    "mark meta nav noscript object ol optgroup option p picture pre q s samp script section select small "
    "source span strike strong style sub summary sup svg table tbody td template textarea tfoot th thead "
    "time tr tt u ul var video wbr".split()
)
_INLINE_NAMES = frozenset(
    "a abbr b bdi bdo big cite code del dfn em font i ins kbd mark q s samp small span strike "
    "strong sub sup time tt u var wbr".split()
)
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_LIQUID_COMMENT = re.compile(r"{%-?\s*comment\s*-?%}.*?(?:{%-?\s*endcomment\s*-?%}|\Z)", re.DOTALL)
# No match may run past the next opening, so unclosed tags cost linear time.
_LIQUID = re.compile(r"{%(?:(?!{%).)*?%}|{{(?:(?!{{).)*?}}", re.DOTALL)
_RAW_ELEMENTS = re.compile(
    r"^[ \t]*<(style|script)\b[^>]*>(?:(?!<(?:style|script)\b).)*?</\1\s*>",
    re.DOTALL | re.IGNORECASE | re.MULTILINE,
)
_ATTRIBUTES = re.compile(r"\{[:#][^}\n]*\}")


@functools.cache
def parser() -> MarkdownIt:
    """CommonMark with raw HTML, GFM tables and strikethrough (made once, on first use); a
    ``check_time`` callable in the parse's ``env`` is called before each paragraph's inline
    content is parsed (:func:`_inline_rule`)."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.core.ruler.at("inline", _inline_rule)
    return md


def _inline_rule(state: StateCore) -> None:
    """markdown-it-py's own inline rule, with the file's parse-time limit checked between
    paragraphs (UCC_MAX_PARSE_SECONDS): inline parsing is linear but pure Python, about 25 µs a
    character on the worst input measured (a run of ``[``), so a hostile file is stopped at the
    limit rather than parsed to the end."""
    check_time = state.env.get("check_time")
    for token in state.tokens:
        if token.type == "inline":
            if check_time is not None:
                check_time()
            if token.children is None:
                token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)


def strip_file_noise(text: str) -> str:
    """Drop what never shows on the page: comments, Liquid tags, style and script elements."""
    text = text.replace("\x00", "")
    text = _COMMENT.sub(_keep_newlines, text)
    text = _LIQUID_COMMENT.sub(_keep_newlines, text)
    text = _LIQUID.sub(_keep_newlines, text)
    return _RAW_ELEMENTS.sub(_keep_newlines, text)


def _keep_newlines(match: re.Match[str]) -> str:
    """Replace a match with blank lines when it spans lines, so paragraphs stay apart."""
    return "\n\n" if "\n" in match.group(0) else ""


def inline_text(tokens: Iterable[Token]) -> str:
    """Readable text of the inline tokens of one paragraph, list item, heading or table cell."""
    parts: list[str] = []
    for token in tokens:
        kind = token.type
        if kind in ("text", "text_special"):
            parts.append(_ATTRIBUTES.sub("", token.content))
        elif kind == "code_inline":
            parts.append(squash(token.content))
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "html_inline":
            parts.append(_tag_replacement(token.content))
        # images go with their alt text; link, emphasis and strikethrough markers leave nothing
    return squash("".join(parts))


def strip_inline(text: str) -> str:
    """Readable text of a short piece of Markdown read as inline content (a title, a summary)."""
    text = text.replace("\x00", "")
    tokens = parser().parseInline(text)
    return inline_text(tokens[0].children or []) if tokens else ""


def _tag_replacement(html: str) -> str:
    """An HTML tag's stand-in: nothing for an inline element, a space for a block element; a
    tag of no HTML element (``<city>`` in a sentence) is kept as written."""
    name = _TAG_NAME.match(html)
    if name is None:
        return ""
    name = name.group(1).lower()
    if name not in _HTML_NAMES:
        return html
    return "" if name in _INLINE_NAMES else " "
