"""HTTP mode: a tiny Flask app that hands Slack's requests (events, commands, buttons) to bolt."""

from __future__ import annotations

from flask import Flask, request
from slack_bolt.adapter.flask import SlackRequestHandler

MAX_BODY_BYTES = 1 << 20  # Slack's events, commands and button payloads are a few kilobytes


def create_flask_app(bolt_app, path: str = "/slack/events") -> Flask:
    handler = SlackRequestHandler(bolt_app)
    web = Flask("ucc-slack")
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES  # 413 past it, before anything is parsed

    @web.post(path)
    def slack_events():
        try:
            return handler.handle(request)
        except (ValueError, RecursionError):  # bolt parses the body before it checks the signature
            return {"error": "invalid request"}, 400

    return web


def wsgi(settings=None):
    """The HTTP-mode WSGI app from UCC_* / SLACK_* settings, for a WSGI server, e.g.
    ``gunicorn --threads 8 -b 0.0.0.0:3000 'bots.flask_adapter:wsgi()'``."""
    from app.assistant import Assistant
    from indexer.errors import ConfigurationError
    from indexer.settings import load_settings

    from .app import bot_enabled, build_app

    settings = settings or load_settings()
    ok, message = bot_enabled(settings)
    if not ok:
        raise ConfigurationError(message)
    return create_flask_app(build_app(settings, Assistant(settings)))
