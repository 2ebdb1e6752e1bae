"""app.network.learning.learn_from: weakest sub-indicators, peers that score well, examples, the guide."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.network.benchmark import Benchmark
from app.network.cities import CityDirectory
from app.commands.cities import learn_from_command
from app.errors import UnknownCity
from app.network.learning import learn_from
from indexer.errors import InvalidRequest, NotFound
from indexer.search import Searcher

from .conftest import REPO, knowledge_without


@pytest.fixture(scope="module")
def parts(catalog, knowledge_searcher_fake):
    bench = Benchmark(catalog)
    return CityDirectory(catalog, knowledge_searcher_fake, bench), bench, knowledge_searcher_fake


@pytest.fixture(scope="module")
def tagged(knowledge_searcher_fake):
    """doc_id -> (kind, city, sub-indicators) of every indexed document."""
    return {h.doc_id: (h.kind, h.city, [str(s) for s in h.metadata.get("subindicators") or []])
            for h in knowledge_searcher_fake.list_documents()}


def run(parts, city, **kw):
    directory, bench, searcher = parts
    return learn_from(directory, bench, searcher, city, **kw)


def test_weakest_subindicators_first_with_peers_that_score_better(parts, catalog):
    r = run(parts, "Gent")
    assert (r["city"], r["label"], r["revision"]) == ("ghent", "self-assessment", "2023")
    assert r["source"].startswith("https://") and r["scores_missing"] is False and r["note"] is None
    assert [f["subindicator"] for f in r["focus"]] == ["3.2", "3.1", "2.1"]  # 0/2, 1/2, 3/5
    rows = {row.city: row for row in catalog.rows("2023")}
    for item in r["focus"]:
        mine = item["city_score"]["yes"] / item["city_score"]["total"]
        assert item["peers"] and "ghent" not in [p["city"] for p in item["peers"]]
        for p in item["peers"]:
            s = rows[p["city"]].scores[item["subindicator"]]
            assert (p["yes"], p["total"]) == (s.yes, s.n) and p["fraction"] > mine
            assert p["why"].startswith(f"answered Yes to {s.yes} of {s.n} questions on {item['subindicator']}")
        assert item["why"].startswith("Ghent answered Yes to") and "self-assessment" in item["why"]
        assert item["questions"]
    first = r["focus"][0]
    assert first["city_score"] == {"yes": 0, "total": 2, "fraction": 0.0, "colour": "red"}
    assert first["peers"][0]["city"] == "milan"  # the only named member with 2/2 on 3.2
    assert "Ghent's weakest areas" in r["summary"] and "Milan (2 of 2)" in r["summary"]


def test_green_peers_come_before_merely_better_ones(parts):
    item = run(parts, "Murcia", subindicator="3.2")["focus"][0]
    fractions = [p["fraction"] for p in item["peers"]]
    assert fractions[0] == 1.0 and all(f == 0.5 for f in fractions[1:])


def test_similar_peers_are_preferred_among_equal_scores(parts):
    item = run(parts, "Ghent", subindicator="3.1")["focus"][0]
    sims = [p["similarity"] for p in item["peers"] if p["fraction"] == 1.0]
    assert sims == sorted(sims, reverse=True)


def test_examples_come_from_the_peers_and_carry_the_subindicator(parts, tagged):
    item = run(parts, "Ghent", subindicator="2.1")["focus"][0]
    peers = {p["city"] for p in item["peers"]}
    assert item["examples"] and item["examples_note"] is None
    for ex in item["examples"]:
        kind, city, subs = tagged[ex["doc_id"]]
        assert kind in ("service", "case") and city in peers and "2.1" in subs and ex["city"] != "ghent"
        assert "tagged 2.1 Co-creation" in ex["why"]
    guide_kind, _, guide_subs = tagged[item["guide"]["doc_id"]]
    assert guide_kind == "guide" and "2.1" in guide_subs and item["guide"]["why"]


def test_examples_fall_back_to_any_member_when_peers_have_none(parts, tagged):
    item = run(parts, "Espoo", subindicator="1.2", k_peers=1)["focus"][0]
    assert len(item["peers"]) == 1
    assert item["examples"] and "come from other cities" in item["examples_note"]
    for ex in item["examples"]:
        assert "1.2" in tagged[ex["doc_id"]][2] and ex["city"] not in ("espoo", item["peers"][0]["city"])


def test_no_document_tagged_says_so(catalog, tmp_path):
    """An index where no service or case is tagged 3.3 (the knowledge base without such entries)."""
    searcher = knowledge_without(tmp_path, lambda front, _: '"3.3"' in front)
    bench = Benchmark(catalog)
    item = learn_from(CityDirectory(catalog, searcher, bench), bench, searcher, "Murcia", subindicator="3.3")["focus"][0]
    assert item["examples"] == [] and "No service or case in the index is tagged 3.3" in item["examples_note"]
    assert item["guide"] is not None


@pytest.mark.parametrize("value", ["2.1", "Co-creation", "co-creation", " 2.1 "])
def test_subindicator_by_id_or_name(parts, value):
    assert [f["subindicator"] for f in run(parts, "Kyiv", subindicator=value)["focus"]] == ["2.1"]


@pytest.mark.parametrize("value", ["9.9", "3.4", "Happiness"])
def test_unknown_subindicator(parts, value):
    with pytest.raises(NotFound):
        run(parts, "Kyiv", subindicator=value)


def test_member_without_scores_still_gets_peers_and_says_scores_are_missing(parts, catalog):
    r = run(parts, "Barcelona")
    assert r["scores_missing"] is True and "no published dashboard row" in r["note"]
    assert "11 members" in r["note"] and "has no published scores" in r["summary"]
    scored = {row.city for row in catalog.rows("2023")}
    assert len(r["focus"]) == 3
    for item in r["focus"]:
        assert item["city_score"] is None and item["network_median"] is not None
        assert item["peers"] and all(p["city"] in scored for p in item["peers"])
        assert "Barcelona's indexed services are not tagged with it" in item["why"]
    medians = [item["network_median"] for item in r["focus"]]
    assert medians == sorted(medians)  # where members most often score low


def test_unknown_city_and_bad_peer_count(parts):
    with pytest.raises(UnknownCity):
        run(parts, "Atlantis")
    with pytest.raises(InvalidRequest):
        run(parts, "Ghent", k_peers=0)


def test_without_an_index_peers_still_come_with_a_note(catalog, settings):
    bench = Benchmark(catalog)
    searcher = Searcher(settings)  # empty data dir
    r = learn_from(CityDirectory(catalog, searcher, bench), bench, searcher, "Ghent")
    assert r["focus"] and r["focus"][0]["peers"]
    assert all(item["examples"] == [] and item["guide"] is None for item in r["focus"])
    assert "not built" in r["note"]


def test_repeated_calls_give_the_same_result(parts):
    assert run(parts, "Madrid") == run(parts, "madrid")


def test_cli_learn_from(monkeypatch, knowledge_searcher_fake):
    monkeypatch.setenv("UCC_KNOWLEDGE_DIR", str(REPO / "knowledge"))
    monkeypatch.setattr("indexer.search.Searcher", lambda settings: knowledge_searcher_fake)
    runner = CliRunner()
    r = runner.invoke(learn_from_command, ["Gent", "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["city"] == "ghent" and data["label"] == "self-assessment" and len(data["focus"]) == 3
    r = runner.invoke(learn_from_command, ["Gent", "-s", "2.1"], catch_exceptions=False)
    assert r.exit_code == 0
    assert "2.1 Co-creation" in r.stdout and "Learn from:" in r.stdout and "Read first:" in r.stdout
    assert "\x1b[" not in r.stdout
    r = runner.invoke(learn_from_command, ["Gotheburgh", "-s", "9.9"])
    assert r.exit_code == 1 and "No sub-indicator '9.9'" in r.output


class _NoModel:
    name, dim, max_tokens, passage_prefix = "fake-hash-embedder", 64, 254, ""

    def embed_query(self, text):
        from indexer.errors import ModelUnavailable

        raise ModelUnavailable("The embedding model package is missing.")


def test_without_the_model_examples_come_from_keyword_search(catalog, knowledge_searcher_fake):
    bench = Benchmark(catalog)
    searcher = Searcher(knowledge_searcher_fake.settings, embedder=_NoModel())
    r = learn_from(CityDirectory(catalog, searcher, bench), bench, searcher, "Ghent", subindicator="2.1")
    assert r["focus"][0]["examples"] and r["focus"][0]["guide"]
    assert "keyword search only" in r["note"] and "model package is missing" in r["note"]
