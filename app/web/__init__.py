"""The web face: a Flask app factory. Views translate HTTP to :class:`app.assistant.Assistant`
calls and back; nothing here holds a capability of its own.

    create_app(settings=None, assistant=None) -> Flask

Blueprints: ``api`` (/api/v1), ``widget`` (/widget.js, /widget/demo), ``console`` (/console).
Errors of the project's family become JSON ``{"error": {"code", "message"}}`` with their
status; security headers and deny-by-default CORS are applied to every response.
"""

from __future__ import annotations

from flask import Flask

from indexer.settings import Settings, load_settings


def create_app(settings: Settings | None = None, assistant=None, test_config: dict | None = None) -> Flask:
    from app.assistant import Assistant

    from app.web import errors, security

    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.from_mapping(MAX_CONTENT_LENGTH=settings.max_body_bytes, JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    app.extensions["ucc.settings"] = settings
    app.extensions["ucc.assistant"] = assistant or Assistant(settings)
    hops = int(settings.proxy_hops or 0)
    if hops > 0:  # behind nginx: the client is the address the trusted proxies report
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    errors.init_app(app)
    security.init_app(app, settings)
    for name in ("api", "widget", "console"):
        module = _optional(name)
        if module is not None:
            app.register_blueprint(module.bp)
    return app


def _optional(name: str):
    """A face's blueprint module, if that face is installed in this tree."""
    import importlib

    try:
        return importlib.import_module(f"app.web.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"app.web.{name}":
            raise
        return None
