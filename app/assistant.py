"""The assistant: one object that every face (CLI, web, Slack) calls.

It owns the index searcher, the catalog of members and the dashboard, and builds
each capability on first use. :meth:`Assistant.ask` routes a natural question to
the right capability (scores, ranking, similar cities, bench-learning, examples)
and sends the rest to cited answers; every routed result carries a short text
answer, the structured data behind it, and the route taken.

It also owns every use case of the faces, which call only its public methods
(``tests/test_architecture.py``): asking with timing and the question log
(:meth:`Assistant.ask_and_record`, :mod:`app.asking`), feedback, readiness, reindex
jobs (:mod:`app.operations.reindex`), the benchmark import and reload, and the data behind
the city pages (:mod:`app.network.browse`).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

from indexer.crosslingual import Language
from indexer.crosslingual import detect as detect_language
from indexer.errors import InvalidRequest, NotFound, UccError
from indexer.search import Searcher, SearchResult
from indexer.settings import Settings
from indexer.text import fold

from app.network import facts as network
from app.answering.answerer import Answerer
from app.asking import Asked, ask_and_record
from app.network.benchmark import Benchmark
from app.network.benchmark_import import ImportResult, import_scores
from app.network.browse import CityPage, city_benchmark, city_page, filter_values
from app.network.catalog import Catalog, City
from app.network.countries import countries_named
from app.network.cities import CityDirectory
from app.answering.conversations import ConversationStore, Turn, resolve
from app.errors import NoScores
from app.network.examples import discussion_prompts, related_subindicators, session_pack
from app.network.examples import examples as find_examples
from app.answering.generator import generator_from_settings
from app.answering.crossroute import CrossRouter, Named, asks_more
from app.answering.gate import is_vague
from app.answering.languages import asks_for_examples, asks_which_city, language_notes, routing_language
from app.network.learning import learn_from
from app.operations.questionlog import QuestionLog
from app.operations.reindex import ReindexJobs
from app.state import state_status
from app.answering.reply import Reply, data_citation, examples_reply, learn_from_reply, ranking_reply, scores_reply, similar_reply
from app.answering.entities import subindicator_words
from app.answering.router import Route, route


_log = logging.getLogger("ucc.assistant")


_CASES = re.compile(r"\bcase(?:s| stud(?:y|ies))\b", re.IGNORECASE)


class Assistant:
    def __init__(self, settings: Settings, searcher: Searcher | None = None, catalog: Catalog | None = None,
                 generator: Any = None):
        self.settings = settings
        self._searcher = searcher
        self._catalog = catalog
        self._generator = generator

    # -- parts, built on first use ---------------------------------------------------------
    @cached_property
    def searcher(self) -> Searcher:
        return self._searcher or Searcher(self.settings)

    @cached_property
    def catalog(self) -> Catalog:
        return self._catalog or Catalog.load(self.settings.knowledge_dir)

    @cached_property
    def benchmark(self) -> Benchmark:
        return Benchmark(self.catalog)

    @cached_property
    def directory(self) -> CityDirectory:
        return CityDirectory(self.catalog, self.searcher, self.benchmark)

    @cached_property
    def conversations(self) -> ConversationStore:
        return ConversationStore.from_settings(self.settings)

    @cached_property
    def question_log(self) -> QuestionLog:
        return QuestionLog.from_settings(self.settings)

    @cached_property
    def reindex_jobs(self) -> ReindexJobs:
        return ReindexJobs(self.settings, lambda: self.searcher.embedder)

    @cached_property
    def crossrouter(self) -> CrossRouter:
        return CrossRouter(self.answerer.vectors)

    @cached_property
    def answerer(self) -> Answerer:
        generator = self._generator if self._generator is not None else generator_from_settings(self.settings)
        return Answerer(self.searcher, self.catalog, self.conversations, generator=generator)

    # -- capabilities ------------------------------------------------------------------------
    def route(self, question: str) -> Route:
        return route(question, self.catalog)

    def ask(self, question: str, conversation: str | None = None, filters: dict | None = None) -> dict[str, Any]:
        """Answer a question (see :class:`~app.answering.reply.Reply` for the shape). Every turn is routed: questions
        about scores, rankings, peers, examples, members or the dashboard go to those capabilities, first
        or inside a conversation; follow-ups of a routed answer ("what about Porto?") are routed again."""
        return self.reply(question, conversation, filters).to_dict()

    def reply(self, question: str, conversation: str | None = None, filters: dict | None = None) -> Reply:
        t0 = time.perf_counter()
        question = self.answerer.check_question(question)
        conv_id = ConversationStore.check_id(conversation) if conversation else None
        history = self.conversations.turns(conv_id) if conv_id else []
        asked, follow_up = question, "new"
        first = self.route(question)
        language = self._language(question, first.cities)
        criterion = network.pick_criterion(question) if history and history[-1].cities else None
        if criterion:  # "which of them is biggest?" after any answer that named members
            found = network.pick(history[-1].cities, criterion, self.catalog, self.benchmark)
            r = first
            reply = self._network_reply(found, "members", r)
            reply.question, reply.resolved_question, reply.follow_up = question, question, "about"
            reply.conversation_id = conv_id
            self._remember(reply, r, None)
            reply.timings_ms = {"total": (time.perf_counter() - t0) * 1000}
            return reply
        rewritten = self._routed_follow_up(question, history) if history else None
        if rewritten:
            asked, follow_up = rewritten, "place"
        elif history and self._answer_follow_up(question, history, filters):
            return self._cited(question, conv_id, filters, first)
        r = self.route(asked) if asked != question else first
        net = network.read(asked, self.catalog, r.cities) if self.catalog.has_cities and not filters else None
        other = routing_language(language.code, language.confidence, language.guess)
        if not net and r.intent == "answer" and other and not filters:
            asked, r = self._other_language_route(asked, r, other)  # "¿Qué puntuación tiene Madrid?"
            net = network.read(asked, self.catalog, r.cities) if asked != question and self.catalog.has_cities else None
        if not net and (r.intent == "answer" or filters):
            reply = self._cited(question, conv_id, filters, r)
            if reply.status == "answered" or not (other and asks_which_city(question)) or filters:
                return reply
            # "Welche Städte haben einen Bürgerhaushalt?": no passage close enough to quote, but the
            # members' services on the topic may still be found (the examples' own floor decides).
            r = Route("examples", topic=question, reason=f"examples: a 'which city' question in {other}")
        try:
            reply = self._network(net, r) if net else self._routed(r, asked, other)
        except NotFound:
            # e.g. a member without published scores: a cited answer is still better than nothing
            reply = self._cited(question, conv_id, filters, r)
            reply.route_failed = True
            return reply
        reply.question, reply.resolved_question, reply.follow_up = question, asked, follow_up
        reply.language = language.code
        reply.notes.extend(language_notes(reply.language, reply.status, quoted=False))
        reply.conversation_id = conv_id or ConversationStore.new_id()
        self._remember(reply, r, net)
        reply.timings_ms = {"total": (time.perf_counter() - t0) * 1000}
        return reply

    # -- turns --------------------------------------------------------------------------------
    def _cited(self, question: str, conv_id: str | None, filters: dict | None, r: Route) -> Reply:
        result = self.answerer.ask(question, conversation=conv_id, filters=filters).to_dict()
        return Reply.from_answer(result, "answer", r.to_dict())

    def _language(self, question: str, cities: Iterable[str]) -> Language:
        """The question's language, read without the members it names (``cities``): names are in
        no language, and "Metti a confronto Helsinki ed Espoo" read whole looks English."""
        names = [n for slug in cities for n in self.catalog.city(slug).all_names]
        if names:
            pattern = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
            question = re.sub(rf"\b(?:{pattern})\b", " ", question, flags=re.IGNORECASE)
        return detect_language(question)

    def _other_language_route(self, question: str, r: Route, lang: str) -> tuple[str, Route]:
        """The English question a question in language ``lang`` stands for, and its route
        (app/answering/crossroute.py); the question and ``r`` themselves when it stands for none.
        "Ejemplos de ..." are examples on the question itself."""
        if asks_for_examples(question):
            return question, Route("examples", topic=question, reason=f"examples: asked for in {lang}")
        countries = [c.country for c in self.catalog.cities]
        try:
            named = Named.read(question, [self.catalog.city(c).name for c in r.cities],
                               countries_named(fold(question), countries, adjectives=True))
            rev = self.catalog.framework.revision(self.benchmark.latest_revision())
            plain = None
            if named.countries:  # the members of a country, or what they do there?
                if network.only_members(self.answerer.searcher.english_words(question, lang), self.catalog):
                    plain = True
                elif asks_more(question, lang, lambda w: bool(countries_named(fold(w), countries, adjectives=True))):
                    plain = False
            found = self.crossrouter.match(question, named, {s.name: subindicator_words(s.id, s.name)
                                                             for s in rev.subindicators}, plain)
        except UccError:  # no multilingual encoder, no dashboard data: a cited answer, as before
            return question, r
        return (found.question, self.route(found.question)) if found else (question, r)

    def _answer_follow_up(self, question: str, history: list[Turn], filters: dict | None) -> bool:
        """Whether ``question`` continues the conversation's cited answers ("who else does that?",
        "how did they measure it?", "and in Spain?" after a cited answer)."""
        last = history[-1]
        if last.intent not in ("", "answer"):
            return False
        return resolve(question, history, self.answerer.places(), filters).kind != "new"

    def _routed_follow_up(self, question: str, history: list[Turn]) -> str | None:
        """The question a place-only follow-up of a routed answer stands for: "what about Porto?"
        after Ghent's scores is "How does Porto score on the dashboard?"."""
        last = history[-1]
        if not last.template:
            return None
        res = resolve(question, history, self.answerer.places())
        if res.kind != "place" or res.place is None:
            return None
        return last.template.replace("{place}", res.place.name)

    def _remember(self, reply: Reply, r: Route, net: network.NetworkQuestion | None) -> None:
        cities = [i["slug"] for p in reply.parts if p.get("type") == "cities" for i in p.get("items", []) if i.get("slug")]
        self.conversations.append(reply.conversation_id, Turn(
            question=reply.question, resolved_question=reply.resolved_question, query=reply.resolved_question,
            subject=reply.resolved_question, cities=list(dict.fromkeys(cities)), status=reply.status,
            intent=reply.intent, template=_template(reply, r, net),
        ))

    def _network(self, net: network.NetworkQuestion, r: Route) -> Reply:
        if net.kind == "compare":
            try:
                found = network.compare(self.benchmark, [self.directory.resolve(c).slug for c in net.cities], r.revision)
            except NoScores as exc:  # none of them has published scores: say so, from the data
                return Reply(question="", status="answered", intent="compare", answer=str(exc),
                             data={"revision": exc.revision, "available": exc.available}, route=r.to_dict(),
                             label="data")
        elif net.kind == "awards":
            found = network.awards(net, self.catalog)
        elif net.kind == "dashboard":
            found = network.dashboard(self.catalog, self.benchmark, r.revision, net.pillar)
        elif net.kind == "member":
            found = network.member(net, self.catalog, self.catalog.membership)
        else:
            found = network.members(net, self.catalog, self.catalog.membership)
        return self._network_reply(found, {"member_count": "members", "member": "members"}.get(net.kind, net.kind), r)

    @staticmethod
    def _network_reply(found: network.NetworkAnswer, intent: str, r: Route) -> Reply:
        citations = [data_citation(i, s) for i, s in enumerate(found.sources, 1)]
        return Reply(question="", status="answered", intent=intent, answer=found.text, data=found.data,
                     parts=found.parts + [{"type": "citations", "items": citations}], citations=citations,
                     route=r.to_dict(), label="data")

    def _routed(self, r: Route, question: str, language: str | None = None) -> Reply:
        if r.intent in ("ranking", "scores") and r.subindicator and not r.city:
            found = network.subindicator_ranking(self.benchmark, self.catalog, r.subindicator, r.revision,
                                                 weakest=bool(_WEAKEST.search(question)))
            return Reply(question="", status="answered", intent="ranking", answer=found.text, data=found.data,
                         parts=found.parts, route=r.to_dict(), label="data")
        if r.intent == "scores" and r.city:
            try:
                data = self.scores(r.city, r.revision)
            except NoScores as exc:  # an honest answer from the data, not a quote about scoring
                return Reply(question="", status="answered", intent="scores", answer=str(exc),
                             data={"city": r.city, "revision": exc.revision, "available": exc.available},
                             route=r.to_dict(), label="data")
            text, parts = scores_reply(data, r.subindicator)
        elif r.intent in ("scores", "ranking"):
            data = self.benchmark.ranking(r.revision)
            text, parts = ranking_reply(data)
        elif r.intent == "similar" and r.city:
            data = self.similar(r.city)
            text, parts = similar_reply(data)
        elif r.intent == "learn_from" and r.city:
            data = self.learn_from(r.city, r.subindicator or self._topic_subindicator(r.topic))
            text, parts = learn_from_reply(data)
        elif r.intent == "examples":
            # "Show me Madrid's case studies" leaves no topic once the routing words are gone:
            # the question itself is then the topic, narrowed by the city.
            topic = r.topic.strip() or question
            filters = self._examples_filters(r, question)
            query = topic  # the filter keeps the country: the search need not match its name
            if filters and "country" in filters:
                query = self.answerer.places().strip(topic) or topic
            vague = is_vague(topic, self.answerer.places())
            if vague and filters and ("city" in filters or "kind" in filters):
                # "examples of services in Gothenburg", "case studies": the city's own, or the cases, every one
                items = self.examples(query, n=10, filters=filters, one_per_city=False, min_score=-1.0,
                                      language=language)
            else:
                items = self.examples(query, n=5, filters=filters, language=language)
            data = {"topic": topic, "examples": items}
            text, parts = examples_reply(topic, items)
            if not items:  # an honest refusal, not an answer that says "none"
                return Reply(question="", status="cannot_answer", reason="no_content", intent="examples", answer=text,
                             data=data, route=r.to_dict(), label="none")
        else:
            raise NotFound("Nothing to route this question to.")
        return Reply(question="", status="answered", intent=r.intent, answer=text, data=data, parts=parts,
                     route=r.to_dict(), label="data")

    def _examples_filters(self, r: Route, question: str) -> dict[str, str] | None:
        """Examples of the city routed to, or else of the country the question names ("Examples of
        participatory budgeting in Spain" are Spanish members' only); case studies only when asked
        for ("Show me Madrid's case studies")."""
        kind = {"kind": "case"} if _CASES.search(question) else {}
        if r.city:
            return {"city": r.city, **kind}
        countries = [p.value for p in self.answerer.places().find(question) if p.facet == "country"]
        return ({"country": countries[0]} if countries else {}) | kind or None

    def _topic_subindicator(self, topic: str) -> str | None:
        """The dashboard sub-indicator a learn-from topic is about ("accessibility" -> 2.3 Usability)."""
        return network.topic_subindicator(topic, self.catalog, self.benchmark) if topic else None

    def similar(self, city: str, k: int = 5, basis: str = "all") -> dict[str, Any]:
        return self.directory.similar(city, k=k, basis=basis)

    def profile(self, city: str) -> dict[str, Any]:
        return self.directory.profile(city)

    def learn_from(self, city: str, subindicator: str | None = None) -> dict[str, Any]:
        return learn_from(self.directory, self.benchmark, self.searcher, city, subindicator)

    def scores(self, city: str | None = None, revision: str | None = None) -> dict[str, Any]:
        if city is None:
            return self.benchmark.ranking(revision)
        return self.benchmark.city_scores(self.directory.resolve(city).slug, revision)

    def examples(self, topic: str, n: int = 5, filters: dict | None = None, one_per_city: bool = True,
                 language: str | None = None, min_score: float | None = None) -> list[dict]:
        return [e.to_dict() for e in find_examples(self.searcher, self.catalog, topic, n, filters, one_per_city,
                                                   min_score=min_score, language=language)]

    def session_pack(self, topic: str, n: int = 5, filters: dict | None = None, one_per_city: bool = True,
                     picked: Iterable[str] | None = None):
        """A UserCentriCafé session pack on ``topic``; with ``picked`` (doc ids), only those examples, the
        prompts and related sub-indicators drawn from them (:class:`InvalidRequest` if none is left)."""
        pack = session_pack(self.searcher, self.catalog, topic, n, filters, one_per_city=one_per_city)
        if picked is None:
            return pack
        wanted = set(picked)
        kept = [e for e in pack.examples if e.doc_id in wanted]
        if not kept:
            raise InvalidRequest("None of the picked examples is among the results any more; search again.")
        return replace(pack, examples=kept, prompts=discussion_prompts(pack.topic, kept),
                       subindicators=related_subindicators(self.catalog, kept, pack.guides, pack.revision))

    # -- the use cases of the faces (app/web/, bots/, app/cli.py, app/commands/) ------------------
    # The faces call only public methods of this class (tests/test_architecture.py checks it).

    def ask_and_record(self, question: str, *, channel: str, user_id: str | None = None,
                       conversation: str | None = None, filters: dict | None = None,
                       log: QuestionLog | None = None) -> Asked:
        """Answer a question from a face (``channel``: web, widget, slack, cli), timed and recorded in
        the question log (``log``, default: the one in this assistant's data folder); see :mod:`app.asking`."""
        return ask_and_record(self, log or self.question_log, question, channel=channel, user_id=user_id,
                              conversation=conversation, filters=filters)

    def record_feedback(self, answer_id: str, rating: str, comment: str | None = None,
                        log: QuestionLog | None = None) -> dict[str, Any]:
        """A rating (up or down, an optional comment) of an answer in the question log."""
        return (log or self.question_log).record_feedback(answer_id, rating, comment)

    def question_topics(self, log: Any = None, since: Any = None, until: Any = None,
                        k: int = 10) -> tuple[list[Any], bool]:
        """The most asked topics of the question log, grouped by meaning with the index's model, or by
        shared words when the model cannot be loaded or fails; and whether it was by meaning."""
        log = log or self.question_log
        try:
            embedder = self.searcher.embedder
        except UccError:  # the model cannot be loaded: the log clusters with TF-IDF
            embedder = None
        if embedder is not None:
            try:
                return log.topics(since, until, k=k, embedder=embedder), True
            except UccError as exc:
                _log.warning("topics by shared words, the model failed: %s", exc.message)
        return log.topics(since, until, k=k), False

    def search(self, query: str, k: int = 10, mode: str | None = None, filters: dict | None = None) -> SearchResult:
        return self.searcher.search(query, k=k, mode=mode, filters=filters)

    def members(self) -> list[City]:
        """The network's members, as listed in cities.yaml."""
        return list(self.catalog.cities)

    def member(self, name: str) -> City:
        """The member called ``name`` (slug, English or local name, a near miss); :class:`UnknownCity`."""
        return self.directory.resolve(name)

    def has_scores(self, slug: str) -> bool:
        """Whether the member has a named row in the latest dashboard revision."""
        return self.benchmark.has_scores(slug)

    def pillar_averages(self, revision: str | None = None) -> dict[str, Any]:
        return self.benchmark.pillar_averages(revision)

    def revisions(self) -> list[str]:
        """The dashboard revisions with scores, latest first (none when they cannot be read)."""
        try:
            return list(self.benchmark.revisions)
        except UccError:
            return []

    def city_benchmark(self, city: str, revision: str | None = None) -> dict[str, Any]:
        """A member's dashboard scores with how it stands against its peers (``versus_peers``)."""
        return city_benchmark(self.benchmark, self.member(city).slug, revision)

    def city_page(self, slug: str, revision: str | None = None) -> CityPage:
        """What a member's page shows: scores against the peers' median, similar members, whom to learn from."""
        return city_page(self.member(slug), self.benchmark, lambda: self.similar(slug, k=5),
                         lambda: self.learn_from(slug), revision)

    def filter_values(self) -> dict[str, list[tuple[str, str]]]:
        """The values each examples filter can take, as (value, label)."""
        return filter_values(self.catalog, self.directory)

    def readiness(self) -> dict[str, Any]:
        """Load the live generation's FAISS index and the embedding model now (each once); the index's
        facts (:meth:`index_facts`) and the state store's (``state``: ``ok``, or ``degraded`` with the
        reason while PostgreSQL is out of reach: questions are still answered, see :mod:`app.state`).
        :class:`~indexer.errors.UccError` while the index or the model cannot be loaded."""
        self.searcher.load()
        return {**self.index_facts(), "state": state_status(self.settings.database_url)}

    def index_facts(self) -> dict[str, Any]:
        """The live generation: id, documents, chunks, model, when it was built; IndexNotBuilt without one."""
        gen = self.searcher.live()
        return {"generation": gen.id, "documents": gen.documents, "chunks": gen.chunks, "model": gen.model,
                "built_at": gen.finished_at}

    def warm(self) -> None:
        """Load the model, the live FAISS index, the query path and the members now, not at the first
        question; :class:`~indexer.errors.UccError` without an index."""
        self.searcher.search("digital public services", k=1)
        self.catalog.cities

    def warm_answers(self) -> None:
        """Fill the answer path's caches (sentence embeddings, and the multilingual vectors of the
        live generation for questions in other languages); slow, for a background thread."""
        self.answerer.warm()
        self.searcher.warm_crosslingual()

    def start_reindex(self) -> dict[str, Any]:
        """Start the incremental build of the knowledge base in a background thread (one at a time per
        process: BuildInProgress); the job's status. See :mod:`app.operations.reindex`."""
        return self.reindex_jobs.start()

    def reindex_job(self, job_id: str) -> dict[str, Any]:
        """A reindex job's status; :class:`NotFound` for an unknown id."""
        return self.reindex_jobs.status(job_id)

    def import_benchmark(self, path: str | Path, *, write: bool = False, revision: str | None = None,
                         source: str | None = None) -> ImportResult:
        """Check a dashboard import file (CSV or YAML) and, with ``write`` and no row error, write it to
        the knowledge base's benchmark folder and reload the scores (:meth:`reload_benchmark`)."""
        result = import_scores(path, self.catalog, revision=revision, dry_run=not write, source=source)
        if result.output is not None:
            self.reload_benchmark()
        return result

    def reload_benchmark(self) -> None:
        """New scores on disk: forget the dashboard data read so far (the next question reads them again)."""
        self.catalog.reload_scores()
        for name in ("benchmark", "directory"):
            self.__dict__.pop(name, None)


_WEAKEST = re.compile(r"\b(?:worst|weakest|lowest|least|last|bottom)\b", re.IGNORECASE)


def _template(reply: Reply, r: Route, net: network.NetworkQuestion | None) -> str:
    """The question a place-only follow-up of this routed answer asks, with {place} for the place."""
    if net is not None:
        if net.kind == "compare":
            names = ", ".join(c.get("name", "") for c in reply.data.get("cities", []))
            return f"Compare {names} and {{place}} on the dashboard"
        if net.kind == "members" and net.countries:
            return "Which members are in {place}?"
        if net.kind == "member":
            return "Is {place} a founding member?" if net.founding else "When did {place} join the network?"
        return ""
    if reply.intent == "scores" and r.city:
        return "How does {place} score on the dashboard?"
    if reply.intent == "similar":
        return "Which members are most like {place}?"
    if reply.intent == "learn_from":
        sub = reply.data.get("focus", [{}])[0].get("name") if r.subindicator or r.topic else None
        return "Who should {place} learn from" + (f" on {sub}" if sub else "") + "?"
    if reply.intent == "examples":
        return f"Examples of {reply.data.get('topic')} in {{place}}"
    return ""
