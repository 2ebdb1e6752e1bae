"""Answers: a short, sourced answer to an official's question, or an honest "cannot answer".

``Answerer.ask(question, conversation=None, filters=None)`` returns an :class:`AnswerResult`:

- ``answered``: an extractive answer. The most relevant sentences of the retrieved passages,
  quoted verbatim (whitespace normalised, list markers stripped), de-duplicated, in reading order
  (by document rank, then their order in the passage), each followed by its citation marker
  ``[n]``; citations are numbered in order of first use. Related services from other cities,
  the peers to call and suggested follow-up questions come with it.
- ``need_more_detail``: the question is too vague ("services", "digital", a city name alone)
  to answer well; 2–4 clarifying options built from the top hits, each a question to ask next.
- ``cannot_answer``: ``outside_scope`` (not about public services or the network) or
  ``no_content`` (in scope, but nothing in the knowledge base is close enough), with the nearest
  matches. Weak retrieval never gets a stitched guess.

Answerability uses the raw cosine similarity of the best passage (comparable across queries) and
the question's similarity to a handful of descriptions of the network's scope; the thresholds
were chosen by ``bench/calibrate_answers.py`` (see the constants below).

A ``generator`` (an object with ``generate(question, passages) -> (text, used_citation_numbers)``)
may write the answer instead; if it fails for any reason the extractive answer is given with the
note "generator unavailable: extractive answer".
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np

from indexer import crosslingual as xlm
from indexer.errors import InvalidRequest, UccError
from indexer.search import MAX_QUERY_CHARS, Hit, Passage, normalise_filters, snippet
from indexer.text import fold

from app.answering import reader
from app.answering.languages import language_notes, understood
from app.answering import sentences as sn
from app.answering.conversations import ConversationStore, Places, Resolution, Turn, resolve, short_title
from app.errors import EmptyQuestion, QuestionTooLong

# --- calibrated thresholds (bench/calibrate_answers.py; see its JSON output) -----------------

# Least raw cosine similarity between the question and the best retrieved passage for an answer.
# Chosen by bench/calibrate_answers.py (F0.5 of "answered", median over bootstrap resamples; 90%
# interval 0.265-0.34) on the dev set (60 queries over ../shared/corpora) plus
# tests/data/answerable.jsonl (44 questions, knowledge/) against tests/data/unanswerable.jsonl
# (48 questions) asked of both indexes: precision 1.00, recall 0.99 with the gates below.
MIN_SCORE = 0.33
# Least similarity between the question and the SCOPE descriptions below: a question the assistant
# cannot answer is outside_scope below it, no_content above (same script: the reason is right for
# 90% of the unanswerable set).
SCOPE_MIN = 0.20
# When a question names a place, more than half of its other content words must appear in the best
# three documents, so that a match on the place name alone ("tapas bars in Madrid") is no answer
# (same script: answerable questions naming a place had 0.6 or more, unanswerable ones 0.5 or less).
PLACE_COVERAGE_MIN = 0.55

# --- composition limits ---------------------------------------------------------------------

MAX_SENTENCES = 4
# The same two gates for a question in another language, on the multilingual encoder's cosines
# (bench/RESULTS.md: answerable and unanswerable questions in es/it/de/fr/nl).
XL_MIN_SCORE = 0.36
XL_SCOPE_MIN = 0.20
SENTENCE_WEIGHT = 0.45  # the sentence's own cosine to the question ...
PASSAGE_WEIGHT = 0.15  # ... and its passage's: an answer sentence often lacks the subject its paragraph names
TYPE_BONUS = 0.08  # a unit holding the kind of answer the question expects (app/answering/reader.py; bench/RESULTS.md)
MIN_SENTENCES = 2  # a second sentence is added if one comes within SECOND_MARGIN of the best
SECOND_MARGIN = 0.3
MAX_WORDS = 90
MAX_CANDIDATES = 32  # sentences embedded and scored per answer
MAX_SENTENCE_WORDS = 70  # longer sentences are left out unless nothing else is there
MAX_ANSWER_DOCS = 4  # documents whose sentences compete for the answer (at most 4 sentences are quoted)
DOC_MARGIN = 0.25  # ... if their best cosine is this close to the best document's
PEER_MARGIN = 0.15  # "who else?": another city's document this close to the best one counts as the same topic
SENTENCE_MARGIN = 0.2  # a sentence is kept only if its score is this close to the best sentence
DUPLICATE_JACCARD = 0.6
DUPLICATE_COSINE = 0.92
DUPLICATE_CONTAINED = 0.8
RELATED_MAX = 4
RELATED_MARGIN = 0.15  # related services may sit this far below the best document (never below MIN_SCORE)
SEARCH_K = 10
TOPIC_TAGS = 3  # "same topic": sharing one of the first three tags of a document already cited
SPREAD_MAX_WORDS = 2  # "spread" applies to questions of at most this many content words
SPREAD_TIE = 0.05  # ... whose three best documents are this close and share no tag

SCOPE = (
    "digital public services for residents of a city",
    "city government, municipal administration and local public services",
    "e-government and online services of a city or region",
    "citizen participation, participatory budgeting and co-design with residents",
    "user research, usability testing and service design for public services",
    "accessibility and digital inclusion of public services",
    "the UserCentriCities network of European cities and regions",
    "benchmarking the user-centricity of digital government",
    "data protection, once-only and interoperability in public administration",
    "public procurement of digital services and skills of civil servants",
    "reporting problems in public space to the city",
    "social benefits, permits, certificates, taxes and registration for residents",
    "public transport, mobility and parking services of a city",
    "complaints, feedback and redress about public services",
)

# Questions made only of these words (and places) are too vague to answer well.
VAGUE_WORDS = frozenset(
    """help service services digital digitalisation digitalization digitisation info information question questions
    hello hi hey city cities region regions municipality municipalities data app apps online website websites idea
    ideas example examples best practice practices innovation innovative smart government egovernment e-government
    public sector project projects anything something stuff things thing tips advice good great interesting useful
    nice cool latest news update updates new tell me about what
    show list overview everything solution solutions technology tech tool tools platform platforms""".split()
)
# Words every document of the domain could use; left out when checking that a question naming a
# place is about something the knowledge base covers there.
DOMAIN_WORDS = frozenset(
    """city cities region regions municipality municipalities resident residents citizen citizens people member
    members country countries local government public council councils town towns""".split()
)
_STOP = frozenset(
    """a an and are as at be by can could do does did for from has have how i if in into is it its of on or our
    should so than that the their them then there these they this to was we what when where which who why will
    with would you your about any some more most other such only own same too very just also me my us please
    get got make made want need know tell give show does doing done been being were while out up""".split()
)
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_CAPITAL = re.compile(r"(?<![\w'’-])([A-ZÀ-ÖØ-Þ][\w'’-]{2,}|[A-Z]{2,})(?![\w'’-])")
_ANAPHORA = re.compile(r"^(?:It|Its|This|These|They|Their|That|Those|He|She|His|Her|Both|The latter|The former)\b")
_NOT_NAMES = frozenset(
    """What Which Where When Who Whom Whose Why How Can Could Should Would Does Did Are Is Was Were The And But Our
    Any Some For With Without From About Into Also Then Than There Here Yes Not Please Thanks Hello Dear I I'm EU
    Europe European""".split()
)
# Notes about a document itself ("How to read this guide: ..."), never quoted as an answer.
_META = re.compile(r"\b(?:this (?:guide|entry|file|knowledge base|toolkit)|the sources? (?:listed|used here|above)|"
                   r"listed in the sources|how to read)\b", re.IGNORECASE)
_NON_TOPICAL_TAG = re.compile(r"award|member|^region$|^municipalities$|^mobile app$|^open source$|^cities$")
_RESULTS_SECTION = re.compile(r"result|outcome|impact|measur|evaluat|figure|lesson", re.IGNORECASE)
SELF_ASSESSMENT_NOTE = "Benchmark figures are the cities' own self-assessment."


@dataclass(frozen=True)
class GenerationPassage:
    """What a generator is given: one retrieved document's passages, to be cited as ``[n]``.

    Attribute names match ``app.answering.generator.NumberedPassage`` (n, title, text, source)."""

    n: int
    title: str
    text: str
    source: str = ""
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


# --- result -----------------------------------------------------------------------------


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    source: str
    url: str | None
    city: str | None
    city_name: str | None
    kind: str | None
    snippet: str
    page: int | None
    section: str = ""


@dataclass
class Related:
    doc_id: str
    title: str
    city: str | None
    city_name: str | None
    url: str | None
    kind: str | None = None


@dataclass
class Option:
    label: str
    question: str
    doc_id: str | None = None
    kind: str | None = None
    city: str | None = None


@dataclass
class AnswerResult:
    question: str
    status: str  # answered | need_more_detail | cannot_answer
    reason: str | None = None  # outside_scope | no_content (cannot_answer only)
    answer: str = ""
    citations: list[Citation] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    peers: list[dict] = field(default_factory=list)  # cities to call: slug, name, documents
    follow_ups: list[str] = field(default_factory=list)
    nearest: list[dict] = field(default_factory=list)  # cannot_answer only
    clarifying_options: list[Option] = field(default_factory=list)  # need_more_detail only
    conversation_id: str | None = None
    resolved_question: str = ""
    follow_up: str = "new"  # how the question was resolved: new | place | measure | others | about
    filters: dict = field(default_factory=dict)
    label: str = "extractive"  # extractive | generated | none
    notes: list[str] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)  # the signals behind the status
    timings_ms: dict = field(default_factory=dict)
    generation: int | None = None  # the index generation every citation and related item comes from
    language: str = "und"  # the question's language (indexer.crosslingual.detect); "und": taken as English

    @property
    def answered(self) -> bool:
        return self.status == "answered"

    def to_dict(self) -> dict:
        out = asdict(self)
        out["timings_ms"] = {k: round(v, 2) for k, v in self.timings_ms.items()}
        return out


# --- the question ---------------------------------------------------------------------------


def check_question(question: Any) -> str:
    """The question on one line, as every face has it checked: text, not blank, at most
    MAX_QUERY_CHARS characters as sent (so the API's ``maxLength`` holds exactly).

    :raise EmptyQuestion: blank (400). :raise QuestionTooLong: too long (422).
    """
    if not isinstance(question, str):
        raise InvalidRequest("The question must be text.")
    if len(question) > MAX_QUERY_CHARS:
        raise QuestionTooLong(len(question), MAX_QUERY_CHARS)
    text = " ".join(question.split())
    if not text:
        raise EmptyQuestion()
    return text


# --- helpers ------------------------------------------------------------------------------


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and (len(w) > 1 or w.isdigit())]


_SUFFIX = re.compile(r"(?:ally|ly|ies|es|s|ing|ed)$")


def _stem(word: str) -> str:
    """A crude stem for word overlap: accents folded, a common suffix dropped, cut to six letters
    ("proactively", "proactive" -> "proact"; "grants" -> "grant"; "benefits" -> "benefi")."""
    word = fold(word)
    if len(word) > 4:
        word = _SUFFIX.sub("", word) or word
    return word[:6]


class _LRU:
    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value):
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


@dataclass
class _Candidate:
    hit_index: int
    passage_index: int
    sentence: sn.Sentence
    passage: Any
    vec: np.ndarray | None = None
    score: float = 0.0
    sim: float = 0.0


class Answerer:
    """Answers questions from a :class:`~indexer.search.Searcher`'s live index."""

    def __init__(self, searcher, catalog=None, conversations: ConversationStore | None = None,
                 min_score: float | None = None, generator: Generator | None = None,
                 scope_min: float | None = None):
        self.searcher = searcher
        self.catalog = catalog
        self.conversations = conversations
        configured = getattr(searcher.settings, "answer_min_score", -1.0) if min_score is None else min_score
        self.min_score = MIN_SCORE if configured is None or float(configured) < 0 else float(configured)
        self.scope_min = SCOPE_MIN if scope_min is None else float(scope_min)
        self.generator = generator
        self._sentence_vecs = _LRU(20_000)
        self._query_vecs = _LRU(512)
        self._scope_vecs: np.ndarray | None = None
        self._xl_scope_vecs: np.ndarray | None = None
        self._docs_cache: tuple[int, dict] | None = None
        self._places: tuple[int, Places] | None = None
        self._lock = threading.Lock()
        self._pin = threading.local()  # the documents of the generation one ask() is answering from

    # -- public ------------------------------------------------------------------------------
    def ask(self, question: str, conversation: str | None = None, filters: dict | None = None) -> AnswerResult:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        question = self.check_question(question)
        flt = normalise_filters(filters)  # InvalidRequest on unknown filters
        flt_in = {k: (v[0] if len(v) == 1 else v) for k, v in flt.items()}
        conv_id = None
        history: list[Turn] = []
        if self.conversations is not None:
            conv_id = ConversationStore.check_id(conversation) if conversation else ConversationStore.new_id()
            history = self.conversations.turns(conv_id) if conversation else []
        elif conversation:
            conv_id = ConversationStore.check_id(conversation)

        t = time.perf_counter()
        places = self.places()
        res = resolve(question, history, places, flt_in)
        timings["resolve"] = (time.perf_counter() - t) * 1000

        try:
            result = self._answer(question, res, places, timings)
        finally:
            self._pin.docs = None
            self._pin.xl = False
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
        texts = list(dict.fromkeys(texts))[: self._sentence_vecs.size]
        for start in range(0, len(texts), 256):
            self._embed_sentences(texts[start:start + 256])
        self._scope()
        return len(texts)

    def _warm_quietly(self) -> None:
        try:
            self.warm()
        except Exception:  # a warm-up that fails only leaves answers slower
            pass

    # -- stages ------------------------------------------------------------------------------
    check_question = staticmethod(check_question)

    def _answer(self, question: str, res: Resolution, places: Places, timings: dict) -> AnswerResult:
        result = AnswerResult(question=question, status="cannot_answer")
        t = time.perf_counter()
        k = SEARCH_K * 3 if res.exclude_cities else SEARCH_K
        # Search and document metadata from the same generation: should an index rebuild swap in
        # between the two reads, search again (a swap takes one commit, so this settles at once).
        for _ in range(3):
            found = self.searcher.search(res.query, k=k, filters=res.filters)
            docs = self._load_documents(found.generation)
            if docs[0] == found.generation:
                break
        self._pin.docs = docs
        # A question in another language was matched by the multilingual encoder: its scores, the
        # sentence scores below and the thresholds are that encoder's (indexer/crosslingual.py).
        xl = getattr(found, "encoder", "") == xlm.ENCODER_NAME
        self._pin.xl = xl
        result.language = getattr(found, "language", "und")
        result.generation = found.generation
        hits = found.hits
        best_all = max((h.dense_score or 0.0) for h in hits) if hits else 0.0
        floor = XL_MIN_SCORE if xl else self.min_score
        if res.kind == "others":
            # "who else?": other cities' documents on the same topic: sharing a topical tag with what
            # was cited before, or nearly as close to the subject as the best document.
            excluded = set(res.exclude_cities)
            topic = self._tags(res.topic_doc_ids, head=TOPIC_TAGS)
            hits = [h for h in hits if h.city and h.city not in excluded
                    and (self._tags([h.doc_id]) & topic or (h.dense_score or 0.0) >= best_all - PEER_MARGIN)]
        elif res.exclude_cities:
            excluded = set(res.exclude_cities)
            hits = [h for h in hits if h.city not in excluded]
        if res.focus_doc_ids:
            focus = [h for h in hits if h.doc_id in res.focus_doc_ids]
            hits = focus + [h for h in hits if h.doc_id not in res.focus_doc_ids]
        for i, h in enumerate(hits, 1):
            h.rank = i
        timings["search"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        qvec = self._embed_query(res.query)
        scope = float(np.max(self._scope() @ qvec))
        scope_min = XL_SCOPE_MIN if xl else self.scope_min
        timings["embed_question"] = (time.perf_counter() - t) * 1000
        top = max((h.dense_score or 0.0) for h in hits) if hits else 0.0
        words = content_words(res.query)
        coverage = self._coverage(words, hits[:3])
        result.evidence = {"top_cosine": round(top, 4), "scope": round(scope, 4), "coverage": round(coverage, 3),
                           "min_score": self.min_score, "scope_min": self.scope_min}

        if not hits:
            result.reason = "no_content"
            if res.kind == "others":
                result.notes.append("No other member in the knowledge base does this, as far as it shows.")
            elif res.filters:
                shown = ", ".join(f"{k}={v}" for k, v in res.filters.items())
                result.notes.append(f"Nothing in the knowledge base matches these filters ({shown}).")
                result.nearest = self._nearest(self.searcher.search(res.query, k=5).hits)
            return self._finish_cannot(result, res)

        # Too vague to answer well, or a short question whose best matches are about unrelated things:
        # offer choices.
        if res.kind == "new" and (self._is_vague(question, places) or self._spread(question, hits, places)):
            options = self._options(hits, places)
            if len(options) >= 2:
                result.status, result.label = "need_more_detail", "none"
                result.clarifying_options = options
                result.notes.append("The question is broad; pick one of these or add detail.")
                return result

        # Answerable only if the best passage is close enough, the match does not rest on a place
        # name alone ("tapas bars in Madrid"), and no name in the question is unknown to the index
        # ("parking fines in Tokyo"). Otherwise the scope similarity tells which reason applies.
        place_cov = None
        if not xl and res.kind in ("new", "place", "others") and places.find(res.query):
            specific = [w for w in content_words(places.strip(res.query)) if w not in DOMAIN_WORDS]
            place_cov = self._coverage(specific, hits[:3]) if specific else 1.0
            result.evidence["place_coverage"] = round(place_cov, 3)
        missing: list[str] = []
        answerable = False
        if top >= floor:
            # Capitalised words are names in English only (German capitalises every noun).
            missing = [] if xl else self._unknown_names(question, hits, places)
            place_only = place_cov is not None and place_cov < PLACE_COVERAGE_MIN
            answerable = not missing and not place_only
            if missing:
                result.notes.append(f"Nothing in the knowledge base mentions {', '.join(missing)}.")
            elif place_only:
                shown = ", ".join(dict.fromkeys(p.name for p in places.find(res.query)))
                result.notes.append(f"The knowledge base has material on {shown}, but not on this.")
        if not answerable:
            if scope < scope_min:
                result.reason = "outside_scope"  # no "nearest matches": they would be unrelated
                result.notes.insert(0, "This does not look like a question about public services or the "
                                       "UserCentriCities network.")
            else:
                result.reason = "no_content"
                if not missing:  # a name the index never mentions: the nearest matches are about something else
                    result.nearest = self._nearest(hits)
                if res.kind == "others":
                    result.notes.append("No other member in the knowledge base does this, as far as it shows.")
            result.evidence["unknown_names"] = missing
            return self._finish_cannot(result, res)

        t = time.perf_counter()
        answer_hits = [h for h in hits[:MAX_ANSWER_DOCS + 2]
                       if (h.dense_score or 0.0) >= max(self.min_score - 0.05, top - DOC_MARGIN)][:MAX_ANSWER_DOCS]
        if not answer_hits:
            answer_hits = hits[:1]
        # Place names do not tell sentences of that place's documents apart: leave them out of the overlap.
        picked = self._compose(res.query, qvec, content_words(places.strip(res.query)) or words, answer_hits, res.kind)
        timings["compose"] = (time.perf_counter() - t) * 1000
        if not picked:
            result.reason = "no_content"
            result.nearest = self._nearest(hits)
            return self._finish_cannot(result, res)

        text, citations = self._render(picked, answer_hits, places)
        result.status, result.reason = "answered", None
        result.answer, result.citations = text, citations
        if self.generator is not None:
            t = time.perf_counter()
            self._generate(result, res.query, answer_hits, places)
            timings["generate"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        cited_cities = {c.city for c in result.citations if c.city}
        result.related = self._related(hits, result.citations, set(res.exclude_cities) | cited_cities, places,
                                       best_all - RELATED_MARGIN)
        result.peers = self._peers(result.citations, result.related, places)
        result.follow_ups = self._follow_ups(result, res, places)
        self._add_notes(result, question, res, places)
        timings["related"] = (time.perf_counter() - t) * 1000
        return result

    def _finish_cannot(self, result: AnswerResult, res: Resolution) -> AnswerResult:
        result.status, result.label = "cannot_answer", "none"
        if result.reason == "no_content" and not result.notes:
            result.notes.append("Nothing in the knowledge base is close enough to answer this; the nearest matches are listed.")
        return result

    # -- answerability ----------------------------------------------------------------------
    @staticmethod
    def _coverage(words: list[str], hits: Sequence[Hit]) -> float:
        """Share of ``words`` found (by stem) in the hits' titles and passages."""
        if not words:
            return 0.0
        text = " ".join(p.text.lower() + " " + h.title.lower() for h in hits for p in h.passages)
        found = {_stem(w) for w in _WORD.findall(text)}
        return sum(1 for w in words if _stem(w) in found) / len(words)

    def _is_vague(self, question: str, places: Places) -> bool:
        rest = places.strip(question)
        words = content_words(rest)
        if not words:
            return True  # a place alone, or only stop words
        return all(w in VAGUE_WORDS for w in words)

    @staticmethod
    def _spread(question: str, hits: Sequence[Hit], places: Places) -> bool:
        """A short question whose top matches are near-tied and share no tag ("registration")."""
        if len(content_words(places.strip(question))) > SPREAD_MAX_WORDS or len(hits) < 3:
            return False
        top = hits[:3]
        scores = [h.dense_score or 0.0 for h in top]
        if max(scores) - min(scores) > SPREAD_TIE:
            return False
        tags = [{str(t).lower() for t in (h.metadata.get("tags") or [])} for h in top]
        return all(not (tags[i] & tags[j]) for i in range(3) for j in range(i + 1, 3))

    def _unknown_names(self, question: str, hits: Sequence[Hit], places: Places) -> list[str]:
        names = []
        for sentence in re.split(r"(?<=[.?!])\s+", question):
            for m in _CAPITAL.finditer(sentence):
                word = m.group(1)
                if m.start() == 0 or word in _NOT_NAMES or word.rstrip("'’s") in _NOT_NAMES:
                    continue
                names.append(word)
        if not names:
            return []
        known = {fold(p.name) for p in places.find(question)}
        haystack = fold(" ".join(
            " ".join([h.title, h.city or "", h.country or "", " ".join(map(str, h.metadata.get("tags", []) or []))]
                     + [p.text for p in h.passages]) for h in hits
        ))
        missing = []
        for name in dict.fromkeys(names):
            folded = fold(name)
            base = re.sub(r"(?:ians|ian|ans|ese|ish|ers|er|s)$", "", folded) if len(folded) > 6 else folded
            if folded in known or any(folded in k for k in known) or folded in haystack or base in haystack:
                continue
            try:  # mentioned anywhere in the index?
                if self.searcher.search(name, k=1, mode="bm25").hits:
                    continue
            except UccError:
                pass
            missing.append(name)
        return missing

    # -- composition --------------------------------------------------------------------------
    def _compose(self, query: str, qvec: np.ndarray, words: list[str], hits: Sequence[Hit],
                 kind: str = "new") -> list[_Candidate]:
        cands: list[_Candidate] = []
        atype = reader.expected_type(query)
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
        if not cands:
            return []
        qstems = {_stem(w) for w in words}
        if len(cands) > MAX_CANDIDATES:
            # Embedding sentences is the slow part of a first answer: keep the most promising ones by
            # a cheap score (the passage's cosine and the sentence's word overlap). The choice does not
            # depend on what is cached, so an answer is the same cold or warm.
            def cheap(c: _Candidate) -> float:
                overlap = len(qstems & {_stem(w) for w in sn.words(c.sentence.text)}) / len(qstems) if qstems else 0.0
                return (c.passage.dense or 0.0) + 0.3 * overlap - 0.02 * c.hit_index

            keep = set(map(id, sorted(cands, key=cheap, reverse=True)[:MAX_CANDIDATES]))
            cands = [c for c in cands if id(c) in keep]
        vecs = self._embed_sentences([c.sentence.text for c in cands])
        for c, vec in zip(cands, vecs):
            c.vec = vec
            c.sim = float(vec @ qvec)
            lex = 0.0
            if qstems:
                sstems = {_stem(w) for w in sn.words(c.sentence.text)}
                lex = len(qstems & sstems) / len(qstems)
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
        ranked = sorted(cands, key=lambda c: -c.score)
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
            if any(self._duplicate(c, p) for p in picked):
                continue
            picked.append(c)
            total += n_words
        # An anaphoric sentence reads badly alone: bring in the sentence before it when it fits.
        for c in list(picked):
            if _ANAPHORA.match(c.sentence.text) and c.sentence.position > 0:
                prev = [x for x in cands if x.hit_index == c.hit_index and x.passage_index == c.passage_index
                        and x.sentence.position == c.sentence.position - 1]
                if prev and prev[0] not in picked and total + len(prev[0].sentence.text.split()) <= MAX_WORDS + 20 \
                        and len(picked) < MAX_SENTENCES + 1:
                    picked.append(prev[0])
                    total += len(prev[0].sentence.text.split())
        picked.sort(key=lambda c: (c.hit_index, c.passage_index, c.sentence.position))
        return picked

    @staticmethod
    def _duplicate(a: _Candidate, b: _Candidate) -> bool:
        wa, wb = set(sn.words(a.sentence.text)), set(sn.words(b.sentence.text))
        if wa and wb and len(wa & wb) / len(wa | wb) >= DUPLICATE_JACCARD:
            return True
        if wa and wb and len(wa & wb) / min(len(wa), len(wb)) >= DUPLICATE_CONTAINED:
            return True  # one says nothing the other does not ("Discounts on schooling." in a longer list)
        return a.vec is not None and b.vec is not None and float(a.vec @ b.vec) >= DUPLICATE_COSINE

    def _render(self, picked: list[_Candidate], hits: Sequence[Hit], places: Places) -> tuple[str, list[Citation]]:
        numbers: dict[int, int] = {}
        citations: list[Citation] = []
        parts = []
        for c in picked:
            if c.hit_index not in numbers:
                hit = hits[c.hit_index]
                numbers[c.hit_index] = len(numbers) + 1
                citations.append(self._citation(numbers[c.hit_index], hit, c.passage, places))
            text = c.sentence.text
            hit = hits[c.hit_index]
            city = places.city_name(hit.city) if hit.city else None
            whose = reader.subject_of(hit.title, city)
            if reader.needs_subject(text, [city or "", whose]):
                text = f"({whose}) {text}"
            parts.append(f"{text} [{numbers[c.hit_index]}]")
        return " ".join(parts), citations

    @staticmethod
    def _citation(n: int, hit: Hit, passage, places: Places) -> Citation:
        return Citation(
            n=n, doc_id=hit.doc_id, title=hit.title, source=hit.source, url=hit.url or _first_source(hit),
            city=hit.city, city_name=places.city_name(hit.city), kind=hit.kind, snippet=snippet(passage.text),
            page=passage.page, section=passage.section,
        )

    def _generate(self, result: AnswerResult, question: str, hits: Sequence[Hit], places: Places) -> None:
        passages = [
            GenerationPassage(i, h.title, "\n\n".join(p.text for p in h.passages), h.source, h.doc_id, h.city,
                              h.kind, h.url)
            for i, h in enumerate(hits, 1)
        ]
        try:
            out = self.generator.generate(question, passages)
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
        result.citations = [self._citation(n, hits[n - 1], hits[n - 1].passages[0], places)
                            for n in sorted(dict.fromkeys(used))]
        result.label = "generated"

    # -- around the answer ---------------------------------------------------------------------
    def _related(self, hits: Sequence[Hit], citations: list[Citation], exclude: set, places: Places,
                 floor: float) -> list[Related]:
        """Services (and case studies) of other cities close to the question that share a topical tag
        with the cited documents (or come close to the best document), then the services the cited
        documents list."""
        cited = {c.doc_id for c in citations}
        out: list[Related] = []
        seen_cities: set = set()

        def add(doc_id, title, city, url, kind):
            if doc_id in cited or city is None or city in exclude or city in seen_cities:
                return
            if any(r.doc_id == doc_id for r in out) or len(out) >= RELATED_MAX:
                return
            seen_cities.add(city)
            out.append(Related(doc_id, title, city, places.city_name(city), url, kind))

        topic = self._tags([c.doc_id for c in citations], head=TOPIC_TAGS)
        for h in hits:
            score = h.dense_score or 0.0
            if h.kind in ("service", "case") and score >= self.min_score \
                    and (score >= floor or self._tags([h.doc_id]) & topic):
                add(h.doc_id, h.title, h.city, h.url or _first_source(h), h.kind)
        _, docs = self._documents()
        for c in citations:
            doc = docs.get(c.doc_id)
            for slug in (doc.metadata.get("services") or []) if doc else []:
                svc = docs.get(f"services/{slug}.md") or next((d for d in docs.values() if d.doc_id.endswith(f"/{slug}.md")), None)
                if svc is not None:
                    add(svc.doc_id, svc.title, svc.city, svc.url or _first_source(svc), svc.kind)
        return out

    def _tags(self, doc_ids: Sequence[str], head: int | None = None) -> set[str]:
        """The topical tags of these documents (award, membership and format tags left out); with
        ``head``, only each document's first ``head`` of them (front matter lists the main topic first)."""
        _, docs = self._documents()
        out: set[str] = set()
        for d in doc_ids:
            doc = docs.get(d)
            tags = [str(t).strip().lower() for t in ((doc.metadata.get("tags") or []) if doc else [])]
            tags = [t for t in tags if t and not _NON_TOPICAL_TAG.search(t)]
            out.update(tags[:head] if head else tags)
        return out

    @staticmethod
    def _peers(citations: list[Citation], related: list[Related], places: Places) -> list[dict]:
        peers: dict[str, dict] = {}
        for item in [*citations, *related]:
            if item.city:
                peer = peers.setdefault(item.city, {"city": item.city, "name": places.city_name(item.city),
                                                    "doc_ids": []})
                peer["doc_ids"].append(item.doc_id)
        return list(peers.values())

    @staticmethod
    def _follow_ups(result: AnswerResult, res: Resolution, places: Places) -> list[str]:
        """Questions worth asking next, phrased so that follow-up resolution understands them."""
        out = []
        top = result.citations[0] if result.citations else None
        if top and top.kind in ("service", "case") and top.city and res.kind != "measure":
            out.append(f"How did {places.city_name(top.city)} measure the results?")
        if any(c.city for c in result.citations) or result.related:
            out.append("Who else does this?")
        cited = {c.city for c in result.citations}
        for r in result.related:
            if r.city and r.city not in cited:
                out.append(f"And in {r.city_name}?")
                break
        return list(dict.fromkeys(out))[:3]

    def _add_notes(self, result: AnswerResult, question: str, res: Resolution, places: Places) -> None:
        _, docs = self._documents()
        if any(c.doc_id.startswith("benchmark/") or "benchmark" in c.doc_id for c in result.citations):
            result.notes.append(SELF_ASSESSMENT_NOTE)
        for c in result.citations:
            doc = docs.get(c.doc_id)
            if doc is not None and doc.metadata.get("confidence") == "inferred":
                result.notes.append(f"Parts of \u201c{c.title}\u201d are inferred rather than read in a source.")
        asked = [p for p in places.find(question) if p.facet == "city"]
        cited = {c.city for c in result.citations}
        if asked and res.kind == "new" and not res.filters.get("city"):
            missing = [p.name for p in asked if p.value not in cited]
            if missing:
                result.notes.append(f"Nothing from {', '.join(dict.fromkeys(missing))} answers this; "
                                    "the answer comes from other members.")

    def _nearest(self, hits: Sequence[Hit]) -> list[dict]:
        return [
            {"doc_id": h.doc_id, "title": h.title, "city": h.city, "kind": h.kind, "url": h.url or _first_source(h),
             "similarity": round(h.dense_score or 0.0, 4), "snippet": h.snippet}
            for h in hits[:3]
        ]

    def _options(self, hits: Sequence[Hit], places: Places) -> list[Option]:
        options: list[Option] = []
        labels: set = set()
        for h in hits:
            head = short_title(h.title)
            if h.kind == "guide":
                label = head if "guide" in head.lower() else f"{head} (guide)"
            elif h.city and places.city_name(h.city).casefold() not in head.casefold():
                label = f"{head} in {places.city_name(h.city)}"
            else:
                label = head
            if label.casefold() in labels or sum(1 for o in options if o.kind == h.kind) >= 2:
                continue
            labels.add(label.casefold())
            options.append(Option(label, re.sub(r"\s*\(guide\)$", "", label), h.doc_id, h.kind, h.city))
            if len(options) >= 4:
                break
        return options

    # -- embeddings and caches -------------------------------------------------------------------
    def _crosslingual(self) -> bool:
        return bool(getattr(self._pin, "xl", False))

    def _embed_query(self, text: str) -> np.ndarray:
        if self._crosslingual():
            key = (xlm.ENCODER_NAME, text)
            vec = self._query_vecs.get(key)
            if vec is None:
                vec = np.asarray(self.searcher.crosslingual_query_vector(text), dtype=np.float32)
                self._query_vecs.put(key, vec)
            return vec
        vec = self._query_vecs.get(text)
        if vec is None:
            # The searcher keeps the vectors of recent queries: the search just made this one.
            cached = getattr(self.searcher, "_query_vector", None)
            raw = cached(text) if callable(cached) else self.searcher.embedder.embed_query(text)
            vec = np.asarray(raw, dtype=np.float32)
            self._query_vecs.put(text, vec)
        return vec

    def _embed_sentences(self, texts: list[str]) -> list[np.ndarray]:
        xl = self._crosslingual()
        name = xlm.ENCODER_NAME if xl else getattr(self.searcher.embedder, "name", "")
        out: list[np.ndarray | None] = [self._sentence_vecs.get((name, t)) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, out) if v is None))
        if missing:
            vecs = (self.searcher.crosslingual_encode(missing) if xl
                    else self.searcher.embedder.embed_passages(missing))
            fresh = {t: np.asarray(v, dtype=np.float32) for t, v in zip(missing, vecs)}
            for t, v in fresh.items():
                self._sentence_vecs.put((name, t), v)
            out = [v if v is not None else fresh[t] for t, v in zip(texts, out)]
        return out  # type: ignore[return-value]

    def _scope(self) -> np.ndarray:
        if self._crosslingual():
            if self._xl_scope_vecs is None:
                self._xl_scope_vecs = self.searcher.crosslingual_encode(list(SCOPE))
            return self._xl_scope_vecs
        if self._scope_vecs is None:
            self._scope_vecs = np.asarray(self.searcher.embedder.embed_passages(list(SCOPE)), dtype=np.float32)
        return self._scope_vecs

    def _documents(self) -> tuple[int, dict[str, Hit]]:
        """Every document of the generation being answered from (or of the live one), by doc_id."""
        pinned = getattr(self._pin, "docs", None)
        return pinned if pinned is not None else self._load_documents()

    def _load_documents(self, gen: int | None = None) -> tuple[int, dict[str, Hit]]:
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
        from indexer import store as st

        db = self.searcher._db()
        gen = self.searcher.live().id
        rows = db.execute(f"SELECT c.text FROM chunks c JOIN documents d ON d.id = c.doc WHERE {st.live_clause()}",
                          {"gen": gen}).fetchall()
        return [r[0] for r in rows]


def _first_source(hit: Hit) -> str | None:
    sources = hit.metadata.get("sources") if hit.metadata else None
    if isinstance(sources, list) and sources:
        return str(sources[0])
    return None
