"""The project's one exception family.

Every face (CLI, Flask, Slack) maps these to its own responses in one place.
Messages are written for the person at the other end: they are safe to show.

    UccError                      base; ``str(err)`` is safe to show users
     ├── ConfigurationError       a setting or a model cannot be used
     │    └── ModelUnavailable    the embedding model cannot be loaded
     ├── IndexNotBuilt            no live generation yet: run ``ucc index``
     ├── BuildInProgress          another build holds the lock
     ├── InvalidRequest           a bad query, mode, filter or argument (4xx)
     │    └── NotFound            a named thing does not exist (404)
     ├── DatasetError             an evaluation data set is malformed
     ├── PublishError             a generation cannot be published where asked
     ├── PullError                a published generation cannot be fetched, trusted or used here
     └── DocumentError            one file cannot be loaded (reported, skipped)
"""

from __future__ import annotations


class UccError(Exception):
    """Base of the family. ``status`` is the HTTP status a web face should use."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigurationError(UccError):
    status = 500


class ModelUnavailable(ConfigurationError):
    status = 503


class IndexNotBuilt(UccError):
    status = 503


class BuildInProgress(UccError):
    status = 409


class InvalidRequest(UccError):
    status = 400


class NotFound(InvalidRequest):
    status = 404


class DatasetError(UccError):
    status = 400


class PublishError(UccError):
    status = 409


class PullError(UccError):
    status = 409


class DocumentError(UccError):
    """A file that cannot be parsed. Carries its path and the reason."""

    status = 422

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason
