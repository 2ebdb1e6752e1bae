"""HTTP mode: a tiny Flask app that hands Slack's requests (events, commands, buttons) to bolt.

Every request is verified first (bots/verification.py): one that Slack did not sign is answered
401 before bolt, any listener, middleware or error handler sees its body, so nothing is posted
anywhere on its behalf. A signed body that is not what Slack sends (a list for an event, a string
for ``actions``) is answered 400.

Errors have the web API's shape, ``{"error": {"code", "message"}}`` with a snake_case code
(:func:`refusal`): ``invalid_signature`` (401), ``invalid_request`` (400), and Flask's own HTTP
errors (``not_found``, ``method_not_allowed``, ``request_entity_too_large``).
"""

from __future__ import annotations

import logging

from flask import Flask, request
from slack_bolt.adapter.flask import SlackRequestHandler
from werkzeug.exceptions import HTTPException

from bots.app import bot_enabled, build_app
from bots.verification import shape_problem, verify_request

MAX_BODY_BYTES = 1 << 20  # Slack's events, commands and button payloads are a few kilobytes
log = logging.getLogger("ucc.slack")
NOT_SLACK = "The request is not signed by Slack with this app's signing secret, or is too old."
NOT_READABLE = "The request is signed but is not a request Slack sends."


def refusal(status: int, code: str, message: str) -> tuple[dict, int]:
    """An error response in the web API's shape (app/web/errors.py): a snake_case code and a message."""
    return {"error": {"code": code, "message": message}}, status


def create_flask_app(bolt_app, path: str = "/slack/events", signing_secret: str | None = None) -> Flask:
    """The Flask app serving ``path``; ``signing_secret`` defaults to the bolt app's own."""
    handler = SlackRequestHandler(bolt_app)
    secret = signing_secret if signing_secret is not None else (bolt_app._signing_secret or "")
    web = Flask("ucc-slack")
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES  # 413 past it, before anything is parsed

    @web.post(path)
    def slack_events():
        body = request.get_data(cache=True)
        problem = verify_request(secret, body, request.headers.get("X-Slack-Request-Timestamp"),
                                 request.headers.get("X-Slack-Signature"))
        if problem:
            log.info("Rejected a Slack request (%s; body withheld)", problem)
            return refusal(401, "invalid_signature", NOT_SLACK)
        problem = shape_problem(body, request.content_type)
        if problem:
            log.warning("A signed Slack request was malformed (%s; body withheld)", problem)
            return refusal(400, "invalid_request", NOT_READABLE)
        try:
            return handler.handle(request)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
            # bolt parses the body into dicts before routing; a signed but malformed one lands here
            log.warning("A signed Slack request had a body bolt could not read (body withheld)")
            return refusal(400, "invalid_request", NOT_READABLE)

    @web.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        response = web.make_response(refusal(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"),
                                             exc.description or ""))
        for key, value in exc.get_headers():  # e.g. Allow on a 405
            if key.lower() != "content-type":
                response.headers[key] = value
        return response

    return web


def wsgi(settings=None):
    """The HTTP-mode WSGI app from UCC_* / SLACK_* settings, for a WSGI server: ``ucc slack --http``
    runs it under gunicorn with ``ucc serve``'s options; by hand, keep the worker that reads whole
    requests before a thread sees them:
    ``gunicorn -k app.operations.httpserver.BufferedThreadWorker -b 127.0.0.1:3000 'bots.flask_adapter:wsgi()'``."""
    from app.assistant import Assistant
    from indexer.errors import ConfigurationError
    from indexer.settings import load_settings

    settings = settings or load_settings()
    ok, message = bot_enabled(settings)
    if not ok:
        raise ConfigurationError(message)
    return create_flask_app(build_app(settings, Assistant(settings)))
