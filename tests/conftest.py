"""Shared fixtures: an isolated data directory per test, a deterministic fake
embedder for fast tests, and the real model loaded once per session."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

from indexer.settings import SETTINGS, load_settings

from tests.pg import pg_cluster, state_url  # noqa: F401 (fixtures: one throw-away PostgreSQL cluster per test run)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


class FakeEmbedder:
    """Bag of hashed words: texts that share words get similar vectors."""

    name = "fake-hash-embedder"
    dim = 64
    passage_prefix = ""

    def __init__(self, max_tokens: int = 254):
        self.max_tokens = max_tokens
        self.passages_embedded = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            h = int(hashlib.md5(word.encode()).hexdigest(), 16)
            v[h % self.dim] += 1.0 if (h >> 8) % 2 else -1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_passages(self, texts):
        self.passages_embedded += len(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text):
        return self._vec(text)

    def count_tokens(self, texts):
        return [len(_TOKEN.findall(t)) for t in texts]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    for s in SETTINGS:
        monkeypatch.delenv(s.name, raising=False)
    monkeypatch.setenv("UCC_DATA_DIR", str(tmp_path / "var"))


@pytest.fixture
def settings(tmp_path):
    return load_settings()


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    from indexer.embedders import get_embedder

    emb = get_embedder(load_settings({}))
    emb.model  # load once for the whole session
    return emb


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def prometheus_value(text: str, name: str, **labels: str) -> float | None:
    """The value of one series on a /metrics page, read with prometheus_client's own parser
    (labels in any order); None when the page has no such series."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def shared_or_skip(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present: ../shared (evaluation data and corpora) ships only with the project's own machines")
    return path


def _knowledge_searcher(tmp_path_factory, embedder, name):
    from indexer.build import build_index
    from indexer.search import Searcher

    data_dir = tmp_path_factory.mktemp(name)
    settings = load_settings({}, UCC_DATA_DIR=str(data_dir), UCC_KNOWLEDGE_DIR=str(REPO / "knowledge"))
    build_index([REPO / "knowledge"], settings, embedder=embedder)
    return Searcher(settings, embedder=embedder)


def knowledge_without(tmp_path: Path, leave_out) -> "Searcher":
    """A Searcher (fake embedder) over a copy of knowledge/ without its entries (services and cases)
    for which ``leave_out(front_matter_text, path)`` is true; fails if none is."""
    import shutil

    from indexer.build import build_index
    from indexer.search import Searcher

    kb = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", kb)
    gone = [p for folder in ("services", "cases") for p in (kb / folder).glob("*.md")
            if leave_out(p.read_text(encoding="utf-8").split("---")[1], p)]
    assert gone, "nothing to leave out"
    for path in gone:
        path.unlink()
    settings = load_settings({}, UCC_DATA_DIR=str(tmp_path / "data"), UCC_KNOWLEDGE_DIR=str(kb))
    build_index([kb], settings, embedder=FakeEmbedder())
    return Searcher(settings, embedder=FakeEmbedder())


@pytest.fixture(scope="session")
def knowledge_searcher(tmp_path_factory, real_embedder):
    """A Searcher over the repo's knowledge/ indexed once per session with the real model."""
    return _knowledge_searcher(tmp_path_factory, real_embedder, "kb-real")


@pytest.fixture(scope="session")
def knowledge_searcher_fake(tmp_path_factory):
    """The same knowledge base indexed with the fast fake embedder (lexical-ish vectors)."""
    return _knowledge_searcher(tmp_path_factory, FakeEmbedder(), "kb-fake")


@pytest.fixture(scope="session")
def catalog():
    from app.network.catalog import Catalog

    return Catalog.load(REPO / "knowledge")
