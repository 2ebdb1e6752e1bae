"""``GET /api/v1/search`` (documents and their best passages) and ``GET /api/v1/examples`` (a
UserCentriCafé session pack as JSON, Markdown or CSV). The query parameters are
:class:`~app.web.api.inputs.SearchQuery` and :class:`~app.web.api.inputs.ExamplesQuery`."""

from __future__ import annotations

import re

from flask import Response, jsonify

from app.web.api.blueprint import operation
from app.web.api.context import assistant
from app.web.api.inputs import ExamplesQuery, SearchQuery


@operation("search")
def search(query: SearchQuery):
    result = assistant.search(query.q, k=query.k, mode=query.mode, filters=query.filters())
    return jsonify(result.to_dict())


@operation("examples")
def examples(query: ExamplesQuery):
    pack = assistant.session_pack(query.topic, n=query.n, filters=query.filters() or None,
                                  one_per_city=not query.all_per_city)
    if query.format == "md":
        return Response(pack.to_markdown(), content_type="text/markdown; charset=utf-8")
    if query.format == "csv":
        name = re.sub(r"[^a-z0-9]+", "-", query.topic.casefold()).strip("-")[:60] or "examples"
        return Response(pack.to_csv(), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="examples-{name}.csv"'})
    return jsonify(pack.to_dict())
