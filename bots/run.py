"""Run the Slack bot: Socket Mode (:func:`run_socket_mode`, needs SLACK_APP_TOKEN, no public URL) or
HTTP mode (:func:`serve_http`: POST /slack/events through :mod:`bots.flask_adapter` under gunicorn
with ``ucc serve``'s options). ``ucc slack`` and ``python -m bots.run`` call :func:`main`.

Dependencies point one way: this module uses :mod:`bots.app` (the bolt App) and
:mod:`bots.flask_adapter` (which also uses :mod:`bots.app`); neither imports this one.
"""

from __future__ import annotations

import logging

from bots.app import bot_enabled, build_app
from bots.flask_adapter import MAX_BODY_BYTES, wsgi


def run_socket_mode(settings, assistant) -> None:  # pragma: no cover - needs a real workspace
    """Connect out to Slack over a WebSocket (no public URL needed); blocks until stopped."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from indexer.errors import ConfigurationError

    ok, message = bot_enabled(settings, socket_mode=True)
    if not ok:
        raise ConfigurationError(message)
    SocketModeHandler(build_app(settings, assistant), settings.slack_app_token).start()


def http_options(settings, host: str, port: int) -> dict:
    """The gunicorn options of the HTTP mode: ``ucc serve``'s (threaded workers that read each whole
    request before a thread sees it, no access log, no client addresses in error lines)."""
    from app.commands.serve import gunicorn_options

    return {**gunicorn_options(settings, host, port), "proc_name": "ucc-slack"}


def serve_http(settings, host: str, port: int) -> None:
    """POST /slack/events under gunicorn; each worker builds the bot after the fork (the master
    never loads the model). Blocks until stopped."""
    from app.operations.httpserver import wsgi_server

    options = http_options(settings, host, port)
    print(f"Serving Slack's requests at http://{options['bind'][0]}/slack/events with {options['workers']} "
          f"worker(s) x {options['threads']} thread(s); stop with Ctrl-C.", flush=True)
    wsgi_server(options, lambda: wsgi(settings), max_body_bytes=MAX_BODY_BYTES).run()


def main(argv: list[str] | None = None) -> int:
    """``python -m bots.run [--http [--host H] [--port P]]``: Socket Mode by default when SLACK_APP_TOKEN is set."""
    import argparse

    from app.assistant import Assistant
    from indexer.errors import UccError
    from indexer.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m bots.run", description="Run the UserCentriCities Slack bot.")
    parser.add_argument("--http", action="store_true", help="serve POST /slack/events instead of Socket Mode")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    try:
        settings = load_settings()
        socket_mode = not args.http and bool(settings.slack_app_token)
        ok, message = bot_enabled(settings, socket_mode=socket_mode)
        if not ok:
            print(message)
            return 2
        if socket_mode:  # pragma: no cover - needs a real workspace
            run_socket_mode(settings, Assistant(settings))
        else:
            serve_http(settings, args.host, args.port)
    except UccError as e:
        print(f"Error: {e}")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
