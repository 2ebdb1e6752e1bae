"""Importing a network's own benchmark results."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from app.network.benchmark_import import import_scores, output_name, read_import
from app.network.catalog import Catalog, load_score_file
from app.commands.knowledge import benchmark_group
from app.network.scoring import rounded_percentage
from app.validation import validate_knowledge
from indexer.errors import DatasetError, NotFound

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
MILAN_2023 = {"1.1": (4, 4), "1.2": (6, 6), "1.3": (2, 3), "2.1": (5, 5), "2.2": (2, 5), "2.3": (3, 4),
              "2.4": (2, 3), "2.5": (2, 2), "2.6": (3, 3), "3.1": (2, 2), "3.2": (2, 2), "3.3": (2, 2)}


@pytest.fixture
def kdir(tmp_path):
    root = tmp_path / "knowledge"
    (root / "benchmark").mkdir(parents=True)
    for name in ("cities.yaml", "principles.yaml", "benchmark/framework.yaml"):
        shutil.copy(KNOWLEDGE / name, root / name)
    return root


@pytest.fixture
def catalog(kdir):
    return Catalog.load(kdir)


def answer_rows(catalog, city, revision, pattern):
    """One row per question; the first `yes` questions of each sub-indicator are answered yes."""
    rows = []
    for sub in catalog.framework.revision(revision).subindicators:
        yes = pattern[sub.id][0]
        for i, q in enumerate(sub.questions):
            ans = "yes" if i < yes else "no"
            rows.append({"city": city, "revision": revision, "field_id": q.field, "answer": ans,
                         "evidence": f"evidence for {q.field}" if ans == "yes" else ""})
    return rows


def write_csv(path: Path, rows: list[dict], columns=None) -> Path:
    columns = columns or list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
    return path


def test_answers_csv_is_imported(tmp_path, kdir, catalog):
    src = write_csv(tmp_path / "Network Results.csv", answer_rows(catalog, "milan", "2023", MILAN_2023))
    result = import_scores(src, catalog)
    assert result.ok, result.errors
    assert result.layout == "answers" and result.revision == "2023"
    assert result.output == kdir / "benchmark" / "scores-2023-network-results.yaml"
    written = load_score_file(result.output)
    assert written.status == "imported" and written.assessment == "self-assessment"
    row = written.row("milan")
    assert row.assessment == "self-assessment" and row.source.startswith("network import of")
    assert rounded_percentage(row.scores) == 87
    assert len(row.answers) == 41 and row.answers[0].evidence
    assert validate_knowledge(kdir) == []
    assert not [p for p in (kdir / "benchmark").iterdir() if p.name.endswith(".tmp")]


def test_dry_run_writes_nothing(tmp_path, kdir, catalog):
    src = write_csv(tmp_path / "r.csv", answer_rows(catalog, "milan", "2023", MILAN_2023))
    result = import_scores(src, catalog, dry_run=True)
    assert result.ok and result.output is None
    assert list((kdir / "benchmark").glob("scores-*")) == []


def test_revision_option_fills_empty_cells(tmp_path, catalog):
    rows = answer_rows(catalog, "Milano", "2022", {**MILAN_2023, "3.4": (1, 1)})
    for r in rows:
        r["revision"] = ""
    result = read_import(write_csv(tmp_path / "r.csv", rows), catalog, revision="2022")
    assert result.ok, result.errors
    assert result.revision == "2022" and result.rows[0].city == "milan"
    assert "3.4" in result.rows[0].scores and "2.6" not in result.rows[0].scores


def test_every_bad_row_is_reported_and_nothing_written(tmp_path, kdir, catalog):
    rows = answer_rows(catalog, "milan", "2023", MILAN_2023)
    rows[0]["city"] = "Milna"  # row 2
    rows[1]["answer"] = "maybe"  # row 3
    rows[2]["field_id"] = "env_co2"  # row 4: a 2022 question
    rows[3]["revision"] = "2021"  # row 5
    rows[4]["evidence"] = ""  # row 6 is a yes: evidence required
    rows.append(dict(rows[10]))  # duplicate answer, row 43
    src = write_csv(tmp_path / "bad.csv", rows)
    result = import_scores(src, catalog)
    assert not result.ok and result.output is None
    got = {(e.row, e.field) for e in result.errors}
    assert {(2, "city"), (3, "answer"), (4, "field_id"), (5, "revision"), (6, "evidence"), (43, "field_id")} <= got
    assert any("did you mean 'milan'" in e.reason for e in result.errors)
    assert any("belongs to revision 2022" in e.reason for e in result.errors)
    assert list((kdir / "benchmark").glob("scores-*")) == []


def test_missing_answers_are_reported(tmp_path, catalog):
    rows = answer_rows(catalog, "milan", "2023", MILAN_2023)[:-2]
    result = read_import(write_csv(tmp_path / "r.csv", rows), catalog)
    (error,) = result.errors
    assert error.row is None and "no answer for 2 question(s)" in error.reason and "sati_share2y" in error.reason


def test_mixed_revisions_are_refused(tmp_path, catalog):
    rows = answer_rows(catalog, "milan", "2023", MILAN_2023)
    rows[7]["revision"] = "2022"
    result = read_import(write_csv(tmp_path / "r.csv", rows), catalog)
    assert any(e.row == 9 and "one revision per file" in e.reason for e in result.errors)


def subindicator_rows(city, revision, pattern):
    return [{"city": city, "revision": revision, "subindicator": k, "yes": y, "n": n} for k, (y, n) in pattern.items()]


def test_subindicator_yaml_is_imported(tmp_path, kdir, catalog):
    text = yaml.safe_dump({"rows": subindicator_rows("milan", "2023", MILAN_2023)}, sort_keys=False)
    text = text.replace("'yes':", "yes:")  # unquoted: YAML reads the key as true
    src = tmp_path / "subs.yaml"
    src.write_text(text)
    result = import_scores(src, catalog, source="https://example.org/network-results")
    assert result.ok, result.errors
    row = load_score_file(result.output).row("milan")
    assert row.source == "https://example.org/network-results" and row.answers == []
    assert rounded_percentage(row.scores) == 87


def test_subindicator_errors(tmp_path, catalog):
    rows = subindicator_rows("milan", "2023", MILAN_2023)
    rows[0]["yes"] = 5  # row 2: 5 > 4
    rows[1]["n"] = 5  # row 3: framework has 6
    rows[2]["subindicator"] = "3.4"  # row 4: 2022 only
    rows[3]["yes"] = "many"  # row 5
    rows.append(dict(rows[5]))  # row 14: duplicate
    result = read_import(write_csv(tmp_path / "s.csv", rows), catalog)
    got = {(e.row, e.field) for e in result.errors}
    assert {(2, "yes"), (3, "n"), (4, "subindicator"), (5, "yes"), (14, "subindicator")} <= got
    assert any(e.row is None and "no score for 1.3" in e.reason for e in result.errors)


def test_unreadable_files(tmp_path, catalog):
    with pytest.raises(NotFound):
        read_import(tmp_path / "missing.csv", catalog)
    (tmp_path / "x.txt").write_text("a")
    with pytest.raises(DatasetError):
        read_import(tmp_path / "x.txt", catalog)
    write_csv(tmp_path / "odd.csv", [{"city": "milan", "score": 3}])
    with pytest.raises(DatasetError, match="layout"):
        read_import(tmp_path / "odd.csv", catalog)
    (tmp_path / "empty.yaml").write_text("rows: []\n")
    with pytest.raises(DatasetError, match="no rows"):
        read_import(tmp_path / "empty.yaml", catalog)
    with pytest.raises(NotFound):
        read_import(tmp_path / "odd.csv", catalog, revision="1999")


def test_output_name():
    assert output_name("My Results (final).csv", "2023") == "scores-2023-my-results-final.yaml"


def test_cli_import(tmp_path, kdir, catalog):
    src = write_csv(tmp_path / "r.csv", answer_rows(catalog, "milan", "2023", MILAN_2023))
    runner = CliRunner()
    dry = runner.invoke(benchmark_group, ["import", str(src), "--knowledge-dir", str(kdir), "--dry-run"])
    assert dry.exit_code == 0 and "dry run" in dry.output
    done = runner.invoke(benchmark_group, ["import", str(src), "--knowledge-dir", str(kdir), "--revision", "2023", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["output"].endswith("scores-2023-r.yaml")


def test_cli_import_errors(tmp_path, kdir, catalog):
    rows = answer_rows(catalog, "milan", "2023", MILAN_2023)
    rows[0]["answer"] = "perhaps"
    src = write_csv(tmp_path / "r.csv", rows)
    result = CliRunner().invoke(benchmark_group, ["import", str(src), "--knowledge-dir", str(kdir)])
    assert result.exit_code == 1
    assert "row 2: answer: expected yes or no" in result.output
    missing = CliRunner().invoke(benchmark_group, ["import", str(tmp_path / "nope.csv"), "--knowledge-dir", str(kdir)])
    assert missing.exit_code == 1 and "does not exist" in missing.output
