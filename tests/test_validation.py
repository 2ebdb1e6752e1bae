"""Validation of the knowledge folder: the real one, and one bad fixture per failure kind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from app.commands.knowledge import validate_command
from app.validation import Problem, check_knowledge, section_titles, split_front_matter, validate_knowledge

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"

SERVICE = """---
title: "A test service"
kind: service
city: ghent
status: live
confidence: found
principles: [citizen-engagement]
subindicators: ["2.1"]
outcomes:
  - text: "Something improved."
    source: https://example.org/outcome
sources:
  - https://example.org/service
---

## In a nutshell

Text.

## What makes it user-centric

Text.
"""

CASE = """---
title: "A test case"
kind: case
city: milan
confidence: inferred
services: [test-service]
sources: [https://example.org/case]
---

## Problem

Text.

## Approach

Text.

## Results

Text.

## Lessons

Text.
"""

GUIDE = """---
title: "A test guide"
kind: guide
principles: [redress-and-complaints]
subindicators: ["2.5"]
tags: [feedback]
services: [test-service]
sources: [https://example.org/guide]
confidence: found
---

## Why it matters

## Steps

## Pitfalls

## Member examples

## Dashboard questions this helps
"""

NETWORK = """---
title: "About the network"
kind: network
sources: [https://www.usercentricities.eu/about]
---

Text.
"""


@pytest.fixture
def kdir(tmp_path):
    """A small, valid knowledge folder built from the real structured files."""
    root = tmp_path / "knowledge"
    (root / "benchmark").mkdir(parents=True)
    for name in ("cities.yaml", "principles.yaml", "benchmark/framework.yaml", "benchmark/scores-2023.yaml"):
        shutil.copy(KNOWLEDGE / name, root / name)
    write(root, "services/test-service.md", SERVICE)
    write(root, "cases/test-case.md", CASE)
    write(root, "toolkit/test-guide.md", GUIDE)
    write(root, "network/about.md", NETWORK)
    write(root, "README.md", "# Not checked\n")
    return root


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def messages(root: Path) -> list[str]:
    return [str(p) for p in validate_knowledge(root)]


def has(root: Path, file: str, field: str, text: str) -> bool:
    return any(p.file == file and p.field.startswith(field) and text in p.message for p in validate_knowledge(root))


# --- the real folder ----------------------------------------------------------


def test_real_knowledge_folder_has_no_problems():
    problems = validate_knowledge(KNOWLEDGE)
    assert problems == [], "\n".join(map(str, problems))


def test_fixture_is_valid(kdir):
    report = check_knowledge(kdir)
    assert report.problems == []
    assert report.counts["service"] == report.counts["case"] == report.counts["guide"] == report.counts["network"] == 1
    assert report.summary().startswith("ok: ")


# --- one fixture per failure kind ----------------------------------------------


@pytest.mark.parametrize("rel,text", [("services/test-service.md", SERVICE), ("cases/test-case.md", CASE),
                                      ("toolkit/test-guide.md", GUIDE)])
def test_missing_sources(kdir, rel, text):
    start = text.index("sources:")
    end = text.index("---", start)
    write(kdir, rel, text[:start] + text[end:])
    assert has(kdir, rel, "sources", "required")


def test_empty_sources(kdir):
    write(kdir, "services/test-service.md", SERVICE.replace("sources:\n  - https://example.org/service", "sources: []"))
    assert has(kdir, "services/test-service.md", "sources", "at least 1")


def test_unknown_city_slug(kdir):
    write(kdir, "services/test-service.md", SERVICE.replace("city: ghent", "city: gent"))
    assert has(kdir, "services/test-service.md", "city", "unknown city slug 'gent'")


def test_non_member_city_is_allowed_when_marked(kdir):
    write(kdir, "services/test-service.md", SERVICE.replace("city: ghent", "city: london\nmember: false"))
    assert validate_knowledge(kdir) == []


def test_unknown_principle_id(kdir):
    write(kdir, "toolkit/test-guide.md", GUIDE.replace("redress-and-complaints", "redress"))
    assert has(kdir, "toolkit/test-guide.md", "principles", "unknown principle id 'redress'")


def test_unknown_subindicator_id(kdir):
    write(kdir, "toolkit/test-guide.md", GUIDE.replace('["2.5"]', '["2.7"]'))
    assert has(kdir, "toolkit/test-guide.md", "subindicators", "unknown sub-indicator id '2.7'")


def test_subindicator_written_as_number(kdir):
    write(kdir, "toolkit/test-guide.md", GUIDE.replace('["2.5"]', "[2.5]"))
    assert has(kdir, "toolkit/test-guide.md", "subindicators", "quoted strings")


def test_duplicate_file_slug_within_a_kind(kdir):
    write(kdir, "services/more/test-service.md", SERVICE)
    assert has(kdir, "services/more/test-service.md", "slug", "duplicate service slug 'test-service'")


def test_same_stem_in_different_kinds_is_fine(kdir):
    write(kdir, "toolkit/test-service.md", GUIDE)
    assert validate_knowledge(kdir) == []


def test_duplicate_city_slug(kdir):
    edit_yaml(kdir / "cities.yaml", lambda d: d["cities"].append(dict(d["cities"][0])))
    assert has(kdir, "cities.yaml", "slug", "duplicate slug 'espoo'")


def test_duplicate_principle_id(kdir):
    edit_yaml(kdir / "principles.yaml", lambda d: d["principles"].append(dict(d["principles"][0])))
    assert has(kdir, "principles.yaml", "id", "duplicate id 'digital-interaction'")


def test_principle_maps_to_unknown_subindicator(kdir):
    edit_yaml(kdir / "principles.yaml", lambda d: d["principles"][0].update(subindicators=["9.9"]))
    assert has(kdir, "principles.yaml", "digital-interaction.subindicators", "'9.9'")


def test_bad_city_entry(kdir):
    edit_yaml(kdir / "cities.yaml", lambda d: d["cities"][0].update(type="metropolis", country_code="fin"))
    assert has(kdir, "cities.yaml", "cities[0].type", "unknown value 'metropolis'")
    assert has(kdir, "cities.yaml", "cities[0].country_code", "")


def _first_row(change):
    def apply(d):
        change(d["rows"][0])
    return apply


def test_score_yes_exceeds_questions(kdir):
    edit_yaml(kdir / "benchmark/scores-2023.yaml", _first_row(lambda r: r["scores"].update({"1.1": "5/4"})))
    assert has(kdir, "benchmark/scores-2023.yaml", "rows[0].scores.1.1", "more Yes answers than questions")


def test_score_n_differs_from_framework(kdir):
    edit_yaml(kdir / "benchmark/scores-2023.yaml", _first_row(lambda r: r["scores"].update({"1.1": "4/5"})))
    assert has(kdir, "benchmark/scores-2023.yaml", "rows[0].scores.1.1", "framework has 4 questions")


def test_published_percentage_must_recompute(kdir):
    edit_yaml(kdir / "benchmark/scores-2023.yaml", _first_row(lambda r: r.update(published_percentage=90)))
    assert has(kdir, "benchmark/scores-2023.yaml", "rows[0].published_percentage", "recompute to 87%")


def test_score_row_unknown_city_subindicator_and_missing(kdir):
    def change(r):
        r["city"] = "atlantis"
        r["scores"]["3.4"] = "0/1"
        del r["scores"]["2.6"]
    edit_yaml(kdir / "benchmark/scores-2023.yaml", _first_row(change))
    f = "benchmark/scores-2023.yaml"
    assert has(kdir, f, "rows[0].city", "unknown city slug 'atlantis'")
    assert has(kdir, f, "rows[0].scores.3.4", "unknown sub-indicator id in revision 2023")
    assert has(kdir, f, "rows[0].scores", "missing sub-indicators 2.6")


def test_score_row_unknown_revision_and_assessment(kdir):
    edit_yaml(kdir / "benchmark/scores-2023.yaml", _first_row(lambda r: r.update(revision="2030", assessment="audited")))
    assert has(kdir, "benchmark/scores-2023.yaml", "rows.0.assessment", "unknown value 'audited'")
    edit_yaml(kdir / "benchmark/scores-2023.yaml", _first_row(lambda r: r.update(assessment="self-assessment")))
    assert has(kdir, "benchmark/scores-2023.yaml", "rows[0].revision", "unknown revision '2030'")


def test_duplicate_score_rows(kdir):
    edit_yaml(kdir / "benchmark/scores-2023.yaml", lambda d: d["rows"].append(dict(d["rows"][0])))
    assert has(kdir, "benchmark/scores-2023.yaml", "rows", "'milan' has 2 rows")


def test_framework_count_mismatch(kdir):
    edit_yaml(kdir / "benchmark/framework.yaml", lambda d: d["revisions"][0].update(question_count=40))
    assert has(kdir, "benchmark/framework.yaml", "revisions.0", "41 questions, question_count says 40")


@pytest.mark.parametrize("rel,text,section", [
    ("services/test-service.md", SERVICE, "What makes it user-centric"),
    ("services/test-service.md", SERVICE, "In a nutshell"),
    ("cases/test-case.md", CASE, "Lessons"),
    ("cases/test-case.md", CASE, "Approach"),
])
def test_missing_body_section(kdir, rel, text, section):
    write(kdir, rel, text.replace(f"## {section}", "## Something else"))
    assert has(kdir, rel, "body", f"missing section '## {section}'")


def test_outcome_without_source(kdir):
    write(kdir, "services/test-service.md", SERVICE.replace("    source: https://example.org/outcome\n", ""))
    assert has(kdir, "services/test-service.md", "outcomes[0]", "needs its own source")
    write(kdir, "services/test-service.md", SERVICE.replace('  - text: "Something improved."\n    source: https://example.org/outcome', '  - "A bare claim"'))
    assert has(kdir, "services/test-service.md", "outcomes[0]", "needs its own source")


def test_unknown_status_and_confidence(kdir):
    write(kdir, "services/test-service.md", SERVICE.replace("status: live", "status: running").replace("confidence: found", "confidence: sure"))
    assert has(kdir, "services/test-service.md", "status", "unknown value 'running'")
    assert has(kdir, "services/test-service.md", "confidence", "unknown value 'sure'")


def test_guide_needs_confidence(kdir):
    write(kdir, "toolkit/test-guide.md", GUIDE.replace("confidence: found\n", ""))
    assert has(kdir, "toolkit/test-guide.md", "confidence", "required")


@pytest.mark.parametrize("rel,text", [("toolkit/test-guide.md", GUIDE), ("cases/test-case.md", CASE)])
def test_services_reference_missing_file(kdir, rel, text):
    write(kdir, rel, text.replace("[test-service]", "[test-service, no-such-service]"))
    assert has(kdir, rel, "services", "no service file services/no-such-service.md")


def test_missing_front_matter_and_unknown_kind(kdir):
    write(kdir, "network/plain.md", "# No front matter\n")
    write(kdir, "network/odd.md", "---\ntitle: Odd\nkind: blog\n---\n")
    write(kdir, "network/broken.md", "---\ntitle: [unclosed\n---\n")
    assert has(kdir, "network/plain.md", "front matter", "missing")
    assert has(kdir, "network/odd.md", "kind", "unknown kind 'blog'")
    assert has(kdir, "network/broken.md", "front matter", "cannot be parsed")


def test_service_needs_a_city(kdir):
    write(kdir, "services/test-service.md", SERVICE.replace("city: ghent\n", ""))
    assert has(kdir, "services/test-service.md", "city", "is required")


def test_missing_structured_file(kdir):
    (kdir / "benchmark/framework.yaml").unlink()
    assert has(kdir, "benchmark/framework.yaml", "(file)", "not found")


def test_missing_folder(tmp_path):
    assert validate_knowledge(tmp_path / "nope")[0].message == "does not exist"


def test_helpers():
    meta, body = split_front_matter("---\ntitle: X\n---\n## A\ntext\n## B ##\n")
    assert meta == {"title": "X"}
    assert section_titles(body) == ["A", "B"]
    assert split_front_matter("no front matter")[0] is None
    assert str(Problem("a.md", "title", "is required")) == "a.md: title: is required"


# --- the command ----------------------------------------------------------------


def test_validate_command_ok(kdir):
    result = CliRunner().invoke(validate_command, ["--knowledge-dir", str(kdir)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ") and "1 guide" in result.output


def test_validate_command_reads_env(kdir, monkeypatch):
    monkeypatch.setenv("UCC_KNOWLEDGE_DIR", str(kdir))
    result = CliRunner().invoke(validate_command, [])
    assert result.exit_code == 0, result.output


def test_validate_command_reports_problems(kdir):
    write(kdir, "services/test-service.md", SERVICE.replace("city: ghent", "city: gent"))
    result = CliRunner().invoke(validate_command, ["--knowledge-dir", str(kdir)])
    assert result.exit_code == 1
    assert "services/test-service.md: city: unknown city slug 'gent'" in result.output


def test_validate_command_json(kdir):
    write(kdir, "services/test-service.md", SERVICE.replace("status: live", "status: running"))
    result = CliRunner().invoke(validate_command, ["--knowledge-dir", str(kdir), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False and data["counts"]["service"] == 1
    assert data["problems"][0]["field"] == "status"
