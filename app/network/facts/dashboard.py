"""Answers from the benchmarking dashboard as data: its structure, members side by side, and the
strongest or weakest members on one sub-indicator. Scores say they are self-assessed."""

from __future__ import annotations

from typing import Any

from app.errors import NoScores
from app.network.facts.model import NetworkAnswer, scores_source
from app.network.wording import join_names


def dashboard(catalog: Any, benchmark: Any, revision: str | None = None, pillar: str | None = None) -> NetworkAnswer:
    """The dashboard's pillars, sub-indicators and questions in one revision (or one pillar's)."""
    rev_id = revision if revision else benchmark.latest_revision()
    fw = catalog.framework
    rev = fw.revision(rev_id)
    subs = rev.subindicators
    pillar_text = "; ".join(
        f"{p.name} ({', '.join(f'{s.id} {s.name}' for s in p.subindicators)})" for p in rev.pillars)
    one = next((p for p in rev.pillars if p.name == pillar), None)
    if one is not None:
        text = (f"The {one.name} pillar of the UserCentriCities benchmarking dashboard (revision {rev.revision}) has "
                f"{len(one.subindicators)} sub-indicators: "
                + join_names([f"{s.id} {s.name} ({s.n} questions)" for s in one.subindicators])
                + f". The dashboard has {len(rev.pillars)} pillars, {len(subs)} sub-indicators and "
                f"{rev.question_count} questions in all.")
    else:
        text = (f"The UserCentriCities benchmarking dashboard (revision {rev.revision}) has {len(rev.pillars)} pillars, "
                f"{len(subs)} sub-indicators and {rev.question_count} questions. The pillars: {pillar_text}.")
    text += f" Each member answers the questions yes or no about itself: the scores are a {fw.assessment}."
    rows = [{"pillar": p.name, "id": s.id, "name": s.name, "questions": s.n} for p in rev.pillars for s in p.subindicators]
    source = {"title": f"{fw.name}: pillars, sub-indicators and questions", "url": (rev.sources or fw.sources or [None])[0],
              "source": "benchmark/framework.yaml"}
    return NetworkAnswer(text, {"revision": rev.revision, "pillars": len(rev.pillars), "subindicators": len(subs),
                                "questions": rev.question_count, "structure": rows},
                         [{"type": "table", "title": f"Dashboard structure, revision {rev.revision}",
                           "columns": ["Pillar", "Sub-indicator", "Questions"],
                           "rows": [[r["pillar"], f"{r['id']} {r['name']}", r["questions"]] for r in rows]}],
                         [source])


def compare(benchmark: Any, slugs: list[str], revision: str | None = None) -> NetworkAnswer:
    """Members side by side: overall score, then each sub-indicator, those that differ most first.
    Members without published scores are named as such (with one member left, its scores alone);
    :class:`NoScores` (naming them all) when none has any."""
    cards, missing = [], []
    for slug in slugs:
        try:
            cards.append(benchmark.city_scores(slug, revision))
        except NoScores as exc:
            missing.append(exc)
    if not cards:
        raise NoScores(join_names([m.city for m in missing]), missing[0].revision, missing[0].available)
    rev = cards[0]["revision"]
    names = [c["name"] for c in cards]
    overall = ", ".join(f"{c['name']} {c['percent']}%" for c in cards)
    by_id: dict[str, list[dict]] = {}
    for card in cards:
        for s in card["subindicators"]:
            by_id.setdefault(s["id"], []).append(s)
    common = [(sid, vals) for sid, vals in by_id.items() if len(vals) == len(cards)]
    spread = sorted(common, key=lambda kv: -(max(v["fraction"] for v in kv[1]) - min(v["fraction"] for v in kv[1])))
    differ = [(sid, vals) for sid, vals in spread if max(v["fraction"] for v in vals) - min(v["fraction"] for v in vals) > 1e-9]
    text = f"On the UserCentriCities dashboard (self-assessment, revision {rev}): {overall}."
    if len(cards) == 1:
        text = f"Only {names[0]} has published scores on the UserCentriCities dashboard (self-assessment, " \
               f"revision {rev}): {overall}."
    elif differ:
        shown = []
        for sid, vals in differ[:3]:
            shown.append(f"{sid} {vals[0]['name']} (" + ", ".join(
                f"{n} {v['yes']} of {v['total']}" for n, v in zip(names, vals)) + ")")
        text += " They differ most on " + "; ".join(shown) + "."
    else:
        text += " They score the same on every sub-indicator."
    if missing:
        text += f" {join_names([m.city for m in missing])} {'has' if len(missing) == 1 else 'have'} no published scores in {rev}."
    text += f" Source: {cards[0].get('source')}."
    rows = [[f"{sid} {vals[0]['name']}"] + [f"{v['yes']}/{v['total']}" for v in vals] for sid, vals in common]
    colours = [[v["colour"] for v in vals] for _, vals in common]
    table = {"type": "score_table", "title": f"Dashboard, revision {rev} (self-assessment)",
             "columns": ["Sub-indicator"] + names, "rows": rows, "colours": colours,
             "totals": [c["percent"] for c in cards]}
    return NetworkAnswer(text, {"revision": rev, "cities": cards, "differ_most": [sid for sid, _ in differ[:3]],
                                "without_scores": [m.city for m in missing]},
                         [table], [scores_source(cards[0].get("source"))])


