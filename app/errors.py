"""Errors of the assistant's city and benchmark capabilities.

Both are :class:`~indexer.errors.NotFound` (HTTP 404), so every face already maps
them; their messages are written to be shown to the user as they are.
"""

from __future__ import annotations

from typing import Iterable

from indexer.errors import NotFound


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
        message = f"{city} has no published dashboard scores for revision {self.revision}."
        if self.available:
            message += (
                f" Only {len(self.available)} members have named published rows in {self.revision}: "
                f"{', '.join(self.available)}."
            )
        super().__init__(message)
