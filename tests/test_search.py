"""Hybrid search: modes, filters inside candidate generation, grouping into documents."""

import pytest

from indexer.build import build_index
from indexer.errors import InvalidRequest
from indexer.search import Searcher, fts_query, fuse_convex, fuse_rrf, fuse_weighted, normalise_filters

from .conftest import write

DOC = """---
title: {title}
kind: {kind}
city: {city}
country: {country}
year: {year}
principles: [{principle}]
subindicators: ["{sub}"]
---
## Summary
{body}

## Details
{details}
"""


@pytest.fixture
def kb(tmp_path, settings, fake_embedder):
    root = tmp_path / "kb"
    rows = [
        ("Parking permits online", "service", "milan", "Italy", 2021, "digital-delivery", "2.2",
         "Residents apply for parking permits online.", "Permits are issued in minutes."),
        ("Parking app", "service", "madrid", "Spain", 2022, "digital-delivery", "2.2",
         "An app for paying parking.", "Parking payments by phone."),
        ("Co-design with older residents", "guide", "", "", 2023, "citizen-engagement", "2.1",
         "Invite older residents to co-design sessions.", "Parking is not discussed here."),
    ]
    for i, (title, kind, city, country, year, principle, sub, body, details) in enumerate(rows):
        write(root / f"d{i}.md", DOC.format(title=title, kind=kind, city=city, country=country, year=year,
                                            principle=principle, sub=sub, body=body, details=details))
    build_index([root], settings, embedder=fake_embedder)
    return Searcher(settings, embedder=fake_embedder)


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_modes_return_documents_with_passages(kb, mode):
    result = kb.search("parking permits", k=5, mode=mode)
    assert result.mode == mode and result.generation == 1
    ids = [h.doc_id for h in result.hits]
    assert len(ids) == len(set(ids))  # documents, not raw chunks
    assert result.hits[0].doc_id == "d0.md"
    assert result.hits[0].passages and result.hits[0].snippet
    assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))


def test_filters_apply_before_the_cut(kb):
    # With k=1 and no filter the Milan document wins; the filter must still find Madrid.
    hits = kb.search("parking permits online", k=1, filters={"city": "Madrid"}).hits
    assert [h.doc_id for h in hits] == ["d1.md"]
    for mode in ("bm25", "dense"):
        hits = kb.search("parking permits online", k=1, mode=mode, filters={"country": ["spain"]}).hits
        assert [h.city for h in hits] == ["madrid"]
    assert [h.doc_id for h in kb.search("parking", filters={"kind": "guide"}).hits] == ["d2.md"]
    assert [h.doc_id for h in kb.search("parking", filters={"principle": "citizen-engagement"}).hits] == ["d2.md"]
    assert [h.doc_id for h in kb.search("parking", filters={"subindicator": "2.2", "year": 2022}).hits] == ["d1.md"]
    assert kb.search("parking", filters={"city": "tallinn"}).hits == []


def test_hit_fields(kb):
    hit = kb.search("parking permits", k=1).hits[0].to_dict()
    for key in ("rank", "score", "doc_id", "source", "title", "kind", "city", "url", "snippet", "page", "passages"):
        assert key in hit
    assert hit["source"] == "d0.md" and hit["kind"] == "service" and hit["city"] == "milan"


def test_bad_requests(kb):
    for kwargs, msg in [
        ({"query": ""}, "empty"),
        ({"query": "x" * 5000}, "too long"),
        ({"query": "x", "mode": "magic"}, "Unknown mode"),
        ({"query": "x", "filters": {"colour": "red"}}, "Unknown filter"),
        ({"query": "x", "k": 0}, "between"),
    ]:
        with pytest.raises(InvalidRequest, match=msg):
            kb.search(**kwargs)


def test_query_of_only_punctuation_is_not_an_error(kb):
    assert kb.search("?!", mode="bm25").hits == []


def test_new_generation_is_picked_up(tmp_path, settings, fake_embedder, kb):
    assert kb.search("bicycle lanes", mode="bm25").hits == []
    write(tmp_path / "kb" / "d9.md", "# Bicycle lanes\n\nA map of bicycle lanes.\n")
    build_index([tmp_path / "kb"], settings, embedder=fake_embedder)
    result = kb.search("bicycle lanes", mode="bm25")
    assert result.generation == 2 and result.hits[0].doc_id == "d9.md"


