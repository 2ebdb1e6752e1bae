"""The period of an admin list: ``since`` and ``until`` as dates or RFC 3339 times, or ``days``.

A date (``YYYY-MM-DD``) is UTC midnight; a date and time needs its offset (``Z`` or ``±hh:mm``),
as RFC 3339 says, and a leap second is read as second 59. The pattern is written out because
the standard library's ``fromisoformat`` takes more than RFC 3339 (``20230101``, a time without
offset), and the document promises ``format: date`` / ``date-time`` exactly. Times before the
first representable UTC instant (``0001-01-01T00:00:00+05:00``) are clamped, not errors.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_DATE_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
                        r"([Zz]|[+-][0-9]{2}:[0-9]{2})\Z")
FIRST = datetime.min.replace(tzinfo=timezone.utc).isoformat()


def utc_time(raw: str) -> str:
    """A date or an RFC 3339 date and time, as a UTC ISO string; ValueError for anything else."""
    if m := _DATE.match(raw):
        return datetime(*map(int, m.groups()), tzinfo=timezone.utc).isoformat()
    m = _DATE_TIME.match(raw)
    if not m:
        raise ValueError("not a date or an RFC 3339 date and time")
    year, month, day, hour, minute, second = map(int, m.groups()[:6])
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    zone = m.group(8).upper()
    offset = timedelta(0) if zone == "Z" else (
        (-1 if zone[0] == "-" else 1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    # ValueError here too: 2023-02-30, an hour of 25, an offset of 24 hours or more
    value = datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=timezone(offset))
    try:
        return value.astimezone(timezone.utc).isoformat()
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the first representable UTC time
        return (datetime.min if year == 1 else datetime.max).replace(tzinfo=timezone.utc).isoformat()


def period(since: str | None, until: str | None, days: int | None,
           default_days: int | None = 30) -> tuple[str | None, str | None]:
    """``(since, until)`` as UTC ISO strings (None: open). ``since``/``until`` are already UTC ISO
    strings; ``days`` counts back from ``until`` (default: now), and ``default_days`` does when
    neither ``days`` nor ``since`` is given (None: everything up to ``until``)."""
    if days is None and since is None:
        days = default_days
    now = datetime.now(timezone.utc)
    end = datetime.fromisoformat(until) if until else now
    if days is not None:
        try:
            since = (end - timedelta(days=days)).isoformat()
        except OverflowError:  # until is in the first days of year 1
            since = FIRST
    elif since is None and until is not None:
        since = FIRST  # everything up to until, however long ago
    if until is None and since is not None and datetime.fromisoformat(since) > now:
        until = since  # a period that starts in the future is empty, not an error
    return since, until
