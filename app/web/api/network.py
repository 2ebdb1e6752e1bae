"""The network's members and their dashboard scores: ``GET /api/v1/cities``,
``/cities/<slug>``, ``/cities/<slug>/similar``, ``/cities/<slug>/learn-from``, ``/benchmark`` and
``/benchmark/<slug>``. A slug may be a name, a local name or a near miss (the assistant resolves it:
404 ``unknown_city`` with suggestions otherwise). Dashboard figures are self-assessment."""

from __future__ import annotations

from flask import jsonify

from app.web.api.blueprint import operation
from app.web.api.context import assistant
from app.web.api.inputs import LearnFromQuery, RevisionQuery, SimilarQuery


@operation("cities")
def cities():
    out = []
    for c in assistant.members():
        out.append({"slug": c.slug, "name": c.name, "local_names": list(c.local_names), "country": c.country,
                    "country_code": c.country_code, "type": c.type, "role": c.role, "capital": c.capital,
                    "population_approx": c.population_approx, "languages": list(c.languages),
                    "has_scores": assistant.has_scores(c.slug)})
    return jsonify(count=len(out), cities=out)


@operation("city")
def city(slug: str):
    return jsonify(assistant.profile(slug))


@operation("city_similar")
def city_similar(slug: str, query: SimilarQuery):
    return jsonify(assistant.similar(slug, k=query.k, basis=query.basis))


@operation("city_learn_from")
def city_learn_from(slug: str, query: LearnFromQuery):
    return jsonify(assistant.learn_from(slug, query.subindicator or None))


@operation("benchmark")
def benchmark(query: RevisionQuery):
    revision = query.revision or None
    data = assistant.scores(None, revision)
    data["pillars"] = assistant.pillar_averages(revision)["pillars"]
    return jsonify(data)


@operation("benchmark_city")
def benchmark_city(slug: str, query: RevisionQuery):
    return jsonify(assistant.city_benchmark(slug, query.revision or None))
