"""Incremental builds, deletions, skipped files and the crash-safe swap."""

import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from indexer import store as st
from indexer.build import build_index
from indexer.errors import BuildInProgress, IndexNotBuilt, InvalidRequest
from indexer.search import Searcher

from .conftest import REPO, write

SERVICE = """---
title: {title}
kind: service
city: {city}
country: {country}
year: 2022
principles: [reduction-of-administrative-burden]
subindicators: ["2.2"]
sources: [https://example.org/{city}]
---
# {title}

## In a nutshell
{body}

## Results
The city reports that {city} families saved time.
"""


def make_kb(root):
    write(root / "services" / "helsinki-daycare.md", SERVICE.format(
        title="Proactive pre-primary places", city="helsinki", country="Finland",
        body="Children get a pre-primary education place offered automatically, without an application."))
    write(root / "services" / "ghent-rights.md", SERVICE.format(
        title="Proactive social rights", city="ghent", country="Belgium",
        body="School benefits are granted automatically using data from several levels of government."))
    write(root / "guides" / "usability.md", "---\ntitle: Usability testing\nkind: guide\n---\n"
          "## Steps\nRecruit five residents and run the System Usability Scale questionnaire.\n")
    return root


def test_first_build_then_no_change(tmp_path, settings, fake_embedder):
    kb = make_kb(tmp_path / "kb")
    r1 = build_index([kb], settings, embedder=fake_embedder)
    assert r1.generation == 1
    assert sorted(r1.added) == ["guides/usability.md", "services/ghent-rights.md", "services/helsinki-daycare.md"]
    assert r1.documents == 3 and r1.chunks >= 3
    embedded = fake_embedder.passages_embedded
    r2 = build_index([kb], settings, embedder=fake_embedder)
    assert r2.generation is None and r2.unchanged == 3 and not r2.changed
    assert fake_embedder.passages_embedded == embedded  # nothing re-embedded
    assert r2.documents == 3


def test_touch_without_change_is_unchanged(tmp_path, settings, fake_embedder):
    kb = make_kb(tmp_path / "kb")
    build_index([kb], settings, embedder=fake_embedder)
    f = kb / "guides" / "usability.md"
    os.utime(f, ns=(1, 1))
    r = build_index([kb], settings, embedder=fake_embedder)
    assert r.generation is None and r.unchanged == 3


def test_update_reembeds_only_changed_chunks(tmp_path, settings, fake_embedder):
    kb = make_kb(tmp_path / "kb")
    build_index([kb], settings, embedder=fake_embedder)
    before = fake_embedder.passages_embedded
    f = kb / "services" / "ghent-rights.md"
    f.write_text(f.read_text().replace("saved time", "saved a lot of time"))
    r = build_index([kb], settings, embedder=fake_embedder)
    assert r.generation == 2 and r.updated == ["services/ghent-rights.md"]
    assert r.chunks_embedded == fake_embedder.passages_embedded - before == 1
    assert r.chunks_reused >= 1
    hits = Searcher(settings, embedder=fake_embedder).search("a lot of time", mode="bm25").hits
    assert hits[0].doc_id == "services/ghent-rights.md"
    assert "a lot of time" in " ".join(p.text for p in hits[0].passages)


def test_deleted_file_leaves_index(tmp_path, settings, fake_embedder):
    kb = make_kb(tmp_path / "kb")
    build_index([kb], settings, embedder=fake_embedder)
    (kb / "guides" / "usability.md").unlink()
    r = build_index([kb], settings, embedder=fake_embedder)
    assert r.removed == ["guides/usability.md"] and r.documents == 2
    assert Searcher(settings, embedder=fake_embedder).search("System Usability Scale", mode="bm25").hits == []
    store = st.Store(settings.data_dir)
    gen = store.require_live()
    assert store.read_faiss(gen).ntotal == gen.chunks


