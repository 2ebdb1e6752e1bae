"""What a request to the API may hold: the limits, the values and the field types the request
models of :mod:`app.web.api.inputs` are made of.

Each type carries its own check and its own documentation: the pydantic constraint that validates
a value is the one the OpenAPI document shows (``maxLength``, ``minimum``, ``enum``). Where a value
breaks a constraint, the :class:`Rule` beside it says what the API answers (code, message, status);
:mod:`app.web.api.reading` reads the rule. A check written as a validator raises
:func:`problem`, an error that already carries the API's code and status.

Query values arrive as text: a whole number is read only as ASCII digits (``int()`` would also take
``" 5"``, ``"+5"``, ``"5_0"`` and other scripts' digits), a flag only as one of
:data:`BOOL_VALUES`; text is kept on one line (runs of whitespace become one space).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from indexer.search import MAX_QUERY_CHARS

from app.web.api.period import utc_time

MAX_TEXT = MAX_QUERY_CHARS  # question, topic, comment: 2,000 characters
MAX_ID = 200  # user ids, answer ids, conversation ids, filter values
BOOL_VALUES = {"0": False, "1": True, "false": False, "true": True, "no": False, "yes": True}
# What the web face can vouch for: a question came over the web, from the widget or not. The Slack
# bot and the command line record their own questions; a web client cannot speak for them.
WEB_CHANNELS = ("web", "widget")
# "Not blank" as the server sees it: one character that Python's str.split() does not treat as
# whitespace (regex \S differs: it counts U+FEFF as a space and U+001C-U+001F, U+0085 as text).
NOT_BLANK = ("[^\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029"
             "\\u202f\\u205f\\u3000]")
_DIGITS = re.compile(r"-?[0-9]{1,18}\Z")


@dataclass(frozen=True)
class Rule:
    """What the API answers when a field's value breaks its constraints. ``message`` is formatted
    with ``name`` (the field), ``length`` (of the value as sent) and the constraint's own values."""

    code: str
    message: str
    status: int = 400


def problem(code: str, message: str, status: int = 400) -> PydanticCustomError:
    """An error raised by a validator, already in the API's terms."""
    return PydanticCustomError(code, message, {"status": status})


def one_line(value: str) -> str:
    """Runs of whitespace (as str.split() sees it) become one space; the ends are trimmed."""
    return " ".join(value.split())


def text(what: str):
    """Required text on one line: at most :data:`MAX_TEXT` characters as sent (422 past it, so the
    documented ``maxLength`` holds exactly), not blank (``empty_<what>``, 400)."""

    def not_blank(value: str) -> str:
        line = one_line(value)
        if not line:
            raise problem("empty_" + what, f"The {what} is empty.")
        return line

    return Annotated[str, Field(max_length=MAX_TEXT, json_schema_extra={"pattern": NOT_BLANK}),
                     AfterValidator(not_blank),
                     Rule(f"{what}_too_long", f"The {what} is too long ({{length}} characters; at most {MAX_TEXT}). "
                          "Ask about one thing at a time, or shorten the pasted text.", 422)]


def _digits(value: Any) -> Any:
    if isinstance(value, str) and not _DIGITS.match(value):
        raise ValueError("not a whole number")
    return value


def whole_number(lo: int, hi: int):
    """A whole number from ``lo`` to ``hi``, written in ASCII digits."""
    return Annotated[int, Field(ge=lo, le=hi), BeforeValidator(_digits),
                     Rule("invalid_parameter", f"'{{name}}' must be a whole number between {lo} and {hi}.")]


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        if value not in BOOL_VALUES:
            raise ValueError("not a flag")
        return BOOL_VALUES[value]
    return value


Flag = Annotated[bool, BeforeValidator(_flag), WithJsonSchema({"type": "string", "enum": list(BOOL_VALUES)}),
                 Rule("invalid_parameter", "'{name}' must be 1 or 0.")]
"""A yes/no query parameter: 1 or 0 (also true/false, yes/no)."""


def choice(values: tuple[str, ...], what: str):
    """One of ``values``; anything else is 400 ``invalid_parameter``."""
    return Rule("invalid_parameter", f"Unknown {what} {{input!r}}; use one of: {', '.join(values)}.")


def _filter_values(raw: Any) -> Any:
    """Filters from a JSON body: each a string, a number or an array of them; no value over
    :data:`MAX_ID` characters. Their names are the assistant's to check (``invalid_request``)."""
    if not isinstance(raw, dict):
        return raw  # the type check says it
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, bool) or not isinstance(v, (str, int)) for v in values):
            raise problem("invalid_type", f"The filter '{key}' must be a string, a number or an array of them.")
        if any(len(str(v)) > MAX_ID for v in values):
            raise problem("invalid_filter", f"A value of the filter '{key}' is too long.")
    return raw


FilterValue = str | int  # strict: a body model takes no true for 1
BodyFilters = Annotated[dict[str, FilterValue | list[FilterValue]], BeforeValidator(_filter_values)]
QueryFilter = Annotated[list[Annotated[str, Field(max_length=MAX_ID)]],
                        Rule("invalid_filter", "A value of the filter '{name}' is too long.")]
When = Annotated[str, AfterValidator(utc_time),
                 WithJsonSchema({"anyOf": [{"type": "string", "format": "date"},
                                           {"type": "string", "format": "date-time"}]}),
                 Rule("invalid_parameter", "'{name}' must be a date (YYYY-MM-DD) or a date and time (RFC 3339).")]
"""A date or an RFC 3339 date and time (:func:`app.web.api.period.utc_time`), read as a UTC ISO string."""
