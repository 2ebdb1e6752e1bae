"""The moderator console at /console: server-rendered pages for UserCentriCafé moderators.

    /console                     search examples by topic and filters; pick some; download a pack
    /console/pack        (POST)  the session pack of the picked examples, Markdown or CSV
    /console/cities              the members
    /console/cities/<slug>       dashboard table, chart against the peers' median, similar, learn-from
    /console/ranking?revision=   the dashboard ranking of a revision
    /console/questions?days=30   most asked topics, recent questions with their answers, content gaps,
                                 failed routes, down-rated answers
    /console/questions.csv       the same period as CSV
    /console/sign-in, /console/sign-out

Access needs UCC_ADMIN_TOKEN: without it every page answers 404 and says how to open the console.
With it, a moderator signs in with the token or sends ``Authorization: Bearer <token>``. Signing in
makes a server-side session (:class:`SessionStore`, SQLite in UCC_DATA_DIR, shared by every worker):
the cookie (HttpOnly, SameSite=Strict, Secure over https, path /console, signed with a key derived
from the token) carries a random session id, and the session ends at sign-out, after 30 minutes
unused or eight hours after sign-in, whichever comes first; a copy of the cookie dies with it. Every
POST from a signed-in browser carries a CSRF token tied to the session. Wrong tokens, at sign-in or
in the header, are throttled per client address across workers and logged without the token or the
address (:class:`app.web.ratelimit.FailureThrottle`).

The views only translate HTTP to :class:`app.assistant.Assistant` calls; templates escape every
retrieved string (Jinja autoescape). The pages work without JavaScript; ``static/console.js`` adds
select-all and table sorting. Tables scroll inside their own box on narrow screens.

Ranks follow one rule on every page: "rank N among the M cities with published scores
(recomputed)" is computed here from the named rows of the stored dashboard page; "rank N
published on the dashboard" is the dashboard's own figure, which also counted rows whose names
were lost (:func:`rank_recomputed`, :func:`rank_published`, :data:`RANK_RULE`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from typing import Any, Protocol
from urllib.parse import urlsplit

from flask import (Blueprint, Response, current_app, g, redirect, render_template, request, session,
                   url_for)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from indexer.datafiles import CONSOLE_SESSIONS_DB
from indexer.errors import InvalidRequest, NotFound, UccError
from indexer.store import FACETS
from indexer.text import fold

from app.links import http_url
from app.web.ratelimit import failure_throttle, log_auth, log_wrong_token

bp = Blueprint("console", __name__, url_prefix="/console")

SESSION_SECONDS = 8 * 3600  # a session ends this long after sign-in, however busy
SESSION_IDLE_SECONDS = 30 * 60  # ... or this long after its last use
COOKIE_NAME = "ucc_console"
COOKIE_PATH = "/console"
DEFAULT_N = 5
MAX_N = 20
DEFAULT_DAYS = 30
MAX_DAYS = 366
QUESTIONS_SHOWN = 50
TOPICS_SHOWN = 15
# The filters the examples page offers: every facet but kind (the page lists services and cases)
# and tag (free-form, too many to list).
FILTERS = tuple(f for f in FACETS if f not in ("kind", "tag"))
_PUBLIC_ENDPOINTS = {"console.sign_in"}


# --- session cookie --------------------------------------------------------------------------


def session_secret(token: str) -> bytes:
    """The key that signs console session cookies: derived from the admin token, so changing
    the token signs every moderator out."""
    return hmac.new(token.encode("utf-8"), b"ucc-console-session-v1", hashlib.sha256).digest()


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, keyed by the admin token and scoped to the console. It
    carries the CSRF token and, once signed in, the id of a :class:`SessionStore` session."""

    digest_method = staticmethod(hashlib.sha256)  # HMAC-SHA256 (Flask's default is SHA-1)

    def get_signing_serializer(self, app):
        token = _admin_token(app)
        if not token:
            return None  # no token: a null session, nothing can be signed in
        from itsdangerous import URLSafeTimedSerializer

        return URLSafeTimedSerializer(session_secret(token), salt=self.salt, serializer=self.serializer,
                                      signer_kwargs={"key_derivation": self.key_derivation,
                                                     "digest_method": self.digest_method})

    def get_cookie_name(self, app) -> str:
        return COOKIE_NAME

    def get_cookie_path(self, app) -> str:
        return COOKIE_PATH

    def get_cookie_httponly(self, app) -> bool:
        return True

    def get_cookie_samesite(self, app) -> str:
        return "Strict"

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


