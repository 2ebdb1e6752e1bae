"""Questions about the network answered from its data, not from prose.

The member list (``cities.yaml``), the dashboard's framework and its self-assessed scores are
data; a question that asks for them gets the data, with its source:

- members by country, type, role and date joined, and how many there are
  ("Which members are in Finland?", "Which Spanish members are in the network?",
  "Which regions are members?", "Who joined in 2022?", "How many members does the network have?");
- the dashboard's structure ("How many questions are on the dashboard?", "What are its pillars?");
- two or more members side by side on the dashboard, with the sub-indicators where they differ most;
- the best and weakest members on one sub-indicator or pillar.

:func:`read` decides whether a question is one of these: it must ask for nothing but membership
attributes (or the dashboard's parts) once the words that name them are taken out, so that
"Which Spanish cities run participatory budgets?" still goes to a cited answer.
Every answer is a :class:`Reply` part list and a plain sentence; scores say they are self-assessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from indexer.text import fold

# Country adjectives as officials write them (the nouns come from cities.yaml). English, plus the
# forms of the members' own languages that an English question may carry ("Suomi" is left out).
DEMONYMS = {
    "finnish": "Finland", "spanish": "Spain", "italian": "Italy", "dutch": "Netherlands", "estonian": "Estonia",
    "belgian": "Belgium", "swedish": "Sweden", "ukrainian": "Ukraine", "portuguese": "Portugal",
    "slovenian": "Slovenia", "slovene": "Slovenia", "french": "France", "latvian": "Latvia", "british": "United Kingdom",
    "scottish": "United Kingdom", "slovak": "Slovakia", "german": "Germany", "austrian": "Austria", "danish": "Denmark",
    "polish": "Poland", "greek": "Greece", "irish": "Ireland", "croatian": "Croatia", "czech": "Czechia",
    "lithuanian": "Lithuania", "norwegian": "Norway", "hungarian": "Hungary", "romanian": "Romania",
    "bulgarian": "Bulgaria", "catalan": "Spain", "holland": "Netherlands", "uk": "United Kingdom",
    "britain": "United Kingdom", "scotland": "United Kingdom",
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")

_MEMBER_WORDS = re.compile(r"\b(?:members?|membership|cities|city|regions?|municipalit(?:y|ies)|partners?|"
                           r"participants?|network|usercentricities|ucc)\b")
_ASK = re.compile(r"\b(?:which|what|who|list|name|names|how many|number of|count|show|tell|are there|give)\b")
_COUNT = re.compile(r"\b(?:how many|number of|count)\b")
_DASHBOARD = re.compile(r"\b(?:dashboard|benchmark(?:ing)?|framework|self[- ]assessment|indicators?)\b")
_PARTS = re.compile(r"\b(?:questions?|pillars?|sub[- ]?indicators?|indicators?|parts?|structure|dimensions?|areas?)\b")
_COMPARE = re.compile(r"\b(?:compare[sd]?|comparing|comparison|versus|vs|against|side by side|differ(?:ence|ences|s)?|"
                      r"better|worse)\b")
_SCORE_WORDS = re.compile(r"\b(?:dashboard|benchmark(?:ing)?|scores?|scored|ranks?|ranking|results?|percent|"
                          r"self[- ]assessment)\b")
_FOUNDING = re.compile(r"\b(?:found(?:ing|ed|ers?)|original|first members?)\b")
_JOINED = re.compile(r"\b(?:join(?:ed|ing|s)?|became members?|new members?|admitted|entered)\b")
_TYPE_REGION = re.compile(r"\bregions?\b")
_TYPE_CITY = re.compile(r"\b(?:cities|city|municipalit(?:y|ies))\b")
_CAPITALS = re.compile(r"\bcapitals?\b")
_YEAR = re.compile(r"\b(20\d\d)\b")
# Words that carry nothing beyond what the patterns above read: what is left must be empty.
_FILLER = frozenset("""
a an the of in on at to from for by with and or is are was were be been do does did which what who whom list name
names how many number count show tell me us please are there give all every current currently now part belong
belongs belonging europe european eu country countries based located come comes which's whose that this these
those any our its their it they them has have had network's members' usercentricities' s there's so far yet
today nation nations state states since when year years as still also altogether total overall in
rather than instead not opposed made up consist consists does do its make makes up under inside within
""".split())


@dataclass
class NetworkQuestion:
    kind: str  # members | member_count | dashboard | compare | awards
    countries: list[str] = field(default_factory=list)
    member_type: str | None = None  # city | region
    founding: bool | None = None
    joined_year: str | None = None
    capital: bool = False
    cities: list[str] = field(default_factory=list)
    pillar: str | None = None  # a dashboard question about one pillar
    joined: bool = False  # asks when members joined
    year: str | None = None  # an awards question about one year


def read(question: str, catalog: Any, cities: tuple[str, ...] = ()) -> NetworkQuestion | None:
    """The network question ``question`` asks, or None when it asks something else."""
    text = fold(question)
    if _AWARD.search(text) and (_ASK.search(text) or _YES_NO.search(text)):
        named = [fold(n) for c in catalog.cities if c.slug in cities for n in c.all_names]
        names = re.compile(r"\b(?:" + "|".join(map(re.escape, named)) + r")\b") if named else _AWARD
        if _only_filler(text, [_AWARD, _AWARD_FILLER, _MEMBER_WORDS, _ASK, _YES_NO, _YEAR, names]):
            year = _YEAR.search(text)
            return NetworkQuestion("awards", year=year.group(1) if year else None, cities=list(cities))
    if len(cities) >= 2 and (_COMPARE.search(text) or (_SCORE_WORDS.search(text) and not _ASKS_HOW.search(text))):
        return NetworkQuestion("compare", cities=list(cities))
    if cities or not _ASK.search(text):
        return None
    pillars = _pillar_names(catalog)
    named = [name for key, name in pillars.items() if re.search(rf"\b{re.escape(key)}\b", text)]
    if (_DASHBOARD.search(text) or named) and _PARTS.search(text):
        pillar_words = re.compile(r"\b(?:" + "|".join(map(re.escape, pillars)) + r")\b") if pillars else _PARTS
        if _only_filler(text, [_PARTS, _DASHBOARD, _ASK, pillar_words]):
            return NetworkQuestion("dashboard", pillar=named[0] if named else None)
    countries = _countries(text, catalog)
    if not (_MEMBER_WORDS.search(text) or countries):
        return None
    q = NetworkQuestion("members", countries=countries)
    region, city = _TYPE_REGION.search(text), _TYPE_CITY.search(text)
    if region and (not city or (_RATHER.search(text) and region.start() < city.start())):
        q.member_type = "region"  # "regions", "regions rather than cities"
    elif city and region and _RATHER.search(text):
        q.member_type = "city"
    if _FOUNDING.search(text):
        q.founding = True
    if _JOINED.search(text):
        q.joined = True
        year = _YEAR.search(text)
        q.joined_year = year.group(1) if year else None
    q.capital = bool(_CAPITALS.search(text))
    country_words = [fold(n) for n in countries] + [d for d, c in DEMONYMS.items() if c in countries]
    patterns = [_MEMBER_WORDS, _ASK, _FOUNDING, _JOINED, _CAPITALS, _YEAR,
                re.compile(r"\b(?:" + "|".join(map(re.escape, country_words)) + r")\b") if country_words else None]
    if not _only_filler(text, [p for p in patterns if p is not None]):
        return None
    if _COUNT.search(text) and not (countries or q.member_type or q.founding or q.joined_year or q.capital
                                    or _JOINED.search(text)):
        q.kind = "member_count"
    elif not (countries or q.member_type or q.founding or _JOINED.search(text) or q.capital):
        q.kind = "member_count" if _COUNT.search(text) else "members"
    return q


_ASKS_HOW = re.compile(r"\b(?:how (?:do|does|did|can|could|should)|why)\b")
_AWARD = re.compile(r"\b(?:awards?|prizes?|winners?|won|wins?|winning|finalists?|shortlist(?:ed)?|nominees?|"
                    r"nominated|laureates?)\b")
_AWARD_FILLER = re.compile(r"\b(?:best|user[- ]centric|services?|european|edition|first|second|latest|last|"
                           r"recent|most|jury|announced|named|given|received|got|ones?|projects?|entries|"
                           r"submitted|submissions?|many|who|for|of|the)\b")
_YES_NO = re.compile(r"^\s*(?:did|has|have|was|were|is|are)\b")
_RATHER = re.compile(r"\b(?:rather than|instead of|not|as opposed to)\b")


def _pillar_names(catalog: Any) -> dict[str, str]:
    """Folded pillar names of every revision -> the name ("user-centricity performance")."""
    names = {}
    for rev in catalog.framework.revisions:
        for p in rev.pillars:
            names[fold(p.name)] = p.name
            last = fold(p.name).split()[-1]
            names.setdefault(last, p.name)  # "the performance pillar"
    return names


def _countries(text: str, catalog: Any) -> list[str]:
    known = {fold(c.country): c.country for c in catalog.cities}
    found = [name for key, name in known.items() if re.search(rf"\b{re.escape(key)}\b", text)]
    found += [c for d, c in DEMONYMS.items() if re.search(rf"\b{re.escape(d)}\b", text)]
    return list(dict.fromkeys(found))


def _only_filler(text: str, patterns: list[re.Pattern]) -> bool:
    rest = text
    for p in patterns:
        rest = p.sub(" ", rest)
    words = re.findall(r"[^\W\d_]+", rest)
    return all(w in _FILLER for w in words)


# --- answers ------------------------------------------------------------------------------------


@dataclass
class NetworkAnswer:
    text: str
    data: dict[str, Any]
    parts: list[dict[str, Any]]
    sources: list[dict[str, Any]]


def _month(joined: str | None) -> str | None:
    if not joined:
        return None
    year, _, month = joined.partition("-")
    return f"{MONTHS[int(month[:2]) - 1]} {year}" if month else year


def _join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def member_item(city: Any) -> dict[str, Any]:
    bits = [city.type]
    if city.role == "founding":
        bits.append("founding member")
    elif city.joined:
        bits.append(f"joined {_month(city.joined)}")
    return {"slug": city.slug, "name": city.name, "country": city.country, "type": city.type, "role": city.role,
            "joined": city.joined, "capital": city.capital, "why": ", ".join(bits),
            "url": f"/api/v1/cities/{city.slug}"}


def members(q: NetworkQuestion, catalog: Any, membership: dict[str, Any]) -> NetworkAnswer:
    """The members that match ``q``'s filters, or how many there are."""
    source = {"title": "UserCentriCities members (the network's about page)", "url": (membership.get("sources") or [None])[0],
              "source": "cities.yaml"}
    everyone = list(catalog.cities)
    if q.kind == "member_count":
        count = membership.get("count") or len(everyone)
        as_of = membership.get("as_of")
        text = f"The UserCentriCities network has {count} members" + (f" (about page, {as_of})" if as_of else "") + "."
        note = membership.get("count_note")
        if note:
            text += " " + note
        regions = sum(1 for c in everyone if c.type == "region")
        founding = [c.name for c in everyone if c.role == "founding"]
        text += (f" Of the {len(everyone)} listed, {regions} are regions and {len(everyone) - regions} cities; "
                 f"the founding members are {_join_names(founding)}.")
        items = [member_item(c) for c in everyone]
        return NetworkAnswer(text, {"count": count, "as_of": as_of, "members": items},
                             [{"type": "cities", "title": "Members", "items": items}], [source])
    chosen = everyone
    described = []
    if q.countries:
        chosen = [c for c in chosen if c.country in q.countries]
    if q.member_type:
        chosen = [c for c in chosen if c.type == q.member_type]
        described.append(q.member_type + "s")
    if q.founding:
        chosen = [c for c in chosen if c.role == "founding"]
        described.insert(0, "founding")
    if q.capital:
        chosen = [c for c in chosen if c.capital]
        described.insert(0, "capital")
    if q.joined_year:
        chosen = [c for c in chosen if (c.joined or "").startswith(q.joined_year)]
    elif q.joined:
        chosen = [c for c in chosen if c.joined]  # "who joined?": the members with a known date
    what = " ".join(described + ([] if q.member_type else ["members"]))
    where = f" in {_join_names(q.countries)}" if q.countries else ""
    when = f" that joined in {q.joined_year}" if q.joined_year else (" with a known joining date" if q.joined else "")
    items = [member_item(c) for c in chosen]
    if not items:
        text = f"The UserCentriCities network has no {what}{where}{when}."
    else:
        listed = _join_names([f"{i['name']} ({i['why']})" for i in items])
        if len(items) == 1:
            what = what[:-1] if what.endswith("s") else what
        text = f"The UserCentriCities network has {len(items)} {what}{where}{when}: {listed}."
    text += " Source: the network's member list (about page, 2023)."
    return NetworkAnswer(text, {"members": items, "filters": {"countries": q.countries, "type": q.member_type,
                                                            "founding": q.founding, "joined": q.joined_year}},
                         [{"type": "cities", "title": "Members", "items": items}], [source])


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
                + _join_names([f"{s.id} {s.name} ({s.n} questions)" for s in one.subindicators])
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
    """Members side by side: overall score, then each sub-indicator, those that differ most first."""
    cards = [benchmark.city_scores(s, revision) for s in slugs]
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
    if differ:
        shown = []
        for sid, vals in differ[:3]:
            shown.append(f"{sid} {vals[0]['name']} (" + ", ".join(
                f"{n} {v['yes']} of {v['total']}" for n, v in zip(names, vals)) + ")")
        text += " They differ most on " + "; ".join(shown) + "."
    else:
        text += " They score the same on every sub-indicator."
    text += f" Source: {cards[0].get('source')}."
    rows = [[f"{sid} {vals[0]['name']}"] + [f"{v['yes']}/{v['total']}" for v in vals] for sid, vals in common]
    colours = [[v["colour"] for v in vals] for _, vals in common]
    table = {"type": "score_table", "title": f"Dashboard, revision {rev} (self-assessment)",
             "columns": ["Sub-indicator"] + names, "rows": rows, "colours": colours,
             "totals": [c["percent"] for c in cards]}
    return NetworkAnswer(text, {"revision": rev, "cities": cards, "differ_most": [sid for sid, _ in differ[:3]]},
                         [table], [{"title": "UserCentriCities dashboard scores", "url": cards[0].get("source"),
                                    "source": "benchmark/scores"}])


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
        lead = _join_names([i["name"] for i in tied])
        which = "weakest" if weakest else "strongest"
        verb = ("trail" if weakest else "lead") + ("" if len(tied) > 1 else "s")
        text = (f"On {sub.id} {sub.name}, the {which} members on the dashboard (self-assessment, revision {rev}) are "
                + "; ".join(f"{i['name']} ({i['why']})" for i in items)
                + f". {lead} {verb} on this sub-indicator. Source: {benchmark.source(rev)}.")
    return NetworkAnswer(text, {"revision": rev, "subindicator": {"id": sub.id, "name": sub.name}, "ranking": items},
                         [{"type": "cities", "title": f"{sub.id} {sub.name}", "items": items}],
                         [{"title": "UserCentriCities dashboard scores", "url": benchmark.source(rev),
                           "source": "benchmark/scores"}])


