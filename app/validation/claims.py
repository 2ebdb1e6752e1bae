"""Facts that cite their sources: outcomes and conflicts between sources.

Every ``outcomes`` item has a text and its own source, listed among the entry's ``sources``,
and a date when its text holds a figure (:mod:`app.validation.dates`). Every ``conflicts`` item
(front matter, the top-level list of ``cities.yaml``, an award of ``network/awards.yaml``) has
``about``, ``followed`` and ``others`` values (``value``, ``source``, optional ``date``) and a
``reason`` (knowledge/README.md, "Conflicts between sources").
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app.validation.dates import check_date_of, has_figure
from app.validation.problems import Sink, as_list
from app.validation.schemas import Conflict


def check_listed(sink: Sink, where: str, source: Any, listed: set[str] | None, whose: str = "the entry's") -> None:
    """A problem when ``source`` is not among the ``listed`` sources (None: not checked here)."""
    if listed is not None and isinstance(source, str) and source not in listed:
        sink.problem(where, f"{source} is not in {whose} sources list")


def check_outcomes(sink: Sink, outcomes: Any, listed: set[str] | None) -> None:
    """Each outcome: a text, its own source (listed), and a date when its text holds a figure."""
    for i, item in enumerate(as_list(outcomes)):
        where = f"outcomes[{i}]"
        if not isinstance(item, dict) or not item.get("source"):
            sink.problem(where, "an outcome needs its own source")
            continue
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            sink.problem(f"{where}.text", "an outcome needs its text (the figure or result, in a sentence)")
            text = ""
        if not isinstance(item["source"], str):
            sink.problem(f"{where}.source", "a source is one URL (or reference) as a string")
        check_listed(sink, f"{where}.source", item["source"], listed)
        check_date_of(sink, where, item, required=has_figure(text), allow_undated=False)


def check_conflicts(sink: Sink, items: Any, listed: set[str] | None, prefix: str = "conflicts",
                     whose: str = "the entry's") -> list[tuple[int, dict[str, Any], Conflict]]:
    """The documented shape of each conflict; returns the well-formed ones with their index and raw data."""
    if items is None:
        return []
    if not isinstance(items, list):
        sink.problem(prefix, "expected a list of conflicts (see knowledge/README.md, 'Conflicts between sources')")
        return []
    good = []
    for i, raw in enumerate(items):
        where = f"{prefix}[{i}]"
        if not isinstance(raw, dict):
            sink.problem(where, "a conflict is a mapping with about, followed {value, date, source}, others and reason")
            continue
        try:
            conflict = Conflict.model_validate(raw)
        except ValidationError as exc:
            sink.invalid(exc, f"{where}.")
            continue
        sides = [("followed", raw["followed"])] + [(f"others[{j}]", v) for j, v in enumerate(raw["others"])]
        for side, value in sides:
            check_date_of(sink, f"{where}.{side}", value, required=False, allow_undated=True)
            check_listed(sink, f"{where}.{side}.source", value["source"], listed, whose)
        good.append((i, raw, conflict))
    return good

