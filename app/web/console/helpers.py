"""Filters and globals of the console's templates: safe links, times, clipped texts, fractions,
colours in words, and the two ranks said the same way on every page.

Ranks: "rank N among the M cities with published scores (recomputed)" is computed by the console
from the named rows of the stored dashboard page; "rank N published on the dashboard" is the
dashboard's own figure, which also counted rows whose names were lost (:func:`rank_recomputed`,
:func:`rank_published`, :data:`RANK_RULE`).
"""

from __future__ import annotations

import re
from typing import Any

from app.links import http_url
from app.web.console.blueprint import bp


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
