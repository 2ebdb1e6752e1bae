"""The most asked topics of the question log: questions grouped by meaning, labelled by their centre.

:class:`TopicFinder` groups questions (the question log's :meth:`~app.operations.questionlog.QuestionLog.topics`
gives them) by :func:`agglomerate`: average-linkage agglomerative clustering on the cosine
similarity of their vectors, from the index's model (``embed_passages``) or, without one, TF-IDF
(:func:`tfidf`). Each group is a :class:`Topic`, labelled by its most central question and its top
words (:func:`top_words`): the agenda seed of the next UserCentriCafé. Topic lists are cached by the
state of the log they came from and question vectors by text, so a console reload embeds nothing.
"""

from __future__ import annotations

import copy
import math
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from app.answering.sentences import STOP_WORDS

TOPIC_QUESTIONS = 2000  # most recent questions clustered by topics(): bounded work
EMBED_THRESHOLD = 0.45  # average cosine between two groups of questions to merge them (sentence embeddings)
TFIDF_THRESHOLD = 0.20  # the same with TF-IDF vectors (no embedder given)
TOPIC_CACHE = 16  # topic lists kept, by log state
VECTOR_CACHE = 4 * TOPIC_QUESTIONS  # question vectors kept, by embedder and text

_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’-][^\W_]+)*", re.UNICODE)
# The answer path's stop words, and words every question to this network holds.
_STOP = STOP_WORDS | frozenset("there here city cities ours one way ways".split())


@dataclass
class Topic:
    label: str  # the most central question of the cluster
    words: list[str]  # its top words
    count: int  # questions in the cluster (repeats counted)
    questions: list[str]  # up to 5 distinct questions, most asked first
    statuses: dict[str, int]
    answered_share: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "words": self.words, "count": self.count, "questions": self.questions,
                "statuses": self.statuses, "answered_share": self.answered_share}


class TopicFinder:
    """Groups questions into topics, with the caches of one question log."""

    def __init__(self):
        self._cache_lock = threading.Lock()
        self._topic_cache: OrderedDict[tuple, list[Topic]] = OrderedDict()
        self._vector_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()

    def topics(self, state: tuple, rows: Callable[[], list[tuple[str, str]]], k: int, embedder: Any,
               threshold: float | None) -> list[Topic]:
        """The ``k`` topics of ``rows()`` (question, status), cached by ``state`` (what identifies
        the rows: their count, first and last row, newest time)."""
        key = (state, int(k), threshold, _embedder_key(embedder))
        with self._cache_lock:
            if key in self._topic_cache:
                self._topic_cache.move_to_end(key)
                return copy.deepcopy(self._topic_cache[key])
        topics = self.cluster(rows(), int(k), embedder, threshold)
        with self._cache_lock:
            self._topic_cache[key] = copy.deepcopy(topics)
            while len(self._topic_cache) > TOPIC_CACHE:
                self._topic_cache.popitem(last=False)
        return topics

    def _vectors(self, texts: list[str], embedder: Any) -> np.ndarray:
        """``embedder.embed_passages`` of ``texts``, only the texts not embedded before."""
        ident = _embedder_key(embedder)
        with self._cache_lock:
            known = {t: self._vector_cache[(ident, t)] for t in texts if (ident, t) in self._vector_cache}
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        if todo:
            fresh = np.asarray(embedder.embed_passages(todo), dtype=np.float32)
            with self._cache_lock:
                for t, v in zip(todo, fresh):
                    known[t] = v
                    self._vector_cache[(ident, t)] = v
                while len(self._vector_cache) > VECTOR_CACHE:
                    self._vector_cache.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def cluster(self, rows: list[tuple[str, str]], k: int, embedder: Any, threshold: float | None) -> list[Topic]:
        """The ``k`` largest groups of ``rows`` (question, status), each labelled by its centre."""
        counts: Counter[str] = Counter()
        shown: dict[str, str] = {}
        statuses: dict[str, Counter[str]] = {}
        for question, status in rows:
            key = " ".join(_words(question)) or question.casefold()
            counts[key] += 1
            shown.setdefault(key, question)  # the newest wording of a repeated question
            statuses.setdefault(key, Counter())[status] += 1
        keys = sorted(counts, key=lambda q: (-counts[q], q))
        texts = [shown[q] for q in keys]
        if embedder is not None:
            vectors = _unit(self._vectors(texts, embedder))
            limit = EMBED_THRESHOLD if threshold is None else threshold
        else:
            vectors = tfidf(texts)
            limit = TFIDF_THRESHOLD if threshold is None else threshold
        weights = np.asarray([counts[q] for q in keys], dtype=np.float32)
        topics = []
        for members in agglomerate(vectors, limit):
            sims = vectors[members] @ vectors[members].T
            w = weights[members]
            centrality = (sims * w[None, :]).sum(axis=1) / w.sum()  # mean similarity to the group's asks
            central = members[max(range(len(members)), key=lambda i: (float(centrality[i]), w[i], -members[i]))]
            total = int(w.sum())
            st_counts: Counter[str] = Counter()
            for i in members:
                st_counts.update(statuses[keys[i]])
            topics.append(Topic(
                label=texts[central],
                words=top_words([texts[i] for i in members], [int(weights[i]) for i in members]),
                count=total,
                questions=[texts[i] for i in sorted(members, key=lambda i: (-weights[i], i))[:5]],
                statuses=dict(st_counts),
                answered_share=round(st_counts.get("answered", 0) / total, 3),
            ))
        topics.sort(key=lambda t: (-t.count, t.label))
        return topics[:k]


