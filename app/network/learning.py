"""Bench-learning: who to learn from, on what, and what to read first.

:func:`learn_from` takes a member's weakest dashboard sub-indicators (or the one
asked for) and, for each, finds

- the peers that score well there, preferring members similar to the city
  (:meth:`app.network.cities.CityDirectory.similar`, basis ``all``);
- the services and cases that show how: a search within kinds service and case,
  tagged with the sub-indicator and from those peers, falling back to any
  member's documents tagged with it;
- the toolkit guide to read first: the best guide tagged with the sub-indicator
  for its name and questions.

A member without published scores still gets advice: the focus is then the
sub-indicators on which members most often score low and that its own indexed
services do not cover, and the result says that its scores are missing.

Search results are cached per live index generation, so repeated calls are fast.
"""

from __future__ import annotations

import weakref
from typing import Any

from indexer.errors import ConfigurationError, IndexNotBuilt, InvalidRequest, NotFound

from app.network.benchmark import LABEL, Benchmark
from app.network.models import SubIndicator
from app.network.scoring import STRONG, colour, display_fraction
from app.network.cities import MAX_K, CityDirectory
from app.network.wording import join_names, slug_title

FOCUS = 3  # weakest sub-indicators looked at when none is asked for
EXAMPLES = 3
_search_cache: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def learn_from(
    directory: CityDirectory,
    benchmark: Benchmark,
    searcher: Any,
    city: str,
    subindicator: str | None = None,
    k_peers: int = 3,
) -> dict[str, Any]:
    """Peers, examples and a guide for the city's weakest sub-indicators (or ``subindicator``).

    :raise UnknownCity: the city is not a member.
    :raise NotFound: ``subindicator`` is not in the revision.
    :raise InvalidRequest: ``k_peers`` out of range.
    """
    k_peers = _check_k_peers(k_peers)
    member = directory.resolve(city)
    slug = member.slug
    revision = benchmark.latest_revision()
    fractions = benchmark.fractions(revision)
    median = benchmark.network_median(revision)
    rows = benchmark.rows(revision)
    mine = rows.get(slug)
    search = _Search(searcher, {c.slug: c.name for c in directory.catalog.cities})
    asked = subindicator is not None and bool(str(subindicator).strip())
    focus = _focus(directory, benchmark, member, revision, str(subindicator) if asked else None)

    similar = {m["city"]: m for m in directory.similar(slug, k=MAX_K, basis="all")["matches"]}
    items = [
        _focus_item(directory, benchmark, search, member, sub, revision, fractions, median, similar, k_peers)
        for sub in focus
    ]
    note = _note(directory, member, revision, rows, mine is None, bool(focus))
    if search.note:
        note = ((note + " ") if note else "") + search.note
    return {
        "city": slug,
        "name": member.name,
        "label": LABEL,
        "revision": revision,
        "source": (mine.source if mine is not None else None) or benchmark.source(revision),
        "scores_missing": mine is None,
        "note": note,
        "focus": items,
        "summary": _summary(member.name, items, mine is None, asked=asked),
    }


def _check_k_peers(k_peers: Any) -> int:
    try:
        k_peers = int(k_peers)
    except (TypeError, ValueError):
        raise InvalidRequest("k_peers must be a whole number.") from None
    if not 1 <= k_peers <= 10:
        raise InvalidRequest("k_peers must be between 1 and 10.")
    return k_peers


def _focus(directory: CityDirectory, benchmark: Benchmark, member: Any, revision: str,
           asked: str | None) -> list[SubIndicator]:
    """The sub-indicator asked for; else the member's weakest (:data:`FOCUS`); for a member without
    scores, those where members most often score low and its own services do not cover."""
    slug = member.slug
    framework = benchmark.catalog.framework.revision(revision)
    fractions = benchmark.fractions(revision)
    median = benchmark.network_median(revision)
    mine = benchmark.rows(revision).get(slug)
    if asked is not None:
        focus = [_subindicator(framework, asked)]
        if mine is not None and focus[0].id not in mine.scores:
            raise NotFound(f"{member.name} has no score for {focus[0].id} in revision {revision}.")
        return focus
    if mine is not None:
        candidates = [s for s in framework.subindicators if s.id in mine.scores and fractions[slug][s.id] < 1]
        candidates.sort(key=lambda s: (fractions[slug][s.id], fractions[slug][s.id] - median.get(s.id, 0), s.id))
        return candidates[:FOCUS]
    own = {sid for d in directory.documents().get(slug, []) for sid in d["subindicators"]}
    candidates = [s for s in framework.subindicators if s.id in median]
    candidates.sort(key=lambda s: (s.id in own, median[s.id], s.id))
    return candidates[:FOCUS]