def test_broken_file_is_skipped_and_previous_version_kept(tmp_path, settings, fake_embedder):
    kb = make_kb(tmp_path / "kb")
    build_index([kb], settings, embedder=fake_embedder)
    f = kb / "services" / "ghent-rights.md"
    f.write_text("---\ntitle: [unclosed\n---\nbody\n")
    write(kb / "new.md", "# New guide\n\nFresh content about digital inclusion.\n")
    r = build_index([kb], settings, embedder=fake_embedder)
    assert [s["path"] for s in r.skipped] == ["services/ghent-rights.md"]
    assert "YAML" in r.skipped[0]["reason"] or "front matter" in r.skipped[0]["reason"]
    assert r.added == ["new.md"] and r.documents == 4
    s = Searcher(settings, embedder=fake_embedder)
    assert s.search("school benefits", mode="bm25").hits[0].doc_id == "services/ghent-rights.md"
    again = build_index([kb], settings, embedder=fake_embedder)  # still reported, not re-parsed
    assert [x["path"] for x in again.skipped] == ["services/ghent-rights.md"] and again.generation is None


def test_missing_path_and_index_not_built(tmp_path, settings, fake_embedder):
    with pytest.raises(InvalidRequest, match="does not exist"):
        build_index([tmp_path / "nope"], settings, embedder=fake_embedder)
    with pytest.raises(IndexNotBuilt):
        Searcher(settings, embedder=fake_embedder).search("x")


def test_concurrent_build_is_refused(tmp_path, settings, fake_embedder):
    import fcntl

    kb = make_kb(tmp_path / "kb")
    lock = st.Store(settings.data_dir).lock_path
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(BuildInProgress):
            build_index([kb], settings, embedder=fake_embedder)


def test_old_generations_are_collected(tmp_path, settings, fake_embedder):
    kb = make_kb(tmp_path / "kb")
    f = kb / "guides" / "usability.md"
    for i in range(4):
        f.write_text(f"# Usability testing\n\nVersion {i} of the guide.\n")
        build_index([kb], settings, embedder=fake_embedder)
    store = st.Store(settings.data_dir)
    files = sorted(p.name for p in store.faiss_dir.iterdir())
    assert files == ["gen-000003.index", "gen-000004.index"]  # the live one and the one before
    gens = [g for (g,) in store.db.execute("SELECT id FROM generations ORDER BY id")]
    assert gens == [3, 4]
    n_docs = store.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    assert n_docs == 4  # 3 live + the previous version of the guide
    fts = store.db.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0]
    chunks = store.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    assert fts == chunks


def test_a_build_with_nothing_to_do_finishes_an_interrupted_clean_up(tmp_path, settings, fake_embedder):
    """A build killed after its commit but before its clean-up leaves files and rows behind; the
    next build cleans them up even when no document changed."""
    kb = make_kb(tmp_path / "kb")
    f = kb / "guides" / "usability.md"
    f.write_text("# Usability testing\n\nVersion 1 of the guide.\n")
    build_index([kb], settings, embedder=fake_embedder)
    f.write_text("# Usability testing\n\nVersion 2 of the guide.\n")
    build_index([kb], settings, embedder=fake_embedder)
    store = st.Store(settings.data_dir)
    leftover = store.faiss_dir / "gen-000099.index"  # as if written by a build killed before its commit
    leftover.write_bytes(b"half a FAISS file")
    with store.db.conn:  # and a third generation's rows, as if the clean-up never ran
        store.db.execute("INSERT INTO generations (id, status, started_at, finished_at, model, dim, faiss_file, "
                         "documents, chunks) SELECT 0, 'retired', started_at, finished_at, model, dim, "
                         "'gen-000000.index', documents, chunks FROM generations WHERE id = 1")
    report = build_index([kb], settings, embedder=fake_embedder)
    assert report.generation is None  # nothing changed
    assert not leftover.exists()
    assert [g for (g,) in store.db.execute("SELECT id FROM generations ORDER BY id")] == [1, 2]


def test_single_file_root_leaves_siblings(tmp_path, settings, fake_embedder):
    kb = make_kb(tmp_path / "kb")
    build_index([kb / "guides"], settings, embedder=fake_embedder)
    r = build_index([kb / "guides" / "usability.md"], settings, embedder=fake_embedder)
    assert r.removed == [] and r.documents == 1


