"""app.network.cities: fuzzy and local names, profiles, similar members with reasons; the CLI commands."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from app.network.cities import BASES, CityDirectory
from app.network.names import normalise
from app.commands.cities import learn_from_command, paint, scores_command, similar_command, table
from app.errors import NoScores, UnknownCity
from indexer.errors import InvalidRequest, NotFound
from indexer.search import Searcher

from .conftest import REPO, knowledge_without


@pytest.fixture(scope="module")
def directory(catalog, knowledge_searcher_fake):
    return CityDirectory(catalog, knowledge_searcher_fake)


@pytest.fixture(scope="module")
def offline(catalog):
    return CityDirectory(catalog)


# --- names ------------------------------------------------------------------------


@pytest.mark.parametrize("name, slug", [
    ("Kiev", "kyiv"), ("Milano", "milan"), ("Bruxelles", "brussels-capital-region"), ("Gothenberg", "gothenburg"),
    ("Göteborg", "gothenburg"), ("Gent", "ghent"), ("Lisboa", "lisbon"),
    ("GOTEBORG", "gothenburg"), ("  lisboa ", "lisbon"), ("Mataro", "mataro"), ("Mataró", "mataro"),
    ("Catalunya", "catalonia"), ("Cataluna", "catalonia"), ("Київ", "kyiv"), ("Kiew", "kyiv"), ("Rīga", "riga"),
    ("Brussels Capital Region", "brussels-capital-region"), ("brussels-capital-region", "brussels-capital-region"),
    ("Odesa de Montserrat", "olesa-de-montserrat"), ("Esbo", "espoo"), ("Helsingfors", "helsinki"),
])
def test_local_names_and_known_spellings(offline, name, slug):
    assert offline.resolve(name).slug == slug


@pytest.mark.parametrize("name, slug", [
    ("Gotheburg", "gothenburg"), ("Barcelonna", "barcelona"), ("madird", "madrid"), ("Rotterdm", "rotterdam"),
    ("Lubljana", "ljubljana"), ("Helsinky", "helsinki"), ("murica", "murcia"),
    ("City of Ghent", "ghent"), ("Gemeente Utrecht", "utrecht"), ("Comune di Milano", "milan"),
    ("Olesa", "olesa-de-montserrat"), ("Emilia", "emilia-romagna"), ("Region Kronoberg", "kronoberg"),
])
def test_typos_prefixes_and_official_forms(offline, name, slug):
    assert offline.resolve(name).slug == slug


def test_unknown_city_gives_the_closest_suggestions(offline):
    with pytest.raises(UnknownCity) as err:
        offline.resolve("Amsterdam")
    exc = err.value
    assert isinstance(exc, NotFound) and exc.status == 404
    assert exc.name == "Amsterdam" and len(exc.suggestions) == 3 and exc.suggestions[0] == "Rotterdam"
    assert exc.message.startswith('No member city matches "Amsterdam". Did you mean: Rotterdam, ')


@pytest.mark.parametrize("name, first", [("Prato", "Porto"), ("Genk", "Ghent"), ("Bratislava", None), ("London", None)])
def test_near_misses_of_non_members_are_not_resolved(offline, name, first):
    """A different real place must not silently become a member; it is suggested instead."""
    with pytest.raises(UnknownCity) as err:
        offline.resolve(name)
    if first:
        assert err.value.suggestions[0] == first


def test_empty_name_is_a_bad_request(offline):
    with pytest.raises(InvalidRequest):
        offline.resolve("   ")


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def test_every_listed_name_resolves_in_any_case_and_without_accents(catalog, offline):
    for city in catalog.cities:
        for name in city.all_names:
            for form in (name, name.upper(), name.lower(), _strip_accents(name), name.replace("-", " ")):
                assert offline.resolve(form).slug == city.slug, form


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_resolve_either_finds_a_member_or_raises_a_user_error(offline, text):
    try:
        city = offline.resolve(text)
    except (UnknownCity, InvalidRequest) as exc:
        assert exc.message
    else:
        assert city.slug in {c.slug for c in offline.catalog.cities}


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["Gothenburg", "Rotterdam", "Barcelona", "Ljubljana", "Emilia-Romagna", "Terrassa"]),
       st.data())
def test_one_typo_in_a_long_name_still_resolves(offline, name, data):
    i = data.draw(st.integers(1, len(name) - 2))
    typo = name[:i] + name[i + 1:]  # drop one letter
    assert offline.resolve(typo).name == name


def test_normalise_folds_case_accents_and_punctuation():
    assert normalise("  Région de Bruxelles-Capitale ") == "region de bruxelles capitale"
    assert normalise("MATARÓ") == "mataro"


# --- profiles ---------------------------------------------------------------------


def test_profile_joins_context_scores_services_and_cases(directory):
    p = directory.profile("Gent")
    assert p["city"] == "ghent" and p["country"] == "Belgium" and p["type"] == "city"
    assert p["population_band"] == "100,000 to 300,000" and "approximate" in p["population_note"]
    assert p["languages"] == ["Dutch"]
    assert p["scores"]["percent"] == 75 and p["scores"]["label"] == "self-assessment"
    assert p["scores"]["weakest"][0]["id"] == "3.2"
    assert {d["doc_id"] for d in p["services"]} >= {"services/ghent-proactive-services.md",
                                                     "services/ghent-digipoints.md"}
    assert [d["doc_id"] for d in p["cases"]] == ["cases/ghent-proactive-rights.md"]
    assert all(d["kind"] == "service" for d in p["services"])


def test_profile_of_a_member_without_scores_says_so(directory):
    p = directory.profile("Barcelona")
    assert p["scores"] is None and "Only 11 members have named published rows" in p["scores_note"]
    assert any("decidim" in d["doc_id"] for d in p["services"])


def test_profile_without_an_index(catalog, settings):
    p = CityDirectory(catalog, Searcher(settings)).profile("Madrid")  # empty data dir: no index built
    assert p["services"] == [] and "not built" in p["services_note"] and p["scores"]["percent"] == 74
    assert p["population_note"].startswith("found:")  # Madrid's figure is cited


# --- similar ------------------------------------------------------------------------


def _check_order(result):
    keys = [(-m["score"], m["city"]) for m in result["matches"]]
    assert keys == sorted(keys)
    assert result["city"] not in [m["city"] for m in result["matches"]]


def test_similar_on_benchmark_names_shared_strengths(directory, catalog):
    r = directory.similar("Gent", k=3, basis="benchmark")
    _check_order(r)
    assert r["basis"] == "benchmark" and [m["city"] for m in r["matches"]][0] == "tallinn"
    scored = {row.city for row in catalog.rows("2023")}
    assert all(m["city"] in scored for m in r["matches"])
    top = r["matches"][0]
    assert re.match(r"both strong on \d\.\d [A-Z]", top["why"]) and "3.2 Reduction of burden" in top["why"]
    assert "self-assessment" in r["note"]


def test_similar_on_benchmark_for_a_member_without_scores(directory):
    with pytest.raises(NoScores, match="Barcelona has no published dashboard scores"):
        directory.similar("Barcelona", basis="benchmark")


def test_similar_on_context_explains_type_size_and_language(directory):
    r = directory.similar("Ghent", k=3, basis="context")
    _check_order(r)
    top = r["matches"][0]
    assert top["city"] == "utrecht"
    assert "both cities" in top["why"] and "comparable size" in top["why"] and "Dutch" in top["why"]
    regions = directory.similar("Catalonia", k=3, basis="context")["matches"]
    assert regions[0]["city"] == "emilia-romagna" and regions[0]["why"] == "both regions"


def test_similar_on_services_names_shared_topics(directory):
    r = directory.similar("Ghent", k=3, basis="services")
    _check_order(r)
    assert r["matches"][0]["city"] in {"helsinki", "catalonia"}
    assert "shared topics:" in r["matches"][0]["why"] and "proactive services" in r["matches"][0]["why"]
    assert all(m["score"] > 0 for m in r["matches"])


def test_similar_on_services_of_a_member_with_none_says_so(catalog, tmp_path):
    searcher = knowledge_without(tmp_path, lambda front, _: "\ncity: arezzo\n" in f"\n{front}")
    with pytest.raises(NotFound, match="no services or cases"):
        CityDirectory(catalog, searcher).similar("Arezzo", basis="services")


def test_similar_all_mixes_the_bases_available_and_says_which(directory):
    r = directory.similar("Ghent", k=5)
    _check_order(r)
    assert r["basis"] == "all" and len(r["matches"]) == 5
    for m in r["matches"]:
        assert "context" in m["bases"] and "[bases" not in m["why"] and m["why"]
        assert 0 <= m["score"] <= 1
    assert any("benchmark" in m["bases"] for m in r["matches"])
    b = directory.similar("Barcelona", k=5)
    assert all("benchmark" not in m["bases"] for m in b["matches"])
    assert "no published dashboard row" in b["note"]


def test_similar_without_an_index_still_uses_context_and_scores(offline):
    r = offline.similar("Ghent", k=3)
    assert r["matches"] and all("services" not in m["bases"] for m in r["matches"])
    assert "No search index" in r["note"]
    with pytest.raises(NotFound):
        offline.similar("Ghent", basis="services")


@pytest.mark.parametrize("kwargs", [{"basis": "vibes"}, {"k": 0}, {"k": 26}, {"k": "many"}])
def test_similar_rejects_bad_arguments(directory, kwargs):
    with pytest.raises(InvalidRequest):
        directory.similar("Ghent", **kwargs)


@pytest.mark.parametrize("basis", ["benchmark", "context", "services", "all"])
def test_similar_is_deterministic_and_cached(directory, basis):
    assert basis in BASES
    first = directory.similar("Rotterdam", k=5, basis=basis)
    assert directory.similar("rotterdam", k=5, basis=basis) == first


# --- CLI ----------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, knowledge_searcher_fake):
    monkeypatch.setenv("UCC_KNOWLEDGE_DIR", str(REPO / "knowledge"))
    monkeypatch.setattr("indexer.search.Searcher", lambda settings: knowledge_searcher_fake)

    def run(command, *args):
        return CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)

    return run


def test_cli_similar_json_shape(cli):
    r = cli(similar_command, "Gothenberg", "-k", "3", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) == {"city", "matches"} and data["city"] == "gothenburg" and len(data["matches"]) == 3
    assert all(set(m) == {"city", "score", "why"} and m["why"] for m in data["matches"])


def test_cli_similar_plain_table(cli):
    r = cli(similar_command, "Milano", "--basis", "benchmark")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "Members most like Milan (basis: benchmark)"
    header = lines[1]
    assert header.split() == ["#", "Member", "Score", "Why"]
    why_col = header.index("Why")
    assert all(line[why_col - 2:why_col] == "  " for line in lines[2:7])  # aligned columns
    assert "\x1b[" not in r.stdout


def test_cli_unknown_city_shows_suggestions(cli):
    r = cli(similar_command, "Gothamstadt")
    assert r.exit_code == 1
    assert 'No member city matches "Gothamstadt". Did you mean: Gothenburg' in r.output
    r = cli(scores_command, "Atlantis")
    assert r.exit_code == 1 and "Did you mean:" in r.output


def test_cli_scores_json_shape(cli):
    r = cli(scores_command, "Gent", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) == {"city", "revision", "percent", "rank", "subindicators", "source", "label"}
    assert (data["city"], data["revision"], data["percent"], data["rank"]) == ("ghent", "2023", 75, 3)
    assert data["label"] == "self-assessment" and data["source"].startswith("https://")
    assert data["subindicators"][0] == {"id": "1.1", "name": "Skills", "yes": 4, "total": 4}
    assert len(data["subindicators"]) == 12


def test_cli_scores_ranking_and_city_tables(cli):
    r = cli(scores_command)
    assert r.exit_code == 0
    assert "revision 2023 (self-assessment" in r.stdout
    rows = [line for line in r.stdout.splitlines() if line.strip().startswith("3 ")]
    assert len(rows) == 2 and "Tallinn" in rows[0] and "Ghent" in rows[1]
    assert "published 69%" in r.stdout
    data = json.loads(cli(scores_command, "--json").stdout)
    assert [x["rank"] for x in data["ranking"]] == [1, 2, 3, 3, 5, 6, 7, 7, 9, 9, 11]
    r = cli(scores_command, "Ghent")
    assert "3.2  Reduction of burden" in r.stdout and "red" in r.stdout and "\x1b[" not in r.stdout


def test_cli_scores_member_without_row_and_bad_revision(cli):
    r = cli(scores_command, "Barcelona")
    assert r.exit_code == 1 and "no published dashboard scores" in r.output
    r = cli(scores_command, "--revision", "2022")
    assert r.exit_code == 1 and "No dashboard scores are stored for revision 2022" in r.output


def test_colours_only_when_asked():
    assert paint("0.33", "red", False) == "0.33"
    assert paint("0.33", "red", True) == "\x1b[31m0.33\x1b[0m"
    assert paint("0.50", "orange", True).startswith("\x1b[33m")
    lines = table(("A", "B"), [("x", "1"), ("yy", "22")], right=(1,), colours=[{1: "green"}, {}], color=True)
    assert lines[0] == "A    B" and lines[1] == "x   \x1b[32m 1\x1b[0m" and lines[2] == "yy  22"


def test_commands_have_examples():
    for command in (similar_command, learn_from_command, scores_command):
        assert "Example:" in command.help
