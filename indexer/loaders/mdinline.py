"""Markdown inline markup to readable text, and whole-file clean-ups.

Links keep their text, images go, emphasis and code markers go, HTML tags and
comments go, Jekyll/Liquid tags go. Inline code is literal: ``<name>`` inside
backticks is kept as written.
"""

from __future__ import annotations

import html
import re

from indexer.loaders.common import squash

_HTML_NAMES = (
    "a|abbr|address|article|aside|audio|b|bdi|bdo|big|blockquote|body|br|button|canvas|caption|"
    "center|cite|code|col|colgroup|dd|del|details|dfn|dialog|div|dl|dt|em|embed|fieldset|"
    "figcaption|figure|font|footer|form|h[1-6]|head|header|hgroup|hr|html|i|iframe|img|input|ins|"
    "kbd|label|legend|li|link|main|mark|meta|nav|noscript|object|ol|optgroup|option|p|picture|pre|"
    "q|s|samp|script|section|select|small|source|span|strike|strong|style|sub|summary|sup|svg|"
    "table|tbody|td|template|textarea|tfoot|th|thead|time|tr|tt|u|ul|var|video|wbr"
)
_INLINE_NAMES = frozenset(
    "a abbr b bdi bdo big cite code del dfn em font i ins kbd mark q s samp small span strike "
    "strong sub sup time tt u var wbr".split()
)
# Attributes may not hold "<": each match attempt then stops at the next tag, keeping this linear.
TAG = re.compile(rf"</?({_HTML_NAMES})\b[^<>]*>", re.IGNORECASE)

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_LIQUID_COMMENT = re.compile(r"{%-?\s*comment\s*-?%}.*?(?:{%-?\s*endcomment\s*-?%}|\Z)", re.DOTALL)
# No match may run past the next opening, so unclosed tags cost linear time.
_LIQUID = re.compile(r"{%(?:(?!{%).)*?%}|{{(?:(?!{{).)*?}}", re.DOTALL)
_RAW_ELEMENTS = re.compile(
    r"^[ \t]*<(style|script)\b[^>]*>(?:(?!<(?:style|script)\b).)*?</\1\s*>",
    re.DOTALL | re.IGNORECASE | re.MULTILINE,
)

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_IMAGE = re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])")
_LINK = re.compile(
    r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"\(\s*(?:<[^>]*>|(?:[^()\s]|\([^()\s]*\))*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REF_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>", re.IGNORECASE)
_ATTRIBUTES = re.compile(r"\{[:#][^}\n]*\}")
# The emphasised text may not hold its own marker, so each attempt stops at the next one.
_EMPHASIS = (
    re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*"),
    re.compile(r"(?<!\w)__(?=\S)((?:[^_]|_(?!_))+?)(?<=\S)__(?!\w)"),
    re.compile(r"\*(?=\S)([^*]+?)(?<=\S)\*"),
    re.compile(r"(?<!\w)_(?=\S)([^_]+?)(?<=\S)_(?!\w)"),
    re.compile(r"~~(?=\S)((?:[^~]|~(?!~))+?)(?<=\S)~~"),
)
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")


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


def strip_inline(text: str) -> str:
    """Readable text of one paragraph, list item, heading or table cell."""
    protected: list[str] = []

    def protect(value: str) -> str:
        protected.append(value)
        return f"\x00{len(protected) - 1}\x00"

    text = text.replace("\x00", "")
    text = _CODE_SPAN.sub(lambda m: protect(squash(m.group(2))), text)
    text = _ESCAPE.sub(lambda m: protect(m.group(1)), text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = TAG.sub(_tag_replacement, text)
    text = _ATTRIBUTES.sub("", text)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    text = html.unescape(text)
    text = _PLACEHOLDER.sub(lambda m: protected[int(m.group(1))], text)
    return squash(text)


def _tag_replacement(match: re.Match[str]) -> str:
    return "" if match.group(1).lower() in _INLINE_NAMES else " "


def is_tag_only(line: str) -> bool:
    """True for a line made only of HTML tags, like ``<section class="x">`` or ``</div>``."""
    return bool(TAG.search(line)) and not TAG.sub("", line).strip()
