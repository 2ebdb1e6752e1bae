"""ucc backup / ucc restore: consistent online snapshots, checked before anything is replaced."""

import json
import sqlite3
import threading
import time

import pytest
from click.testing import CliRunner

from app.operations import backup as ops
from app.cli import main
from app.answering.conversations import ConversationStore, Turn
from app.operations.questionlog import SALT_FILE, QuestionLog
from indexer import backup as core
from indexer.build import build_index
from indexer.errors import UccError
from indexer.search import Searcher
from indexer.settings import load_settings

from .conftest import FakeEmbedder, write
from .test_build import make_kb


@pytest.fixture
def live(tmp_path, settings, fake_embedder):
    """A built index with question-log rows and feedback, as the service leaves them."""
    kb = make_kb(tmp_path / "kb")
    build_index([kb], settings, embedder=fake_embedder)
    qlog = QuestionLog.from_settings(settings)
    answer_id = qlog.record_ask("Which city offers pre-primary places proactively?", "answered",
                                channel="widget", user_id="U123", sources=["helsinki-daycare"])
    qlog.record_ask("What is the weather?", "cannot_answer", channel="slack")
    qlog.record_feedback(answer_id, "up", "Useful")
    qlog.close()
    ConversationStore.from_settings(settings).append("conversation-1", Turn("And in Spain?", "And in Spain?"))
    return kb


def _hits(settings, query="pre-primary education place"):
    result = Searcher(settings, embedder=FakeEmbedder()).search(query, k=5)
    return result.generation, [(h.doc_id, round(h.score, 6)) for h in result.hits]


def _restored_settings(tmp_path):
    return load_settings({}, UCC_DATA_DIR=str(tmp_path / "restored"))


def test_backup_restores_to_an_identical_searchable_store(tmp_path, settings, live):
    report = ops.backup(settings, tmp_path / "bk")
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert manifest["generation"] == report.generation == 1
    assert manifest["chunks"] == report.chunks > 0
    assert set(manifest["files"]) == {"index.db", "faiss/gen-000001.index", "questions.db", "conversations.db",
                                      SALT_FILE}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    assert not list(tmp_path.glob(".bk.partial-*"))  # assembled beside, renamed into place

    target = _restored_settings(tmp_path)
    restored = ops.restore(target, tmp_path / "bk")
    assert restored.generation == 1 and restored.replaced is None
    assert _hits(target) == _hits(settings)
    before = QuestionLog.from_settings(settings)
    after = QuestionLog.from_settings(target)
    assert after.export_csv() == before.export_csv()  # rows, ratings, comments and hashed ids
    assert after.hash_user("U123") == before.hash_user("U123")  # the salt came along
    assert (target.data_dir / SALT_FILE).stat().st_mode & 0o777 == 0o600
    assert [t.question for t in ConversationStore.from_settings(target).turns("conversation-1")] == ["And in Spain?"]


def test_backup_while_builds_run_is_consistent(tmp_path, settings, live):
    keep_one = load_settings({}, UCC_DATA_DIR=str(settings.data_dir), UCC_KEEP_GENERATIONS=1)
    stop = threading.Event()
    errors, built = [], []

    def builder():
        n = 0
        try:
            while not stop.is_set():
                n += 1
                write(live / "guides" / "extra.md", "---\ntitle: Extra\nkind: guide\n---\n" + f"Version {n}. " * 20)
                built.append(build_index([live], keep_one, embedder=FakeEmbedder()).generation)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=builder)
    thread.start()
    try:
        while not built:
            time.sleep(0.01)
        seen = set()
        for i in range(6):
            report = ops.backup(settings, tmp_path / f"bk{i}")
            seen.add(report.generation)
            manifest = core.read_manifest(tmp_path / f"bk{i}")
            assert manifest["generation"] == report.generation
            restored = core.restore_backup(tmp_path / f"bk{i}", tmp_path / f"r{i}")  # checks ntotal == chunks
            assert restored.chunks == report.chunks
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert len(built) >= 3 and len(seen) >= 2, (built, seen)  # the builds really ran during the backups


@pytest.mark.parametrize("opened_before", [True, False])
def test_a_build_that_collects_the_snapshots_faiss_file(tmp_path, settings, live, monkeypatch, opened_before):
    """A build commits and deletes the snapshot's FAISS file right after the snapshot. The file
    opened before the snapshot is still read; had it not been opened (written after the
    listing), the snapshot is taken again."""
    keep_one = load_settings({}, UCC_DATA_DIR=str(settings.data_dir), UCC_KEEP_GENERATIONS=1)
    before = _hits(settings, "late guide")
    real_snapshot, real_open = core._snapshot_sqlite, core._open_generation_files
    calls = []

    def snapshot_then_build(source, target):
        real_snapshot(source, target)
        if source.name == "index.db" and not calls:
            calls.append(source)
            write(live / "guides" / "late.md", "---\ntitle: Late\nkind: guide\n---\nA late guide.\n")
            build_index([live], keep_one, embedder=FakeEmbedder())
            assert not (settings.data_dir / "faiss" / "gen-000001.index").exists()

    def open_nothing_the_first_time(faiss_dir):
        handles = real_open(faiss_dir)
        if not calls:
            for fh in handles.values():
                fh.close()
            return {}
        return handles

    monkeypatch.setattr(core, "_snapshot_sqlite", snapshot_then_build)
    if not opened_before:
        monkeypatch.setattr(core, "_open_generation_files", open_nothing_the_first_time)
    report = ops.backup(settings, tmp_path / "bk")
    assert (report.attempts, report.generation) == ((1, 1) if opened_before else (2, 2))
    target = _restored_settings(tmp_path)
    ops.restore(target, tmp_path / "bk")
    assert _hits(target, "late guide") == (before if opened_before else _hits(settings, "late guide"))


