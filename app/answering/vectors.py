"""The vectors the answer path computes, kept in bounded caches.

Embedding a question's candidate sentences is the slow part of a first answer, so
:class:`Vectors` keeps the sentences' vectors (up to 20,000, least recently used first out), the
questions' (512) and the scope descriptions' (:data:`app.answering.gate.SCOPE`). Each is computed
with the index's model, or, for a question in another language (``xl``), with the multilingual
encoder (indexer/crosslingual.py), and cached under that encoder's name. :meth:`Vectors.warm`
embeds every sentence of the index ahead of the first question.

The caches are thread-safe: one :class:`~app.answering.answerer.Answerer` serves every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Hashable

import numpy as np

from indexer import crosslingual as xlm

from app.answering.gate import SCOPE

SENTENCES_CACHED = 20_000
QUESTIONS_CACHED = 512
WARM_BATCH = 256


class LRU:
    """A thread-safe mapping of at most ``size`` items; the least recently used goes first."""

    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


class Vectors:
    """Question, sentence and scope vectors from ``searcher``'s model (or its multilingual encoder)."""

    def __init__(self, searcher: Any):
        self.searcher = searcher
        self._sentences = LRU(SENTENCES_CACHED)
        self._questions = LRU(QUESTIONS_CACHED)
        self._scope: np.ndarray | None = None
        self._xl_scope: np.ndarray | None = None

    def question(self, text: str, xl: bool = False) -> np.ndarray:
        if xl:
            key = (xlm.ENCODER_NAME, text)
            vec = self._questions.get(key)
            if vec is None:
                vec = np.asarray(self.searcher.crosslingual_query_vector(text), dtype=np.float32)
                self._questions.put(key, vec)
            return vec
        vec = self._questions.get(text)
        if vec is None:
            # The searcher keeps the vectors of recent queries: the search just made this one.
            cached = getattr(self.searcher, "_query_vector", None)
            raw = cached(text) if callable(cached) else self.searcher.embedder.embed_query(text)
            vec = np.asarray(raw, dtype=np.float32)
            self._questions.put(text, vec)
        return vec

    def sentences(self, texts: list[str], xl: bool = False) -> list[np.ndarray]:
        name = xlm.ENCODER_NAME if xl else getattr(self.searcher.embedder, "name", "")
        out: list[np.ndarray | None] = [self._sentences.get((name, t)) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, out) if v is None))
        if missing:
            vecs = (self.searcher.crosslingual_encode(missing) if xl
                    else self.searcher.embedder.embed_passages(missing))
            fresh = {t: np.asarray(v, dtype=np.float32) for t, v in zip(missing, vecs)}
            for t, v in fresh.items():
                self._sentences.put((name, t), v)
            out = [v if v is not None else fresh[t] for t, v in zip(texts, out)]
        return out  # type: ignore[return-value]

    def scope(self, xl: bool = False) -> np.ndarray:
        """The vectors of the scope descriptions, one row each."""
        if xl:
            if self._xl_scope is None:
                self._xl_scope = self.searcher.crosslingual_encode(list(SCOPE))
            return self._xl_scope
        if self._scope is None:
            self._scope = np.asarray(self.searcher.embedder.embed_passages(list(SCOPE)), dtype=np.float32)
        return self._scope

    def warm(self, texts: list[str]) -> int:
        """Embed ``texts`` (as many as the cache holds) and the scope now; how many were embedded."""
        texts = list(dict.fromkeys(texts))[: self._sentences.size]
        for start in range(0, len(texts), WARM_BATCH):
            self.sentences(texts[start:start + WARM_BATCH])
        self.scope()
        return len(texts)
