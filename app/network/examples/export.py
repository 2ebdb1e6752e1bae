"""Examples and session packs as files a moderator can share: CSV and Markdown.

CSV cells that a spreadsheet would run as a formula are defused (:func:`safe_cell`); Markdown
text is kept on one line with the characters that would break a table or a link escaped, and
only http(s) links are written.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable

from app.links import http_url
from app.network.examples.model import Example, Guide, RelatedSubindicator

CSV_COLUMNS = ("title", "city", "country", "year", "kind", "summary", "url", "source_file")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- CSV ----------------------------------------------------------------------


def safe_cell(value: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula (leading apostrophe)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def examples_csv(found: Iterable[Example]) -> str:
    """The examples as CSV: a header row, then one row per example."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for e in found:
        writer.writerow([safe_cell(v) for v in (e.title, e.city_name or e.city, e.country, e.year, e.kind,
                                                 e.summary, e.url, e.source)])
    return buf.getvalue()


# --- Markdown -----------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_text(text: Any) -> str:
    """Text safe inside a Markdown table cell or link label: one line, specials escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text or "").split()))


def md_cell(text: Any) -> str:
    """Prose in a table cell: one line, only what breaks a table or a link escaped."""
    return re.sub(r"([\\|\[\]<>])", r"\\\1", " ".join(str(text or "").split()))


def md_url(url: str | None) -> str | None:
    """An http(s) URL usable as a Markdown link target, or None."""
    url = http_url(str(url or "").strip().replace(" ", "%20"))
    if not url:
        return None
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def md_link(label: str, url: str | None) -> str:
    target = md_url(url)
    return f"[{md_text(label)}]({target})" if target else md_text(label)


def examples_section(found: list[Example], topic: str) -> list[str]:
    """The examples as a Markdown table (or why there are none), under its heading."""
    lines = ["## Examples", ""]
    if found:
        lines += ["| # | Example | City | Year | Kind | In short |", "|---|---|---|---|---|---|"]
        for i, e in enumerate(found, 1):
            city = md_text(e.city_name or e.city or "–")
            if e.country:
                city += f" ({md_text(e.country)})"
            if not e.member:
                city += " — not a member"
            kind = md_text(e.kind or "")
            if e.award and e.award.get("result"):
                kind += f"; award {md_text(e.award.get('result'))} {md_text(e.award.get('year') or '')}".rstrip()
            lines.append(f"| {i} | {md_link(e.title, e.url)} | {city} | {e.year or '–'} | {kind} | "
                         f"{md_cell(e.summary)} |")
        lines.append("")
        lines.append("Year: the year recorded in the entry; – where the knowledge base records none.")
    else:
        lines.append(f"No service or case in the knowledge base matches “{md_text(topic)}” closely enough. "
                     "Try a broader topic, or ask members to add their service.")
    return lines + [""]


def guides_section(guides: list[Guide]) -> list[str]:
    """The guides to read, as a Markdown list under its heading."""
    lines = ["## Guides to read", ""]
    if guides:
        for g in guides:
            where = f" (knowledge base: `{g.source.replace('`', '')}`"
            where += f"; see {md_text(', '.join(g.sections[:2]))})" if g.sections else ")"
            lines.append(f"- **{md_text(g.title)}**{where}")
    else:
        lines.append("No toolkit guide matches this topic closely enough.")
    return lines + [""]


def strong_section(related: list[RelatedSubindicator], label: str, revision: str | None) -> list[str]:
    """The related sub-indicators and the members green on each, as a Markdown table under its heading."""
    lines = ["## Cities strong on the related sub-indicators", ""]
    if related:
        lines.append(f"Dashboard figures: {md_text(label)}. Strong means green on the dashboard: "
                     "a share of Yes answers of 0.67 or more. These are the cities' own answers, not an audit.")
        lines += ["", "| Sub-indicator | Tagged entries | Strong cities (Yes answers) |", "|---|---|---|"]
        for s in related:
            if not s.in_revision:
                strong = f"not in revision {md_text(revision)}" if revision else "no scores"
            elif s.strong:
                strong = ", ".join(f"{md_text(c.name)} ({c.score})" for c in s.strong)
            else:
                strong = "none green"
            lines.append(f"| {md_text(s.id)} {md_text(s.name)} | {s.entries} | {strong} |")
    else:
        lines.append("No related sub-indicators: no example or guide was found.")
    return lines + [""]
