"""Validation of the knowledge folder: the real one, and one bad fixture per failure kind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from app.commands.knowledge import validate_command
from app.validation import Problem, check_knowledge, section_titles, sources_report, split_front_matter, validate_knowledge

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
  - https://example.org/outcome
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
    write(kdir, "services/test-service.md",
          SERVICE.replace("sources:\n  - https://example.org/service\n  - https://example.org/outcome", "sources: []"))
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
    assert result.output.splitlines()[-1].startswith("ok: ") and "1 guide" in result.output


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


# --- figures' dates (issue 14, point 2) ------------------------------------------

FIGURE = """  - text: "{text}"
    source: https://example.org/outcome
{extra}"""


def with_outcome(text: str, extra: str = "") -> str:
    block = FIGURE.format(text=text, extra=extra)
    return SERVICE.replace('  - text: "Something improved."\n    source: https://example.org/outcome\n', block)


def add_source(text: str, url: str) -> str:
    return text.replace("sources:\n  - https://example.org/service", f"sources:\n  - https://example.org/service\n  - {url}")


def warnings_of(root: Path) -> list[str]:
    return [str(w) for w in check_knowledge(root).warnings]


@pytest.mark.parametrize("text", ["Used by 1,200 residents.", "About four times more families reached.",
                                  "Two designers and a team.", "More than half of all reports."])
def test_outcome_with_a_figure_needs_a_date(kdir, text):
    write(kdir, "services/test-service.md", with_outcome(text))
    assert has(kdir, "services/test-service.md", "outcomes[0].date", "a figure needs the date it refers to")


def test_outcome_without_a_figure_needs_no_date(kdir):
    write(kdir, "services/test-service.md", with_outcome("Residents no longer need to apply."))
    assert validate_knowledge(kdir) == []


@pytest.mark.parametrize("date", ['"2021"', '"2021-05"', '"2021-05-16"', "2021", "2021-05-16"])
def test_outcome_date_formats_accepted(kdir, date):
    write(kdir, "services/test-service.md", with_outcome("Used by 1,200 residents.", f"    date: {date}\n"))
    assert validate_knowledge(kdir) == [], messages(kdir)


@pytest.mark.parametrize("date,message", [('"May 2021"', "'May 2021' is not a date"), ('"2021-13"', "is not a real date"),
                                          ('"2021-02-30"', "is not a real date"), ('"21"', "is not a date"),
                                          ("undated", "is not a date")])
def test_outcome_date_rejected(kdir, date, message):
    write(kdir, "services/test-service.md", with_outcome("Used by 1,200 residents.", f"    date: {date}\n"))
    assert has(kdir, "services/test-service.md", "outcomes[0].date", message), messages(kdir)


def test_date_not_found_needs_a_note_and_is_a_warning(kdir):
    rel = "services/test-service.md"
    write(kdir, rel, with_outcome("Used by 1,200 residents.", '    date: "not found"\n'))
    assert has(kdir, rel, "outcomes[0].date_note", 'date "not found" needs a date_note')
    extra = '    date: not found\n    date_note: "Searched the page and its URL; neither gives a date."\n'
    write(kdir, rel, with_outcome("Used by 1,200 residents.", extra))
    assert validate_knowledge(kdir) == []
    assert f"{rel}: outcomes[0].date: date not found: Searched the page and its URL; neither gives a date." in warnings_of(kdir)
    result = CliRunner().invoke(validate_command, ["--knowledge-dir", str(kdir), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True and data["problems"] == []
    assert {"file": rel, "field": "outcomes[0].date",
            "message": "date not found: Searched the page and its URL; neither gives a date."} in data["warnings"]
    text = CliRunner().invoke(validate_command, ["--knowledge-dir", str(kdir)])
    assert text.exit_code == 0 and f"warning: {rel}: outcomes[0].date: date not found" in text.output
    assert "warning(s)" in text.output


UNLISTED = "  - https://example.org/outcome\n"


def test_outcome_source_must_be_listed_and_text_present(kdir):
    rel = "services/test-service.md"
    write(kdir, rel, with_outcome("Residents no longer apply.").replace(UNLISTED, ""))
    assert has(kdir, rel, "outcomes[0].source", "https://example.org/outcome is not in the entry's sources list")
    write(kdir, rel, SERVICE.replace('  - text: "Something improved."\n', "  - text: ''\n"))
    assert has(kdir, rel, "outcomes[0].text", "an outcome needs its text")


def test_real_outcomes_with_figures_all_dated():
    """Every figure in the real knowledge base has a date; the few not found say what was searched."""
    report = check_knowledge(KNOWLEDGE)
    assert report.problems == []
    not_found = [w for w in report.warnings if "date not found: " in w.message]
    assert not_found and all("Searched" in w.message for w in not_found)


# --- conflicts ---------------------------------------------------------------------

CONFLICT = """conflicts:
  - about: when the service started
    followed:
      value: 2019
      date: "2020-03"
      source: https://example.org/service
    others:
      - value: 2018
        date: undated
        source: https://example.org/other
    reason: The city's own page is followed over an interview.
