"""Composition: the answer's text, quoted sentence by sentence from the passages, each cited.

:func:`compose` gathers the candidate units of the best documents (prose sentences and list items
of their passages, and for "how many" and "when" questions the front matter's facts: see
:mod:`app.answering.reader`), keeps the most promising :data:`MAX_CANDIDATES` by a cheap score,
embeds them and scores each by its cosine to the question, its passage's cosine, its share of the
question's words and the kind of answer the question expects. It picks up to :data:`MAX_SENTENCES`
close to the best, never two that say the same thing, and brings in the sentence before one that
starts with "It" or "They". :func:`render` writes them in reading order, each followed by its
citation marker ``[n]`` (numbered in order of first use), naming whose a sentence is when it leans
on its document for its subject.

A ``generator`` (an object with ``generate(question, passages) -> (text, used_citation_numbers)``)
may write the answer instead (:func:`generate`); if it fails for any reason the extractive answer is
given with the note "generator unavailable: extractive answer".

The weights were set by ``bench/calibrate_reader.py`` (bench/RESULTS.md), which sets the module's
constants below for each combination it tries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from indexer.search import Hit, Passage, snippet

from app.answering import asked, reader
from app.answering import sentences as sn
from app.answering.answers import AnswerResult, Citation, link
from app.answering.conversations import Places
from app.answering.generator import NumberedPassage

MAX_SENTENCES = 4
SENTENCE_WEIGHT = 0.45  # the sentence's own cosine to the question ...
PASSAGE_WEIGHT = 0.15  # ... and its passage's: an answer sentence often lacks the subject its paragraph names
TYPE_BONUS = 0.08  # a unit holding the kind of answer the question expects (app/answering/reader.py; bench/RESULTS.md)
# Share of the question's *focus* words a unit holds: the question's words that the answer documents'
# titles do not already name ("developing" in "Since which year has Catalonia been developing the FUE
# business one-stop shop?", whose documents are titled after the FUE). Every sentence of those
# documents shares their topic; the focus words tell the one that answers (bench/calibrate_reader.py).
FOCUS_WEIGHT = 0.15
# An answer to a question that expects a type (a number, a date, a name...) holds one: when none of
# the units picked does, the best unit that does is added if it scores within this of the best
# ("From what year...?": the sentence closest to the question restates its topic; the year is in
# the third) (bench/calibrate_reader.py).
TYPED_MARGIN = 0.3
# A factoid question that names what it asks about ("When did Paris launch DansMaRue?"): a unit that
# names none of it, from a document about none of it, loses this much when documents about it are
# among the answer's (a summit "launched" in 2021 is not when DansMaRue opened) (bench/calibrate_reader.py).
OFF_SUBJECT_PENALTY = 0.15
MIN_SENTENCES = 2  # a second sentence is added if one comes within SECOND_MARGIN of the best
SECOND_MARGIN = 0.3
MAX_WORDS = 90
MAX_CANDIDATES = 32  # sentences embedded and scored per answer
MAX_SENTENCE_WORDS = 70  # longer sentences are left out unless nothing else is there
MAX_ANSWER_DOCS = 4  # documents whose sentences compete for the answer (at most 4 sentences are quoted)
DOC_MARGIN = 0.25  # ... if their best cosine is this close to the best document's
MEMBERS_MARGIN = 0.1  # "which city ...?": only cities' documents, when one is this close to the best
SENTENCE_MARGIN = 0.2  # a sentence is kept only if its score is this close to the best sentence
DUPLICATE_JACCARD = 0.6
DUPLICATE_COSINE = 0.92
DUPLICATE_CONTAINED = 0.8

_ANAPHORA = re.compile(r"^(?:It|Its|This|These|They|Their|That|Those|He|She|His|Her|Both|The latter|The former)\b")
# Notes about a document itself ("How to read this guide: ..."), never quoted as an answer.
_META = re.compile(r"\b(?:this (?:guide|entry|file|knowledge base|toolkit)|the sources? (?:listed|used here|above)|"
                   r"listed in the sources|how to read)\b", re.IGNORECASE)
_RESULTS_SECTION = re.compile(r"result|outcome|impact|measur|evaluat|figure|lesson", re.IGNORECASE)
# Advice to other cities ("How another city could reuse it"): it says what to do, not who does it,
# so it does not answer a question asking which city does something.
_ADVICE_SECTION = re.compile(r"\breuse\b|\bhow (?:another|other) cit|\bcontact\b", re.IGNORECASE)

Embed = Callable[[list[str]], list[np.ndarray]]


@dataclass
class _Candidate:
    hit_index: int
    passage_index: int
    sentence: sn.Sentence
    passage: Any
    vec: np.ndarray | None = None
    score: float = 0.0
    sim: float = 0.0
    off_subject: bool = False  # about none of what a factoid question names (OFF_SUBJECT_PENALTY)

    @property
    def text(self) -> str:
        return self.sentence.text


def answer_documents(hits: Sequence[Hit], top: float, min_score: float, members: bool = False) -> list[Hit]:
    """The documents whose sentences compete for the answer: the best few, close to the best one;
    ``members``: the question asks which city does something, so a member's own document answers
    it better than a general guide (those about a city are kept when one is within
    :data:`MEMBERS_MARGIN` of the best: "Which city was first announced for the 2022 Summit?" is
    answered by the network's page on its summits, not by a city's)."""
    chosen = [h for h in hits[:MAX_ANSWER_DOCS + 2]
              if (h.dense_score or 0.0) >= max(min_score - 0.05, top - DOC_MARGIN)][:MAX_ANSWER_DOCS]
    if members:
        cities = [h for h in chosen if h.city]
        if cities and max(h.dense_score or 0.0 for h in cities) >= top - MEMBERS_MARGIN:
            chosen = cities
    return chosen or list(hits[:1])


def compose(query: str, qvec: np.ndarray, words: list[str], hits: Sequence[Hit], embed: Embed,
            kind: str = "new", language: str | None = None, members: bool = False,
            english: str = "") -> list[_Candidate]:
    """The units to quote, in reading order; ``words``: the question's content words, ``embed``:
    the sentences' vectors, ``kind``: how a follow-up was resolved ("measure" favours results),
    ``language``: the question's when it is not English; ``members``: the question asks which city
    does something, so advice to other cities (:data:`_ADVICE_SECTION`) is not quoted; ``english``:
    such a question's words carried over to the corpus's (indexer/crosslingual.py)."""
    atype = reader.expected_type(query, language)
    cands = _candidates(hits, atype)
    if not cands:
        return []
    qstems = {sn.stem(w) for w in words}
    if len(cands) > MAX_CANDIDATES:
        cands = _shortlist(cands, qstems)
    vecs = embed([c.sentence.text for c in cands])
    # The topic is what the answer documents are titled after, together; a question in another
    # language shares no words with English titles, so it has no focus words.
    focus = set() if language else qstems - {sn.stem(w) for hit in hits for w in sn.words(hit.title)}
    for c, vec in zip(cands, vecs):
        _score(c, vec, qvec, qstems, atype, query, kind)
        if focus:
            c.score += FOCUS_WEIGHT * _overlap(focus, c.sentence.text)
    names = reader.named(query, atype) if not language else []
    _penalise_off_subject(cands, hits, names, _topic(words, hits, names) if names else set())
    ranked = sorted(cands, key=lambda c: -c.score)
    if members:  # advice to other cities says what to do, not who does it
        ranked = [c for c in ranked if not _ADVICE_SECTION.search(c.passage.section or "")] or ranked
    picked, total = _pick(ranked)
    total += _add_typed(picked, ranked, atype, query, _events(query, atype, qstems, names, english if language else None))
    _add_antecedents(picked, cands, total)
    # In reading order within each document; the document of the best-scored unit first, so the
    # answer opens with what answers ("started as a project led by the Lisbon Council").
    first = {}
    for c in sorted(picked, key=lambda c: -c.score):
        first.setdefault(c.hit_index, len(first))
    picked.sort(key=lambda c: (first[c.hit_index], c.passage_index, c.sentence.position))
    return picked


def _events(query: str, atype: str | None, qstems: set[str], names: list[str], english: str | None) -> set[str]:
    """What a date or a figure must stand next to (:func:`asked.next_to`): for "how many", what is
    counted; for "when" (and the name a "who" question asks for, which must be in a unit with them),
    the question's words but the names it asks about ("open", "coordinated"); for a question
    in another language (``english``: its words carried over), any of those words ("Quante persone
    ha aiutato...?": "people", "helped")."""
    if english is not None:
        return asked.counted_stems(sn.content_words(english)) if atype in ("number", "date") else set()
    if atype == "number":
        return asked.counted(query)
    if atype in ("date", "name"):
        return qstems - {sn.stem(w) for n in names for w in sn.words(n)}
    return set()


def _candidates(hits: Sequence[Hit], atype: str | None) -> list[_Candidate]:
    """Every quotable unit of the hits' passages (and front-matter facts when a type is expected)."""
    cands: list[_Candidate] = []
    for hi, hit in enumerate(hits):
        for pi, passage in enumerate(hit.passages):
            for s in sn.sentences(passage.text):
                if sn.is_prose(s.text) and len(s.text.split()) <= MAX_SENTENCE_WORDS and not _META.search(s.text):
                    cands.append(_Candidate(hi, pi, s, passage))
        if atype is not None:  # the front matter's facts answer "how many" and "when" questions best
            best = max((p.dense or 0.0) for p in hit.passages) if hit.passages else (hit.dense_score or 0.0)
            for fi, unit in enumerate(reader.fact_units(hit.metadata)):
                fact = Passage(chunk_id="", text=unit, section="Outcomes", page=None, score=0.0, dense=best)
                cands.append(_Candidate(hi, len(hit.passages) + fi, sn.Sentence(unit, 0, 0, False), fact))
    if not cands:  # tables or lists only: quote what there is
        for hi, hit in enumerate(hits[:1]):
            for pi, passage in enumerate(hit.passages[:1]):
                for s in sn.sentences(passage.text)[:2]:
                    if len(s.text.split()) >= 3:
                        cands.append(_Candidate(hi, pi, s, passage))
    return cands


def _topic(words: list[str], hits: Sequence[Hit], names: list[str]) -> set[str]:
    """The stems of what a factoid question asks about beyond its names: its words that the best
    document's title holds ("free public transport" in "In which year did Tallinn hold the public
    vote on free public transport?", answered by "Free public transport for registered residents")."""
    named = {sn.stem(w) for n in names for w in sn.words(n)}
    title = sn.stems(hits[0].title) if hits else set()
    return {sn.stem(w) for w in words} & title - named


def _penalise_off_subject(cands: list[_Candidate], hits: Sequence[Hit], names: list[str], topic: set[str]) -> None:
    """Lower the units about less of ``names`` than the documents most about them, or about none of
    ``topic`` (see :data:`OFF_SUBJECT_PENALTY`): in "When did Paris launch DansMaRue?", a sentence
    about Paris's participatory budget is not about DansMaRue."""
    if not names:
        return
    heads = [f"{hit.title} {hit.city or ''}" for hit in hits]
    most = max(reader.about(head, names) for head in heads)
    if not most and not topic:
        return
    for c in cands:
        unit = f"{c.sentence.text} {heads[c.hit_index]}"
        if reader.about(unit, names) < most or (topic and not topic & sn.stems(unit)):
            c.off_subject = True
            c.score -= OFF_SUBJECT_PENALTY


def _overlap(qstems: set[str], text: str) -> float:
    """Share of the question's stems found in ``text``."""
    return len(qstems & sn.stems(text)) / len(qstems) if qstems else 0.0


def _shortlist(cands: list[_Candidate], qstems: set[str]) -> list[_Candidate]:
    """The most promising candidates by a cheap score (the passage's cosine and the word overlap).

    Embedding sentences is the slow part of a first answer; the choice does not depend on what is
    cached, so an answer is the same cold or warm."""
    def cheap(c: _Candidate) -> float:
        return (c.passage.dense or 0.0) + 0.3 * _overlap(qstems, c.sentence.text) - 0.02 * c.hit_index

    keep = set(map(id, sorted(cands, key=cheap, reverse=True)[:MAX_CANDIDATES]))
    return [c for c in cands if id(c) in keep]


def _score(c: _Candidate, vec: np.ndarray, qvec: np.ndarray, qstems: set[str], atype: str | None, query: str,
           kind: str) -> None:
    """``c``'s score: its cosine to the question, its passage's, the word overlap and the expected type."""
    c.vec = vec
    c.sim = float(vec @ qvec)
    lex = _overlap(qstems, c.sentence.text)
    c.score = (SENTENCE_WEIGHT * c.sim + PASSAGE_WEIGHT * (c.passage.dense or 0.0) + 0.3 * lex
               - 0.02 * c.hit_index - 0.01 * c.passage_index)
    if _ANAPHORA.match(c.sentence.text):
        c.score -= 0.04
    if reader.holds_type(c.sentence.text, atype, query):
        c.score += TYPE_BONUS
    if kind == "measure":  # "how did they measure it?": results sections and figures first
        if _RESULTS_SECTION.search(c.passage.section or ""):
            c.score += 0.1
        if re.search(r"\d", c.sentence.text):
            c.score += 0.05


def _pick(ranked: list[_Candidate]) -> tuple[list[_Candidate], int]:
    """The best-scored units close to the best, within the length limits, no two alike; and their words."""
    best = ranked[0].score
    picked: list[_Candidate] = []
    total = 0
    for c in ranked:
        if len(picked) >= MAX_SENTENCES:
            break
        if picked and c.score < best - (SENTENCE_MARGIN if len(picked) >= MIN_SENTENCES else SECOND_MARGIN):
            break
        n_words = len(c.sentence.text.split())
        if picked and total + n_words > MAX_WORDS:
            continue
        if any(_duplicate(c, p) for p in picked):
            continue
        picked.append(c)
        total += n_words
    return picked, total


def _add_typed(picked: list[_Candidate], ranked: list[_Candidate], atype: str | None, query: str,
               events: set[str]) -> int:
    """When no unit of ``picked`` holds the expected type (about what the question names), the best
    one that does within :data:`TYPED_MARGIN` of the best (in place of the last when the answer is
    full); its words. For a "when" or "how many" question, a date or a figure next to what it asks
    about (``events``, :func:`_events`) if a unit holds one: "in 2023 two libraries also took
    votes" is not when a centre opened."""
    floor = ranked[0].score - TYPED_MARGIN if ranked else 0.0

    def typed_answer(c: _Candidate) -> bool:
        return not c.off_subject and reader.holds_type(c.sentence.text, atype, query)

    def elsewhere(c: _Candidate) -> bool:  # a date or a figure about something else
        return c.off_subject and reader.holds_type(c.sentence.text, atype, query)

    if atype == "name" and events and any(typed_answer(c) and events & sn.stems(c.sentence.text)
                                          for c in ranked if c.score >= floor):
        def typed_answer(c: _Candidate) -> bool:  # noqa: F811 - "It was coordinated by the Lisbon Council"
            return not c.off_subject and reader.holds_type(c.sentence.text, atype, query) and bool(
                events & sn.stems(c.sentence.text))

    elif events and any(typed_answer(c) and asked.next_to(c.sentence.text, events, atype)
                        for c in ranked if c.score >= floor):
        def typed_answer(c: _Candidate) -> bool:  # noqa: F811 - the stricter test when it can be met
            return not c.off_subject and asked.next_to(c.sentence.text, events, atype)

        def elsewhere(c: _Candidate) -> bool:  # noqa: F811 - "in 2023 two libraries also took votes"
            return reader.holds_type(asked.without_ages(asked.plain_figures(c.sentence.text)), atype, query)

    if atype is None or not picked or any(typed_answer(c) for c in picked):
        return 0
    options = [c for c in ranked if c.score >= floor and c not in picked and typed_answer(c)
               and not any(_duplicate(c, p) for p in picked)]
    # ... from a document the answer already quotes when one has it (a question in another language
    # names nothing the off-subject test could use: "3.3 million residents" of Madrid is not Arezzo's)
    quoted = {c.hit_index for c in picked}
    typed = next((c for c in options if c.hit_index in quoted), options[0] if options else None)
    if typed is None:
        return 0
    words = len(typed.sentence.text.split())
    # A date or a figure about something else reads as a second answer: it goes.
    for c in [c for c in picked if elsewhere(c)]:
        picked.remove(c)
        words -= len(c.sentence.text.split())
    if len(picked) >= MAX_SENTENCES:
        words -= len(picked.pop().sentence.text.split())
    picked.append(typed)
    return words


def _add_antecedents(picked: list[_Candidate], cands: list[_Candidate], total: int) -> None:
    """An anaphoric sentence reads badly alone: bring in the sentence before it when it fits."""
    for c in list(picked):
        if _ANAPHORA.match(c.sentence.text) and c.sentence.position > 0:
            prev = [x for x in cands if x.hit_index == c.hit_index and x.passage_index == c.passage_index
                    and x.sentence.position == c.sentence.position - 1]
            if prev and prev[0] not in picked and total + len(prev[0].sentence.text.split()) <= MAX_WORDS + 20 \
                    and len(picked) < MAX_SENTENCES + 1:
                picked.append(prev[0])
                total += len(prev[0].sentence.text.split())


def _duplicate(a: _Candidate, b: _Candidate) -> bool:
    """Whether two units say the same thing: shared words, one held in the other, or near vectors."""
    wa, wb = set(sn.words(a.sentence.text)), set(sn.words(b.sentence.text))
    if wa and wb and len(wa & wb) / len(wa | wb) >= DUPLICATE_JACCARD:
        return True
    if wa and wb and len(wa & wb) / min(len(wa), len(wb)) >= DUPLICATE_CONTAINED:
        return True  # one says nothing the other does not ("Discounts on schooling." in a longer list)
    return a.vec is not None and b.vec is not None and float(a.vec @ b.vec) >= DUPLICATE_COSINE


def render(picked: list[_Candidate], hits: Sequence[Hit], places: Places) -> tuple[str, list[Citation]]:
    """The answer's text, each unit followed by its marker, and the citations in order of first use."""
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    parts = []
    for c in picked:
        if c.hit_index not in numbers:
            hit = hits[c.hit_index]
            numbers[c.hit_index] = len(numbers) + 1
            citations.append(citation(numbers[c.hit_index], hit, c.passage, places))
        text = c.sentence.text
        hit = hits[c.hit_index]
        city = places.city_name(hit.city) if hit.city else None
        whose = reader.subject_of(hit.title, city)
        if reader.needs_subject(text, [city or "", whose]):
            text = f"({whose}) {text}"
        parts.append(f"{text} [{numbers[c.hit_index]}]")
    return " ".join(parts), citations


def citation(n: int, hit: Hit, passage: Any, places: Places) -> Citation:
    """Citation ``[n]`` of a document, with a snippet of the passage quoted."""
    return Citation(
        n=n, doc_id=hit.doc_id, title=hit.title, source=hit.source, url=link(hit),
        city=hit.city, city_name=places.city_name(hit.city), kind=hit.kind, snippet=snippet(passage.text),
        page=passage.page, section=passage.section,
    )


# --- a generator's answer instead ---------------------------------------------------------------


@dataclass(frozen=True)
class GenerationPassage(NumberedPassage):
    """What a generator is given: one retrieved document's passages, to be cited as ``[n]`` (n, title,
    text, source as :class:`~app.answering.generator.NumberedPassage`), and the document they are from."""

    doc_id: str = ""
    city: str | None = None
    kind: str | None = None
    url: str | None = None


class Generator(Protocol):
    """What an answer generator provides (an LLM client, for instance).

    ``generate(question, passages)`` gets :class:`GenerationPassage` items and returns either a
    ``(text, used_citation_numbers)`` pair or an object with ``text`` and ``citations_used``
    (as ``app.answering.generator.Generated``). It may raise anything: the answer then stays extractive.
    """

    def generate(self, question: str, passages: list[GenerationPassage]) -> Any: ...


def generate(generator: Generator, result: AnswerResult, question: str, hits: Sequence[Hit], places: Places) -> None:
    """Let ``generator`` write ``result``'s answer from ``hits``; on any failure keep the extractive one."""
    passages = [
        GenerationPassage(i, h.title, "\n\n".join(p.text for p in h.passages), h.source, h.doc_id, h.city,
                          h.kind, h.url)
        for i, h in enumerate(hits, 1)
    ]
    try:
        out = generator.generate(question, passages)
        if isinstance(out, tuple):
            text, used = out
        else:
            text, used = out.text, out.citations_used
        used = [int(n) for n in used]
        if not text or not text.strip() or not used or any(n < 1 or n > len(hits) for n in used):
            raise ValueError("the generator returned no cited answer")
    except Exception:  # any failure of the generator: keep the extractive answer
        result.notes.append("generator unavailable: extractive answer")
        return
    result.answer = text.strip()
    result.citations = [citation(n, hits[n - 1], hits[n - 1].passages[0], places)
                        for n in sorted(dict.fromkeys(used))]
    result.label = "generated"
