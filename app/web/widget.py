"""The chat widget for the community website: one script tag, no build step.

    GET /widget.js     the widget (app/web/static/widget.js), cacheable, revalidated by ETag
    GET /widget/demo   a plain host page with hostile global CSS that embeds the one tag

The tag a host page embeds::

    <script src="https://HOST/widget.js" data-endpoint="https://HOST" data-title="…"
            data-lang="en" data-accent="#0b5fa5" async></script>

The widget renders in a Shadow DOM, talks only to ``data-endpoint`` (``POST /api/v1/ask``,
``POST /api/v1/feedback``; ``HEAD /widget.js`` without CORS after a failed request, to tell a refused
origin from a network failure) and inserts every retrieved text with ``textContent``. A host page
on another origin must be listed in UCC_ALLOWED_ORIGINS for its browser to be allowed to call the
API; when it is not, the panel says so and the browser console names the setting.

The script carries its configuration: the service writes ``{"starters": [...]}`` (from
UCC_WIDGET_STARTERS) in place of the ``/*@ucc-config*/{}`` mark when it serves the file, so the
widget needs no extra request; the ETag (Werkzeug's ``add_etag``, a hash of the served bytes) covers
the configuration, and ``make_conditional`` answers 304 to a matching ``If-None-Match``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, make_response, render_template, request

bp = Blueprint("widget", __name__, template_folder="templates")

SCRIPT = Path(__file__).resolve().parent / "static" / "widget.js"
JS_TYPE = "application/javascript; charset=utf-8"
# Short: the tag's URL carries no version, so browsers come back soon and get a 304 by ETag.
CACHE_CONTROL = "public, max-age=300"

CONFIG_MARK = b"/*@ucc-config*/{}"
MAX_STARTERS = 6
MAX_STARTER_CHARS = 200


def starters(raw: str | None) -> list[str]:
    """UCC_WIDGET_STARTERS as questions: split on ``|``, whitespace folded, duplicates and empties
    dropped, at most :data:`MAX_STARTERS` of at most :data:`MAX_STARTER_CHARS` characters."""
    out: list[str] = []
    for question in str(raw or "").split("|"):
        question = " ".join(question.split())[:MAX_STARTER_CHARS].strip()
        if question and question not in out:
            out.append(question)
    return out[:MAX_STARTERS]


def widget_config(settings) -> dict:
    """What the served script is told about this service."""
    return {"starters": starters(getattr(settings, "widget_starters", ""))}


def script_body(config: dict | None = None) -> bytes:
    """The widget's bytes with ``config`` written in; read again only when the file changes."""
    stat = SCRIPT.stat()
    # ensure_ascii: the JSON is plain ASCII, a valid JavaScript expression whatever the questions say.
    blob = json.dumps(config or {}, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return _with_config(stat.st_mtime_ns, stat.st_size, blob)


@functools.lru_cache(maxsize=8)
def _with_config(mtime_ns: int, size: int, blob: bytes) -> bytes:
    """The script with ``blob`` in place of the mark, cached per version of the file (its
    modification time and size are part of the key) and configuration."""
    source = SCRIPT.read_bytes()
    if source.count(CONFIG_MARK) != 1:
        raise RuntimeError(f"{SCRIPT} must hold the configuration mark {CONFIG_MARK!r} exactly once")
    return source.replace(CONFIG_MARK, b"/*@ucc-config*/" + blob)


@bp.get("/widget.js")
def script():
    response = Response(script_body(widget_config(current_app.extensions.get("ucc.settings"))), content_type=JS_TYPE)
    response.add_etag()  # Werkzeug's: a hash of the body (about 40 µs for the 46 KB script, measured)
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
