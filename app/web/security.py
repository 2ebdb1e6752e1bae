"""Security headers on every response and deny-by-default CORS.

Only origins listed in UCC_ALLOWED_ORIGINS get CORS headers, and only on /api/; a preflight
from any other origin gets 403 (an OPTIONS request without Origin is not a preflight: it gets
the route's Allow header). Nothing is allowed with credentials.
"""

from __future__ import annotations

from flask import Flask, request

from app.web.errors import error_response

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_CSP = ("default-src 'self'; script-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}")


def allowed_origins(raw: str) -> set[str]:
    return {o.strip().rstrip("/") for o in raw.split(",") if o.strip()}


def init_app(app: Flask, settings) -> None:
    origins = allowed_origins(settings.allowed_origins)
    csp = _CSP.format(ancestors=settings.frame_ancestors or "'none'")
    app.extensions["ucc.allowed_origins"] = origins

    @app.before_request
    def _preflight():
        if request.method == "OPTIONS" and request.path.startswith("/api/") and "Origin" in request.headers:
            origin = request.headers.get("Origin", "")
            if origin.rstrip("/") not in origins:
                return error_response(403, "cors_forbidden", "This origin may not call the API.")
            return app.response_class(status=204)
        return None

    @app.after_request
    def _headers(response):
        for key, value in _HEADERS.items():
            response.headers.setdefault(key, value)
        response.headers.setdefault("Content-Security-Policy", csp)
        if "'none'" in csp.split("frame-ancestors", 1)[1]:
            response.headers.setdefault("X-Frame-Options", "DENY")
        origin = request.headers.get("Origin", "").rstrip("/")
        if origin and origin in origins and request.path.startswith("/api/"):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
        return response
