"""The API's blueprint: what every request to it passes through, and how a view is registered.

:func:`operation` registers a view at the paths of its operation in the route table
(:mod:`app.web.api.contract`) and hands it its input already read: the admin token checked first
(:mod:`app.web.api.auth`), then the query parameters and the JSON body validated by the
operation's models (:mod:`app.web.api.reading`). The view gets them as ``query`` (unless the
route takes no parameter) and ``body``, beside the path's parts.

Every request under /api/ counts against the client's ``UCC_RATE_LIMIT`` (429 with
``Retry-After``), except the operations routes (health, readiness, metrics, this description);
every request is timed into the metrics by its route template; admin answers are never cached.
"""

from __future__ import annotations

import time
from functools import wraps
from typing import Callable

from flask import Blueprint, Flask, Response, current_app, g, request
from pydantic import BaseModel

from app.operations.questionlog import QuestionLog
from app.web.api import reading
from app.web.api.auth import check_admin
from app.web.api.context import metrics
from app.web.api.contract import API, BY_ENDPOINT, OPERATIONS
from app.web.errors import error_response
from app.web.metrics import Metrics
from app.web.ratelimit import RateLimiter

bp = Blueprint("api", __name__)

NOT_LIMITED = {path for op in OPERATIONS if op.tag == "Operations" for path in (op.path, *op.aliases)}


def operation(endpoint: str) -> Callable[[Callable], Callable]:
    """Register the decorated view as the operation ``endpoint`` of the route table."""
    op = BY_ENDPOINT[endpoint]
    body = op.body.types.get("application/json") if op.body else None
    body = body if isinstance(body, type) and issubclass(body, BaseModel) else None

    def register(view: Callable) -> Callable:
        @wraps(view)
        def serve(**path):
            if op.admin:
                check_admin()
            if op.query is not None:
                query = reading.query(op.query)  # a route without parameters still refuses unknown ones
                if op.query.model_fields:
                    path["query"] = query
            if body is not None:
                path["body"] = reading.json_body(body)
            return view(**path)

        for where in (op.path, *op.aliases):
            bp.add_url_rule(where.replace("{", "<").replace("}", ">"), endpoint=endpoint, view_func=serve,
                            methods=[op.method.upper()])
        return serve

    return register


@bp.record_once
def _setup(state) -> None:
    app: Flask = state.app
    settings = app.extensions["ucc.settings"]
    app.extensions["ucc.metrics"] = Metrics(settings.metrics_dir or None)
    app.extensions["ucc.ratelimit"] = RateLimiter(settings.rate_limit)
    app.extensions.setdefault("ucc.questionlog", QuestionLog.from_settings(settings))


@bp.before_app_request
def _before():
    g.ucc_t0 = time.perf_counter()
    path = request.path
    if not path.startswith("/api/") or request.method == "OPTIONS" or path in NOT_LIMITED:
        return None
    limiter: RateLimiter = current_app.extensions["ucc.ratelimit"]
    allowed, wait = limiter.hit(limiter.client_key(request.remote_addr))
    if not allowed:
        response, _ = error_response(429, "too_many_requests", f"Too many requests; try again in {wait} seconds.")
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response
    return None


@bp.after_app_request
def _after(response: Response) -> Response:
    t0 = g.pop("ucc_t0", None)
    if t0 is not None:
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.observe_request(request.method, route, response.status_code, time.perf_counter() - t0)
    if request.path.startswith(f"{API}/admin"):
        response.headers["Cache-Control"] = "no-store"
    return response