@bp.record_once
def _install(state) -> None:
    state.app.session_interface = ConsoleSessionInterface()


def _admin_token(app=None) -> str:
    settings = (app or current_app).extensions.get("ucc.settings")
    return str(getattr(settings, "admin_token", "") or "") if settings is not None else ""


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


# --- server-side sessions ------------------------------------------------------------------


_SESSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,             -- SHA-256 of the session id in the cookie; never the id itself
    created REAL NOT NULL,
    seen REAL NOT NULL,              -- last use, written at most once a minute
    expires REAL NOT NULL            -- created + SESSION_SECONDS
);
"""


class SessionStore:
    """Signed-in console sessions, in SQLite in UCC_DATA_DIR so that every worker sees a sign-out.

    The cookie carries a random id (32 bytes); the table keeps only its SHA-256, so a copy of the
    table (a backup, a leaked file) signs nobody in. A session is valid until it is ended (sign-out),
    :data:`SESSION_IDLE_SECONDS` after its last use or :data:`SESSION_SECONDS` after sign-in.
    Rows are made only by a right token, so the table stays as small as the number of sign-ins.
    """

    FILE = CONSOLE_SESSIONS_DB
    TOUCH_EVERY = 60.0

    def __init__(self, data_dir, clock=time.time, lifetime: float = SESSION_SECONDS,
                 idle: float = SESSION_IDLE_SECONDS):
        from indexer.store import ThreadConnections

        self._connections = ThreadConnections(data_dir, self.FILE, _SESSIONS_SCHEMA)
        self.path = self._connections.path
        self.clock = clock
        self.lifetime = float(lifetime)
        self.idle = float(idle)

    @staticmethod
    def _key(session_id: str) -> str:
        return hashlib.sha256(session_id.encode("utf-8")).hexdigest()

    def create(self) -> str:
        """A new session; returns the id for the cookie. Ended and expired sessions are deleted."""
        now = self.clock()
        session_id = secrets.token_urlsafe(32)
        with self._connections.get().conn as conn:
            conn.execute("DELETE FROM sessions WHERE expires <= ? OR seen <= ?", [now, now - self.idle])
            conn.execute("INSERT INTO sessions (id, created, seen, expires) VALUES (?, ?, ?, ?)",
                         [self._key(session_id), now, now, now + self.lifetime])
        return session_id

    def valid(self, session_id: Any) -> bool:
        """Whether ``session_id`` names a live session (its last use is then brought up to now)."""
        if not isinstance(session_id, str) or not session_id:
            return False
        now = self.clock()
        key = self._key(session_id)
        db = self._connections.get()
        row = db.execute("SELECT seen, expires FROM sessions WHERE id = ?", [key]).fetchone()
        if row is None or now >= row[1] or now - row[0] >= self.idle:
            return False
        if now - row[0] >= self.TOUCH_EVERY:
            with db.conn as conn:
                conn.execute("UPDATE sessions SET seen = ? WHERE id = ? AND seen < ?", [now, key, now])
        return True

    def end(self, session_id: Any) -> None:
        if isinstance(session_id, str) and session_id:
            with self._connections.get().conn as conn:
                conn.execute("DELETE FROM sessions WHERE id = ?", [self._key(session_id)])

    def close(self) -> None:
        self._connections.close()


def session_store(app=None) -> SessionStore:
    """The app's session store, made on first use."""
    app = app or current_app
    store = app.extensions.get("ucc.console_sessions")
    if store is None:
        store = app.extensions.setdefault("ucc.console_sessions",
                                          SessionStore(app.extensions["ucc.settings"].data_dir))
    return store


# --- access ----------------------------------------------------------------------------------


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
    token = _admin_token()
    if not token:
        return _page("console/disabled.html", 404)
    bearer = _bearer()
    g.console_bearer = False
    g.console_authed = False
    if bearer is not None:
        route = request.url_rule.rule if request.url_rule is not None else "an unknown page"  # not the raw path
        outcome = _check_token(bearer, token, f"console bearer header, {route}")
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
    if not _signed_in():
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


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")


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


