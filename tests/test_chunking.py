from hypothesis import given, settings as hsettings, strategies as strat

from indexer.chunking import chunk_document, header_for
from indexer.documents import Block, SourceDocument

from .conftest import FakeEmbedder


def _doc(blocks, title="Guide to things"):
    return SourceDocument(doc_id="g.md", source="g.md", title=title, blocks=blocks)


def test_chunks_follow_sections_and_carry_title():
    doc = _doc([
        Block("Intro paragraph one.", ()),
        Block("Step one is to plan.", ("Steps",)),
        Block("Step two is to test.", ("Steps",)),
        Block("Beware of jargon.", ("Pitfalls",)),
    ])
    chunks = chunk_document(doc, FakeEmbedder().count_tokens, 200)
    assert [c.section for c in chunks] == [(), ("Steps",), ("Pitfalls",)]
    assert chunks[1].text == "Step one is to plan.\n\nStep two is to test."
    assert chunks[1].embed_text.startswith("Guide to things — Steps\n")
    assert [c.ordinal for c in chunks] == [0, 1, 2]


def test_pages_split_chunks():
    doc = _doc([Block("Page one text.", (), 1), Block("Page two text.", (), 2)])
    chunks = chunk_document(doc, FakeEmbedder().count_tokens, 200)
    assert [c.page for c in chunks] == [1, 2]


def test_ids_are_stable_and_content_derived():
    blocks = [Block("Alpha beta.", ("A",)), Block("Gamma delta.", ("B",))]
    first = chunk_document(_doc(blocks), FakeEmbedder().count_tokens, 200)
    again = chunk_document(_doc(list(blocks)), FakeEmbedder().count_tokens, 200)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    changed = chunk_document(_doc([blocks[0], Block("Gamma epsilon.", ("B",))]), FakeEmbedder().count_tokens, 200)
    assert changed[0].chunk_id == first[0].chunk_id
    assert changed[1].chunk_id != first[1].chunk_id


def test_duplicate_passages_get_distinct_ids():
    doc = _doc([Block("Same text.", ("A",), 1), Block("x " * 300, ("A",), 1), Block("Same text.", ("A",), 1)])
    ids = [c.chunk_id for c in chunk_document(doc, FakeEmbedder().count_tokens, 50)]
    assert len(ids) == len(set(ids))


def test_long_block_respects_real_tokenizer_window(real_embedder):
    sentence = "The municipality's e-service (Kela-compatible) cuts paperwork by 40% for families. "
    doc = _doc([Block(sentence * 60, ("Results", "2023")), Block("Supercalifragilistic" * 80, ("Odd",))],
               title="A long title " * 5)
    chunks = chunk_document(doc, real_embedder.count_tokens, real_embedder.max_tokens)
    assert len(chunks) > 3
    counts = real_embedder.count_tokens([c.embed_text for c in chunks])
    assert max(counts) <= real_embedder.max_tokens
    joined = " ".join(c.text for c in chunks if c.section == ("Results", "2023"))
    assert joined.count("families") == 60  # nothing lost when splitting


def test_header_for():
    assert header_for("T", ("A", "B")) == "T — A > B"
    assert header_for("T", ()) == "T"


@hsettings(max_examples=60, deadline=None)
@given(
    texts=strat.lists(strat.text(min_size=0, max_size=400), min_size=0, max_size=8),
    limit=strat.integers(min_value=32, max_value=256),
)
def test_property_chunks_fit_and_keep_every_word(texts, limit):
    emb = FakeEmbedder()
    doc = _doc([Block(t, (f"S{i % 3}",)) for i, t in enumerate(texts)], title="T")
    chunks = chunk_document(doc, emb.count_tokens, limit)
    for c in chunks:
        assert emb.count_tokens([c.embed_text])[0] <= max(limit, 24 + emb.count_tokens(["T — S0"])[0] + 2)
    words_in = [w for t in texts for w in t.split()]
    words_out = [w for c in chunks for w in c.text.split()]
    assert "".join(words_in) == "".join(words_out)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