def _embedder_key(embedder: Any) -> tuple | None:
    if embedder is None:
        return None
    return (type(embedder).__name__, getattr(embedder, "name", None), getattr(embedder, "dim", None), id(embedder))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.casefold()) if w not in _STOP and len(w) > 1]


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def tfidf(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF vectors (words stemmed lightly, stop words removed)."""
    docs = [[_stem(w) for w in _words(t)] for t in texts]
    vocab: dict[str, int] = {}
    for d in docs:
        for w in d:
            vocab.setdefault(w, len(vocab))
    m = np.zeros((len(docs), max(len(vocab), 1)), dtype=np.float32)
    for i, d in enumerate(docs):
        for w, c in Counter(d).items():
            m[i, vocab[w]] = 1.0 + math.log(c)
    df = (m > 0).sum(axis=0)
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    m *= idf
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


def agglomerate(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage agglomerative clustering of unit ``vectors`` by cosine similarity: start with
    one group per vector and merge the two most similar groups (the mean cosine over all pairs
    across them) while that mean is at least ``threshold``. Deterministic; groups are returned as
    sorted index lists, in the order of their first member. A zero vector (a question without a
    content word) is similar to nothing and stays alone.

    Numpy only, O(n^2) memory and about O(n^2) time: each row keeps its most similar other group,
    recomputed only for the rows a merge touches.
    """
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    sims = np.asarray(vectors, dtype=np.float64) @ np.asarray(vectors, dtype=np.float64).T
    np.fill_diagonal(sims, -np.inf)
    alive = np.ones(n, dtype=bool)
    size = np.ones(n, dtype=np.float64)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    best = np.argmax(sims, axis=1)
    best_sim = sims[np.arange(n), best]
    while True:
        masked = np.where(alive, best_sim, -np.inf)
        a = int(np.argmax(masked))
        if masked[a] < threshold:
            break
        b = int(best[a])
        a, b = min(a, b), max(a, b)
        # Lance-Williams update for average linkage: the merged row is the size-weighted mean
        row = (size[a] * sims[a] + size[b] * sims[b]) / (size[a] + size[b])
        sims[a], sims[:, a] = row, row
        sims[a, a] = -np.inf
        sims[b], sims[:, b] = -np.inf, -np.inf
        alive[b] = False
        size[a] += size[b]
        members[a].extend(members.pop(b))
        best_sim[b] = -np.inf
        stale = np.flatnonzero(alive & ((best == a) | (best == b)))
        for i in np.append(stale, a):
            best[i] = int(np.argmax(sims[i]))
            best_sim[i] = sims[i, best[i]]
        others = np.flatnonzero(alive & (row > best_sim))  # rows for which the merged group is now closest
        best[others] = a
        best_sim[others] = row[others]
    return [sorted(members[i]) for i in sorted(members)]


def top_words(texts: Sequence[str], weights: Sequence[int], n: int = 5) -> list[str]:
    """The words most used by the questions of a cluster (each question counted as often as asked)."""
    counts: Counter[str] = Counter()
    for text, w in zip(texts, weights):
        for word in dict.fromkeys(_words(text)):
            counts[word] += w
    return [w for w, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:n]]