def test_fts_query_and_filters():
    assert fts_query("How do we run a usability test?") == '"run" OR "usability" OR "test"'
    assert fts_query('a "quoted" AND thing') == '"quoted" OR "thing"'
    assert fts_query("...") is None
    assert normalise_filters({"cities": "Milan", "year": 2021, "kind": []}) == {"city": ["milan"], "year": ["2021"]}


def test_fusion_arithmetic():
    fused = fuse_convex({1: 10.0, 2: 5.0}, {2: 0.9, 3: 0.5}, 0.5)
    assert fused == pytest.approx({1: 0.5, 2: 0.5, 3: 0.0})
    rrf = fuse_rrf([[1, 2], [2, 3]], k=60)
    assert rrf[2] == pytest.approx(1 / 62 + 1 / 61)
    assert max(rrf, key=rrf.get) == 2
    weighted = fuse_weighted([{1: 0.9, 2: 0.5, 3: 0.1}, {2: 30.0, 4: 10.0}, {}], (1.0, 0.5, 0.1))
    assert weighted == pytest.approx({1: 1.0, 2: 0.5 + 0.5, 3: 0.0, 4: 0.0})


def test_raw_component_scores_are_exposed(kb):
    hit = kb.search("parking permits", k=1).hits[0]
    p = hit.passages[0]
    assert p.dense is not None and -1.0 <= p.dense <= 1.0 and p.bm25 is not None and p.bm25 > 0
    assert hit.dense_score == max(x.dense for x in hit.passages if x.dense is not None)
    assert kb.search("parking permits", k=1, mode="bm25").hits[0].dense_score is None


def test_list_documents_by_facet(kb):
    docs = kb.list_documents({"kind": "service"})
    assert [d.doc_id for d in docs] == ["d1.md", "d0.md"]  # by title: "Parking app" < "Parking permits online"
    assert docs[0].passages and docs[0].passages[0].text
    assert [d.doc_id for d in kb.list_documents({"city": "madrid"})] == ["d1.md"]
    assert len(kb.list_documents()) == 3
    assert kb.list_documents(limit=1)[0].rank == 1


def test_a_query_model_other_than_the_index_model_is_refused(kb, settings):
    from indexer.errors import ConfigurationError

    from .conftest import FakeEmbedder

    other = FakeEmbedder()
    other.name = "another-model"
    with pytest.raises(ConfigurationError, match="built with the embedding model 'fake-hash-embedder'"):
        Searcher(settings, embedder=other).search("permits", k=3)
    assert Searcher(settings, embedder=other).search("permits", k=3, mode="bm25").generation == 1
    same_weights = FakeEmbedder()
    same_weights.name = "fake-hash-embedder+onnx"  # another runtime of the same weights: served
    assert Searcher(settings, embedder=same_weights).search("permits", k=3).hits


def test_rrf_gives_equal_scores_the_same_rank():
    fused = fuse_rrf([{1: 0.9, 2: 0.5, 3: 0.5, 4: 0.1}, [4, 3, 2, 1]], k=60)
    assert fused[2] != fused[3]  # the list ranking still orders 3 before 2
    tied = fuse_rrf([{1: 0.9, 2: 0.5, 3: 0.5, 4: 0.1}], k=60)
    assert tied[2] == tied[3] == 1 / 62 and tied[4] == 1 / 64


def test_the_best_document_brings_more_passages(knowledge_searcher):
    """Up to passages_first_hit of the best document's passages, passages_per_hit of the others'
    (the sentence that answers often lies beyond a document's three closest passages)."""
    hits = knowledge_searcher.search("What could people do in Milan's Fascicolo del Cittadino at launch?", k=3).hits
    assert len(hits[0].passages) > knowledge_searcher.passages_per_hit >= max(len(h.passages) for h in hits[1:])
    assert len(hits[0].passages) <= knowledge_searcher.passages_first_hit
    assert any(p.text.startswith("At launch") or "At launch" in p.text for p in hits[0].passages)
