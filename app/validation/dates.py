"""Dates in the knowledge folder: what a date field may hold, and when a fact needs one.

A date is a year at least ("2021", "2021-05", "2021-05-16"; YAML may read the first as a number
and the last as a date, both are accepted). An outcome whose text states a figure (a number in
digits or in words, :func:`has_figure`) needs the date it refers to, or ``date: "not found"``
with a ``date_note`` saying what was searched; a conflicting source may be ``"undated"``. Both
are warnings, not problems. Plain date fields (a partner's ``joined``, an award's steps) take a
date only.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from app.validation.problems import Sink

DATE_NOT_FOUND = "not found"
DATE_UNDATED = "undated"
DATE_HELP = 'a year at least: "2021", "2021-05" or "2021-05-16"'
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# A figure: digits, or a number written in words ("four times more", "Two service designers").
_FIGURE = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|"
    r"thousands?|millions?|billions?|dozens?|twice|double|triple|half|quarter)\b",
    re.I,
)


def date_text(value: Any) -> str | None:
    """A date field as text ("2021", "2021-05", "2021-05-16", "not found"); None when absent.

    YAML reads an unquoted ``2021`` as a number and ``2021-05-16`` as a date; both are accepted.
    """
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value).strip()


def date_problem(value: Any, *, allow_undated: bool = False) -> str | None:
    """Why ``value`` is not a usable date field, or None when it is (``not found`` included)."""
    text = date_text(value)
    if text == DATE_NOT_FOUND or (allow_undated and text == DATE_UNDATED):
        return None
    unknown = '"undated"' if allow_undated else '"not found" with a date_note saying what was searched'
    m = _DATE.match(text or "")
    if not m:
        return f"{text!r} is not a date; write {DATE_HELP}, or {unknown}"
    year, month, day = (int(g) if g else 1 for g in m.groups())
    try:
        _dt.date(year, month, day)
    except ValueError:
        return f"{text!r} is not a real date"
    return None


def has_figure(text: str) -> bool:
    """Whether ``text`` states a figure: a number in digits or in words."""
    return bool(_FIGURE.search(text or ""))


def check_date_of(sink: Sink, where: str, item: dict[str, Any], *, required: bool, allow_undated: bool) -> None:
    """The ``date`` (and ``date_note``) of one outcome, conflict value or fact."""
    value = item.get("date")
    note = item.get("date_note")
    if value is None:
        if required:
            sink.problem(
                f"{where}.date",
                f"a figure needs the date it refers to ({DATE_HELP}), "
                f'or date: "{DATE_NOT_FOUND}" with a date_note saying what was searched',
            )
        return
    message = date_problem(value, allow_undated=allow_undated)
    if message:
        sink.problem(f"{where}.date", message)
        return
    text = date_text(value)
    has_note = isinstance(note, str) and bool(note.strip())
    if text == DATE_NOT_FOUND:
        if not has_note:
            sink.problem(f"{where}.date_note", f'date "{DATE_NOT_FOUND}" needs a date_note saying what was searched')
        else:
            sink.warning(f"{where}.date", f"date not found: {' '.join(note.split())}")
    elif text == DATE_UNDATED:
        sink.warning(f"{where}.date", "the source is undated" + (f": {' '.join(note.split())}" if has_note else ""))


def date_value(sink: Sink, where: str, value: Any, required: bool = False) -> str | None:
    """Check a plain date field (no 'not found'); its text, or None."""
    if value is None:
        if required:
            sink.problem(where, f"is required ({DATE_HELP})")
        return None
    text = date_text(value)
    message = date_problem(value) if text != DATE_NOT_FOUND else f"{text!r} is not a date; write {DATE_HELP}"
    if message:
        sink.problem(where, message)
        return None
    return text


def joined_after(joined: str | None, date: str | None) -> bool:
    """Whether a ``joined`` date is later than ``date``, at the precision both share."""
    if not joined or not date:
        return False
    n = min(len(joined), len(date))
    return joined[:n] > date[:n]

