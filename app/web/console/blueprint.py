"""The console's blueprint and what every console view shares: rendering a page, a download,
the assistant, and the error pages (errors of the project's family, HTTP errors, and unexpected
errors, whose trace goes to the log and never to the page).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template
from werkzeug.exceptions import HTTPException

from indexer.errors import InvalidRequest, NotFound, UccError

bp = Blueprint("console", __name__, url_prefix="/console")


def _assistant():
    """The app's :class:`app.assistant.Assistant`."""
    return current_app.extensions["ucc.assistant"]


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")



def _download(body: str, mimetype: str, filename: str) -> Response:
    resp = Response(body, mimetype=mimetype.split(";")[0])
    resp.headers["Content-Type"] = mimetype
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


@bp.errorhandler(UccError)
def _ucc_error(exc: UccError):
    title = "Not found" if isinstance(exc, NotFound) else "Cannot do that"
    if not isinstance(exc, InvalidRequest):
        current_app.logger.warning("console: %s", exc.message)
    return _page("console/error.html", exc.status, title=title, message=exc.message,
                 suggestions=list(getattr(exc, "suggestions", []) or []))


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _page("console/error.html", exc.code or 500, title=exc.name or "Error", message=exc.description or "")


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    current_app.logger.exception("console: unhandled error")  # the trace goes to the log, not the page
    return _page("console/error.html", 500, title="Something went wrong",
                 message="Something went wrong on our side; the error was logged.")
