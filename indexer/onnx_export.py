"""ONNX exports of the embedding model, made once at set-up (``ucc model export``).

The local sentence-transformers folder (by default the packaged all-MiniLM-L6-v2) is traced
with PyTorch's ONNX exporter into one graph that does the whole encoder: the transformer, the
model's pooling (mean or CLS) and L2 normalisation, so ONNX Runtime returns unit vectors. A
second file is the same graph with its weights dynamically quantised to int8 (per channel) by
ONNX Runtime's quantiser. Both are checked against sentence-transformers on a few probe
sentences before they are accepted.

Layout: ``UCC_ONNX_DIR/<model name>-<fingerprint>/`` holds ``model.onnx``,
``model_int8.onnx`` and ``manifest.json`` (source fingerprint, sizes and SHA-256 of every file,
the probe similarities, library versions). The fingerprint covers the model's configuration,
its tokenizer and a sample of its weights, so another model, or other weights, get their own
folder. An export is written to a temporary folder beside the target and renamed into place,
so a reader never sees half an export; re-running skips a valid export.

sentence-transformers' own ``backend="onnx"`` needs ``optimum-onnx``, whose only release pins
transformers < 4.58 while sentence-transformers 6 needs transformers 5: hence this exporter,
which needs only torch (present already), ``onnx`` and ``onnxruntime``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelUnavailable
from .store import fsync_path, sha256_file

FORMAT = 1
FILES = {"onnx": "model.onnx", "onnx-int8": "model_int8.onnx"}
MANIFEST = "manifest.json"
# The least cosine similarity to sentence-transformers (PyTorch) an export must keep on the probes.
MIN_COSINE = {"onnx": 0.999, "onnx-int8": 0.95}
PROBES = (
    "How do residents apply for a parking permit online?",
    "Proactive child benefits granted automatically, without an application form.",
    "usability testing",
    "Ghent and Helsinki co-created their digital services with residents, civil servants and "
    "designers; the toolkit explains how to run a UserCentriCafé session step by step.",
)
_EXPORT_HINT = "Run `.venv/bin/ucc model export` (.ci/setup does it), or set UCC_EMBED_BACKEND=torch."


@dataclass
class ExportReport:
    folder: Path
    exported: bool  # False: a valid export was already there
    seconds: float
    manifest: dict

    def to_dict(self) -> dict:
        return {"folder": str(self.folder), "exported": self.exported, "seconds": round(self.seconds, 2),
                "files": self.manifest.get("files", {}), "check": self.manifest.get("check", {})}


def default_onnx_dir() -> Path:
    """``ucc-onnx/`` inside the running Python environment (``.venv/ucc-onnx``)."""
    return Path(sys.prefix) / "ucc-onnx"


def onnx_dir(settings) -> Path:
    return Path(settings.onnx_dir).expanduser() if settings.onnx_dir else default_onnx_dir()


def fingerprint(model_path: Path) -> str:
    """A hash of the model's configuration, tokenizer and a sample of its weights (cheap to compute)."""
    h = hashlib.sha256()
    for name in ("modules.json", "config.json", "sentence_bert_config.json", "1_Pooling/config.json", "tokenizer.json"):
        file = model_path / name
        h.update(name.encode() + b"\0" + (file.read_bytes() if file.exists() else b"-") + b"\0")
    for file in sorted(model_path.glob("*.safetensors")) + sorted(model_path.glob("pytorch_model*.bin")):
        size = file.stat().st_size
        h.update(f"{file.name}\0{size}\0".encode())
        with open(file, "rb") as f:
            h.update(f.read(1 << 20))
            f.seek(max(0, size - (1 << 20)))
            h.update(f.read(1 << 20))
    return h.hexdigest()


def export_folder(model_path: Path, root: Path) -> Path:
    name = model_path.name if model_path.name != "model" else model_path.parent.name
    return root / f"{name}-{fingerprint(model_path)[:12]}"


