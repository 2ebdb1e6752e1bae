"""One place where errors become HTTP responses."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from indexer.errors import UccError

log = logging.getLogger("ucc.web")


def error_response(status: int, code: str, message: str, **extra):
    body = {"error": {"code": code, "message": message, **extra}}
    return jsonify(body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(UccError)
    def _ucc(exc: UccError):
        extra = {}
        if getattr(exc, "suggestions", None):
            extra["suggestions"] = list(exc.suggestions)
        return error_response(exc.status, type(exc).__name__, exc.message, **extra)

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