@pytest.mark.parametrize("damage", ["flip", "missing", "manifest"])
def test_a_damaged_backup_is_refused_and_the_target_untouched(tmp_path, settings, live, damage):
    ops.backup(settings, tmp_path / "bk")
    if damage == "flip":
        path = tmp_path / "bk" / "questions.db"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        expected = "questions.db does not match its checksum"
    elif damage == "missing":
        (tmp_path / "bk" / "faiss" / "gen-000001.index").unlink()
        expected = "faiss/gen-000001.index is missing"
    else:
        (tmp_path / "bk" / "manifest.json").unlink()
        expected = "has no manifest.json"
    target = load_settings({}, UCC_DATA_DIR=str(tmp_path / "target"))
    write(target.data_dir / "keep.txt", "the current data")
    with pytest.raises(UccError, match=expected):
        ops.restore(target, tmp_path / "bk", force=True)
    assert [p.name for p in target.data_dir.iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if ".restore-" in p.name or ".replaced-" in p.name]


def test_a_consistent_but_wrong_faiss_file_is_refused(tmp_path, settings, live):
    """Checksums that match but a FAISS file with a different number of vectors (a manifest
    edited by hand, or a bug) must still be refused."""
    ops.backup(settings, tmp_path / "bk")
    db = sqlite3.connect(tmp_path / "bk" / "index.db")
    db.execute("UPDATE generations SET chunks = chunks + 1 WHERE status = 'live'")
    db.commit()
    db.close()
    manifest_path = tmp_path / "bk" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["index.db"] = core._describe(tmp_path / "bk", tmp_path / "bk" / "index.db")
    manifest["files"]["index.db"].pop("path")
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(UccError, match="vectors but generation 1 has"):
        ops.restore(_restored_settings(tmp_path), tmp_path / "bk")
    assert not (tmp_path / "restored").exists()


def test_restore_over_a_non_empty_data_dir_needs_force(tmp_path, settings, live):
    ops.backup(settings, tmp_path / "bk")
    before = _hits(settings)
    write(live / "guides" / "new.md", "---\ntitle: New\nkind: guide\n---\nSomething new after the backup.\n")
    build_index([live], settings, embedder=FakeEmbedder())
    with pytest.raises(UccError, match="not empty; stop the service and add --force"):
        ops.restore(settings, tmp_path / "bk")
    assert _hits(settings)[0] == 2  # untouched
    report = ops.restore(settings, tmp_path / "bk", force=True)
    assert _hits(settings) == before
    assert report.replaced and (tmp_path / report.replaced.split("/")[-1]).is_dir()
    assert (settings.data_dir.parent / report.replaced.split("/")[-1] / "index.db").exists()


def test_backup_refuses_an_existing_destination_and_a_missing_index(tmp_path, settings, live):
    write(tmp_path / "bk" / "something", "x")
    with pytest.raises(UccError, match="not an empty folder"):
        ops.backup(settings, tmp_path / "bk")
    with pytest.raises(UccError, match="inside the data directory"):
        ops.backup(settings, settings.data_dir / "backups" / "one")
    empty = load_settings({}, UCC_DATA_DIR=str(tmp_path / "nothing"))
    with pytest.raises(UccError, match="no index to back up"):
        ops.backup(empty, tmp_path / "bk2")


def test_cli_backup_and_restore_json(tmp_path, settings, live, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(main, ["backup", str(tmp_path / "bk"), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["generation"] == 1 and data["backup"] == str(tmp_path / "bk")
    assert {f["path"] for f in data["files"]} >= {"index.db", "faiss/gen-000001.index", "questions.db"}
    assert data["bytes"] == sum(f["bytes"] for f in data["files"])

    result = runner.invoke(main, ["restore", str(tmp_path / "bk"), "--json"])
    assert result.exit_code == 1 and "--force" in result.output  # the live data dir is not empty

    monkeypatch.setenv("UCC_DATA_DIR", str(tmp_path / "restored"))
    result = runner.invoke(main, ["restore", str(tmp_path / "bk"), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["restored"] == str(tmp_path / "restored") and data["generation"] == 1 and data["replaced"] is None
    assert _hits(_restored_settings(tmp_path)) == _hits(settings)

    result = runner.invoke(main, ["backup", "--help"])
    assert "Example:" in result.output
