"""The REST API, version 1: JSON over HTTP in front of :class:`app.assistant.Assistant`.

Public routes (``/api/v1``): ``POST /ask``, ``GET /search``, ``GET /cities``,
``/cities/<slug>``, ``/cities/<slug>/similar``, ``/cities/<slug>/learn-from``,
``GET /benchmark``, ``/benchmark/<slug>``, ``GET /examples`` (json, md or csv),
``POST /feedback``, ``GET /openapi.json`` and ``GET /docs`` (the readable API page).
Operations: ``GET /healthz`` (the process answers), ``GET /readyz`` (the index and the model are
loaded), ``GET /metrics`` (Prometheus text; see :mod:`app.web.metrics`); each also under
``/api/v1``.

Admin routes (``/api/v1/admin``) need ``Authorization: Bearer <UCC_ADMIN_TOKEN>`` (compared in
constant time; 401 without it or with a wrong one) and answer 404 when no token is configured:
``POST /admin/reindex`` (202, runs the incremental build in a background thread),
``GET /admin/reindex/<job_id>``, ``GET /admin/questions.csv``, ``GET /admin/unanswered``,
``GET /admin/down-rated``, ``GET /admin/topics``, ``POST /admin/benchmark/import``
(checks only, unless ``?write=1``).

Input is validated strictly: unknown fields or query parameters and wrong types are 400 with a
message, JSON bodies need ``Content-Type: application/json`` (415), a question, topic or comment
over 2,000 characters is 422, a body over ``UCC_MAX_BODY_BYTES`` is 413, and each client gets
``UCC_RATE_LIMIT`` requests a minute (429 with ``Retry-After``). Every error is
``{"error": {"code", "message"}}`` (:mod:`app.web.errors`).

The contract is declared once. Modules, in the order a request meets them:

- ``contract``: the route table (path, models, words for the reader of every operation);
- ``inputs`` and ``vocabulary``: the request models (bodies and query parameters) and the field
  types they are made of; ``responses`` and ``network_responses``: the response models;
- ``blueprint``: rate limit, timing, and :func:`~app.web.api.blueprint.operation`, which registers a
  view and hands it its input read by ``reading`` (after ``auth`` for admin routes);
- the views, thin translations to the assistant's public methods: ``asking`` (ask, feedback),
  ``search`` (search, examples), ``network`` (members, scores), ``operations`` (health, readiness,
  metrics, the description), ``admin`` (question log views, reindex), ``benchmark_import``;
- ``openapi`` (the document, generated from the table and the models) and ``docpage`` (its page).
"""

from __future__ import annotations

from app.web.api import admin, asking, benchmark_import, network, operations, search  # noqa: F401 (routes)
from app.web.api.blueprint import bp

__all__ = ["bp"]
