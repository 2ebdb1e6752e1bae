"""Link targets from the knowledge base: one rule for every face.

A knowledge entry's ``url`` (front matter, CSV) is written by anyone who commits to the knowledge
folder, and is shown by the widget, the console, the session packs and the Slack bot. Only an
absolute ``http``/``https`` URL with a host and without spaces or control characters becomes a
link anywhere: no ``javascript:``, ``data:``, ``file:`` or app schemes, no protocol-relative
``//host``. The widget applies the same rule in JavaScript (``safeUrl`` in app/web/static/widget.js).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

_HTTP = re.compile(r"https?://[^\s\x00-\x1f\x7f-\x9f]+", re.IGNORECASE)


def http_url(url: Any) -> str | None:
    """``url`` (surrounding blanks removed) if it is a safe absolute http(s) link target, else None."""
    text = str(url or "").strip()
    if not _HTTP.fullmatch(text):
        return None
    try:
        if not urlsplit(text).hostname:
            return None
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    return text