# --- sign in and out -------------------------------------------------------------------------


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.console_bearer or _signed_in():
            return redirect(target)
        return _page("console/sign_in.html", next=target)
    if not _csrf_ok():
        return _csrf_failed()
    outcome = _check_token(request.form.get("token", ""), _admin_token(), "console sign-in")
    if outcome > 0:
        resp = _page("console/sign_in.html", 429, next=target, error=_wait_message(outcome))
        resp.headers["Retry-After"] = str(outcome)
        return resp
    if outcome < 0:
        return _page("console/sign_in.html", 401, next=target, error="That is not the console's admin token.")
    session_store().end(session.get("sid"))  # signing in again replaces a session, never adds one
    session.clear()  # a fresh session: nothing from before signing in carries over
    session["sid"] = session_store().create()
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = False
    return redirect(target, code=303)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    if session.get("sid"):
        session_store().end(session.get("sid"))  # every copy of the cookie stops working, on every worker
        log_auth("signed out", "console", failure_throttle(current_app).client_key(request.remote_addr))
    session.clear()
    return redirect(url_for("console.sign_in", signed_out=1), code=303)


# --- examples and session packs --------------------------------------------------------------


def _assistant():
    return current_app.extensions["ucc.assistant"]


def _filters(values) -> dict[str, str]:
    return {k: values.get(k, "").strip() for k in FILTERS if values.get(k, "").strip()}


def _n(values) -> int:
    raw = (values.get("n") or "").strip()
    if not raw:
        return DEFAULT_N
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_N:
        raise InvalidRequest(f"The number of examples must be a whole number between 1 and {MAX_N}.")
    return int(raw)


@bp.route("/", methods=["GET"])
@bp.route("", methods=["GET"])
def examples():
    assistant = _assistant()
    topic = " ".join(request.args.get("topic", "").split())
    filters = _filters(request.args)
    error, found, status = None, None, 200
    n = DEFAULT_N
    try:
        n = _n(request.args)
        if topic:
            found = assistant.examples(topic, n=n, filters=filters or None)
        elif filters:
            error, status = "Give a topic to search for, for example: proactive services.", 400
    except InvalidRequest as exc:
        error, status = exc.message, exc.status
    return _page("console/examples.html", status, topic=topic, filters=filters, n=n, max_n=MAX_N,
                 options=assistant.filter_values(), found=found, error=error, labels=FILTER_LABELS)


FILTER_LABELS = {"city": "City", "country": "Country", "principle": "Principle", "subindicator": "Sub-indicator",
                 "year": "Year"}
PACK_FORMATS = {
    "markdown": ("text/markdown; charset=utf-8", "md"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}


@bp.route("/pack", methods=["POST"])
def pack():
    form = request.form
    fmt = form.get("format", "markdown")
    if fmt not in PACK_FORMATS:
        raise InvalidRequest("Choose Markdown or CSV.")
    picked = [p for p in form.getlist("pick") if p]
    if not picked:
        raise InvalidRequest("Pick at least one example for the pack.")
    # only the picked examples; the prompts and related sub-indicators drawn from those
    built = _assistant().session_pack(form.get("topic", ""), n=_n(form), filters=_filters(form) or None, picked=picked)
    mimetype, ext = PACK_FORMATS[fmt]
    body = built.to_markdown() if fmt == "markdown" else built.to_csv()
    name = f"ucc-session-pack-{_file_slug(built.topic)}-{built.generated.isoformat()}.{ext}"
    return _download(body, mimetype, name)


def _file_slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:limit].strip("-") or "topic"


def _download(body: str, mimetype: str, filename: str) -> Response:
    resp = Response(body, mimetype=mimetype.split(";")[0])
    resp.headers["Content-Type"] = mimetype
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


# --- cities ----------------------------------------------------------------------------------


@bp.route("/cities")
def cities():
    assistant = _assistant()
    try:
        latest = assistant.scores()  # the latest revision's ranking
        revision, ranking = latest["revision"], {r["city"]: r for r in latest["ranking"]}
    except NotFound:
        revision, ranking = None, {}
    members = sorted(assistant.members(), key=lambda c: c.name)
    return _page("console/cities.html", members=members, ranking=ranking, revision=revision)


