"""The chat widget for the community website: one script tag, no build step.

    GET /widget.js     the widget (app/web/static/widget.js), cacheable, revalidated by ETag
    GET /widget/demo   a plain host page with hostile global CSS that embeds the one tag

The tag a host page embeds::

    <script src="https://HOST/widget.js" data-endpoint="https://HOST" data-title="…"
            data-lang="en" data-accent="#0b5fa5" async></script>

The widget renders in a Shadow DOM, talks only to ``data-endpoint`` (``POST /api/v1/ask``,
``POST /api/v1/feedback``) and inserts every retrieved text with ``textContent``. A host page on
another origin must be listed in UCC_ALLOWED_ORIGINS for its browser to be allowed to call the API.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from flask import Blueprint, Response, make_response, render_template, request

bp = Blueprint("widget", __name__, template_folder="templates")

SCRIPT = Path(__file__).resolve().parent / "static" / "widget.js"
JS_TYPE = "application/javascript; charset=utf-8"
# Short: the tag's URL carries no version, so browsers come back soon and get a 304 by ETag.
CACHE_CONTROL = "public, max-age=300"

_lock = threading.Lock()
_cached: tuple[tuple[int, int], bytes, str] | None = None


def script_body() -> tuple[bytes, str]:
    """The widget's bytes and their ETag, read again only when the file changes."""
    global _cached
    stat = SCRIPT.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        if _cached is None or _cached[0] != key:
            body = SCRIPT.read_bytes()
            _cached = (key, body, hashlib.sha256(body).hexdigest()[:32])
        return _cached[1], _cached[2]


@bp.get("/widget.js")
def script():
    body, etag = script_body()
    response = Response(body, content_type=JS_TYPE)
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    # Host pages on other origins embed it, including ones that require CORP for subresources.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.make_conditional(request)


@bp.get("/widget/demo")
def demo():
    endpoint = request.host_url.rstrip("/")
    response = make_response(render_template("widget_demo.html", endpoint=endpoint))
    response.headers["Cache-Control"] = "no-store"
    return response