def topic_subindicator(topic: str, catalog: Any, benchmark: Any) -> str | None:
    """The sub-indicator of the latest revision a topic is about ("accessibility" -> the one whose
    name, questions and mapped principles share most of the topic's words), or None.

    A word of the sub-indicator's name counts three times, one of its questions or of a principle
    mapped to it once; ties go to the first sub-indicator in the dashboard's order."""
    from app.answering.answers import _stem, content_words

    words = {_stem(w) for w in content_words(topic)}
    if not words:
        return None
    rev = catalog.framework.revision(benchmark.latest_revision())
    principles = {}
    for p in catalog.principles:
        for sid in p.subindicators:
            principles.setdefault(sid, []).append(f"{p.name} {p.id.replace('-', ' ')}")
    best, best_score = None, 0.0
    for s in rev.subindicators:
        name = {_stem(w) for w in content_words(s.name)}
        body = {_stem(w) for w in content_words(" ".join(q.text for q in s.questions) + " "
                                                + " ".join(principles.get(s.id, [])))}
        score = sum(3.0 if w in name else 1.0 if w in body else 0.0 for w in words) / len(words)
        if score > best_score:
            best, best_score = s.id, score
    return best if best_score >= 1.0 else None


_OF_THEM = re.compile(r"\b(?:which|who|what)(?: one| city| member| region)? (?:of|among) (?:them|these|those|the(?:se|m)? "
                      r"(?:cities|members|regions))\b|\bthe (?:biggest|largest|smallest|best|strongest|weakest) "
                      r"(?:one|of them)\b", re.IGNORECASE)