@bp.route("/cities/<name>")
def city(name: str):
    assistant = _assistant()
    member = assistant.member(name)  # UnknownCity: 404 with suggestions
    if member.slug != name:
        return redirect(url_for("console.city", name=member.slug, **request.args), code=301)
    page = assistant.city_page(member.slug, request.args.get("revision") or None)
    scores, versus = page.scores, page.versus
    rows, chart = [], None
    if scores is not None:
        medians = {v["id"]: v for v in versus["subindicators"]}
        pillars = {p["id"]: p["name"] for p in scores["pillars"]}
        for s in scores["subindicators"]:
            v = medians.get(s["id"], {})
            rows.append({**s, "pillar_name": pillars.get(s["pillar"], s["pillar"]),
                         "peer_median": v.get("peer_median"), "position": v.get("position"),
                         "peers": v.get("peers")})
        chart = peer_chart(scores["name"], rows, scores["revision"])
    return _page("console/city.html", member=page.member, scores=scores, rows=rows, chart=chart,
                 scores_note=page.scores_note, similar=page.similar, similar_note=page.similar_note,
                 learn=page.learn, learn_note=page.learn_note, revisions=page.revisions, population=page.population)


# The chart: one group per sub-indicator, the city's bar above the peers' median bar.
CHART = {"width": 720, "label_w": 290, "plot_w": 372, "top": 48, "row_h": 40, "bar_h": 13, "gap": 3,
         "bottom": 30}
CHART_LABEL_CHARS = 40


def peer_chart(name: str, rows: list[dict], revision: str) -> dict[str, Any]:
    """Geometry of the city-against-peers bar chart (drawn by the template as inline SVG)."""
    c = CHART
    x0 = c["label_w"]
    bars = []
    for i, r in enumerate(rows):
        y = c["top"] + i * c["row_h"]
        city_w = round(r["fraction"] * c["plot_w"], 1)
        median = r.get("peer_median")
        bars.append({
            "id": r["id"], "name": r["name"], "label_y": y + c["bar_h"] + 2,
            "label": _shorten(f"{r['id']} {r['name']}", CHART_LABEL_CHARS),
            "city_y": y, "city_w": max(city_w, 1.5), "city_value": r["fraction"],
            "median_y": y + c["bar_h"] + c["gap"],
            "median_w": None if median is None else max(round(median * c["plot_w"], 1), 1.5),
            "median_value": median,
        })
    height = c["top"] + len(rows) * c["row_h"] + c["bottom"]
    ticks = [{"x": round(x0 + t * c["plot_w"], 1), "label": f"{t:.2f}".rstrip("0").rstrip(".") if t else "0"}
             for t in (0, 0.25, 0.5, 0.75, 1)]
    above = [f"{r['id']} {r['name']}" for r in rows if r.get("position") == "above"]
    below = [f"{r['id']} {r['name']}" for r in rows if r.get("position") == "below"]
    level = [f"{r['id']} {r['name']}" for r in rows if r.get("position") == "level"]
    parts = [f"Share of Yes answers per sub-indicator for {name} against the median of the other named "
             f"members, dashboard revision {revision} (self-assessment)."]
    for word, items in (("Above", above), ("Level with", level), ("Below", below)):
        if items:
            parts.append(f"{word} the peers' median on {len(items)}: {', '.join(items)}.")
    return {**c, "x0": x0, "height": height, "bars": bars, "ticks": ticks, "plot_bottom": height - c["bottom"],
            "title": f"{name} against the peers' median, revision {revision}", "description": " ".join(parts)}


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- ranking ---------------------------------------------------------------------------------


@bp.route("/ranking")
def ranking():
    assistant = _assistant()
    revision = (request.args.get("revision") or "").strip() or None
    data = assistant.scores(None, revision)  # NotFound: HTML 404 naming the revisions that have scores
    return _page("console/ranking.html", data=data, revisions=assistant.revisions())


# --- questions -------------------------------------------------------------------------------


