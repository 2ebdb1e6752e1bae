"""A folder of hostile files: the build reads nothing outside it, skips every bad path with the
reason, enforces the per-file limits, and indexes the rest (security review, points 2-4)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.loaders import discover, load_file
from indexer.search import Searcher
from indexer.settings import load_settings

from .conftest import REPO, write

SECRET = "TOPSECRET-admin-token-4c1f"


def dense_docx(paragraphs: int) -> bytes:
    import docx

    document = docx.Document()
    for _ in range(paragraphs):
        document.add_paragraph("x")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def hostile(tmp_path) -> Path:
    outside = tmp_path / "outside"
    write(outside / "secret.txt", f"The admin token is {SECRET}.")
    write(outside / "folder" / "inner.md", f"# Inner\n\nAlso {SECRET}.")
    kb = tmp_path / "kb"
    write(kb / "good.md", "# One-stop shops\n\nCities run one-stop shops for residents.")
    write(kb / "sub" / "target.md", "# Target\n\nA page linked from inside the folder.")
    (kb / "environ.txt").symlink_to("/proc/self/environ")
    (kb / "passwd.txt").symlink_to("/etc/passwd")
    (kb / "secret.txt").symlink_to(outside / "secret.txt")
    (kb / "relative.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    (kb / "dangling.md").symlink_to(kb / "nowhere.md")
    (kb / "loop.md").symlink_to(kb / "loop.md")
    (kb / "linked-folder").symlink_to(outside / "folder")
    (kb / "inside-link.md").symlink_to(kb / "sub" / "target.md")
    os.mkfifo(kb / "pipe.md")
    (kb / os.fsdecode(b"bad-\xff-name.md")).write_text("# Bad name\n\nText.", encoding="utf-8")
    write(kb / "esc-\x1b[31mred.md", "# Escapes\n\nText.")
    write(kb / "huge.txt", "word " * 250_000)  # 1.25 MB, over the 1 MB limit set below
    (kb / "dense.docx").write_bytes(dense_docx(1_500))
    return kb


def hostile_settings(tmp_path):
    return load_settings({"UCC_DATA_DIR": str(tmp_path / "var"), "UCC_MAX_FILE_MB": "1",
                          "UCC_MAX_PARAGRAPHS": "1000"})


def test_the_build_skips_every_hostile_path_and_indexes_the_rest(tmp_path, hostile, fake_embedder):
    settings = hostile_settings(tmp_path)
    report = build_index([hostile], settings, embedder=fake_embedder)
    reasons = {s["path"]: s["reason"] for s in report.skipped}
    for name in ("environ.txt", "passwd.txt", "secret.txt", "relative.txt"):
        assert "outside the indexed folder" in reasons[name], reasons
    assert "broken symbolic link" in reasons["dangling.md"]
    assert "loop" in reasons["loop.md"]
    assert "not followed" in reasons["linked-folder/"]
    assert "not a regular file" in reasons["pipe.md"]
    assert "not valid UTF-8" in reasons["bad-\\xff-name.md"]
    assert "control characters" in reasons["esc-\\x1b[31mred.md"]
    assert "UCC_MAX_FILE_MB" in reasons["huge.txt"]
    assert "UCC_MAX_PARAGRAPHS" in reasons["dense.docx"]
    assert sorted(report.added) == ["good.md", "inside-link.md", "sub/target.md"]
    assert not any("\x1b" in s["path"] for s in report.skipped)

    searcher = Searcher(settings, embedder=fake_embedder)
    for query in (SECRET, "root:x:0:0", "admin token"):
        for hit in searcher.search(query, k=10).hits:
            assert SECRET not in str(hit) and "root:x:0" not in str(hit)
    assert searcher.search("one-stop shops", k=3).hits


def test_a_file_swapped_for_a_link_after_the_scan_is_not_read(tmp_path):
    """load_file checks again what discover checked: a file replaced by a link between is refused."""
    kb = tmp_path / "kb"
    write(tmp_path / "secret.txt", SECRET)
    kb.mkdir()
    (kb / "page.txt").symlink_to(tmp_path / "secret.txt")
    from indexer.errors import DocumentError

    with pytest.raises(DocumentError, match="outside the indexed folder"):
        load_file(kb / "page.txt", kb)


def test_discover_reports_and_goes_on(tmp_path, hostile):
    skipped = []
    found = [p.relative_to(hostile).as_posix() for p in discover(hostile, lambda rel, why: skipped.append(rel))]
    assert "good.md" in found and "huge.txt" in found  # the size limit is the loader's
    assert "passwd.txt" in skipped and "passwd.txt" not in found


def test_ucc_index_on_the_hostile_folder_finishes_and_reports(tmp_path, hostile):
    env = {**os.environ, "UCC_DATA_DIR": str(tmp_path / "var2"), "UCC_MAX_FILE_MB": "1",
           "UCC_MAX_PARAGRAPHS": "1000", "UCC_EMBED_BACKEND": os.environ.get("UCC_EMBED_BACKEND", "onnx")}
    run = subprocess.run([sys.executable, "-m", "app", "index", str(hostile), "--json"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "\x1b" not in run.stdout and "\x1b" not in run.stderr
    assert SECRET not in run.stdout and "root:x:0" not in run.stdout
    assert '"passwd.txt"' in run.stdout
