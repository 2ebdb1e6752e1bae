"""Property tests (hypothesis) for the arithmetic the answers rest on: chunking measured with the
real model's tokenizer, hybrid fusion, and the dashboard scores recomputed through
:class:`app.network.benchmark.Benchmark`. They extend test_chunking.py and test_scoring.py (which
cover the fake counter and the plain scoring functions on fixed or simple inputs)."""

from __future__ import annotations

import random
import re
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.network.benchmark import Benchmark
from app.network.catalog import Catalog
from app.network.scoring import city_percentage, colour, display_fraction, pillar_average, rounded_percentage
from indexer.chunking import chunk_document, header_for
from indexer.documents import Block, SourceDocument, chunk_id_for
from indexer.search import fuse_convex, fuse_rrf
from indexer.settings import load_settings

from .conftest import REPO, FakeEmbedder, write

SETTINGS = hsettings(max_examples=50, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def tokenizer_counter():
    """The packaged model's own token counter (its tokenizer only; the model is not loaded)."""
    from indexer.embedders import get_embedder

    embedder = get_embedder(load_settings({}))
    assert embedder.count_tokens(["Supercalifragilistic"])[0] > 1  # word pieces, not words
    return embedder.count_tokens


# --- chunking ----------------------------------------------------------------------------------

WORDS = st.one_of(
    st.sampled_from(["the", "city", "e-service", "Kela-compatible", "40%", "(2023)", "Göteborg", "Kyiv",
                     "user-centric", "co-creation.", "Why?", "résumé", "naïve", "日本語", "🚲", "—"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=30, max_size=400),  # one very long "word"
)
TEXT = st.lists(WORDS, max_size=60).flatmap(
    lambda words: st.lists(st.sampled_from([" ", " ", " ", "\n", "\n\n", ". ", "\t"]), min_size=len(words),
                           max_size=len(words)).map(lambda gaps: "".join(w + g for w, g in zip(words, gaps))))
SECTIONS = st.sampled_from([(), ("Steps",), ("Steps", "Testing with residents"), ("Résultats",)])
BLOCKS = st.lists(st.tuples(TEXT, SECTIONS, st.sampled_from([None, 1, 2])), max_size=8)


def _doc(blocks, title="Guide to user research") -> SourceDocument:
    return SourceDocument(doc_id="guides/research.md", source="guides/research.md", title=title,
                          blocks=[Block(text, section, page) for text, section, page in blocks])


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@SETTINGS
@given(blocks=BLOCKS, limit=st.integers(min_value=24, max_value=256),
       title=st.sampled_from(["T", "Guide to user research", "A very long title about services " * 6]))
def test_chunks_fit_the_window_of_the_real_tokenizer_and_lose_nothing(tokenizer_counter, blocks, limit, title):
    """From a 24-token window up, even with long titles and sections (the header is cut to a
    third of the window)."""
    chunks = chunk_document(_doc(blocks, title), tokenizer_counter, limit)
    counts = tokenizer_counter([c.embed_text for c in chunks])
    assert all(n <= limit for n in counts), (limit, counts)
    # Nothing lost or reordered but whitespace: the passages spell out the blocks, in order.
    assert "".join(_squeeze(c.text) for c in chunks) == "".join(_squeeze(t) for t, _, _ in blocks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


@SETTINGS
@given(blocks=BLOCKS, limit=st.integers(min_value=40, max_value=256))
def test_each_chunk_carries_its_title_section_and_page(tokenizer_counter, blocks, limit):
    doc = _doc(blocks)
    chunks = chunk_document(doc, tokenizer_counter, limit)
    places = [(tuple(b.section), b.page) for b in doc.blocks if b.text.strip()]
    for c in chunks:
        assert (c.section, c.page) in places
        header, _, body = c.embed_text.partition("\n")
        assert header == header_for(doc.title, c.section) and body == c.text
    # chunks follow the blocks' order of places: a place never comes back after another one
    seen = [(c.section, c.page) for c in chunks]
    runs = [p for i, p in enumerate(seen) if i == 0 or seen[i - 1] != p]
    expected = [p for i, p in enumerate(places) if i == 0 or places[i - 1] != p]
    assert runs == expected


@SETTINGS
@given(blocks=BLOCKS, limit=st.integers(min_value=40, max_value=256), changed=TEXT)
def test_chunk_ids_are_stable_and_derived_from_content(tokenizer_counter, blocks, limit, changed):
    first = chunk_document(_doc(blocks), tokenizer_counter, limit)
    again = chunk_document(_doc(list(blocks)), tokenizer_counter, limit)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in first}) == len(first)
    for c in first:  # the id is the content hash, with "-n" for the n-th repeat of a passage
        assert c.chunk_id.split("-")[0] == chunk_id_for(c.doc_id, c.section, c.text)
    # Changing the blocks of one section leaves the other sections' ids alone.
    steps = [t for t, s, _ in blocks if s == ("Steps",)]
    assume(steps and all(t.strip() for t in steps) and changed.strip())  # the section stays, with text
    edited = [(changed if s == ("Steps",) else t, s, p) for t, s, p in blocks]
    untouched = {c.chunk_id for c in first if c.section != ("Steps",)}
    after = {c.chunk_id for c in chunk_document(_doc(edited), tokenizer_counter, limit) if c.section != ("Steps",)}
    assert untouched == after


# --- fusion ------------------------------------------------------------------------------------

# Scores on a grid, so that "higher" survives min-max normalisation in floating point.
SCORES = st.dictionaries(st.integers(0, 40), st.integers(-500, 500).map(lambda v: v / 10), max_size=25)
WEIGHT = st.integers(0, 20).map(lambda v: v / 20)


def _ahead(fused: dict[int, float], key: int) -> int:
    return sum(1 for k, v in fused.items() if v > fused[key])


def _shuffled(scores: dict[int, float], seed: int) -> dict[int, float]:
    items = list(scores.items())
    random.Random(seed).shuffle(items)
    return dict(items)


@SETTINGS
@given(bm25=SCORES, dense=SCORES, weight=WEIGHT, seed=st.integers(0, 1000))
def test_convex_fusion_is_bounded_and_ignores_candidate_order(bm25, dense, weight, seed):
    fused = fuse_convex(bm25, dense, weight)
    assert set(fused) == set(bm25) | set(dense)
    assert all(-1e-9 <= v <= 1 + 1e-9 for v in fused.values())
    assert fuse_convex(_shuffled(bm25, seed), _shuffled(dense, seed + 1), weight) == fused
    assert fuse_convex(bm25, dense, weight) == fused  # pure: the same input, the same scores


@SETTINGS
@given(bm25=SCORES, dense=SCORES, weight=WEIGHT, bump=st.integers(1, 300).map(lambda v: v / 10),
       which=st.sampled_from(["bm25", "dense"]), data=st.data())
def test_convex_fusion_is_monotone_in_each_score(bm25, dense, weight, bump, which, data):
    raised = dict(bm25 if which == "bm25" else dense)
    assume(raised)
    key = data.draw(st.sampled_from(sorted(raised)))
    raised[key] += bump
    before = fuse_convex(bm25, dense, weight)
    after = fuse_convex(raised, dense, weight) if which == "bm25" else fuse_convex(bm25, raised, weight)
    assert after[key] >= before[key] - 1e-12
    assert _ahead(after, key) <= _ahead(before, key)  # a better score never costs a place


@SETTINGS
@given(bm25=SCORES, dense=SCORES)
def test_convex_fusion_at_the_ends_is_one_retriever(bm25, dense):
    only_dense, only_bm25 = fuse_convex(bm25, dense, 1.0), fuse_convex(bm25, dense, 0.0)
    for raw, fused in ((dense, only_dense), (bm25, only_bm25)):
        for a in raw:
            for b in raw:
                if raw[a] > raw[b]:
                    assert fused[a] > fused[b]
                elif raw[a] == raw[b]:
                    assert fused[a] == fused[b]
        for k in set(fused) - set(raw):  # found only by the other retriever: nothing from this one
            assert fused[k] == 0.0


RANKING = st.lists(st.integers(0, 40), unique=True, max_size=25)


@SETTINGS
@given(first=RANKING, second=RANKING, k=st.integers(1, 100), data=st.data())
def test_rrf_is_bounded_symmetric_and_monotone(first, second, k, data):
    fused = fuse_rrf([first, second], k=k)
    assert set(fused) == set(first) | set(second)
    assert all(0 < v <= 2 / (k + 1) for v in fused.values())
    assert fuse_rrf([second, first], k=k) == fused
    assume(len(first) >= 2)
    i = data.draw(st.integers(1, len(first) - 1))
    promoted = first[:i - 1] + [first[i], first[i - 1]] + first[i + 1:]  # first[i] moves up one place
    after = fuse_rrf([promoted, second], k=k)
    assert after[first[i]] > fused[first[i]] and _ahead(after, first[i]) <= _ahead(fused, first[i])


@pytest.mark.parametrize("fusion, mode", [
    ("convex", "hybrid"), ("convex", "bm25"), ("convex", "dense"),
    ("rrf", "hybrid"),
])
def test_tied_scores_rank_by_document_id(tmp_path, fusion, mode):
    """Identical documents tie; among them the order is doc_id's, whatever the retriever's order."""
    from indexer.build import build_index
    from indexer.search import Searcher

    kdir = tmp_path / "kb"
    for name in ("c", "a", "b"):
        write(kdir / f"{name}.md", "# Snow clearing\n\nPlough routes are published every winter morning.\n")
    write(kdir / "z.md", "# Tram tickets\n\nTram tickets can be bought by text message.\n")
    fake = FakeEmbedder()
    settings = load_settings({}, UCC_DATA_DIR=str(tmp_path / "var"), UCC_FUSION=fusion)
    build_index([kdir], settings, embedder=fake)
    hits = Searcher(settings, embedder=fake).search("plough routes snow", k=4, mode=mode).hits
    assert [h.doc_id for h in hits[:3]] == ["a.md", "b.md", "c.md"]
    assert hits[0].score == hits[1].score == hits[2].score
    assert len(hits) == 3 or hits[3].score < hits[2].score  # BM25 does not find the tram page at all


# --- the dashboard arithmetic through Benchmark -------------------------------------------------


@pytest.fixture(scope="module")
def catalog_2023():
    return Catalog.load(REPO / "knowledge")


def _bench(catalog, rows) -> Benchmark:
    bench = Benchmark(catalog)
    bench.rows = lambda revision=None: rows  # the same revision, with these rows
    return bench


def _formula(scores) -> Fraction:
    """knowledge/benchmark/README.md: the plain mean of the sub-indicator fractions, in percent."""
    return sum((Fraction(s.yes, s.n) for s in scores.values()), Fraction(0)) / len(scores) * 100


def test_benchmark_equals_the_documented_formula(catalog_2023):
    bench = Benchmark(catalog_2023)
    rows = bench.rows()
    ranking = bench.ranking()["ranking"]
    for entry in ranking:
        exact = _formula(rows[entry["city"]].scores)
        assert entry["percent"] == int(exact + Fraction(1, 2))  # whole percent, halves up
        assert 0 <= entry["percent"] <= 100
        assert entry["rank"] == 1 + sum(1 for other in ranking if other["percent"] > entry["percent"])
    for pillar in bench.pillar_averages()["pillars"]:
        assert 0 <= pillar["percent"] <= 100 and pillar["yes"] <= pillar["total"]
        assert pillar["average"] == round(pillar["yes"] / pillar["total"], 4)


@SETTINGS
@given(data=st.data())
def test_a_no_becoming_a_yes_never_lowers_anything(catalog_2023, data):
    base = Benchmark(catalog_2023)
    rows = base.rows()
    open_answers = [(city, sub) for city, row in sorted(rows.items())
                    for sub, s in sorted(row.scores.items()) if s.yes < s.n]
    city, sub = data.draw(st.sampled_from(open_answers))
    row = rows[city]
    better = row.model_copy(update={"scores": {**row.scores, sub: row.scores[sub].model_copy(
        update={"yes": row.scores[sub].yes + 1})}})
    after = _bench(catalog_2023, {**rows, city: better})
    before = _bench(catalog_2023, rows)

    old = {e["city"]: e for e in before.ranking()["ranking"]}
    new = {e["city"]: e for e in after.ranking()["ranking"]}
    assert city_percentage(better.scores) > city_percentage(row.scores)
    assert new[city]["percentage"] >= old[city]["percentage"]
    assert new[city]["percent"] >= old[city]["percent"] and new[city]["rank"] <= old[city]["rank"]
    assert rounded_percentage(better.scores) == new[city]["percent"]
    for other in set(old) - {city}:
        assert new[other]["percent"] == old[other]["percent"] and new[other]["rank"] >= old[other]["rank"]
    order = ["red", "orange", "green"]
    assert order.index(colour(better.scores[sub])) >= order.index(colour(row.scores[sub]))
    assert display_fraction(better.scores[sub]) > display_fraction(row.scores[sub])
    pillars_before = {p["id"]: p for p in before.pillar_averages()["pillars"]}
    for p in after.pillar_averages()["pillars"]:
        q = pillars_before[p["id"]]
        assert p["total"] == q["total"] and p["yes"] in (q["yes"], q["yes"] + 1)
        if p["yes"] > q["yes"]:  # the pillar that holds the sub-indicator
            assert p["average"] > q["average"] and p["percent"] >= q["percent"]
        else:
            assert p["average"] == q["average"] and p["percent"] == q["percent"]
    assert sum(p["yes"] for p in after.pillar_averages()["pillars"]) == \
        sum(p["yes"] for p in pillars_before.values()) + 1
    assert pillar_average([better.scores], [sub]) > pillar_average([row.scores], [sub])
