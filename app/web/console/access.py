"""Who may use the console: the admin token, sign-in and sign-out, and CSRF.

Access needs UCC_ADMIN_TOKEN: without it every page answers 404 and says how to open the console.
With it, a moderator signs in with the token (a server-side session,
:mod:`app.web.console.sessions`) or sends ``Authorization: Bearer <token>``. Wrong tokens, at
sign-in or in the header, are throttled per client address across workers and logged without
the token or the address (:class:`app.web.ratelimit.FailureThrottle`).

Every POST from a signed-in browser carries a CSRF token tied to the session: the synchronizer
token pattern, a random token kept in the session cookie (signed by Flask with itsdangerous) and
compared in constant time with the form's ``csrf_token`` field. Not Flask-WTF's ``CSRFProtect``,
on purpose: it guards every POST of the whole app (the JSON API, which the widget calls from
other origins without a session, would have to be exempted), signs its token with the app-wide ``SECRET_KEY`` (the console's
cookie is signed with a key derived from the admin token, so a new token signs everyone out), and
brings WTForms, which nothing here uses; what it would replace is the ten lines of
:func:`csrf_token` and :func:`_csrf_ok`. A client that sends the bearer header needs no CSRF
token (a browser never sends that header on its own) and gets no session cookie.

While the state store cannot be reached (PostgreSQL away, :class:`~app.errors.StateUnavailable`)
a session cannot be checked, made or ended: such a request answers 503 with a page that says so
and ``Retry-After`` (it fails closed: no cookie is trusted unchecked; a sign-out that did not reach
the database keeps the cookie, so it can be sent again). A bearer-header request touches no session,
but its token is checked under the wrong-token throttle, which is in the same store: it answers
the same 503 meanwhile.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Response, current_app, g, redirect, request, session, url_for

from app.errors import StateUnavailable
from app.web.console.blueprint import _page, bp
from app.web.console.sessions import ConsoleSessionInterface, admin_token, session_store
from app.web.ratelimit import failure_throttle, log_auth, log_wrong_token

_PUBLIC_ENDPOINTS = {"console.sign_in"}


@bp.record_once
def _install(state) -> None:
    state.app.session_interface = ConsoleSessionInterface()


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _check_token(given: str, expected: str, where: str) -> int:
    """Compare ``given`` with the admin token under the wrong-token throttle: 0 when it is right,
    -1 when it is wrong (logged), else the seconds the client must wait before trying again."""
    throttle = failure_throttle(current_app)
    client = throttle.client_key(request.remote_addr)
    wait, failures = throttle.attempt(client)
    if wait:
        return wait
    if _same(given, expected):
        throttle.succeeded(client)
        log_auth("admin token accepted", where, client)
        return 0
    log_wrong_token(throttle, where, client, failures)
    return -1


def _wait_message(wait: int) -> str:
    return f"Too many wrong tokens from your address. Wait {wait} second{'s' if wait != 1 else ''} and try again."


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None



def _signed_in() -> bool:
    return bool(session.get("sid")) and session_store().valid(session.get("sid"))


STATE_RETRY_AFTER = 30  # seconds a client is told to wait while the state store is out of reach


def _state_away(exc: StateUnavailable, what: str) -> Response:
    """503: the sessions (or the wrong-token counts) cannot be reached, so ``what`` cannot be done."""
    current_app.logger.warning("console: %s: %s", what, exc.reason)
    resp = _page("console/error.html", 503, title="Database out of reach",
                 message=f"The service's database cannot be reached right now, so {what}. "
                         "Try again in a minute.")
    resp.headers["Retry-After"] = str(STATE_RETRY_AFTER)
    return resp


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    return bool(sent and expected) and _same(sent, expected)


@bp.app_template_global("console_csrf")
def _console_csrf() -> str:
    if g.get("console_bearer"):
        return ""  # header clients need no CSRF token, and get no session cookie
    return csrf_token()


@bp.before_request
def _gate():
    token = admin_token()
    if not token:
        return _page("console/disabled.html", 404)
    bearer = _bearer()
    g.console_bearer = False
    g.console_authed = False
    if bearer is not None:
        route = request.url_rule.rule if request.url_rule is not None else "an unknown page"  # not the raw path
        try:
            outcome = _check_token(bearer, token, f"console bearer header, {route}")
        except StateUnavailable as exc:  # the wrong-token count cannot be kept: no token is checked
            return _state_away(exc, "the admin token cannot be checked")
        if outcome > 0:
            resp = _page("console/error.html", 429, title="Too many attempts", message=_wait_message(outcome))
            resp.headers["Retry-After"] = str(outcome)
            return resp
        if outcome < 0:
            resp = _page("console/error.html", 401, title="Not signed in",
                         message="The bearer token is not the console's admin token.")
            resp.headers["WWW-Authenticate"] = 'Bearer realm="ucc-console"'
            return resp
        g.console_bearer = True  # a header is never sent by a browser on its own: no CSRF check
        g.console_authed = True
        return None
    if request.endpoint in _PUBLIC_ENDPOINTS:
        return None
    try:
        signed_in = _signed_in()
    except StateUnavailable as exc:
        return _state_away(exc, "your console session cannot be checked")
    if not signed_in:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("console.sign_in", next=_here()))
        resp = _page("console/error.html", 401, title="Not signed in",
                     message="Sign in to the console first.")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="ucc-console"'
        return resp
    g.console_authed = True
    if request.method == "POST" and not _csrf_ok():
        return _csrf_failed()
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    return response


def _here() -> str:
    path = request.full_path if request.query_string else request.path
    return path.rstrip("?")


def _safe_next(target: str | None) -> str:
    """A place inside the console to go back to after signing in (never another site)."""
    default = url_for("console.examples")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/console") or "\\" in target:
        return default
    return target


def _csrf_failed() -> Response:
    return _page("console/error.html", 400, title="Form expired",
                 message="This form was not sent from the console page of this session (missing or wrong "
                         "CSRF token). Reload the page and try again.")



@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        try:
            if g.console_bearer or _signed_in():
                return redirect(target)
        except StateUnavailable as exc:
            return _state_away(exc, "your console session cannot be checked")
        return _page("console/sign_in.html", next=target)
    if not _csrf_ok():
        return _csrf_failed()
    try:
        return _sign_in(target)
    except StateUnavailable as exc:
        return _state_away(exc, "nobody can sign in")


def _sign_in(target: str) -> Response:
    outcome = _check_token(request.form.get("token", ""), admin_token(), "console sign-in")
    if outcome > 0:
        resp = _page("console/sign_in.html", 429, next=target, error=_wait_message(outcome))
        resp.headers["Retry-After"] = str(outcome)
        return resp
    if outcome < 0:
        return _page("console/sign_in.html", 401, next=target, error="That is not the console's admin token.")
    session_store().end(session.get("sid"))  # signing in again replaces a session, never adds one
    sid = session_store().create()
    session.clear()  # a fresh session: nothing from before signing in carries over
    session["sid"] = sid
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = False
    return redirect(target, code=303)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    if session.get("sid"):
        try:
            session_store().end(session.get("sid"))  # every copy of the cookie stops working, on every host
        except StateUnavailable as exc:  # the cookie is kept: the sign-out can be sent again
            return _state_away(exc, "you could not be signed out (your session is still open)")
        log_auth("signed out", "console", failure_throttle(current_app).client_key(request.remote_addr))
    session.clear()
    return redirect(url_for("console.sign_in", signed_out=1), code=303)

