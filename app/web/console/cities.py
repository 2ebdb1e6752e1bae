"""The members' pages: ``/console/cities`` (every member, with its latest rank),
``/console/cities/<slug>`` (the dashboard table, a chart against the peers' median, similar
cities and cities to learn from) and ``/console/ranking?revision=`` (a revision's ranking).

Ranks follow one rule on every page (:mod:`app.web.console.helpers`): "rank N among the M cities
with published scores (recomputed)" against "rank N published on the dashboard".
"""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for

from indexer.errors import NotFound

from app.web.console.blueprint import _assistant, _page, bp


@bp.route("/cities")
def cities():
    assistant = _assistant()
    try:
        latest = assistant.scores()  # the latest revision's ranking
        revision, ranking = latest["revision"], {r["city"]: r for r in latest["ranking"]}
    except NotFound:
        revision, ranking = None, {}
    members = sorted(assistant.members(), key=lambda c: c.name)
    return _page("console/cities.html", members=members, ranking=ranking, revision=revision)


@bp.route("/cities/<name>")
def city(name: str):
    assistant = _assistant()
    member = assistant.member(name)  # UnknownCity: 404 with suggestions
    if member.slug != name:
        return redirect(url_for("console.city", name=member.slug, **request.args), code=301)
    page = assistant.city_page(member.slug, request.args.get("revision") or None)
    scores, versus = page.scores, page.versus
    rows, chart = [], None
    if scores is not None:
        medians = {v["id"]: v for v in versus["subindicators"]}
        pillars = {p["id"]: p["name"] for p in scores["pillars"]}
        for s in scores["subindicators"]:
            v = medians.get(s["id"], {})
            rows.append({**s, "pillar_name": pillars.get(s["pillar"], s["pillar"]),
                         "peer_median": v.get("peer_median"), "position": v.get("position"),
                         "peers": v.get("peers")})
        chart = peer_chart(scores["name"], rows, scores["revision"])
    return _page("console/city.html", member=page.member, scores=scores, rows=rows, chart=chart,
                 scores_note=page.scores_note, similar=page.similar, similar_note=page.similar_note,
                 learn=page.learn, learn_note=page.learn_note, revisions=page.revisions, population=page.population)


# The chart: one group per sub-indicator, the city's bar above the peers' median bar.
CHART = {"width": 720, "label_w": 290, "plot_w": 372, "top": 48, "row_h": 40, "bar_h": 13, "gap": 3,
         "bottom": 30}
CHART_LABEL_CHARS = 40


def peer_chart(name: str, rows: list[dict], revision: str) -> dict[str, Any]:
    """Geometry of the city-against-peers bar chart (drawn by the template as inline SVG)."""
    c = CHART
    x0 = c["label_w"]
    bars = []
    for i, r in enumerate(rows):
        y = c["top"] + i * c["row_h"]
        city_w = round(r["fraction"] * c["plot_w"], 1)
        median = r.get("peer_median")
        bars.append({
            "id": r["id"], "name": r["name"], "label_y": y + c["bar_h"] + 2,
            "label": _shorten(f"{r['id']} {r['name']}", CHART_LABEL_CHARS),
            "city_y": y, "city_w": max(city_w, 1.5), "city_value": r["fraction"],
            "median_y": y + c["bar_h"] + c["gap"],
            "median_w": None if median is None else max(round(median * c["plot_w"], 1), 1.5),
            "median_value": median,
        })
    height = c["top"] + len(rows) * c["row_h"] + c["bottom"]
    ticks = [{"x": round(x0 + t * c["plot_w"], 1), "label": f"{t:.2f}".rstrip("0").rstrip(".") if t else "0"}
             for t in (0, 0.25, 0.5, 0.75, 1)]
    above = [f"{r['id']} {r['name']}" for r in rows if r.get("position") == "above"]
    below = [f"{r['id']} {r['name']}" for r in rows if r.get("position") == "below"]
    level = [f"{r['id']} {r['name']}" for r in rows if r.get("position") == "level"]
    parts = [f"Share of Yes answers per sub-indicator for {name} against the median of the other named "
             f"members, dashboard revision {revision} (self-assessment)."]
    for word, items in (("Above", above), ("Level with", level), ("Below", below)):
        if items:
            parts.append(f"{word} the peers' median on {len(items)}: {', '.join(items)}.")
    return {**c, "x0": x0, "height": height, "bars": bars, "ticks": ticks, "plot_bottom": height - c["bottom"],
            "title": f"{name} against the peers' median, revision {revision}", "description": " ".join(parts)}


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- ranking ---------------------------------------------------------------------------------


@bp.route("/ranking")
def ranking():
    assistant = _assistant()
    revision = (request.args.get("revision") or "").strip() or None
    data = assistant.scores(None, revision)  # NotFound: HTML 404 naming the revisions that have scores
    return _page("console/ranking.html", data=data, revisions=assistant.revisions())