_BIG = re.compile(r"\b(?:biggest|largest|most populous|most people|most residents)\b", re.IGNORECASE)
_SMALL = re.compile(r"\b(?:smallest|least populous|fewest people)\b", re.IGNORECASE)
_BEST = re.compile(r"\b(?:best|highest|strongest|top|scores? (?:the )?(?:most|highest))\b", re.IGNORECASE)
_WORST = re.compile(r"\b(?:worst|lowest|weakest)\b", re.IGNORECASE)


def pick_criterion(question: str) -> str | None:
    """"which of them is biggest?" -> ``population``; "... scores best?" -> ``score``; else None."""
    if not _OF_THEM.search(question):
        return None
    if _BIG.search(question):
        return "population"
    if _SMALL.search(question):
        return "population-asc"
    if _WORST.search(question):
        return "score-asc"
    if _BEST.search(question):
        return "score"
    return None


def pick(slugs: list[str], criterion: str, catalog: Any, benchmark: Any) -> NetworkAnswer:
    """The members of the last answer ordered by size or by dashboard score, the first named."""
    members = [c for c in catalog.cities if c.slug in slugs]
    if criterion.startswith("population"):
        sized = [c for c in members if c.population_approx]
        sized.sort(key=lambda c: c.population_approx, reverse=not criterion.endswith("asc"))
        items = [member_item(c) | {"why": f"about {c.population_approx:,} people ({c.type})"} for c in sized]
        word = "smallest" if criterion.endswith("asc") else "biggest"
        text = (f"Of {_join_names([c.name for c in members])}, the {word} is {sized[0].name} (about "
                f"{sized[0].population_approx:,} people, a rounded figure)." if sized else
                "The member list gives no population for these members.")
        return NetworkAnswer(text, {"criterion": criterion, "members": items},
                             [{"type": "cities", "title": "By population (approximate)", "items": items}],
                             [{"title": "UserCentriCities members (the network's about page)", "source": "cities.yaml",
                               "url": None}])
    rev = benchmark.latest_revision()
    rows = benchmark.rows(rev)
    scored = [(benchmark.city_scores(c.slug, rev), c) for c in members if c.slug in rows]
    scored.sort(key=lambda t: t[0]["percentage"], reverse=criterion == "score")
    items = [member_item(c) | {"why": f"{d['percent']}% on the dashboard"} for d, c in scored]
    word = "lowest" if criterion.endswith("asc") else "highest"
    text = (f"Of {_join_names([c.name for c in members])}, {scored[0][1].name} scores {word} on the dashboard "
            f"({scored[0][0]['percent']}%, self-assessment, revision {rev})." if scored else
            "None of these members has published dashboard scores.")
    unscored = [c.name for c in members if c.slug not in rows]
    if scored and unscored:
        text += f" No scores are published for {_join_names(unscored)}."
    return NetworkAnswer(text, {"criterion": criterion, "members": items},
                         [{"type": "cities", "title": f"By dashboard score, revision {rev} (self-assessment)",
                           "items": items}],
                         [{"title": "UserCentriCities dashboard scores", "url": benchmark.source(rev),
                           "source": "benchmark/scores"}])


