"""Operations routes: liveness, readiness, Prometheus metrics, and this API's description (the
OpenAPI document and its readable page). None counts against the rate limit."""

from __future__ import annotations

from flask import Response, current_app, jsonify, render_template

from indexer.errors import UccError

from app.web.api.blueprint import operation
from app.web.api.context import assistant, metrics as counters
from app.web.api.docpage import doc_sections
from app.web.api.openapi import spec
from app.web.errors import error_response


@operation("healthz")
def healthz():
    return jsonify(status="ok")


@operation("readyz")
def readyz():
    """Ready when the live generation's FAISS index and the embedding model are loaded; ``degraded``
    (still 200: questions are answered) while the state store is out of reach."""
    try:
        facts = assistant.readiness()
    except UccError as exc:
        return error_response(503, "not_ready", exc.message)
    status = "degraded" if facts["state"]["status"] == "degraded" else "ready"
    return jsonify(status=status, model_loaded=True, warm=current_app.extensions.get("ucc.warm") is True, **facts)


@operation("metrics")
def metrics():
    try:
        index = assistant.index_facts()
    except UccError:
        index = None
    return Response(counters.render(index), content_type="text/plain; version=0.0.4; charset=utf-8")


@operation("openapi_json")
def openapi_json():
    return jsonify(spec())


@operation("docs")
def docs():
    return render_template("api_docs.html", spec=spec(), sections=doc_sections())
