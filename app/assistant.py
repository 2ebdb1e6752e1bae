"""The assistant: one object that every face (CLI, web, Slack) calls.

It owns the index searcher, the catalog of members and the dashboard, and builds
each capability on first use. :meth:`Assistant.ask` routes a natural question to
the right capability (scores, ranking, similar cities, bench-learning, examples)
and sends the rest to cited answers; every routed result carries a short text
answer, the structured data behind it, and the route taken.
"""

from __future__ import annotations

import re
import time
from functools import cached_property
from typing import Any

from indexer.errors import NotFound
from indexer.search import Searcher
from indexer.settings import Settings

from . import network
from .answers import Answerer
from .benchmark import Benchmark
from .catalog import Catalog
from .cities import CityDirectory
from .conversations import ConversationStore, Turn, resolve
from .errors import NoScores
from .examples import examples as find_examples
from .examples import session_pack
from .generator import generator_from_settings
from .learning import learn_from
from .reply import Reply, data_citation, examples_reply, learn_from_reply, ranking_reply, scores_reply, similar_reply
from .router import Route, route


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
    def answerer(self) -> Answerer:
        generator = self._generator if self._generator is not None else generator_from_settings(self.settings)
        return Answerer(self.searcher, self.catalog, self.conversations, generator=generator)

    # -- capabilities ------------------------------------------------------------------------
    def route(self, question: str) -> Route:
        return route(question, self.catalog)

    def ask(self, question: str, conversation: str | None = None, filters: dict | None = None) -> dict[str, Any]:
        """Answer a question (see :class:`~app.reply.Reply` for the shape). Every turn is routed: questions
        about scores, rankings, peers, examples, members or the dashboard go to those capabilities, first
        or inside a conversation; follow-ups of a routed answer ("what about Porto?") are routed again."""
        return self.reply(question, conversation, filters).to_dict()

    def reply(self, question: str, conversation: str | None = None, filters: dict | None = None) -> Reply:
        t0 = time.perf_counter()
        question = self.answerer.check_question(question)
        conv_id = ConversationStore.check_id(conversation) if conversation else None
        history = self.conversations.turns(conv_id) if conv_id else []
        asked, follow_up = question, "new"
        criterion = network.pick_criterion(question) if history and history[-1].cities else None
        if criterion:  # "which of them is biggest?" after any answer that named members
            found = network.pick(history[-1].cities, criterion, self.catalog, self.benchmark)
            reply = self._network_reply(found, "members", self.route(question))
            reply.question, reply.resolved_question, reply.follow_up = question, question, "about"
            reply.conversation_id = conv_id
            self._remember(reply, self.route(question), None)
            reply.timings_ms = {"total": (time.perf_counter() - t0) * 1000}
            return reply
        rewritten = self._routed_follow_up(question, history) if history else None
        if rewritten:
            asked, follow_up = rewritten, "place"
        elif history and self._answer_follow_up(question, history, filters):
            return self._cited(question, conv_id, filters, self.route(question), t0)
        r = self.route(asked)
        net = network.read(asked, self.catalog, r.cities) if self.catalog.has_cities and not filters else None
        if not net and (r.intent == "answer" or filters):
            return self._cited(question, conv_id, filters, r, t0)
        try:
            reply = self._network(net, r) if net else self._routed(r, asked)
        except NotFound:
            # e.g. a member without published scores: a cited answer is still better than nothing
            reply = self._cited(question, conv_id, filters, r, t0)
            reply.route_failed = True
            return reply
        reply.question, reply.resolved_question, reply.follow_up = question, asked, follow_up
        reply.conversation_id = conv_id or ConversationStore.new_id()
        self._remember(reply, r, net)
        reply.timings_ms = {"total": (time.perf_counter() - t0) * 1000}
        return reply

    # -- turns --------------------------------------------------------------------------------
    def _cited(self, question: str, conv_id: str | None, filters: dict | None, r: Route, t0: float) -> Reply:
        result = self.answerer.ask(question, conversation=conv_id, filters=filters).to_dict()
        reply = Reply.from_answer(result, "answer", r.to_dict())
        return reply

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
            found = network.compare(self.benchmark, [self.directory.resolve(c).slug for c in net.cities], r.revision)
        elif net.kind == "awards":
            found = network.awards(net, self.catalog)
        elif net.kind == "dashboard":
            found = network.dashboard(self.catalog, self.benchmark, r.revision, net.pillar)
        else:
            found = network.members(net, self.catalog, self.catalog.membership)
        return self._network_reply(found, {"member_count": "members"}.get(net.kind, net.kind), r)

    @staticmethod
    def _network_reply(found: network.NetworkAnswer, intent: str, r: Route) -> Reply:
        citations = [data_citation(i, s) for i, s in enumerate(found.sources, 1)]
        return Reply(question="", status="answered", intent=intent, answer=found.text, data=found.data,
                     parts=found.parts + [{"type": "citations", "items": citations}], citations=citations,
                     route=r.to_dict(), label="data")

    def _routed(self, r: Route, question: str) -> Reply:
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
            items = self.examples(topic, n=5, filters={"city": r.city} if r.city else None)
            data = {"topic": topic, "examples": items}
            text, parts = examples_reply(topic, items)
        else:
            raise NotFound("Nothing to route this question to.")
        return Reply(question="", status="answered", intent=r.intent, answer=text, data=data, parts=parts,
                     route=r.to_dict(), label="data")

    def _topic_subindicator(self, topic: str) -> str | None:
        """The dashboard sub-indicator a learn-from topic is about ("accessibility" -> 2.3 Usability)."""
        return network.topic_subindicator(topic, self.catalog, self.benchmark, self.searcher) if topic else None

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

    def examples(self, topic: str, n: int = 5, filters: dict | None = None, one_per_city: bool = True) -> list[dict]:
        return [e.to_dict() for e in find_examples(self.searcher, self.catalog, topic, n, filters, one_per_city)]

    def session_pack(self, topic: str, n: int = 5, filters: dict | None = None, one_per_city: bool = True):
        return session_pack(self.searcher, self.catalog, topic, n, filters, one_per_city=one_per_city)


_WEAKEST = re.compile(r"\b(?:worst|weakest|lowest|least|last|bottom)\b", re.IGNORECASE)


def _template(reply: Reply, r: Route, net: network.NetworkQuestion | None) -> str:
    """The question a place-only follow-up of this routed answer asks, with {place} for the place."""
    if net is not None:
        if net.kind == "compare":
            return "Compare " + ", ".join(reply.data.get("cities", [{}])[i].get("name", "") for i in
                                          range(len(reply.data.get("cities", [])))) + " and {place} on the dashboard"
        if net.kind == "members" and net.countries:
            return "Which members are in {place}?"
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