def _note(directory: CityDirectory, member: Any, revision: str, rows: dict[str, Any], scores_missing: bool,
          has_focus: bool) -> str | None:
    if scores_missing:
        members = {c.slug: c.name for c in directory.catalog.cities}
        named = [members[s] for s in sorted(rows) if s in members]
        return (
            f"{member.name} has no published dashboard row (only {len(named)} members have named published rows "
            f"in revision {revision}), so its own weak spots are unknown. The areas below are those where members "
            f"most often score low and that {member.name}'s indexed services do not cover; running the "
            "self-assessment would show its own."
        )
    if not has_focus:
        return f"{member.name} answered Yes to every question in revision {revision}; there is no weak spot to work on."
    return None


def _subindicator(framework, value: str) -> SubIndicator:
    value = value.strip()
    for s in framework.subindicators:
        if s.id == value or s.name.casefold() == value.casefold() or (
            s.source_spelling and s.source_spelling.casefold() == value.casefold()
        ):
            return s
    known = ", ".join(f"{s.id} {s.name}" for s in framework.subindicators)
    raise NotFound(f"No sub-indicator {value!r} in revision {framework.revision}; known: {known}.")


def _focus_item(directory, benchmark, search, member, sub, revision, fractions, median, similar, k_peers):
    """One sub-indicator to work on: the member's score, the peers to learn from, examples, a guide."""
    label = f"{sub.id} {sub.name}"
    mine = benchmark.rows(revision).get(member.slug)
    peers = _peers(directory, benchmark, member, sub, revision, fractions, similar, k_peers)
    query = f"{sub.name}: " + " ".join(q.text for q in sub.questions)
    examples, examples_note = _examples(search, query, sub, member.slug, peers)
    guides = search.run(query, 1, {"kind": "guide", "subindicator": sub.id})
    guide = None
    if guides:
        g = guides[0]
        guide = {k: g[k] for k in ("title", "doc_id", "url", "snippet")}
        guide["why"] = f"the toolkit guide tagged {label} that best matches what the dashboard asks"
    item: dict[str, Any] = {
        "subindicator": sub.id,
        "name": sub.name,
        "pillar": benchmark.catalog.framework.revision(revision).pillar_of(sub.id).name,
        "questions": [q.text for q in sub.questions],
        "city_score": None,
        "network_median": round(median[sub.id], 4) if sub.id in median else None,
        "peers": peers,
        "examples": examples,
        "examples_note": examples_note,
        "guide": guide,
    }
    if mine is not None:
        s = mine.scores[sub.id]
        item["city_score"] = {"yes": s.yes, "total": s.n, "fraction": display_fraction(s), "colour": colour(s)}
        gap = ""
        if item["network_median"] is not None and fractions[member.slug][sub.id] < item["network_median"]:
            gap = f", below the named members' median of {item['network_median']:.2f}"
        item["why"] = (f"{member.name} answered Yes to {s.yes} of {s.n} questions on {label} "
                       f"({colour(s)}{gap}) in its {revision} self-assessment.")
    else:
        item["why"] = (f"Members often score low on {label} (median {item['network_median']:.2f} among named rows)"
                       f" and {member.name}'s indexed services are not tagged with it.")
    if not peers:
        item["why"] += " No named member scores higher here."
    return item


def _peers(directory, benchmark, member, sub, revision, fractions, similar, k_peers) -> list[dict[str, Any]]:
    """The ``k_peers`` members to learn from on ``sub``, each with why."""
    slug = member.slug
    label = f"{sub.id} {sub.name}"
    rows = benchmark.rows(revision)
    mine = rows.get(slug)
    my_fraction = fractions[slug][sub.id] if mine is not None else None
    scored = {c: f[sub.id] for c, f in fractions.items() if c != slug and sub.id in f}
    # Peers that score well (green) come first, then any that score better than the city;
    # within each group, a high score and similarity to the city count equally.
    better = [c for c, f in scored.items() if my_fraction is None or f > my_fraction]
    if my_fraction is None:
        better = [c for c in better if scored[c] > 0]
    ranked = sorted(better, key=lambda c: (scored[c] < STRONG,
                                           -(0.5 * scored[c] + 0.5 * similar.get(c, {}).get("score", 0.0)), c))
    peers = []
    for c in ranked[:k_peers]:
        score = rows[c].scores[sub.id]
        match = similar.get(c)
        against = f" against {member.name}'s {mine.scores[sub.id]}" if mine is not None else ""
        why = f"answered Yes to {score.yes} of {score.n} questions on {label}{against}"
        if match and match.get("why"):
            why += "; similar: " + match["why"]
        peers.append({
            "city": c,
            "name": directory.catalog.city(c).name,
            "yes": score.yes,
            "total": score.n,
            "fraction": round(scored[c], 4),
            "similarity": match["score"] if match else None,
            "why": why,
        })
    return peers


