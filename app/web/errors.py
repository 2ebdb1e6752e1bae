"""One place where errors become HTTP responses.

Every code is snake_case, whoever raised the error: the API's own checks (``invalid_parameter``),
Werkzeug's HTTP errors (``not_found``, ``method_not_allowed``) and the project's exception family
(``NotFound`` is ``not_found``, ``UnknownCity`` is ``unknown_city``: :func:`error_code`). A view
stops a request with :func:`fail`.
"""

from __future__ import annotations

import logging
import re
from typing import NoReturn

from flask import Flask, abort, jsonify
from werkzeug.exceptions import HTTPException

from indexer.errors import UccError

log = logging.getLogger("ucc.web")


def error_code(exc: BaseException) -> str:
    """The API's code for an error of the project's family: its class name in snake_case."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", type(exc).__name__).lower()


def error_response(status: int, code: str, message: str, **extra):
    body = {"error": {"code": code, "message": message, **extra}}
    return jsonify(body), status


def fail(status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra) -> NoReturn:
    """Stop the request with the one error shape (``extra`` goes beside code and message)."""
    response, _ = error_response(status, code, message, **extra)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    abort(response)


def init_app(app: Flask) -> None:
    @app.errorhandler(UccError)
    def _ucc(exc: UccError):
        extra = {}
        if getattr(exc, "suggestions", None):
            extra["suggestions"] = list(exc.suggestions)
        return error_response(exc.status, error_code(exc), exc.message, **extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        response, status = error_response(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"),
                                          exc.description or "")
        for key, value in exc.get_headers():  # e.g. Allow on a 405 (RFC 9110)
            if key.lower() != "content-type":
                response.headers[key] = value
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")  # the trace goes to the log, not to the client
        return error_response(500, "internal_error", "Something went wrong on our side; the error was logged.")
