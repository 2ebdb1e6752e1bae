"""The state store: where the state that users create is kept, on one machine or shared by several.

The question log and feedback (:mod:`app.operations.questionlog`), conversations
(:mod:`app.answering.conversations`), the Slack bot's stores (:mod:`bots.stores`), the wrong
admin-token counts (:class:`app.web.ratelimit.FailureThrottle`) and the console's sign-in sessions
(:class:`app.web.console.sessions.SessionStore`) each open their state with
:func:`open_state`; the setting ``UCC_DATABASE_URL`` picks the backend:

- empty (the default): **SQLite**, one file per store in ``UCC_DATA_DIR`` (``questions.db``,
  ``conversations.db``, ``slack-events.db``, ``auth-throttle.db``, ``console-sessions.db``), exactly
  as before, one connection per thread (:class:`~app.state.sqlite.SqliteState`);
- ``postgresql://...``: **PostgreSQL**, every store in one database that several web hosts share,
  through one psycopg 3 connection pool per process (:class:`~app.state.postgres.PostgresState`).

The search index is never here: each host keeps its own copy (docs/scaling.md).

Both backends run the same versioned migrations (:mod:`app.state.migrations`): a
``schema_version`` table holds each store's version, and a store's migrations run once, in order,
when it is first opened. The stores write their SQL once, with ``?`` placeholders and portable
statements (``INSERT ... ON CONFLICT``); the PostgreSQL backend translates the placeholders.

What a store may ask of its backend (both have it):

- ``execute(sql, args)``: one statement, committed before it returns; a cursor-like result
  (``fetchone``, ``fetchall``, ``rowcount``);
- ``transaction()``: a context manager for several statements in one write transaction
  (SQLite: ``BEGIN IMMEDIATE``), committed when the block ends, rolled back on an error;
- ``defer(sql, args)``: an idempotent write that may wait: when PostgreSQL is out of reach it is
  kept in memory (bounded) and written when the database is back (the question log's asks);
- ``ensure(component)`` (run the store's migrations once), ``columns(table, tx)``, ``status()``,
  ``close()``.

Every write the service acknowledges is committed before the answer. When PostgreSQL cannot be
reached a backend raises :class:`app.errors.StateUnavailable` (HTTP 503) at once, without waiting
for the pool, until a quick probe finds the server again: questions are still answered (search is
local), ``/readyz`` says ``"state": {"status": "degraded", "reason": ...}`` and the pool reconnects
by itself when the server returns; no restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_state(path: str | Path, file: str, component: str, *, url: str = "", durable: bool = False,
               timeout_ms: int = 5000) -> Any:
    """The state of one store (``component``: ``questions``, ``conversations``, ``slack``,
    ``auth_throttle``, ``console_sessions``), its migrations run: with no ``url``, the SQLite file
    ``file`` in the folder ``path`` (or ``path`` itself when it names a file; ``durable``:
    ``synchronous=FULL``); with a ``postgresql://`` url, the process's shared pool for it. A PostgreSQL that cannot be reached
    now does not stop the store from opening: its migrations run at its first use."""
    if url:
        from app.state.postgres import PostgresState, check_url

        state = PostgresState.shared(check_url(url))
        state.ensure(component)
        return state
    from app.state.sqlite import SqliteState

    state = SqliteState(path, file, timeout_ms=timeout_ms, durable=durable)
    state.ensure(component)
    return state


def state_status(url: str) -> dict[str, Any]:
    """What ``/readyz`` says of the state store: backend, ``ok`` or ``degraded`` with the reason,
    and the writes kept in memory while PostgreSQL was out of reach. Checks the server when
    ``url`` is set (and writes what was kept if it is back); SQLite files need no check."""
    if not url:
        return {"backend": "sqlite", "status": "ok"}
    from app.state.postgres import PostgresState, check_url

    return PostgresState.shared(check_url(url)).status()
