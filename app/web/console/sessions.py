"""Console sessions: the signed cookie and the server-side store of signed-in sessions.

Signing in makes a server-side session (:class:`SessionStore`, in the state store: SQLite in
UCC_DATA_DIR, shared by every worker, or the PostgreSQL of ``UCC_DATABASE_URL``, shared by every
host): the cookie (:class:`ConsoleSessionInterface`: Flask's signed cookie session,
HttpOnly, SameSite=Strict, Secure over https, path /console, signed with a key derived from the
token) carries a random session id, and the session ends at sign-out, after
:data:`SESSION_IDLE_SECONDS` unused or :data:`SESSION_SECONDS` after sign-in, whichever comes
first; a copy of the cookie dies with it. The cookie also carries the session's CSRF token
(:mod:`app.web.console.access`). While PostgreSQL is out of reach no session can be checked, made
or ended: the console answers 503 (fails closed) rather than trust a cookie it cannot check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface

from indexer.datafiles import CONSOLE_SESSIONS_DB

SESSION_SECONDS = 8 * 3600  # a session ends this long after sign-in, however busy
SESSION_IDLE_SECONDS = 30 * 60  # ... or this long after its last use
COOKIE_NAME = "ucc_console"
COOKIE_PATH = "/console"


def session_secret(token: str) -> bytes:
    """The key that signs console session cookies: derived from the admin token, so changing
    the token signs every moderator out."""
    return hmac.new(token.encode("utf-8"), b"ucc-console-session-v1", hashlib.sha256).digest()


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, keyed by the admin token and scoped to the console. It
    carries the CSRF token and, once signed in, the id of a :class:`SessionStore` session."""

    digest_method = staticmethod(hashlib.sha256)  # HMAC-SHA256 (Flask's default is SHA-1)

    def get_signing_serializer(self, app):
        token = admin_token(app)
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



def admin_token(app=None) -> str:
    """UCC_ADMIN_TOKEN of the app ("" when the console is closed)."""
    settings = (app or current_app).extensions.get("ucc.settings")
    return str(getattr(settings, "admin_token", "") or "") if settings is not None else ""


class SessionStore:
    """Signed-in console sessions, in the state store (:mod:`app.state`): the SQLite file
    ``UCC_DATA_DIR/console-sessions.db`` that every worker shares, or, with ``UCC_DATABASE_URL``,
    the PostgreSQL database that every host shares, so a sign-in or a sign-out on one host holds on
    all of them.

    The cookie carries a random id (32 bytes); the table keeps only its SHA-256, so a copy of the
    table (a backup, a leaked file) signs nobody in. A session is valid until it is ended (sign-out),
    :data:`SESSION_IDLE_SECONDS` after its last use or :data:`SESSION_SECONDS` after sign-in.
    Rows are made only by a right token, so the table stays as small as the number of sign-ins.

    It fails closed: while PostgreSQL is out of reach every method raises
    :class:`~app.errors.StateUnavailable` (503), and no session is taken as valid.
    """

    FILE = CONSOLE_SESSIONS_DB
    COMPONENT = "console_sessions"
    TOUCH_EVERY = 60.0

    def __init__(self, data_dir, clock=time.time, lifetime: float = SESSION_SECONDS,
                 idle: float = SESSION_IDLE_SECONDS, database_url: str = ""):
        from app.state import open_state

        self._state = open_state(data_dir, self.FILE, self.COMPONENT, url=database_url)
        self.path = getattr(self._state, "path", None)
        self.clock = clock
        self.lifetime = float(lifetime)
        self.idle = float(idle)

    @classmethod
    def from_settings(cls, settings) -> SessionStore:
        return cls(settings.data_dir, database_url=settings.database_url)

    @staticmethod
    def _key(session_id: str) -> str:
        return hashlib.sha256(session_id.encode("utf-8")).hexdigest()

    def create(self) -> str:
        """A new session; returns the id for the cookie. Ended and expired sessions are deleted."""
        now = self.clock()
        session_id = secrets.token_urlsafe(32)
        self._state.ensure(self.COMPONENT)
        with self._state.transaction() as tx:
            tx.execute("DELETE FROM sessions WHERE expires <= ? OR seen <= ?", [now, now - self.idle])
            tx.execute("INSERT INTO sessions (id, created, seen, expires) VALUES (?, ?, ?, ?)",
                       [self._key(session_id), now, now, now + self.lifetime])
        return session_id

    def valid(self, session_id: Any) -> bool:
        """Whether ``session_id`` names a live session (its last use is then brought up to now)."""
        if not isinstance(session_id, str) or not session_id:
            return False
        now = self.clock()
        key = self._key(session_id)
        self._state.ensure(self.COMPONENT)
        row = self._state.execute("SELECT seen, expires FROM sessions WHERE id = ?", [key]).fetchone()
        if row is None or now >= row[1] or now - row[0] >= self.idle:
            return False
        if now - row[0] >= self.TOUCH_EVERY:
            self._state.execute("UPDATE sessions SET seen = ? WHERE id = ? AND seen < ?", [now, key, now])
        return True

    def end(self, session_id: Any) -> None:
        if isinstance(session_id, str) and session_id:
            self._state.ensure(self.COMPONENT)
            self._state.execute("DELETE FROM sessions WHERE id = ?", [self._key(session_id)])

    def close(self) -> None:
        self._state.close()


def session_store(app=None) -> SessionStore:
    """The app's session store, made on first use."""
    app = app or current_app
    store = app.extensions.get("ucc.console_sessions")
    if store is None:
        store = app.extensions.setdefault("ucc.console_sessions",
                                          SessionStore.from_settings(app.extensions["ucc.settings"]))
    return store
