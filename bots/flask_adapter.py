"""HTTP mode: a tiny Flask app that hands Slack's requests (events, commands, buttons) to bolt."""

from __future__ import annotations

from flask import Flask, request
from slack_bolt.adapter.flask import SlackRequestHandler


def create_flask_app(bolt_app, path: str = "/slack/events") -> Flask:
    handler = SlackRequestHandler(bolt_app)
    web = Flask("ucc-slack")

    @web.post(path)
    def slack_events():
        return handler.handle(request)

    return web
