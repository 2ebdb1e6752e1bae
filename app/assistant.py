"""The assistant: one object that every face (CLI, web, Slack) calls.

It owns the index searcher, the catalog of members and the dashboard, and builds
each capability on first use. :meth:`Assistant.ask` routes a natural question to
the right capability (scores, ranking, similar cities, bench-learning, examples)
and sends the rest to cited answers; every routed result carries a short text
answer, the structured data behind it, and the route taken.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any

from indexer.errors import NotFound
from indexer.search import Searcher
from indexer.settings import Settings

from .answers import Answerer
from .benchmark import Benchmark
from .catalog import Catalog
from .cities import CityDirectory
from .conversations import ConversationStore
from .examples import examples as find_examples
from .examples import session_pack
from .generator import generator_from_settings
from .learning import learn_from
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
        """Answer a question; questions about scores, peers or examples go to those capabilities."""
        t0 = time.perf_counter()
        r = self.route(question or "")
        follow_up = bool(conversation and self.conversations.last(conversation))
        if r.intent == "answer" or follow_up or filters:
            result = self.answerer.ask(question, conversation=conversation, filters=filters).to_dict()
            result["intent"] = "answer"
            result["route"] = r.to_dict()
            return result
        try:
            data, text = self._routed(r, question)
        except NotFound:
            # e.g. a member without published scores: a cited answer is still better than nothing
            result = self.answerer.ask(question, conversation=conversation, filters=filters).to_dict()
            result.update(intent="answer", route=r.to_dict())
            return result
        return {
            "status": "answered",
            "intent": r.intent,
            "answer": text,
            "data": data,
            "citations": [],
            "route": r.to_dict(),
            "timings_ms": {"total": round((time.perf_counter() - t0) * 1000, 2)},
        }

    def _routed(self, r: Route, question: str) -> tuple[dict[str, Any], str]:
        if r.intent == "scores" and r.city:
            data = self.scores(r.city, r.revision)
            return data, scores_text(data, r.subindicator)
        if r.intent in ("scores", "ranking"):
            data = self.benchmark.ranking(r.revision)
            return data, ranking_text(data)
        if r.intent == "similar" and r.city:
            data = self.similar(r.city)
            return data, similar_text(data)
        if r.intent == "learn_from" and r.city:
            data = self.learn_from(r.city, r.subindicator)
            return data, data.get("summary", "")
        if r.intent == "examples":
            # "Show me Madrid's case studies" leaves no topic once the routing words are gone:
            # the question itself is then the topic, narrowed by the city.
            topic = r.topic.strip() or question
            items = self.examples(topic, n=5, filters={"city": r.city} if r.city else None)
            data = {"topic": topic, "examples": items}
            return data, examples_text(topic, items)
        raise NotFound("Nothing to route this question to.")

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


# -- short text answers for routed results ----------------------------------------------------
def _label(data: dict) -> str:
    return f"(self-assessment, dashboard revision {data.get('revision')}; source: {data.get('source')})"


def scores_text(data: dict, subindicator: str | None = None) -> str:
    subs = data.get("subindicators", [])
    head = f"{data['name']} scores {data['percent']}% on the UserCentriCities dashboard"
    if data.get("published_rank"):
        head += f" (published rank {data['published_rank']})"
    focus = [s for s in subs if s["id"] == subindicator]
    if focus:
        s = focus[0]
        body = f"On {s['id']} {s['name']} it answered yes to {s['yes']} of {s['total']} questions ({s['colour']})."
    else:
        strong = [f"{s['id']} {s['name']}" for s in subs if s["fraction"] >= 0.999][:3]
        weak = [f"{s['id']} {s['name']} ({s['yes']}/{s['total']})" for s in sorted(subs, key=lambda s: s["fraction"])[:3]]
        body = (f"Full marks on {', '.join(strong)}. " if strong else "") + f"Weakest: {', '.join(weak)}."
    return f"{head}. {body} {_label(data)}"


def ranking_text(data: dict) -> str:
    rows = data.get("ranking", [])[:5]
    top = ", ".join(f"{r['rank']}. {r['name']} {r['percent']}%" for r in rows)
    return f"Top of the named dashboard rows: {top}. {_label(data)}"


def similar_text(data: dict) -> str:
    parts = [f"{m['name']} ({m['why']})" for m in data.get("matches", [])[:3]]
    return f"Members most like {data['name']}: " + "; ".join(parts) + "." if parts else f"No similar member found for {data['name']}."


def examples_text(topic: str, items: list[dict]) -> str:
    if not items:
        return f"No service or case in the knowledge base is close enough to “{topic}”."
    listed = "; ".join(f"{e['title']} ({e.get('city_name') or e.get('city')})" for e in items)
    return f"Examples on “{topic}”: {listed}."