class QuestionSource(Protocol):
    """What the questions view uses of :class:`app.operations.questionlog.QuestionLog`.

    Rows are dicts; the view keeps only the keys in :data:`QUESTION_FIELDS`, and the CSV export
    drops identifying columns (:func:`strip_private_columns`), so a hashed user id never reaches
    the moderator. A log without ``recent``, ``content_gaps`` or ``failed_routes`` (an older
    one) gets its unanswered questions shown as content gaps.
    """

    def recent(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict]: ...

    def content_gaps(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict]: ...

    def failed_routes(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict]: ...

    def unanswered(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict]: ...

    def down_rated(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict]: ...

    def topics(self, since: Any = None, until: Any = None, k: int = 10, embedder: Any = None) -> list[Any]: ...

    def export_csv(self, since: Any = None, until: Any = None) -> str: ...


QUESTION_FIELDS = ("asked_at", "rated_at", "question", "status", "reason", "intent", "channel", "comment",
                   "answer", "resolved_question", "follow_up", "route", "route_failed")
_PRIVATE_COLUMN = re.compile(r"(^|_)(user|hash|ip|session|conversation)(_|$)", re.IGNORECASE)


def question_log() -> QuestionSource | None:
    """The app's question log (``app.extensions["ucc.questionlog"]``, shared with the API), or one
    built from the settings if :mod:`app.operations.questionlog` is installed; None if there is none."""
    app = current_app
    log = app.extensions.get("ucc.questionlog")
    if log is not None:
        return log
    try:
        from app.operations.questionlog import QuestionLog
    except ModuleNotFoundError as exc:
        if exc.name != "app.operations.questionlog":
            raise
        return None
    log = app.extensions.setdefault("ucc.questionlog", QuestionLog.from_settings(app.extensions["ucc.settings"]))
    return log


def _period(values) -> tuple[int, dt.datetime, dt.datetime]:
    raw = (values.get("days") or "").strip()
    if not raw:
        days = DEFAULT_DAYS
    elif raw.isdigit() and 1 <= int(raw) <= MAX_DAYS:
        days = int(raw)
    else:
        raise InvalidRequest(f"days must be a whole number between 1 and {MAX_DAYS}.")
    until = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=1)  # up to now
    return days, until - dt.timedelta(days=days), until


def _public(row: Any) -> dict[str, Any]:
    """Only the fields a moderator may see (never a user or conversation hash), with the outcome
    and the route in words."""
    from app.operations.questionlog import outcome

    data = row.to_dict() if hasattr(row, "to_dict") else dict(row)
    out = {k: data.get(k) for k in QUESTION_FIELDS if data.get(k) not in (None, "")}
    out["outcome"] = outcome(data.get("status"), data.get("reason"))
    out["route_text"] = route_text(data)
    return out


def route_text(row: dict[str, Any]) -> str | None:
    """The route a question took, in words: what answered it ("dashboard scores"), or the route
    that found nothing and the cited answer given instead."""
    from app.operations.questionlog import route_words

    if row.get("route_failed"):
        return f"{route_words(row.get('route')) or 'a route'}, which found nothing: a cited answer instead"
    return route_words(row.get("intent") or row.get("route"))


def _topic_row(row: Any) -> dict[str, Any]:
    data = row.to_dict() if hasattr(row, "to_dict") else dict(row)
    questions = [str(q) for q in (data.get("questions") or []) if str(q) != data.get("label")]
    share = data.get("answered_share")
    return {"label": data.get("label") or "", "count": data.get("count"),
            "words": [str(w) for w in (data.get("words") or [])][:5], "questions": questions[:3],
            "answered_percent": None if share is None else round(float(share) * 100)}


def _topics(log: QuestionSource, since, until) -> tuple[list[dict[str, Any]], str]:
    """The most asked topics, grouped by meaning with the index's model, or by shared words when
    the model cannot be loaded; and which of the two it was ("meaning" or "words")."""
    topics, by_meaning = _assistant().question_topics(log, since, until, k=TOPICS_SHOWN)
    return [_topic_row(t) for t in topics], "meaning" if by_meaning else "words"


