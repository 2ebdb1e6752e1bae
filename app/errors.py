"""Errors of the assistant: a question it refuses, and its city and benchmark capabilities.

:class:`EmptyQuestion` and :class:`QuestionTooLong` are :class:`~indexer.errors.InvalidRequest`
(HTTP 400 and 422), raised by :func:`app.answering.answers.check_question` for every face; the city and
benchmark errors are :class:`~indexer.errors.NotFound` (HTTP 404); :class:`StateUnavailable` (HTTP
503) is the shared state store (:mod:`app.state`) out of reach. Every face already maps them;
their messages are written to be shown to the user as they are.
"""

from __future__ import annotations

from typing import Iterable

from indexer.errors import InvalidRequest, NotFound, UccError


class EmptyQuestion(InvalidRequest):
    """A question that is empty or only whitespace."""

    def __init__(self):
        super().__init__("The question is empty: type what you would like to know.")


class QuestionTooLong(InvalidRequest):
    """A question longer than ``limit`` characters as sent (``length``)."""

    status = 422

    def __init__(self, length: int, limit: int):
        self.length = length
        self.limit = limit
        super().__init__(f"The question is too long ({length} characters; at most {limit}). "
                         "Ask about one thing at a time, or shorten the pasted text.")


class UnknownCity(NotFound):
    """No member matches ``name``; ``suggestions`` holds up to 3 member names close to it."""

    def __init__(self, name: str, suggestions: Iterable[str] = ()):
        self.name = name
        self.suggestions = list(suggestions)[:3]
        message = f'No member city matches "{name}".'
        if self.suggestions:
            message += f" Did you mean: {', '.join(self.suggestions)}?"
        super().__init__(message)


class NoScores(NotFound):
    """A member without a named, published dashboard row in ``revision``.

    ``available`` names the members that do have one (shown in the message).
    """

    def __init__(self, city: str, revision: str, available: Iterable[str] = ()):
        self.city = city
        self.revision = str(revision)
        self.available = list(available)
        verb = "have" if " and " in city else "has"  # "Paris and Brussels-Capital Region have ..."
        message = f"{city} {verb} no published dashboard scores for revision {self.revision}."
        if self.available:
            message += (
                f" Only {len(self.available)} members have named published rows in {self.revision}: "
                f"{', '.join(self.available)}."
            )
        super().__init__(message)


class StateUnavailable(UccError):
    """The state store (PostgreSQL, ``UCC_DATABASE_URL``) cannot be reached now: a write that the
    service would acknowledge is refused rather than lost (HTTP 503). ``reason`` is for operators."""

    status = 503

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__("The service's database cannot be reached right now, so this could not be saved; "
                         "please try again in a minute.")