def find_export(model_path: Path, root: Path, backend: str) -> Path:
    """The ONNX file for ``backend`` ("onnx" or "onnx-int8"), or one clear error saying how to make it."""
    folder = export_folder(model_path, root)
    problem = _problem(folder, model_path, full=False)
    if problem:
        raise ModelUnavailable(f"UCC_EMBED_BACKEND={backend}: no usable ONNX export of {model_path} ({problem}). "
                               + _EXPORT_HINT)
    return folder / FILES[backend]


def ensure_export(model_path: Path, root: Path, force: bool = False) -> ExportReport:
    """Export ``model_path`` to ONNX (fp32 and int8) under ``root`` unless a valid export is there."""
    started = time.perf_counter()
    folder = export_folder(model_path, root)
    if not force and not _problem(folder, model_path, full=True):
        return ExportReport(folder, False, time.perf_counter() - started, _read_manifest(folder))
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{folder.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        manifest = _export_into(model_path, tmp)
        _replace_folder(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ExportReport(folder, True, time.perf_counter() - started, manifest)


# -- validity -------------------------------------------------------------------------------
def _read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def _problem(folder: Path, model_path: Path, full: bool) -> str | None:
    """Why ``folder`` is not a usable export of ``model_path`` (None: it is). ``full`` hashes the files."""
    if not folder.is_dir():
        return f"{folder} does not exist"
    manifest = _read_manifest(folder)
    if manifest.get("format") != FORMAT or manifest.get("fingerprint") != fingerprint(model_path):
        return f"{folder / MANIFEST} is missing or is for other weights"
    for name in FILES.values():
        recorded = manifest.get("files", {}).get(name, {})
        file = folder / name
        if not file.is_file() or file.stat().st_size != recorded.get("bytes"):
            return f"{file} is missing or truncated"
        if full and sha256_file(file) != recorded.get("sha256"):
            return f"{file} does not match its recorded SHA-256"
    return None



def _replace_folder(tmp: Path, folder: Path) -> None:
    """Rename ``tmp`` to ``folder``; an invalid folder already there is moved aside first."""
    old = None
    if folder.exists():
        old = folder.with_name(f".old-{folder.name}-{uuid.uuid4().hex[:8]}")
        os.rename(folder, old)
    try:
        os.rename(tmp, folder)
    except OSError:  # another exporter renamed its copy in first: keep theirs
        if not folder.is_dir():
            raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    fsync_path(folder.parent)



# -- the export itself ----------------------------------------------------------------------
def _export_into(model_path: Path, out: Path) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import onnx
        import onnxruntime
        import torch
        import transformers
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelUnavailable(f"Cannot export to ONNX: {exc}. Run .ci/setup to install onnx and onnxruntime.") from None
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    reference = SentenceTransformer(str(model_path), device="cpu")
    encoder = _traceable(reference, model_path)
    inputs = encoder.input_names
    sample = reference.tokenizer(["an example sentence", "two"], padding=True, return_tensors="pt")
    args = tuple(sample[name] for name in inputs)
    axes = {name: {0: "batch", 1: "tokens"} for name in inputs} | {"sentence_embedding": {0: "batch"}}
    fp32, int8 = out / FILES["onnx"], out / FILES["onnx-int8"]
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(encoder, args, str(fp32), dynamo=False, input_names=list(inputs),
                          output_names=["sentence_embedding"], dynamic_axes=axes, opset_version=17,
                          do_constant_folding=True)
    onnx.checker.check_model(str(fp32))
    _quantise(fp32, int8, quantize_dynamic, QuantType)
    expected = reference.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
    check = _check_against(reference, expected, {"onnx": fp32, "onnx-int8": int8}, model_path)
    manifest = {
        "format": FORMAT,
        "source": str(model_path),
        "fingerprint": fingerprint(model_path),
        "inputs": list(inputs),
        "pooling": encoder.pooling,
        "dim": int(expected.shape[1]),
        "max_seq_length": int(reference.max_seq_length),
        "files": {file.name: {"bytes": file.stat().st_size, "sha256": sha256_file(file)} for file in (fp32, int8)},
        "check": check,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for file in (fp32, int8):
        fsync_path(file)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2))  # written last: it marks the export complete
    fsync_path(out / MANIFEST)
    return manifest


def _quantise(fp32: Path, int8: Path, quantize_dynamic, QuantType) -> None:
    """The int8 copy of the fp32 graph; the quantiser's advice on the root logger kept quiet."""
    root_logger = logging.getLogger()
    level = root_logger.level
    root_logger.setLevel(max(level, logging.ERROR))
    try:
        # per channel: with one scale per tensor the probes fell to cosine 0.94-0.97; per channel 0.99
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root_logger.setLevel(level)


def _check_against(reference, expected: np.ndarray, files: dict[str, Path], model_path: Path) -> dict:
    """Each exported file's smallest cosine to PyTorch on the probes; ModelUnavailable below the floor."""
    check = {}
    for backend, file in files.items():
        got = run_onnx_file(file, reference.tokenizer, PROBES, reference.max_seq_length)
        cosine = float(np.min(np.sum(got * expected, axis=1)))
        check[backend] = {"min_cosine_to_torch": round(cosine, 6)}
        if cosine < MIN_COSINE[backend]:
            raise ModelUnavailable(f"The {backend} export of {model_path} differs from the PyTorch model "
                                   f"(cosine {cosine:.4f} < {MIN_COSINE[backend]}); keep UCC_EMBED_BACKEND=torch.")
    return check


def run_onnx_file(file: Path, hf_tokenizer, texts, max_length: int) -> np.ndarray:
    """Encode ``texts`` with an exported file (used to check an export against PyTorch)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])
    batch = hf_tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="np")
    feeds = {i.name: batch[i.name].astype(np.int64) for i in session.get_inputs()}
    return session.run(None, feeds)[0]


def _pooling(model_path: Path) -> str:
    """The model's pooling, "mean" or "cls", from its modules; anything else cannot be exported."""
    modules = json.loads((model_path / "modules.json").read_text()) if (model_path / "modules.json").exists() else []
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    unsupported = [k for k in kinds if k not in ("Transformer", "Pooling", "Normalize")]
    pooling = "mean"
    config = model_path / "1_Pooling" / "config.json"
    if config.exists():
        data = json.loads(config.read_text())
        modes = [data["pooling_mode"]] if isinstance(data.get("pooling_mode"), str) else [
            key.removeprefix("pooling_mode_") for key, on in data.items() if key.startswith("pooling_mode_") and on]
        pooling = {"mean_tokens": "mean", "cls_token": "cls"}.get(modes[0], modes[0]) if len(modes) == 1 else str(modes)
    if unsupported or pooling not in ("mean", "cls"):
        raise ModelUnavailable(f"Cannot export {model_path} to ONNX: only a transformer with mean or CLS pooling "
                               f"is supported (found modules {kinds}, pooling {pooling!r}); keep "
                               "UCC_EMBED_BACKEND=torch.")
    return pooling


def _traceable(reference, model_path: Path):
    """A torch module doing transformer, pooling and L2 normalisation, ready for the ONNX exporter."""
    import torch
    from transformers import AutoModel

    class Encoder(torch.nn.Module):
        def __init__(self, transformer, pooling: str, input_names: tuple[str, ...]):
            super().__init__()
            self.transformer = transformer
            self.pooling = pooling
            self.input_names = input_names

        def forward(self, *tensors):
            inputs = dict(zip(self.input_names, tensors))
            hidden = self.transformer(**inputs).last_hidden_state
            if self.pooling == "cls":
                vector = hidden[:, 0]
            else:
                mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                vector = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(vector, p=2, dim=1)

    pooling = _pooling(model_path)
    transformer = AutoModel.from_pretrained(str(model_path), attn_implementation="eager")
    names = tuple(n for n in ("input_ids", "attention_mask", "token_type_ids")
                  if n in reference.tokenizer.model_input_names)
    return Encoder(transformer, pooling, names).eval()
