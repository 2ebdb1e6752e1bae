"""The assistant's structured answer parts as aligned plain text for the terminal (``ucc ask``)."""

from __future__ import annotations

from typing import Any

MAX_CELL = 40


def _table(columns: list[str], rows: list[list[Any]], totals: list[Any] | None = None) -> list[str]:
    cells = [[str(c)[:MAX_CELL] for c in columns]] + [[str(x)[:MAX_CELL] for x in row] for row in rows]
    if totals:
        cells.append(["Overall"] + [f"{t}%" for t in totals])
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return ["  " + line for line in lines]


def part_lines(part: dict) -> list[str]:
    """One part (see app/answering/reply.py) as lines of text; citations are printed by the caller."""
    kind, title = part.get("type"), part.get("title") or ""
    if kind in ("score_table", "table"):
        rows = part.get("rows") or []
        if not rows:
            return []
        colours = part.get("colours") or []
        if colours:  # the dashboard's colour as a word beside each value, never colour alone
            rows = [[row[0]] + [f"{v} {c}" for v, c in zip(row[1:], colours[i])] if i < len(colours) else row
                    for i, row in enumerate(rows)]
        out = [f"{title}:"] + _table(part.get("columns") or [], rows, part.get("totals"))
        if part.get("note"):
            out.append(f"  {part['note']}")
        return out
    if kind == "cities":
        items = part.get("items") or []
        return [f"{title}:"] + [f"  - {i.get('name')}" + (f": {i['why']}" if i.get("why") else "") for i in items[:12]] \
            if items else []
    if kind == "examples":
        items = part.get("items") or []
        return [f"{title}:"] + [
            f"  - {e.get('title')} ({e.get('city_name') or e.get('city') or 'network'})"
            + (f" — {e['url']}" if e.get("url") else "") for e in items] if items else []
    return []
