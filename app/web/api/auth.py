"""The admin routes' bearer token (``Authorization: Bearer <UCC_ADMIN_TOKEN>``).

404 when UCC_ADMIN_TOKEN is empty (admin routes are off); 401 without the right bearer token,
compared in constant time. Wrong tokens count in the wrong-token throttle shared with the console
(429 with Retry-After past a few; see :class:`app.web.ratelimit.FailureThrottle`) and are logged
without the token or the client's address; a request without credentials is not an attempt.
"""

from __future__ import annotations

import hmac

from flask import current_app, request

from app.web.api.context import settings
from app.web.errors import fail
from app.web.ratelimit import failure_throttle, log_auth, log_wrong_token

_UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="ucc-admin"'}


def check_admin() -> None:
    """Let the request through, or stop it (404, 401 or 429)."""
    token = settings.admin_token or ""
    if not token:
        fail(404, "admin_disabled", "Admin routes are disabled on this server (UCC_ADMIN_TOKEN is not set).")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        fail(401, "unauthorized", "This route needs the admin bearer token.", headers=_UNAUTHORIZED)
    throttle = failure_throttle(current_app)
    client = throttle.client_key(request.remote_addr)
    wait, failures = throttle.attempt(client)
    if wait:
        fail(429, "too_many_requests", f"Too many wrong admin tokens from your address; try again in {wait} "
             f"second{'s' if wait != 1 else ''}.", headers={"Retry-After": str(wait)})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        log_wrong_token(throttle, f"admin API, {request.url_rule.rule}", client, failures)
        fail(401, "unauthorized", "This route needs the admin bearer token.", headers=_UNAUTHORIZED)
    throttle.succeeded(client)
    log_auth("admin token accepted", f"admin API, {request.method} {request.url_rule.rule}", client)
