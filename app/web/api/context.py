"""What a view works with, for the app serving the request: the assistant, the question log, the
metrics and the settings (set up by :mod:`app.web.api.blueprint`). They are proxies, as Flask's
``current_app`` is, so that a view reads ``assistant.search(...)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app
from werkzeug.local import LocalProxy

if TYPE_CHECKING:
    from indexer.settings import Settings

    from app.assistant import Assistant
    from app.operations.questionlog import QuestionLog
    from app.web.metrics import Metrics

assistant: Assistant = LocalProxy(lambda: current_app.extensions["ucc.assistant"])  # type: ignore[assignment]
questions: QuestionLog = LocalProxy(lambda: current_app.extensions["ucc.questionlog"])  # type: ignore[assignment]
metrics: Metrics = LocalProxy(lambda: current_app.extensions["ucc.metrics"])  # type: ignore[assignment]
settings: Settings = LocalProxy(lambda: current_app.extensions["ucc.settings"])  # type: ignore[assignment]
