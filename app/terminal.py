"""Text from the index, made safe to print on a terminal.

Titles, paths, snippets and answers come from knowledge files that anyone with commit access
writes. A control character in them (ESC starts a sequence that can rewrite the screen, the window
title or the clipboard; BEL, backspace, C1 controls) or a bidirectional override (which can make
text read differently from what it is) is printed visibly escaped, never raw.
"""

from __future__ import annotations

import re
from typing import Any

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_UNSAFE_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_BIDI}]")  # json.dumps already escapes the C0 controls


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def shown(value: Any, lines: bool = False) -> str:
    """``value`` as text to print: control characters and bidirectional overrides escaped
    (``\\x1b``, ``\\u202e``); tabs and line breaks become spaces unless ``lines`` keeps them
    (tabs and newlines; a carriage return is escaped)."""
    text = "" if value is None else str(value)
    if lines:
        return _UNSAFE.sub(_escape, text.replace("\r\n", "\n"))
    return _UNSAFE_ONE_LINE.sub(_escape, _LINE_BREAKS.sub(" ", text))


def json_shown(text: str) -> str:
    """JSON text from ``json.dumps(..., ensure_ascii=False)`` with C1 controls and bidirectional
    overrides written as ``\\u`` escapes too (still the same JSON)."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