_CRASH_SCRIPT = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {repo!r})
    sys.path.insert(0, {tests!r})
    from conftest import FakeEmbedder
    from indexer import build, store
    from indexer.settings import load_settings
    stage = sys.argv[1]
    if stage == "after_faiss":
        real = store.write_faiss_atomically
        def crash(index, final):
            real(index, final)
            os._exit(9)
        store.write_faiss_atomically = crash
    elif stage == "mid_embed":
        class Dying(FakeEmbedder):
            def embed_passages(self, texts):
                os._exit(9)
        build.build_index([sys.argv[2]], load_settings(), embedder=Dying())
    build.build_index([sys.argv[2]], load_settings(), embedder=FakeEmbedder())
    """
)


@pytest.mark.parametrize("stage", ["mid_embed", "after_faiss"])
def test_process_killed_mid_build_keeps_previous_generation(tmp_path, settings, fake_embedder, stage):
    kb = make_kb(tmp_path / "kb")
    build_index([kb], settings, embedder=fake_embedder)
    write(kb / "guides" / "inclusion.md", "# Digital inclusion\n\nAssisted digital help desks in libraries.\n")
    script = tmp_path / "crash.py"
    script.write_text(_CRASH_SCRIPT.format(repo=str(REPO), tests=str(REPO / "tests")))
    proc = subprocess.run([sys.executable, str(script), stage, str(kb)], env=dict(os.environ), timeout=120)
    assert proc.returncode == 9
    store = st.Store(settings.data_dir)
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    gen = store.require_live()
    assert gen.id == 1 and gen.documents == 3
    assert store.read_faiss(gen).ntotal == gen.chunks
    hits = Searcher(settings, embedder=fake_embedder).search("school benefits automatically").hits
    assert hits and hits[0].doc_id == "services/ghent-rights.md"
    assert not Searcher(settings, embedder=fake_embedder).search("Assisted digital help desks", mode="bm25").hits
    r = build_index([kb], settings, embedder=fake_embedder)  # a rerun completes the build
    assert r.generation == 2 and r.added == ["guides/inclusion.md"]
    assert sorted(p.name for p in store.faiss_dir.iterdir()) == ["gen-000001.index", "gen-000002.index"]


def test_real_cli_process_killed_with_sigkill(tmp_path, settings):
    """A real `ucc index` with the real model, killed while it embeds."""
    import signal
    import time

    kb = make_kb(tmp_path / "kb")
    env = dict(os.environ, UCC_DATA_DIR=str(settings.data_dir))
    ucc = [sys.executable, "-m", "app", "index", "--quiet"]
    subprocess.run(ucc + [str(kb)], env=env, check=True, capture_output=True, timeout=300)
    for i in range(40):
        write(kb / "bulk" / f"doc{i}.md", f"# Bulk {i}\n\n" + f"Paragraph about topic {i} and services. " * 40)
    proc = subprocess.Popen(ucc + [str(kb)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = settings.data_dir / "index.db"
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until it has embedded at least one batch
        con = sqlite3.connect(db)
        n = con.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        con.close()
        if n > 10 or proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    store = st.Store(settings.data_dir)
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    gen = store.require_live()
    assert store.read_faiss(gen).ntotal == gen.chunks
    done = subprocess.run(ucc + ["--json", str(kb)], env=env, check=True, capture_output=True, timeout=300)
    assert '"documents": 43' in done.stdout.decode()


def test_the_switch_to_a_new_generation_is_committed_durably(tmp_path, settings, fake_embedder, monkeypatch):
    """The commit that makes a generation live runs with synchronous=FULL (survives a power loss);
    the rest of the build keeps the cheaper NORMAL."""
    seen = []
    kb = make_kb(tmp_path / "kb")
    real = st.Store.db.fget

    def spy(store):
        db = real(store)
        if not getattr(db, "_spied", False):
            execute = db.conn.execute

            class Conn:
                def __getattr__(self, name):
                    return getattr(execute.__self__, name)

                def execute(self, sql, *args):
                    if sql.startswith("INSERT INTO generations"):
                        seen.append(execute("PRAGMA synchronous").fetchone()[0])
                    return execute(sql, *args)
            db.conn = Conn()
            db._spied = True
        return db

    monkeypatch.setattr(st.Store, "db", property(spy))
    build_index([kb], settings, embedder=fake_embedder)
    assert seen == [2]
