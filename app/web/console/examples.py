"""The examples page (``/console``): search examples by topic and filters, pick some, and
download a session pack of them (``POST /console/pack``, Markdown or CSV) for a UserCentriCafé.
"""

from __future__ import annotations

import re

from flask import request

from indexer.errors import InvalidRequest
from indexer.store import FACETS
from indexer.text import fold

from app.web.console.blueprint import _assistant, _download, _page, bp

DEFAULT_N = 5
MAX_N = 20
# The filters the examples page offers: every facet but kind (the page lists services and cases)
# and tag (free-form, too many to list).
FILTERS = tuple(f for f in FACETS if f not in ("kind", "tag"))


def _filters(values) -> dict[str, str]:
    return {k: values.get(k, "").strip() for k in FILTERS if values.get(k, "").strip()}


def _n(values) -> int:
    raw = (values.get("n") or "").strip()
    if not raw:
        return DEFAULT_N
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_N:
        raise InvalidRequest(f"The number of examples must be a whole number between 1 and {MAX_N}.")
    return int(raw)


@bp.route("/", methods=["GET"])
@bp.route("", methods=["GET"])
def examples():
    assistant = _assistant()
    topic = " ".join(request.args.get("topic", "").split())
    filters = _filters(request.args)
    error, found, status = None, None, 200
    n = DEFAULT_N
    try:
        n = _n(request.args)
        if topic:
            found = assistant.examples(topic, n=n, filters=filters or None)
        elif filters:
            error, status = "Give a topic to search for, for example: proactive services.", 400
    except InvalidRequest as exc:
        error, status = exc.message, exc.status
    return _page("console/examples.html", status, topic=topic, filters=filters, n=n, max_n=MAX_N,
                 options=assistant.filter_values(), found=found, error=error, labels=FILTER_LABELS)


FILTER_LABELS = {"city": "City", "country": "Country", "principle": "Principle", "subindicator": "Sub-indicator",
                 "year": "Year"}
PACK_FORMATS = {
    "markdown": ("text/markdown; charset=utf-8", "md"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}


@bp.route("/pack", methods=["POST"])
def pack():
    form = request.form
    fmt = form.get("format", "markdown")
    if fmt not in PACK_FORMATS:
        raise InvalidRequest("Choose Markdown or CSV.")
    picked = [p for p in form.getlist("pick") if p]
    if not picked:
        raise InvalidRequest("Pick at least one example for the pack.")
    # only the picked examples; the prompts and related sub-indicators drawn from those
    built = _assistant().session_pack(form.get("topic", ""), n=_n(form), filters=_filters(form) or None, picked=picked)
    mimetype, ext = PACK_FORMATS[fmt]
    body = built.to_markdown() if fmt == "markdown" else built.to_csv()
    name = f"ucc-session-pack-{_file_slug(built.topic)}-{built.generated.isoformat()}.{ext}"
    return _download(body, mimetype, name)


def _file_slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:limit].strip("-") or "topic"

