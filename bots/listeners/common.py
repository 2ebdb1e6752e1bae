"""What the listeners share: which messages are questions, and their text without mentions."""

from __future__ import annotations

import re

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
QUESTION_WORDS = ("who", "what", "which", "where", "when", "why", "how", "can", "could", "should", "is", "are",
                  "do", "does", "did", "any", "examples", "show", "tell", "find", "list")


def is_question(text: str | None) -> bool:
    """Question-like: ends with "?" or starts with a question word (used by channels in ``all`` mode)."""
    text = strip_mentions(text)
    if not text:
        return False
    first = text.split()[0].lower().strip(",.:;!")
    return text.rstrip().endswith("?") or first in QUESTION_WORDS


def strip_mentions(text: str | None) -> str:
    return " ".join(_MENTION.sub(" ", text or "").split())