def _examples(search, query: str, sub: SubIndicator, slug: str,
              peers: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    """Services and cases tagged with ``sub``: the peers' first, else any member's; and a note."""
    label = f"{sub.id} {sub.name}"
    peer_slugs = [p["city"] for p in peers]
    examples, examples_note = [], None
    if peer_slugs:
        examples = search.run(query, EXAMPLES,
                              {"kind": ["service", "case"], "subindicator": sub.id, "city": peer_slugs}, exclude=slug)
    if not examples:
        examples = search.run(query, EXAMPLES, {"kind": ["service", "case"], "subindicator": sub.id}, exclude=slug)
        if examples and peer_slugs:
            examples_note = (f"None of these peers has a service or case tagged {label} in the index; "
                             "these come from other cities.")
        elif not examples:
            examples_note = f"No service or case in the index is tagged {label} yet."
    peer_scores = {p["city"]: p for p in peers}
    for ex in examples:
        who = ex["name"] if ex["member"] else f"{ex['name']} (not a member)"
        why = f"a {ex['kind']} from {who}, tagged {label}"
        if ex["city"] in peer_scores:
            p = peer_scores[ex["city"]]
            why += f"; {p['name']} scores {p['yes']}/{p['total']} there"
        award = ex.pop("award", None)
        if isinstance(award, dict) and award.get("result"):
            why += f"; UserCentriCities Award {award['result']} {award.get('year', '')}".rstrip()
        ex["why"] = why
    return examples, examples_note


def _summary(name: str, items: list[dict[str, Any]], scores_missing: bool, asked: bool = False) -> str:
    if not items:
        return f"No weak spot to work on for {name}."
    lines = []
    for it in items:
        label = f"{it['subindicator']} {it['name']}"
        head = f"On {label}"
        if it["city_score"]:
            head += f", {name} answered yes to {it['city_score']['yes']} of {it['city_score']['total']} questions"
        peers = [f"{p['name']} ({p['yes']} of {p['total']})" for p in it["peers"]]
        text = head + (f"; learn from {join_names(peers)}" if peers else "; no named member scores higher")
        if it["guide"]:
            text += f"; read “{it['guide']['title']}” first"
        if it["examples"]:
            text += f"; see “{it['examples'][0]['title']}” ({it['examples'][0]['name']})"
        lines.append(text + ".")
    if asked:
        intro = f"Whom {name} could learn from (dashboard self-assessment):"
    else:
        intro = (f"{name} has no published scores; areas where members often score low:" if scores_missing
                 else f"{name}'s weakest areas in its self-assessment:")
    return intro + " " + " ".join(lines)


class _Search:
    """Searches through a per-searcher cache keyed by the live generation; no index means no results."""

    def __init__(self, searcher: Any, names: dict[str, str]):
        self.searcher = searcher
        self.names = names
        self.mode: str | None = None  # the searcher's default
        self.note: str | None = None
        self.cache: dict | None = None
        if searcher is None:
            self.note = "No search index was given, so no services, cases or guides are suggested."
            return
        try:
            gen = searcher.live().id
        except IndexNotBuilt:
            self.note = ("The search index is not built yet (run `ucc index`), so no services, cases or guides "
                         "are suggested.")
            self.searcher = None
            return
        try:
            per = _search_cache.setdefault(searcher, {})
        except TypeError:  # not weak-referenceable
            per = {}
        if per.get("generation") != gen:
            per.clear()
            per["generation"] = gen
        self.cache = per

    def run(self, query: str, k: int, filters: dict[str, Any], exclude: str | None = None) -> list[dict[str, Any]]:
        if self.searcher is None:
            return []
        key = (query, k, tuple(sorted((f, tuple(v) if isinstance(v, list) else (v,)) for f, v in filters.items())),
               exclude)
        if key not in self.cache:
            try:
                result = self.searcher.search(query, k=k + 2, mode=self.mode, filters=filters)
            except ConfigurationError as exc:  # the model cannot be loaded: keyword search still works
                if self.mode == "bm25":
                    raise
                self.mode = "bm25"
                self.note = f"Examples and guides were found by keyword search only: {exc.message}"
                result = self.searcher.search(query, k=k + 2, mode=self.mode, filters=filters)
            hits, urls = [], set()
            for h in result.hits:
                if (exclude and h.city == exclude) or (h.url and h.url in urls):
                    continue  # the city's own documents; a case and its service often share a page
                if h.url:
                    urls.add(h.url)
                meta = h.metadata or {}
                hits.append({
                    "title": h.title,
                    "doc_id": h.doc_id,
                    "kind": h.kind,
                    "city": h.city,
                    "name": self.names.get(h.city or "") or _city_name(h.city),
                    "member": meta.get("member") is not False,
                    "url": h.url,
                    "snippet": h.snippet,
                    "award": meta.get("award"),
                })
            self.cache[key] = hits[:k]
        return [dict(h) for h in self.cache[key]]


def _city_name(slug: str | None) -> str | None:
    return slug_title(slug) if slug else None
