import json
import math

import pytest

from indexer.errors import DatasetError
from indexer.evaluation import load_dataset, mrr_at_k, ndcg_at_k, recall_at_k, score_run


def test_ndcg_hand_computed():
    rels = {"a": 2, "b": 1, "c": 1}
    ranked = ["x", "a", "c"]
    dcg = 2 / math.log2(3) + 1 / math.log2(4)
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, rels) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["a", "b", "c"], rels) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], rels) == 0.0


def test_ndcg_cuts_at_k():
    rels = {"a": 1}
    assert ndcg_at_k(["x"] * 10 + ["a"], rels, k=10) == 0.0
    assert ndcg_at_k(["x"] * 9 + ["a"], rels, k=10) == pytest.approx(1 / math.log2(11))


def test_recall_and_mrr():
    rels = {"a": 2, "b": 1, "z": 0}
    assert recall_at_k(["b", "x", "a"], rels) == 1.0
    assert recall_at_k(["b", "x"], rels) == 0.5
    assert mrr_at_k(["x", "z", "b"], rels) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"], rels) == 0.0


def test_score_run_means():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    run = {"q1": ["a"], "q2": ["x", "b"]}
    m = score_run(run, qrels)
    assert m["mrr@10"] == pytest.approx((1 + 0.5) / 2)
    assert m["recall@10"] == 1.0
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3)) / 2)


def _dataset(tmp_path, qrels="query-id\tcorpus-id\tscore\nq1\ta.md\t2\n"):
    (tmp_path / "qrels").mkdir(parents=True)
    (tmp_path / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "hello"}) + "\n")
    (tmp_path / "qrels" / "test.tsv").write_text(qrels)
    return tmp_path


def test_load_dataset(tmp_path):
    data = load_dataset(_dataset(tmp_path))
    assert data.queries == {"q1": "hello"}
    assert data.qrels == {"q1": {"a.md": 2}}
    assert data.corpus_file is None


def test_bad_datasets(tmp_path):
    with pytest.raises(DatasetError, match="queries.jsonl"):
        load_dataset(tmp_path)
    bad = _dataset(tmp_path / "x", qrels="query-id\tcorpus-id\tscore\nq1\ta.md\thigh\n")
    with pytest.raises(DatasetError, match="not a number"):
        load_dataset(bad)
