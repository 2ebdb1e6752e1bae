"""Loading the structured reference data of the knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.network.catalog import Catalog, load_cities
from app.network.models import SubScore
from indexer.errors import DatasetError, NotFound

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"

FOUNDING = {"espoo", "milan", "murcia", "rotterdam", "tallinn", "emilia-romagna"}
PRINCIPLES = [
    "digital-interaction",
    "accessibility-security-availability-usability",
    "reduction-of-administrative-burden",
    "digital-delivery",
    "citizen-engagement",
    "incentives-for-digital-use",
    "protection-of-personal-data",
    "redress-and-complaints",
]


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load(KNOWLEDGE)


def test_twenty_six_members(catalog):
    slugs = [c.slug for c in catalog.cities]
    assert len(slugs) == 26 == len(set(slugs))
    assert {c.slug for c in catalog.cities if c.role == "founding"} == FOUNDING
    assert catalog.city("kronoberg").joined == "2022-06"


@pytest.mark.parametrize(
    "name,slug",
    [("Göteborg", "gothenburg"), ("milano", "milan"), ("Kiev", "kyiv"), ("Київ", "kyiv"), ("Gent", "ghent"),
     ("Bruxelles", "brussels-capital-region"), ("Helsingfors", "helsinki"), ("Lisboa", "lisbon"),
     ("Odesa de Montserrat", "olesa-de-montserrat"), ("emilia-romagna", "emilia-romagna")],
)
def test_find_city_by_local_name(catalog, name, slug):
    assert catalog.find_city(name).slug == slug


def test_unknown_city_is_not_found(catalog):
    with pytest.raises(NotFound):
        catalog.city("atlantis")
    with pytest.raises(NotFound):
        catalog.find_city("Atlantis")


def test_eight_principles_in_order(catalog):
    assert [p.id for p in catalog.principles] == PRINCIPLES
    assert [p.number for p in catalog.principles] == list(range(1, 9))
    assert all(p.mapping_confidence == "inferred" for p in catalog.principles)
    assert catalog.principle("citizen-engagement").subindicators == ["2.1"]


def test_framework_revisions(catalog):
    fw = catalog.framework
    r2023, r2022 = fw.revision("2023"), fw.revision("2022")
    assert len(r2023.field_ids) == 41 and len(r2022.field_ids) == 39
    assert "2.6" in r2023.subindicator_ids and "2.6" not in r2022.subindicator_ids
    assert "3.4" in r2022.subindicator_ids and "3.4" not in r2023.subindicator_ids
    assert r2022.subindicator_of_field("env_co2").id == "3.4"
    assert r2023.subindicator("1.2").n == 6
    assert r2023.pillar_of("2.6").name == "User-Centricity Performance"
    with pytest.raises(NotFound):
        fw.revision("2030")


def test_principle_mapping_uses_known_subindicators(catalog):
    known = catalog.framework.all_subindicator_ids()
    for p in catalog.principles:
        assert set(p.subindicators) <= known


def test_scores(catalog):
    published = catalog.score_files["scores-2023.yaml"]
    assert published.assessment == "self-assessment"
    milan = published.row("milan")
    assert milan.scores["2.2"] == SubScore(yes=2, n=5)
    assert str(milan.scores["2.2"]) == "2/5"
    assert len(catalog.rows("2023")) >= 11


def test_subscore_accepts_strings_and_yaml_true_key():
    assert SubScore.model_validate("3 / 4") == SubScore(yes=3, n=4)
    assert SubScore.model_validate({True: 1, "n": 2}) == SubScore(yes=1, n=2)


def test_missing_folder_and_bad_yaml(tmp_path):
    with pytest.raises(NotFound):
        Catalog.load(tmp_path / "nope")
    bad = tmp_path / "cities.yaml"
    bad.write_text("cities: [\n")
    with pytest.raises(DatasetError):
        load_cities(bad)
    bad.write_text("cities:\n  - slug: Not A Slug\n")
    with pytest.raises(DatasetError, match="slug"):
        load_cities(bad)