def awards(q: NetworkQuestion, catalog: Any) -> NetworkAnswer:
    """The award of one year (or every year): finalists, winner, submissions, with how sure each is."""
    names = {c.slug: c.name for c in catalog.cities}
    found = [a for a in catalog.awards if q.year is None or str(a.get("year")) == q.year]
    if q.cities:
        found = [a for a in found if any(f.get("city") in q.cities for f in a.get("finalists") or [])]
        if not found:
            who_ = _join_names([names.get(c, c) for c in q.cities])
            years = ", ".join(str(a.get("year")) for a in catalog.awards)
            return NetworkAnswer(f"{who_} was not among the finalists of the UserCentriCities awards on record "
                                 f"({years}).", {"awards": []}, [], [{"title": "UserCentriCities awards",
                                                                      "url": None, "source": "network/awards.yaml"}])
    if not found:
        years = ", ".join(str(a.get("year")) for a in catalog.awards) or "none"
        return NetworkAnswer(f"The knowledge base records no UserCentriCities award in {q.year} (awards on record: "
                             f"{years}).", {"awards": []}, [], [])
    sentences, items, sources = [], [], []
    for a in found:
        year = a.get("year")

        def who(entry: dict) -> str:
            city = names.get(entry.get("city"), str(entry.get("city", "")).replace("-", " ").title())
            title = catalog.service_title(entry.get("service"))
            return f"{city} ({title})" if title else city

        finalists = a.get("finalists") or []
        winner = a.get("winner") or {}
        text = f"The {year} UserCentriCities award (“{a.get('name', 'Best user-centric service')}”)"
        if finalists:
            text += f" had {len(finalists)} finalists: " + _join_names([who(f) for f in finalists])
        if winner:
            sure = "" if winner.get("confidence") == "found" else " (reported by a secondary source only)"
            text += f"; the winner was {who(winner)}{sure}"
        sub = a.get("submissions") or {}
        if sub.get("count"):
            text += f"; {sub['count']} services were submitted"
        sentences.append(text + ".")
        for f in finalists:
            slug = f.get("city")
            won = bool(winner) and winner.get("city") == slug
            items.append({"slug": slug, "name": names.get(slug, str(slug).title()), "year": year,
                          "why": f"{year} {'winner' if won else 'finalist'}" + (
                              f": {catalog.service_title(f.get('service'))}" if f.get("service") else ""),
                          "url": f"/api/v1/cities/{slug}" if slug in names else None})
        for url in a.get("sources") or []:
            sources.append({"title": f"UserCentriCities award {year}", "url": url, "source": "network/awards.yaml"})
    if q.cities:  # "Did Ghent win?": say so first
        lead = []
        for slug in q.cities:
            for a in found:
                winner = (a.get("winner") or {}).get("city") == slug
                if any(f.get("city") == slug for f in a.get("finalists") or []):
                    sure = "" if not winner or (a.get("winner") or {}).get("confidence") == "found" else \
                        " (as reported by a secondary source)"
                    lead.append(f"{names.get(slug, slug)} {'won' if winner else 'was a finalist of'} the "
                                f"{a.get('year')} UserCentriCities award{sure}.")
        sentences = lead + sentences
    conflicts = [c for a in found for c in a.get("conflicts") or []]
    for c in conflicts:
        other = (c.get("others") or [{}])[0]
        sentences.append(f"Sources disagree on the {c.get('about')}: this follows {c['followed'].get('value')}; "
                         f"another source says {other.get('value')}.")
    return NetworkAnswer(" ".join(sentences), {"awards": found},
                         [{"type": "cities", "title": "Award finalists and winners", "items": items}], sources[:4])