def _summary(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The period's counts with each status in words, most frequent first."""
    from app.operations.questionlog import outcome

    if not summary:
        return summary
    by_status = sorted((summary.get("by_status") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return {**summary, "outcomes": [(outcome(status), count) for status, count in by_status]}


@bp.route("/questions")
def questions():
    days, since, until = _period(request.args)
    log = question_log()
    data = None
    if log is not None:
        summary = log.summary(since, until) if hasattr(log, "summary") else None
        topics, grouped_by = _topics(log, since, until)
        has_routes = hasattr(log, "content_gaps") and hasattr(log, "failed_routes")
        gaps = log.content_gaps if has_routes else log.unanswered
        data = {
            "summary": _summary(summary),
            "topics": topics,
            "grouped_by": grouped_by,
            "recent": ([_public(r) for r in log.recent(since, until, limit=QUESTIONS_SHOWN)]
                       if hasattr(log, "recent") else None),
            "content_gaps": [_public(r) for r in gaps(since, until, limit=QUESTIONS_SHOWN)],
            "failed_routes": ([_public(r) for r in log.failed_routes(since, until, limit=QUESTIONS_SHOWN)]
                              if has_routes else None),
            "down_rated": [_public(r) for r in log.down_rated(since, until, limit=QUESTIONS_SHOWN)],
        }
    return _page("console/questions.html", days=days, since=since, until=until, data=data, max_days=MAX_DAYS,
                 shown=QUESTIONS_SHOWN, topic_questions=_topic_questions())


def _topic_questions() -> int:
    from app.operations.questionlog import TOPIC_QUESTIONS

    return TOPIC_QUESTIONS


@bp.route("/questions.csv")
def questions_csv():
    days, since, until = _period(request.args)
    log = question_log()
    if log is None:
        raise NotFound("The question log is not installed, so there is nothing to export.")
    body = strip_private_columns(log.export_csv(since, until))
    return _download(body, "text/csv; charset=utf-8",
                     f"ucc-questions-{since.date().isoformat()}-to-{until.date().isoformat()}.csv")


def strip_private_columns(text: str) -> str:
    """The CSV without any column that could identify a person (user ids, hashes, addresses)."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    keep = [i for i, name in enumerate(rows[0]) if not _PRIVATE_COLUMN.search(name)]
    if len(keep) == len(rows[0]):
        return text
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([row[i] for i in keep if i < len(row)])
    return out.getvalue()


# --- template helpers ------------------------------------------------------------------------


@bp.app_template_filter("console_url")
def _console_url(url: Any) -> str | None:
    """An http(s) link target, or None (no javascript: or data: links from the knowledge base)."""
    return http_url(url)


@bp.app_template_filter("when")
def _when(value: Any) -> str:
    """An ISO time from the log ("2027-01-15T08:00:00Z") as "2027-01-15 08:00" (UTC, as the page says)."""
    text = str(value or "")
    found = re.match(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d)", text)
    return f"{found.group(1)} {found.group(2)}" if found else (text or "–")


@bp.app_template_filter("clip")
def _clip(value: Any, limit: int = 180) -> str:
    """A long text cut at a word before ``limit`` characters, with an ellipsis."""
    text = " ".join(str(value or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.…") + "…"


@bp.app_template_filter("fraction")
def _fraction(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}"


COLOUR_WORDS = {"green": "high", "orange": "medium", "red": "low"}

RANK_RULE = (
    "Two ranks, never mixed: the rank among the {n} cities with published scores is recomputed here "
    "from their Yes answers (equal whole percentages share a rank); the rank published on the dashboard "
    "is the dashboard's own, which also counted rows whose city names were lost, so its numbers run "
    "higher and have gaps."
)


@bp.app_template_global("rank_recomputed")
def rank_recomputed(rank: Any, of: Any) -> str:
    """The console's rank, said the same way on every page."""
    return f"rank {rank} among the {of} cities with published scores (recomputed)"


@bp.app_template_global("rank_published")
def rank_published(rank: Any) -> str:
    """The dashboard's own rank, said the same way on every page."""
    return "no rank published on the dashboard" if rank in (None, "") else f"rank {rank} published on the dashboard"


@bp.app_template_global("rank_rule")
def rank_rule(of: Any) -> str:
    return RANK_RULE.format(n=of)


@bp.app_template_global("colour_word")
def _colour_word(colour: str) -> str:
    return COLOUR_WORDS.get(colour, colour)