def subindicator_ranking(benchmark: Any, catalog: Any, sub_id: str, revision: str | None = None,
                         weakest: bool = False, top: int = 5) -> NetworkAnswer:
    """The members with the most (or fewest) yes answers on one sub-indicator."""
    rev = revision or benchmark.latest_revision()
    fw = catalog.framework.revision(rev)
    sub = fw.subindicator(sub_id)
    rows = benchmark.rows(rev)
    scored = []
    for slug, row in rows.items():
        score = row.scores.get(sub_id)
        if score is not None:
            scored.append((score.yes / score.n if score.n else 0.0, slug, score))
    scored.sort(key=lambda t: (t[0], t[1]) if weakest else (-t[0], t[1]))
    names = {c.slug: c.name for c in catalog.cities}
    items = [{"slug": slug, "name": names.get(slug, slug), "yes": s.yes, "total": s.n,
              "why": f"yes to {s.yes} of {s.n} questions", "url": f"/api/v1/cities/{slug}"}
             for _, slug, s in scored[:top]]
    if not items:
        text = f"No member has published scores on {sub.id} {sub.name} in revision {rev}."
    else:
        edge = scored[0][0]
        tied = [i for (f, _, _), i in zip(scored, items) if abs(f - edge) < 1e-9]
        lead = join_names([i["name"] for i in tied])
        which = "weakest" if weakest else "strongest"
        verb = ("trail" if weakest else "lead") + ("" if len(tied) > 1 else "s")
        text = (f"On {sub.id} {sub.name}, the {which} members on the dashboard (self-assessment, revision {rev}) are "
                + "; ".join(f"{i['name']} ({i['why']})" for i in items)
                + f". {lead} {verb} on this sub-indicator. Source: {benchmark.source(rev)}.")
    return NetworkAnswer(text, {"revision": rev, "subindicator": {"id": sub.id, "name": sub.name}, "ranking": items},
                         [{"type": "cities", "title": f"{sub.id} {sub.name}", "items": items}],
                         [scores_source(benchmark.source(rev))])


def topic_subindicator(topic: str, catalog: Any, benchmark: Any) -> str | None:
    """The sub-indicator of the latest revision a topic is about ("accessibility" -> the one whose
    name, questions and mapped principles share most of the topic's words), or None.

    A word of the sub-indicator's name counts three times, one of its questions or of a principle
    mapped to it once; ties go to the first sub-indicator in the dashboard's order."""
    from app.answering.sentences import content_words, stem

    words = {stem(w) for w in content_words(topic)}
    if not words:
        return None
    rev = catalog.framework.revision(benchmark.latest_revision())
    principles = {}
    for p in catalog.principles:
        for sid in p.subindicators:
            principles.setdefault(sid, []).append(f"{p.name} {p.id.replace('-', ' ')}")
    best, best_score = None, 0.0
    for s in rev.subindicators:
        name = {stem(w) for w in content_words(s.name)}
        body = {stem(w) for w in content_words(" ".join(q.text for q in s.questions) + " "
                                                + " ".join(principles.get(s.id, [])))}
        score = sum(3.0 if w in name else 1.0 if w in body else 0.0 for w in words) / len(words)
        if score > best_score:
            best, best_score = s.id, score
    return best if best_score >= 1.0 else None
