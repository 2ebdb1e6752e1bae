"""Text helpers that the index and the assistant share (app/ imports them; indexer/ imports no app/)."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents, for comparing names and words: "Göteborg" -> "goteborg",
    "Mataró" -> "mataro", "Acompaña" -> "acompana", "Straße" -> "strasse"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))