"""


def with_conflict(text: str = CONFLICT) -> str:
    return add_source(SERVICE, "https://example.org/other").replace("confidence: found\n", "confidence: found\n" + text)


def test_well_formed_conflict_passes_and_undated_side_is_a_warning(kdir):
    write(kdir, "services/test-service.md", with_conflict())
    assert validate_knowledge(kdir) == [], messages(kdir)
    assert "services/test-service.md: conflicts[0].others[0].date: the source is undated" in warnings_of(kdir)


@pytest.mark.parametrize("old,new,field,message", [
    ("    reason: The city's own page is followed over an interview.\n", "", "conflicts[0].reason", "is required"),
    ("      source: https://example.org/service\n", "", "conflicts[0].followed.source", "is required"),
    ("  - about: when the service started\n", "  - about: ''\n", "conflicts[0].about", "at least 1 character"),
    ('      date: "2020-03"\n', '      date: "March 2020"\n', "conflicts[0].followed.date", "'March 2020' is not a date"),
    ("      source: https://example.org/other\n", "      source: https://example.org/unlisted\n",
     "conflicts[0].others[0].source", "https://example.org/unlisted is not in the entry's sources list"),
])
def test_bad_conflict(kdir, old, new, field, message):
    write(kdir, "services/test-service.md", with_conflict(CONFLICT.replace(old, new)))
    assert has(kdir, "services/test-service.md", field, message), messages(kdir)


def test_conflict_needs_other_values_and_a_list(kdir):
    start = CONFLICT.index("    others:")
    end = CONFLICT.index("    reason:")
    write(kdir, "services/test-service.md", with_conflict(CONFLICT[:start] + "    others: []\n" + CONFLICT[end:]))
    assert has(kdir, "services/test-service.md", "conflicts[0].others", "at least 1 item")
    write(kdir, "services/test-service.md", with_conflict("conflicts: Sources disagree on the year.\n"))
    assert has(kdir, "services/test-service.md", "conflicts", "expected a list of conflicts")
    write(kdir, "network/about.md", NETWORK.replace("kind: network\n", "kind: network\nconflicts:\n  - just text\n"))
    assert has(kdir, "network/about.md", "conflicts[0]", "a conflict is a mapping with about, followed")


def test_cities_yaml_conflicts_are_checked(kdir):
    def follow_december(d):
        d["conflicts"][0]["followed"]["value"] = "2022-12"
    edit_yaml(kdir / "cities.yaml", follow_december)
    assert has(kdir, "cities.yaml", "conflicts[0].followed.value", "kronoberg.joined is '2022-06' but the conflict follows '2022-12'")
    edit_yaml(kdir / "cities.yaml", lambda d: d["conflicts"][0].update(city="atlantis"))
    assert has(kdir, "cities.yaml", "conflicts[0].city", "unknown city slug 'atlantis'")
    edit_yaml(kdir / "cities.yaml", lambda d: d["conflicts"][0].update(city="kronoberg", field="founded"))
    assert has(kdir, "cities.yaml", "conflicts[0].field", "'founded' is not a member field")
    edit_yaml(kdir / "cities.yaml", lambda d: d["conflicts"][0].pop("reason"))
    assert has(kdir, "cities.yaml", "conflicts[0].reason", "is required")


def test_cities_yaml_conflict_source_must_be_the_members(kdir):
    edit_yaml(kdir / "cities.yaml", lambda d: d["conflicts"][0]["others"][0].update(source="https://example.org/x"))
    assert has(kdir, "cities.yaml", "conflicts[0].others[0].source", "https://example.org/x is not in kronoberg's sources list")


def test_context_fact_source_must_be_listed(kdir):
    def change(d):
        d["cities"][0]["context"][0]["source"] = "https://example.org/elsewhere"
    edit_yaml(kdir / "cities.yaml", change)
    assert has(kdir, "cities.yaml", "espoo.context[0].source", "is not in this member's sources list")


# --- network data: partners and awards (issue 14, point 3) ------------------------------

AWARDS = """awards:
- year: 2023
  name: Best user-centric service in European cities and regions
  finalists:
  - city: ghent
    service: test-service
    source: https://example.org/finalists
  - city: london
    member: false
    source: https://example.org/finalists
    service_note: not identified
  winner:
    city: ghent
    service: test-service
    source: https://example.org/finalists
    confidence: reported
  sources: [https://example.org/finalists]
"""


@pytest.fixture
def netdir(kdir):
    """The small folder plus the real partners.yaml and a small awards.yaml about the test service."""
    shutil.copy(KNOWLEDGE / "network/partners.yaml", kdir / "network/partners.yaml")
    write(kdir, "network/awards.yaml", AWARDS)
    write(kdir, "services/test-service.md", SERVICE.replace("status: live\n", "status: live\naward: {result: winner, year: 2023}\n"))
    return kdir


def test_network_data_fixture_is_valid(netdir):
    report = check_knowledge(netdir)
    assert report.problems == [], [str(p) for p in report.problems]
    assert report.counts["partners"] == report.counts["awards"] == 1


def test_real_network_data_is_checked():
    report = check_knowledge(KNOWLEDGE)
    assert report.counts["partners"] == report.counts["awards"] == 1
    awards = yaml.safe_load((KNOWLEDGE / "network/awards.yaml").read_text(encoding="utf-8"))["awards"]
    assert {a["year"]: a["winner"]["city"] for a in awards} == {2022: "helsinki", 2023: "ghent"}
    partners = yaml.safe_load((KNOWLEDGE / "network/partners.yaml").read_text(encoding="utf-8"))["partners"]
    assert {p["id"] for p in partners} >= {"lisbon-council", "eurocities", "vtt", "ie-center-for-c-centricity"}


P = "network/partners.yaml"


@pytest.mark.parametrize("change,field,message", [
    (lambda d: d["consortium"][1]["members"].append("atlantis"), "consortium[1].members", "unknown city slug 'atlantis'"),
    (lambda d: d["consortium"][1]["members"].append("espoo"), "consortium[1].members", "'espoo' is listed 2 times"),
    (lambda d: d["consortium"][1]["partners"].append("oecd"), "consortium[1].partners", "unknown partner id 'oecd'"),
    (lambda d: d["consortium"][1].update(members_count=15), "consortium[1].members", "14 members listed, members_count says 15"),
    (lambda d: d["consortium"][1].update(partners_count=19), "consortium[1].partners_count",
     "14 cities and regions + 4 partners = 18, but partners_count says 19"),
    (lambda d: d["consortium"][1]["members"].append("paris"), "consortium[1].members",
     "'paris' is listed on 2021-01-03 but cities.yaml says it joined 2022-06"),
    (lambda d: d["consortium"][0]["partners"].append("ie-center-for-c-centricity"), "consortium[0].partners",
     "'ie-center-for-c-centricity' is listed on 2020-12 but joined 2021-01"),
    (lambda d: d["consortium"][0].update(date="December 2020"), "consortium[0].date", "'December 2020' is not a date"),
    (lambda d: d["partners"][0].update(role="boss"), "partners[0].role", "unknown value 'boss'"),
    (lambda d: d["partners"][0].update(colour="blue"), "partners[0].colour", "Extra inputs are not permitted"),
    (lambda d: d["partners"].append(dict(d["partners"][0])), "id", "duplicate id 'lisbon-council'"),
    (lambda d: d["partners"][0]["context"][0].update(source="https://example.org/x"), "partners[0].context[0].source",
     "is not in this partner's sources list"),
])
def test_bad_partners_file(netdir, change, field, message):
    edit_yaml(netdir / P, change)
    assert has(netdir, P, field, message), messages(netdir)


A = "network/awards.yaml"


@pytest.mark.parametrize("old,new,field,message", [
    ("  - city: ghent\n    service: test-service\n", "  - city: gent\n    service: test-service\n",
     "awards[0].finalists[0].city", "unknown city slug 'gent'"),
    ("  - city: ghent\n    service: test-service\n", "  - city: ghent\n    service: no-such-service\n",
     "awards[0].finalists[0].service", "no service file services/no-such-service.md"),
    ("  - city: ghent\n    service: test-service\n", "  - city: milan\n    service: test-service\n",
     "awards[0].finalists[0].service", "test-service is a service of 'ghent', not 'milan'"),
    ("  winner:\n    city: ghent\n", "  winner:\n    city: london\n    member: false\n", "awards[0].winner",
     "the winner is not among the finalists"),
    ("    member: false\n", "", "awards[0].finalists[1].city", "unknown city slug 'london'"),
    ("    confidence: reported\n", "", "awards[0].winner.confidence", "is required"),
    ("  sources: [https://example.org/finalists]\n", "  sources: [https://example.org/other]\n",
     "awards[0].finalists[0].source", "is not in the award's sources list"),
    ("- year: 2023\n", "- year: twenty\n", "awards[0].year", "valid integer"),
])
def test_bad_awards_file(netdir, old, new, field, message):
    write(netdir, A, AWARDS.replace(old, new))
    assert has(netdir, A, field, message), messages(netdir)


def test_service_award_field_must_agree_with_awards_file(netdir):
    rel = "services/test-service.md"
    write(netdir, rel, SERVICE.replace("status: live\n", "status: live\naward: {result: finalist, year: 2022}\n"))
    assert has(netdir, rel, "award", "no 2022 award in network/awards.yaml")
    write(netdir, A, AWARDS.replace("  winner:\n    city: ghent\n    service: test-service\n",
                                    "  winner:\n    city: london\n    member: false\n"))
    write(netdir, rel, SERVICE.replace("status: live\n", "status: live\naward: {result: winner, year: 2023}\n"))
    assert has(netdir, rel, "award", "does not give this service as the 2023 winner")


def test_awards_conflicts_are_checked(netdir):
    bad = AWARDS.replace("  sources: [", "  conflicts:\n  - about: count\n    followed: {value: 32}\n"
                         "    others: [{value: 35, source: https://example.org/finalists}]\n    reason: r\n  sources: [")
    write(netdir, A, bad)
    assert has(netdir, A, "awards[0].conflicts[0].followed.source", "is required"), messages(netdir)


# --- sources report (issue 14, point 5) -------------------------------------------------


def test_sources_report_on_the_real_folder():
    entries = {e.key: e for e in sources_report(KNOWLEDGE, "kronoberg")}
    assert set(entries) == {"cities.yaml#kronoberg", "services/kronoberg-reality-lab.md"}
    lab = {s.source: s for s in entries["services/kronoberg-reality-lab.md"].sources}
    facts = lab["https://living-in.eu/kronoberg-region-reality-lab-healthcare"].facts
    assert facts[0]["fact"] == "outcome" and facts[0]["date"] == "not found" and "150" in facts[0]["text"]
    member = {s.source: s for s in entries["cities.yaml#kronoberg"].sources}
    press = member["https://lisboncouncil.net/newsandevents/finnish-capital-nabs-public-service-prize"].facts
    assert {"fact": "conflict, followed", "text": "when Region Kronoberg joined the network: 2022-06",
            "date": "2022-06-07"} in press
    assert all(s.listed for e in sources_report(KNOWLEDGE) for s in e.sources)


def test_sources_report_covers_partners_and_awards():
    keys = {e.key for e in sources_report(KNOWLEDGE)}
    assert {"network/partners.yaml#vtt", "network/partners.yaml#consortium", "network/awards.yaml#2022",
            "cities.yaml#membership", "services/kyiv-digital.md"} <= keys
    award = sources_report(KNOWLEDGE, "2022")[0]
    facts = [f for s in award.sources for f in s.facts]
    assert {"fact": "winner", "text": "helsinki: helsinki-proactive-pre-primary-education", "confidence": "found"} in facts


def test_sources_report_flags_unlisted_source(kdir):
    write(kdir, "services/test-service.md", with_outcome("Residents no longer apply.").replace(UNLISTED, ""))
    entry = sources_report(kdir, "test-service")[0]
    by = {s.source: s for s in entry.sources}
    assert by["https://example.org/service"].listed and by["https://example.org/service"].facts == []
    assert not by["https://example.org/outcome"].listed
    assert by["https://example.org/outcome"].facts == [{"fact": "outcome", "text": "Residents no longer apply."}]


def test_validate_sources_command(kdir):
    runner = CliRunner()
    result = runner.invoke(validate_command, ["--knowledge-dir", str(kdir), "--sources", "--entry", "test-service"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("services/test-service.md [service, ghent] A test service\n")
    assert "  https://example.org/outcome\n    - outcome: Something improved.\n" in result.output
    assert "1 entries, 2 sources, 1 facts" in result.output
    data = json.loads(runner.invoke(validate_command, ["--knowledge-dir", str(kdir), "--sources", "--json"]).output)
    keys = {e["key"] for e in data["entries"]}
    assert {"services/test-service.md", "cities.yaml#kronoberg", "network/about.md"} <= keys
    missing = runner.invoke(validate_command, ["--knowledge-dir", str(kdir), "--sources", "--entry", "nowhere"])
    assert missing.exit_code == 1 and "no entry is called 'nowhere'" in missing.output
    alone = runner.invoke(validate_command, ["--knowledge-dir", str(kdir), "--entry", "x"])
    assert alone.exit_code == 2 and "--entry goes with --sources" in alone.output


def test_validate_help_has_examples():
    result = CliRunner().invoke(validate_command, ["--help"])
    assert result.exit_code == 0
    assert "ucc validate --sources --entry kronoberg" in result.output and "--sources" in result.output
