"""indexer.integrity and `ucc check`: a healthy data directory passes; each kind of damage is named."""

import json
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from app.operations.questionlog import QuestionLog
from indexer import store as st
from indexer.build import build_index
from indexer.integrity import check_data_dir, check_integrity

from .conftest import write


@pytest.fixture
def built(tmp_path, settings, fake_embedder):
    kb = tmp_path / "kb"
    for i, city in enumerate(("ghent", "helsinki", "milan")):
        write(kb / f"{city}.md", f"---\ntitle: Service {i} of {city}\nkind: service\ncity: {city}\n---\n"
              f"## Summary\nThe {city} service is proactive.\n\n## Results\nResidents of {city} saved time.\n")
    build_index([kb], settings, embedder=fake_embedder)
    write(kb / "ghent.md", "---\ntitle: Ghent rights\nkind: service\ncity: ghent\n---\n## Summary\nRights granted.\n")
    build_index([kb], settings, embedder=fake_embedder)  # two generations: one retired, one live
    return settings


def _live_faiss(settings):
    store = st.Store(settings.data_dir)
    gen = store.require_live()
    path = store.faiss_dir / gen.faiss_file
    store.close()
    return gen, path


def _messages(report, level="error"):
    return " | ".join(f.message for f in report.findings if f.level == level)


def test_healthy_store_is_ok(built):
    QuestionLog.from_settings(built).record_ask("How?", "answered")
    report = check_integrity(built)
    assert report.ok, report.findings
    assert report.findings == []
    assert report.generation == 2
    assert report.chunks == report.faiss_vectors > 0
    assert report.documents == 3
    assert report.databases == {"index.db": "ok", "questions.db": "ok"}


def test_no_index_yet_is_a_problem(settings):
    settings.data_dir.mkdir(parents=True)
    report = check_integrity(settings)
    assert not report.ok
    assert "no index has been built" in _messages(report)


def test_missing_faiss_file(built):
    _, path = _live_faiss(built)
    path.unlink()
    report = check_integrity(built)
    assert not report.ok
    assert "FAISS file of the live generation 2 is missing" in _messages(report)


def test_corrupt_faiss_file(built):
    _, path = _live_faiss(built)
    path.write_bytes(path.read_bytes()[:40])
    report = check_integrity(built)
    assert not report.ok
    assert "cannot be read" in _messages(report)


def test_faiss_file_with_a_wrong_count(built):
    gen, path = _live_faiss(built)
    vectors = np.eye(gen.dim, dtype=np.float32)[:2]
    st.write_faiss_atomically(st.build_faiss(np.array([1, 2]), vectors, gen.dim), path)
    report = check_integrity(built)
    assert f"holds 2 vectors; the live generation has {gen.chunks} chunks" in _messages(report)


def test_faiss_file_with_other_ids(built):
    gen, path = _live_faiss(built)
    ids = np.arange(10_000, 10_000 + gen.chunks)
    vectors = np.tile(np.eye(gen.dim, dtype=np.float32)[:1], (gen.chunks, 1))
    st.write_faiss_atomically(st.build_faiss(ids, vectors, gen.dim), path)
    report = check_integrity(built)
    assert "not the live generation's chunk row ids" in _messages(report)


def test_truncated_chunk_rows(built):
    conn = sqlite3.connect(built.data_dir / "index.db")
    conn.execute("DELETE FROM chunks WHERE id = (SELECT MAX(id) FROM chunks)")
    conn.commit()
    conn.close()
    report = check_integrity(built)
    errors = _messages(report)
    assert "chunks but has" in errors  # the generation's recorded count
    assert "FAISS vectors" not in errors and "holds" in errors  # FAISS count != chunk rows
    assert "full-text rows belong to no chunk" in errors


def test_chunks_without_fts_rows_or_cached_vectors(built):
    conn = sqlite3.connect(built.data_dir / "index.db")
    conn.execute("DELETE FROM chunks_fts WHERE rowid = (SELECT MAX(id) FROM chunks)")
    conn.execute("DELETE FROM embeddings WHERE hash = (SELECT embed_hash FROM chunks ORDER BY id DESC LIMIT 1)")
    conn.commit()
    conn.close()
    errors = _messages(check_integrity(built))
    assert "1 chunks have no full-text row" in errors
    assert "have no cached vector" in errors


def test_two_live_generations_and_rows_ahead(built):
    conn = sqlite3.connect(built.data_dir / "index.db")
    conn.execute("UPDATE generations SET status = 'live'")
    conn.execute("UPDATE documents SET gen_from = 99 WHERE id = (SELECT MAX(id) FROM documents)")
    conn.commit()
    conn.close()
    errors = _messages(check_integrity(built))
    assert "2 generations are marked live" in errors
    assert "belong to a generation after the live one" in errors


def test_leftovers_of_an_interrupted_build_are_warnings(built):
    _, path = _live_faiss(built)
    (path.parent / "gen-000003.index.tmp").write_bytes(b"partial")
    (path.parent / "gen-000003.index").write_bytes(path.read_bytes())
    conn = sqlite3.connect(built.data_dir / "index.db")
    conn.execute("INSERT INTO generations SELECT 0, 'retired', started_at, finished_at, model, dim, "
                 "'gen-000000.index', documents, chunks, summary FROM generations WHERE id = 1")
    conn.commit()
    conn.close()
    report = check_data_dir(built.data_dir, keep_generations=2)
    assert report.ok, report.errors
    warnings = _messages(report, "warning")
    assert "temporary file of an interrupted build" in warnings
    assert "belongs to no kept generation" in warnings
    assert "3 generations are kept, UCC_KEEP_GENERATIONS=2" in warnings
    assert "file of retired generation 0 is missing" in warnings


def test_corrupt_service_database(built):
    path = built.data_dir / "questions.db"
    log = QuestionLog.from_settings(built)
    for i in range(300):
        log.record_ask(f"Question {i} about proactive services " + "x" * 200, "answered")
    log.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'asks_at'").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page + 12
    data[start : start + 300] = b"\xff" * 300  # scribble over an index's b-tree page
    path.write_bytes(bytes(data))
    report = check_integrity(built)
    assert not report.ok
    assert report.databases["questions.db"] != "ok"
    assert report.databases["index.db"] == "ok"


def test_ucc_check_exit_codes_and_json(built):
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert "OK." in result.output and "Live generation 2" in result.output
    result = CliRunner().invoke(main, ["check", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["ok"] is True and data["chunks"] == data["faiss_vectors"]

    _, path = _live_faiss(built)
    path.unlink()
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1
    assert "is missing" in result.output and "1 problem(s) found" in result.output
    result = CliRunner().invoke(main, ["check", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["errors"][0]["where"].startswith("faiss/")
