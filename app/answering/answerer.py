"""The answerer: a short, sourced answer to an official's question, or an honest "cannot answer".

``Answerer.ask(question, conversation=None, filters=None)`` returns an
:class:`~app.answering.answers.AnswerResult` (the statuses are described there). It runs the stages
of a cited answer, each in its own module:

1. resolve the question against the conversation (:func:`app.answering.conversations.resolve`:
   "and in Spain?", "who else does that?", "how did they measure it?");
2. search the live index, and read the documents of the same index generation;
3. ask for detail when the question is too vague (:mod:`app.answering.gate`, options from
   :mod:`app.answering.followups`), or say why it cannot be answered (:mod:`app.answering.gate`);
4. compose the answer from the best documents' sentences, or let a generator write it
   (:mod:`app.answering.compose`);
5. add the related services, peers, notes (:mod:`app.answering.related`) and follow-up questions
   (:mod:`app.answering.followups`), and remember the turn in the conversation.

Vectors are cached in :class:`~app.answering.vectors.Vectors`; the documents and place names of
the live generation once per generation.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from indexer import crosslingual as xlm
from indexer.search import Hit, normalise_filters

from app.answering import asked
from app.answering import compose as cp
from app.answering import gate, reader, related
from app.answering import sentences as sn
from app.answering.answers import AnswerResult, check_question
from app.answering.compose import Generator
from app.answering.conversations import ConversationStore, Places, Resolution, Turn, resolve, short_title
from app.answering.followups import follow_ups, options
from app.answering.languages import asks_which_city, language_notes, understood
from app.answering.vectors import Vectors

SEARCH_K = 10
AGREEMENT_DOCS = 3  # documents whose best passage may agree with a question in another language (gate.XL_AGREEMENT_MIN)
Snapshot = tuple[int, dict[str, Hit]]  # a generation's id and its documents by doc_id


class Answerer:
    """Answers questions from a :class:`~indexer.search.Searcher`'s live index."""

    def __init__(self, searcher, catalog=None, conversations: ConversationStore | None = None,
                 min_score: float | None = None, generator: Generator | None = None,
                 scope_min: float | None = None):
        self.searcher = searcher
        self.catalog = catalog
        self.conversations = conversations
        configured = getattr(searcher.settings, "answer_min_score", -1.0) if min_score is None else min_score
        self.min_score = gate.MIN_SCORE if configured is None or float(configured) < 0 else float(configured)
        self.scope_min = gate.SCOPE_MIN if scope_min is None else float(scope_min)
        self.generator = generator
        self.vectors = Vectors(searcher)
        self._docs_cache: Snapshot | None = None
        self._places: tuple[int, Places] | None = None
        self._lock = threading.Lock()

    check_question = staticmethod(check_question)

    def ask(self, question: str, conversation: str | None = None, filters: dict | None = None) -> AnswerResult:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        question = self.check_question(question)
        flt = normalise_filters(filters)  # InvalidRequest on unknown filters
        flt_in = {k: (v[0] if len(v) == 1 else v) for k, v in flt.items()}
        conv_id, history = self._conversation(conversation)

        t = time.perf_counter()
        places = self.places()
        res = resolve(question, history, places, flt_in)
        timings["resolve"] = (time.perf_counter() - t) * 1000

        result = self._answer(question, res, places, timings)
        if result.status == "cannot_answer" and not understood(result.language):
            # not a question outside the network's scope: a language the encoder reads poorly
            result.reason = "no_content"
            result.notes = [n for n in result.notes if "does not look like a question" not in n]
        result.notes.extend(language_notes(result.language, result.status))
        result.conversation_id = conv_id
        result.resolved_question = res.question
        result.follow_up = res.kind
        result.filters = dict(res.filters)

        if self.conversations is not None and conv_id:
            t = time.perf_counter()
            self._remember(conv_id, question, res, result)
            timings["store"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        result.timings_ms = timings
        return result

    def places(self) -> Places:
        """Place names known to the catalog and to the live index (cached per generation)."""
        gen, docs = self._documents()
        cached = self._places
        if cached is not None and cached[0] == gen:
            return cached[1]
        extra = {}
        countries = set()
        for d in docs.values():
            if d.city and d.city not in extra:
                extra[d.city] = d.city.replace("-", " ").title()
            if d.country:
                countries.add(d.country)
        places = Places(self.catalog, extra, countries)
        self._places = (gen, places)
        return places

    def warm(self, background: bool = False) -> int:
        """Embed every sentence of the live index now, so that answers need no passage embedding
        (about 6 s for knowledge/ on two cores); returns how many. With ``background``, do it in a
        daemon thread and return 0 at once (answers are right either way, only slower until done)."""
        if background:
            threading.Thread(target=self._warm_quietly, name="answerer-warm", daemon=True).start()
            return 0
        texts: list[str] = []
        for text in self._all_passages():
            texts.extend(s.text for s in sn.sentences(text) if sn.is_prose(s.text))
        for doc in self._documents()[1].values():  # the front matter's facts are quoted too
            texts.extend(reader.fact_units(doc.metadata or {}))
        return self.vectors.warm(texts)

    def _warm_quietly(self) -> None:
        try:
            self.warm()
        except Exception:  # a warm-up that fails only leaves answers slower
            pass

    # -- the conversation ----------------------------------------------------------------------
    def _conversation(self, conversation: str | None) -> tuple[str | None, list[Turn]]:
        """The conversation's id (a new one when a store is kept and none is given) and its turns."""
        if self.conversations is not None:
            conv_id = ConversationStore.check_id(conversation) if conversation else ConversationStore.new_id()
            return conv_id, self.conversations.turns(conv_id) if conversation else []
        return (ConversationStore.check_id(conversation) if conversation else None), []

    def _remember(self, conv_id: str, question: str, res: Resolution, result: AnswerResult) -> None:
        """The turn in the conversation, with what later follow-ups resolve against."""
        self.conversations.append(conv_id, Turn(
            question=question,
            resolved_question=res.question,
            query=res.query,
            subject=res.subject,
            filters=dict(res.filters),
            doc_ids=[c.doc_id for c in result.citations],
            cities=list(dict.fromkeys(c.city for c in result.citations if c.city)),
            topics=[short_title(c.title) for c in result.citations],
            doc_cities=[c.city for c in result.citations],
            status=result.status,
        ))

    # -- the stages ----------------------------------------------------------------------------
    def _answer(self, question: str, res: Resolution, places: Places, timings: dict) -> AnswerResult:
        """The resolved question through the stages (see the module docstring); ``timings`` gets
        the milliseconds of each."""
        result = AnswerResult(question=question, status="cannot_answer")
        t = time.perf_counter()
        found, docs = self._search(res)
        # A question in another language was matched by the multilingual encoder: its scores, the
        # sentence scores below and the thresholds are that encoder's (indexer/crosslingual.py).
        xl = getattr(found, "encoder", "") == xlm.ENCODER_NAME
        result.language = getattr(found, "language", "und")
        result.generation = found.generation
        best_all = max((h.dense_score or 0.0) for h in found.hits) if found.hits else 0.0
        hits = self._narrow(found.hits, res, best_all, docs)
        timings["search"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        qvec = self.vectors.question(res.query, xl)
        signals = gate.Signals(
            top=max((h.dense_score or 0.0) for h in hits) if hits else 0.0,
            scope=float(np.max(self.vectors.scope(xl) @ qvec)),
            floor=gate.XL_MIN_SCORE if xl else self.min_score,
            scope_min=gate.XL_SCOPE_MIN if xl else self.scope_min, xl=xl,
            english=self._english_agreement(getattr(found, "english_query", ""), hits) if xl else 0.0,
            language=result.language if xl else "")
        timings["embed_question"] = (time.perf_counter() - t) * 1000
        words = sn.content_words(res.query)
        result.evidence = {"top_cosine": round(signals.top, 4), "scope": round(signals.scope, 4),
                           "coverage": round(gate.coverage(words, hits[:3]), 3),
                           "min_score": self.min_score, "scope_min": self.scope_min}
        if xl:
            result.evidence["english_agreement"] = round(signals.english, 4)

        if not hits:
            return self._nothing_found(result, res)
        if res.kind == "new" and self._clarify(result, question, hits, places):
            return result
        if not gate.answerable(result, question, res, hits, places, signals, self.searcher):
            return gate.cannot_answer(result)

        t = time.perf_counter()
        members = asks_which_city(question)
        answer_hits = cp.answer_documents(hits, signals.top, self.min_score, members=members)
        # Place names do not tell sentences of that place's documents apart: leave them out of the overlap.
        picked = cp.compose(res.query, qvec, sn.content_words(places.strip(res.query)) or words, answer_hits,
                            lambda texts: self.vectors.sentences(texts, xl), res.kind, result.language if xl else None,
                            members, getattr(found, "english_query", "") or "")
        timings["compose"] = (time.perf_counter() - t) * 1000
        lacking = asked.missing(picked, res.query, result.language if xl else None) if picked else None
        if not picked or lacking:
            result.reason = "no_content"
            result.nearest = gate.nearest(hits)
            if lacking:
                result.notes.append(lacking)
            return gate.cannot_answer(result)

        result.answer, result.citations = cp.render(picked, answer_hits, places)
        result.status, result.reason = "answered", None
        if self.generator is not None:
            t = time.perf_counter()
            cp.generate(self.generator, result, res.query, answer_hits, places)
            timings["generate"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        self._around(result, question, res, hits, places, best_all, docs[1])
        timings["related"] = (time.perf_counter() - t) * 1000
        return result

    def _english_agreement(self, english: str, hits: list[Hit]) -> float:
        """For a question in another language: the English encoder's cosine between its words
        carried over to the corpus's ("guerra" -> "war") and the best passage of one of the
        :data:`AGREEMENT_DOCS` best documents (the multilingual ranking of close documents is
        uncertain), a second view of the match beside the multilingual encoder's (:class:`gate.Signals`)."""
        passages = [h.closest_passage.text for h in hits[:AGREEMENT_DOCS] if h.closest_passage is not None]
        if not english or not passages:
            return 0.0
        return float(np.max(np.stack(self.vectors.sentences(passages)) @ self.vectors.question(english)))

    def _search(self, res: Resolution) -> tuple[Any, Snapshot]:
        """The search for the resolved question, and the documents of the generation it read.

        Should an index rebuild swap in between the two reads, search again (a swap takes one
        commit, so this settles at once)."""
        k = SEARCH_K * 3 if res.exclude_cities else SEARCH_K
        for _ in range(3):
            found = self.searcher.search(res.query, k=k, filters=res.filters)
            docs = self._documents(found.generation)
            if docs[0] == found.generation:
                break
        return found, docs

    @staticmethod
    def _narrow(hits: list[Hit], res: Resolution, best: float, docs: Snapshot) -> list[Hit]:
        """The hits a follow-up is about (other members for "who else?", the earlier documents
        first), ranked again from 1."""
        if res.kind == "others":
            hits = related.others(hits, res, best, docs[1])
        elif res.exclude_cities:
            excluded = set(res.exclude_cities)
            hits = [h for h in hits if h.city not in excluded]
        if res.focus_doc_ids:
            focus = [h for h in hits if h.doc_id in res.focus_doc_ids]
            hits = focus + [h for h in hits if h.doc_id not in res.focus_doc_ids]
        for i, h in enumerate(hits, 1):
            h.rank = i
        return hits

    def _nothing_found(self, result: AnswerResult, res: Resolution) -> AnswerResult:
        """A cannot_answer for a search that found nothing (after the follow-up's narrowing)."""
        result.reason = "no_content"
        if res.kind == "others":
            result.notes.append(gate.NO_OTHER_MEMBER)
        elif res.filters:
            shown = ", ".join(f"{k}={v}" for k, v in res.filters.items())
            result.notes.append(f"Nothing in the knowledge base matches these filters ({shown}).")
            result.nearest = gate.nearest(self.searcher.search(res.query, k=5).hits)
        return gate.cannot_answer(result)

    @staticmethod
    def _clarify(result: AnswerResult, question: str, hits: list[Hit], places: Places) -> bool:
        """Too vague to answer well, or a short question whose best matches are about unrelated
        things: offer choices (when there are at least two). A short question asking for a fact
        ("Who is the current mayor of Espoo?") is answered or refused, not offered topics."""
        spread = gate.spread(question, hits, places) and reader.expected_type(question) is None
        if not (gate.is_vague(question, places) or spread):
            return False
        choices = options(hits, places)
        if len(choices) < 2:
            return False
        result.status, result.label = "need_more_detail", "none"
        result.clarifying_options = choices
        result.notes.append("The question is broad; pick one of these or add detail.")
        return True

    def _around(self, result: AnswerResult, question: str, res: Resolution, hits: list[Hit], places: Places,
                best: float, docs: dict[str, Hit]) -> None:
        """Related services, peers, follow-up questions and notes of an answered ``result``."""
        cited_cities = {c.city for c in result.citations if c.city}
        result.related = related.related(hits, result.citations, set(res.exclude_cities) | cited_cities, places,
                                         best - related.RELATED_MARGIN, self.min_score, docs)
        result.peers = related.peers(result.citations, result.related, places)
        result.follow_ups = follow_ups(result, res, places)
        related.add_notes(result, question, res, places, docs)

    # -- the documents of a generation ---------------------------------------------------------
    def _documents(self, gen: int | None = None) -> Snapshot:
        """The documents of generation ``gen`` (default: the live one), cached per generation.
        The generation returned is the one the documents were read from, which is newer than
        ``gen`` when a rebuild has swapped in since."""
        gen = self.searcher.live().id if gen is None else gen
        cached = self._docs_cache
        if cached is not None and cached[0] == gen:
            return cached
        with self._lock:
            cached = self._docs_cache
            if cached is None or cached[0] != gen:
                read_gen, hits = self.searcher.documents_snapshot(limit=100_000)
                cached = self._docs_cache = (read_gen, {h.doc_id: h for h in hits})
        return cached

    def _all_passages(self) -> list[str]:
        """Every passage text of the live index (for :meth:`warm`)."""
        return self.searcher.passage_texts()
