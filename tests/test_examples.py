"""Examples for UserCentriCafé moderators: app.network.examples and ``ucc examples``.

Most tests use the knowledge base indexed with the fake embedder, with the cosine floor
lowered (its hashed vectors do not have the real model's scale); the relevance floor
itself is tested with the real model (marked ``model``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from click.testing import CliRunner

from app.network import examples as ex
from app.commands.examples import examples_command, render_text
from app.network.examples import (
    CSV_COLUMNS,
    DEFAULT_MIN_SCORE,
    Example,
    SessionPack,
    examples,
    examples_csv,
    md_url,
    safe_cell,
    session_pack,
    summarise,
)
from app.network.scoring import display_fraction
from indexer.errors import InvalidRequest

from .conftest import REPO

ANY = -1.0  # a floor every fake-embedder cosine passes


def _front_matter_and_body(source: str) -> tuple[str, str]:
    text = (REPO / "knowledge" / source).read_text(encoding="utf-8")
    _, front, body = text.split("---", 2)
    return front, body


def _example(**over) -> Example:
    base = dict(title="A service", city="ghent", city_name="Ghent", country="Belgium", year=2021, kind="service",
                summary="One sentence. Two sentences.", url="https://example.org/x", doc_id="services/x.md",
                source="services/x.md", score=0.5)
    base.update(over)
    return Example(**base)


# --- examples ------------------------------------------------------------------


def test_one_example_per_city_by_default(knowledge_searcher_fake, catalog):
    found = examples(knowledge_searcher_fake, catalog, "participatory budget", n=20, min_score=ANY)
    cities = [e.city for e in found]
    assert len(found) > 5
    assert len(cities) == len(set(cities))
    assert {e.kind for e in found} <= {"service", "case"}


def test_all_per_city_lifts_the_rule(knowledge_searcher_fake, catalog):
    one = examples(knowledge_searcher_fake, catalog, "city app", n=10, filters={"city": "madrid"}, min_score=ANY)
    many = examples(knowledge_searcher_fake, catalog, "city app", n=10, filters={"city": "madrid"},
                    one_per_city=False, min_score=ANY)
    assert [e.city for e in one] == ["madrid"]
    assert len(many) == 4 and {e.city for e in many} == {"madrid"}
    assert len({e.doc_id for e in many}) == 4


def test_a_case_and_its_own_service_are_one_example(knowledge_searcher_fake, catalog):
    found = examples(knowledge_searcher_fake, catalog, "proactive services", n=20, filters={"city": "helsinki"},
                     one_per_city=False, min_score=ANY)
    sources = {e.source for e in found}
    assert not {"services/helsinki-proactive-pre-primary-education.md",
                "cases/helsinki-proactive-pre-primary-education.md"} <= sources
    # a case's other linked services are separate projects and may still appear
    rotterdam = examples(knowledge_searcher_fake, catalog, "public space app", n=20, filters={"city": "rotterdam"},
                         one_per_city=False, min_score=ANY)
    assert "services/rotterdam-aan-de-slag-rads.md" in {e.source for e in rotterdam}
    assert len(rotterdam) == 2


@pytest.mark.parametrize("n", [0, 21, -1, True, 2.5, "many", None])
def test_n_out_of_bounds_is_refused(knowledge_searcher_fake, catalog, n):
    with pytest.raises(InvalidRequest, match="between 1 and 20"):
        examples(knowledge_searcher_fake, catalog, "proactive services", n=n)


def test_n_limits_the_number(knowledge_searcher_fake, catalog):
    assert len(examples(knowledge_searcher_fake, catalog, "participation", n=1, min_score=ANY)) == 1
    assert len(examples(knowledge_searcher_fake, catalog, "participation", n=3, min_score=ANY)) == 3
    assert len(examples(knowledge_searcher_fake, catalog, "participation", n=20, min_score=ANY)) <= 20


@pytest.mark.parametrize("topic", ["", "   ", None, "\n\t"])
def test_empty_topic_is_refused(knowledge_searcher_fake, catalog, topic):
    with pytest.raises(InvalidRequest):
        examples(knowledge_searcher_fake, catalog, topic)


def test_filters_are_merged_with_the_example_kinds(knowledge_searcher_fake, catalog):
    s, c = knowledge_searcher_fake, catalog
    finland = examples(s, c, "digital services", n=20, filters={"country": "Finland"}, min_score=ANY)
    assert finland and {e.country for e in finland} == {"Finland"}
    cases = examples(s, c, "digital services", n=20, filters={"kind": "case"}, min_score=ANY)
    assert cases and {e.kind for e in cases} == {"case"}
    redress = examples(s, c, "reporting problems", n=20, filters={"subindicator": "2.5"}, min_score=ANY)
    assert redress and all("2.5" in e.subindicators for e in redress)
    by_local_name = examples(s, c, "barriers", n=5, filters={"city": "Göteborg"}, min_score=ANY)
    assert [e.city for e in by_local_name] == ["gothenburg"]
    assert examples(s, c, "barriers", n=5, filters={"city": "atlantis"}, min_score=ANY) == []
    with pytest.raises(InvalidRequest, match="services or cases"):
        examples(s, c, "barriers", filters={"kind": "guide"})
    with pytest.raises(InvalidRequest, match="Unknown filter"):
        examples(s, c, "barriers", filters={"colour": "green"})


def test_example_fields_come_from_the_entry(knowledge_searcher_fake, catalog):
    found = examples(knowledge_searcher_fake, catalog, "proactive", n=20, one_per_city=False, min_score=ANY)
    assert found
    for e in found:
        front, body = _front_matter_and_body(e.source)
        section = "## In a nutshell" if e.kind == "service" else "## Problem"
        first = " ".join(body.split(section, 1)[1].split("\n## ", 1)[0].split())
        first = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", first).replace("*", "")  # as the loader reads it
        text = e.summary.removesuffix(" …")
        assert first.startswith(text), e.source  # verbatim, from the start of the section
        assert 20 < len(e.summary) <= 242
        url = re.search(r"^url: (\S+)", front, re.M)
        first_source = re.search(r"^sources:\n  - (\S+)", front, re.M).group(1)
        assert e.url == (url.group(1) if url else first_source)
        year = re.search(r"^year: (\d{4})", front, re.M)
        assert e.year == (int(year.group(1)) if year else None)
        assert not e.member or e.city_name == catalog.city(e.city).name
    by_source = {e.source: e for e in found}
    ghent = by_source.get("services/ghent-proactive-services.md") or by_source["cases/ghent-proactive-rights.md"]
    assert ghent.award == {"result": "finalist", "year": 2023}
    assert "2.2" in ghent.subindicators and "reduction-of-administrative-burden" in ghent.principles


def test_non_members_are_marked(knowledge_searcher_fake, catalog):
    found = examples(knowledge_searcher_fake, catalog, "online engagement surveys", n=5, filters={"city": "london"},
                     min_score=ANY)
    assert [(e.city, e.city_name, e.member) for e in found] == [("london", "London", False)]


def test_summaries_keep_one_or_two_sentences():
    assert summarise("Ghent grants rights. The first cases were three. A fourth followed.") == (
        "Ghent grants rights. The first cases were three."
    )
    assert summarise("Prof. Bharosa of TU Delft spoke, e.g. on eligibility. Then more.") == (
        "Prof. Bharosa of TU Delft spoke, e.g. on eligibility. Then more."
    )
    long_first = "word " * 80 + "end. Second."
    out = summarise(long_first)
    assert out.endswith(" …") and len(out) <= 242
    two = "A" * 150 + ". " + "B" * 150 + "."
    assert summarise(two) == "A" * 150 + "."
    assert summarise("") == ""


# --- the session pack ----------------------------------------------------------


@pytest.fixture
def pack(knowledge_searcher_fake, catalog) -> SessionPack:
    return session_pack(knowledge_searcher_fake, catalog, "proactive services", n=4, min_score=ANY,
                        today=dt.date(2026, 11, 23))


def test_markdown_pack_has_every_section(pack):
    md = pack.to_markdown()
    headings = re.findall(r"^#+ .*$", md, re.M)
    assert headings == [
        "# UserCentriCafé session pack: proactive services",
        "## Examples",
        "## Guides to read",
        "## Cities strong on the related sub-indicators",
        "## Discussion prompts",
    ]
    assert "self-assessment, revision 2023, source https://www.usercentricities.eu/ucdashboard" in md
    assert "Generated on 2026-11-23" in md and "UserCentriCities knowledge base" in md
    for e in pack.examples:
        assert e.url in md
    assert "toolkit/proactive-services.md" in md
    examples_table = md.split("## Examples", 1)[1].split("## Guides", 1)[0]
    assert len([ln for ln in examples_table.splitlines() if ln.startswith("| ")]) == 1 + len(pack.examples)


def test_strong_cities_are_green_in_the_latest_revision(pack, catalog):
    assert pack.revision == "2023"
    assert 1 <= len(pack.subindicators) <= 3
    counts = [s.entries for s in pack.subindicators]
    assert counts == sorted(counts, reverse=True)
    rows = {r.city: r for r in catalog.rows("2023")}
    for sub in pack.subindicators:
        assert sub.name == catalog.framework.revision("2023").subindicator(sub.id).name
        for strong in sub.strong:
            score = rows[strong.city].scores[sub.id]
            assert str(score) == strong.score and display_fraction(score) >= 0.67  # 2/3 shows as 0.67
        greens = {c for c, r in rows.items() if sub.id in r.scores and display_fraction(r.scores[sub.id]) >= 0.67}
        assert {s.city for s in sub.strong} == greens


def test_prompts_are_questions_that_fit(pack):
    assert 3 <= len(pack.prompts) <= 5
    assert all(p.endswith("?") for p in pack.prompts)
    assert any("proactive services" in p for p in pack.prompts)
    eligibility = [p for p in pack.prompts if "eligible without an application" in p]
    assert len(eligibility) <= 1
    if eligibility:  # only for an example granted or offered without an application
        assert any(e.city_name in eligibility[0] and "proactive services" in e.tags for e in pack.examples)


def test_prompts_without_examples_still_ask_questions():
    prompts = ex.discussion_prompts("chocolate cake", [])
    assert 3 <= len(prompts) <= 5 and all(p.endswith("?") for p in prompts)
    assert not any("eligible" in p for p in prompts)


def test_prompts_about_eligibility_only_when_it_fits():
    business = _example(title="FUE: the business one-stop shop", city="catalonia", city_name="Catalonia",
                        tags=["proactive services", "once-only", "business"])
    prompts = ex.discussion_prompts("one-stop shops", [business])
    assert not any("eligible" in p for p in prompts)
    assert any("Which existing data does Catalonia reuse for “FUE”" in p for p in prompts)
    family = _example(title="Proactive offer of places", city="helsinki", city_name="Helsinki",
                      tags=["proactive services", "families"])
    assert any("How did Helsinki decide who is eligible without an application" in p
               for p in ex.discussion_prompts("proactive services", [family]))


def test_json_shape(pack):
    data = json.loads(json.dumps(pack.to_dict()))
    assert set(data) == {"topic", "filters", "generated", "examples", "guides", "subindicators", "benchmark", "prompts"}
    assert data["topic"] == "proactive services" and data["generated"] == "2026-11-23"
    assert data["benchmark"]["assessment"] == "self-assessment" and data["benchmark"]["revision"] == "2023"
    for e in data["examples"]:
        assert set(e) >= {"title", "city", "city_name", "country", "year", "kind", "summary", "url", "doc_id",
                          "source", "score", "award", "subindicators", "principles"}
    for s in data["subindicators"]:
        assert set(s) >= {"id", "name", "entries", "revision", "strong_cities"}


# --- CSV and Markdown safety ------------------------------------------------------


def test_csv_parses_back(pack):
    rows = list(csv.reader(io.StringIO(pack.to_csv())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + len(pack.examples)
    for row, e in zip(rows[1:], pack.examples):
        assert row[0] == e.title and row[5] == e.summary and row[6] == (e.url or "") and row[7] == e.source


def test_csv_neutralises_formulas_and_quotes_properly():
    nasty = [
        _example(title='=HYPERLINK("http://evil","click")', summary='He said "hi", then left.\nNew line.'),
        _example(title="+1+2", city_name="-3", country="@SUM(A1)", summary="\tTabbed", url="=cmd|' /C calc'!A0"),
    ]
    rows = list(csv.reader(io.StringIO(examples_csv(nasty))))
    assert rows[1][0] == '\'=HYPERLINK("http://evil","click")'
    assert rows[1][5] == 'He said "hi", then left.\nNew line.'
    assert rows[2][:3] == ["'+1+2", "'-3", "'@SUM(A1)"]
    assert rows[2][5] == "'\tTabbed" and rows[2][6].startswith("'=")
    for row in rows[1:]:
        assert not any(cell[:1] in "=+-@" for cell in row if cell)
    assert safe_cell(None) == "" and safe_cell(2021) == "2021" and safe_cell("Ghent") == "Ghent"


def test_markdown_survives_pipes_and_brackets():
    tricky = _example(title="Apps | [beta] (v2)", summary="A | B [c](d).", url="https://example.org/a (b)")
    pack = SessionPack("pipes | and [links]\n# not a heading", [tricky], [], [], ["Why?"] * 3, dt.date(2026, 1, 1))
    md = pack.to_markdown()
    assert md.splitlines()[0] == r"# UserCentriCafé session pack: pipes \| and \[links\] # not a heading"
    row = next(ln for ln in md.splitlines() if ln.startswith("| 1 |"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 7  # 6 columns, none split by the title or summary
    assert r"[Apps \| \[beta\] (v2)](https://example.org/a%20%28b%29)" in row
    assert md_url("javascript:alert(1)") is None and md_url("https://x.org/") == "https://x.org/"


# --- the command -------------------------------------------------------------------


@pytest.fixture
def run(knowledge_searcher_fake, monkeypatch):
    monkeypatch.setenv("UCC_KNOWLEDGE_DIR", str(REPO / "knowledge"))
    monkeypatch.setattr("app.commands.examples.Searcher", lambda settings: knowledge_searcher_fake)
    monkeypatch.setattr(ex.finding, "DEFAULT_MIN_SCORE", ANY)  # where the floor is read

    def invoke(*args):
        return CliRunner().invoke(examples_command, [str(a) for a in args])

    return invoke


def test_command_text(run):
    result = run("proactive services", "-n", "3")
    assert result.exit_code == 0, result.output
    assert result.output.startswith('3 examples for "proactive services"')
    assert re.search(r"^1\. Proactive", result.output, re.M) and re.search(r"^3\. ", result.output, re.M)
    assert re.search(r"^   https?://", result.output, re.M)  # details aligned under the title
    assert "knowledge base: " in result.output


def test_command_formats(run):
    md = run("proactive services", "--format", "md")
    assert md.exit_code == 0 and "## Discussion prompts" in md.output
    out = run("proactive services", "--format", "csv", "-n", "2")
    rows = list(csv.reader(io.StringIO(out.output)))
    assert out.exit_code == 0 and tuple(rows[0]) == CSV_COLUMNS and len(rows) == 3
    data = json.loads(run("proactive services", "--format", "json", "-n", "2").output)
    assert len(data["examples"]) == 2 and data["benchmark"]["revision"] == "2023"


def test_command_filters_and_all_per_city(run):
    data = json.loads(run("apps", "--format", "json", "--city", "madrid", "--all-per-city", "-n", "10").output)
    assert len(data["examples"]) == 4 and {e["city"] for e in data["examples"]} == {"madrid"}
    data = json.loads(run("apps", "--format", "json", "--country", "Spain", "--kind", "case").output)
    assert {(e["country"], e["kind"]) for e in data["examples"]} == {("Spain", "case")}
    data = json.loads(run("apps", "--format", "json", "--subindicator", "2.5").output)
    assert data["examples"] and all("2.5" in e["subindicators"] for e in data["examples"])


def test_command_errors(run):
    assert run("proactive services", "-n", "0").exit_code == 2
    assert run("proactive services", "-n", "21").exit_code == 2
    assert run("proactive services", "--format", "pdf").exit_code == 2
    empty = run("   ")
    assert empty.exit_code == 1 and "Give a topic" in empty.output


def test_command_help_has_an_example():
    assert "Example: ucc examples" in CliRunner().invoke(examples_command, ["--help"]).output


def test_text_without_examples():
    assert "No service or case" in render_text("chocolate cake recipe", [])


# --- relevance with the real model -------------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("topic", ["chocolate cake recipe", "football transfer rumours", "how to tune a guitar"])
def test_weak_topic_gives_no_examples(knowledge_searcher, catalog, topic):
    assert examples(knowledge_searcher, catalog, topic, n=5) == []
    pack = session_pack(knowledge_searcher, catalog, topic)
    assert pack.examples == [] and pack.to_csv().strip() == ",".join(CSV_COLUMNS)
    assert "No service or case in the knowledge base matches" in pack.to_markdown()


@pytest.mark.model
@pytest.mark.parametrize(
    "topic, expected",
    [
        ("proactive services without an application", {"ghent", "helsinki"}),
        ("reporting problems in public space", {"rotterdam", "paris", "brussels-capital-region"}),
        ("participatory budgeting", {"paris", "lisbon", "helsinki", "murcia"}),
    ],
)
def test_real_topics_find_their_examples(knowledge_searcher, catalog, topic, expected):
    found = examples(knowledge_searcher, catalog, topic, n=5)
    assert expected <= {e.city for e in found}
    assert all(e.score >= DEFAULT_MIN_SCORE for e in found)
