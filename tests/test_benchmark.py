"""app.network.benchmark: ranking with ties, city scores and colours, pillar averages, peers, change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.network.benchmark import Benchmark
from app.network.catalog import Catalog
from app.errors import NoScores
from indexer.errors import NotFound

from .conftest import REPO, write

SOURCE = "https://www.usercentricities.eu/ucdashboard"
PUBLISHED = {"milan": 87, "rotterdam": 86, "tallinn": 75, "ghent": 75, "madrid": 74, "utrecht": 71,
             "helsinki": 65, "kyiv": 65, "porto": 58, "espoo": 58, "murcia": 52}


@pytest.fixture(scope="module")
def bench():
    return Benchmark(Catalog.load(REPO / "knowledge"))


def test_ranking_recomputes_every_published_percentage(bench):
    result = bench.ranking()
    assert result["revision"] == "2023" and result["label"] == "self-assessment" and result["source"] == SOURCE
    got = {r["city"]: r["percent"] for r in result["ranking"]}
    assert got == PUBLISHED
    assert all(r["recomputes"] is True and r["published_percent"] == r["percent"] for r in result["ranking"])


def test_ranking_ties_share_a_rank_and_the_next_rank_skips(bench):
    ranks = {r["city"]: r["rank"] for r in bench.ranking("2023")["ranking"]}
    assert ranks["milan"] == 1 and ranks["rotterdam"] == 2
    assert ranks["tallinn"] == ranks["ghent"] == 3  # 75.0 and 74.9 both show as 75%
    assert ranks["madrid"] == 5
    assert ranks["helsinki"] == ranks["kyiv"] == 7
    assert ranks["porto"] == ranks["espoo"] == 9
    assert ranks["murcia"] == 11
    order = [r["city"] for r in bench.ranking()["ranking"]]
    assert order.index("tallinn") < order.index("ghent")  # among equals, the higher exact percentage first


def test_ranking_keeps_published_ranks_and_says_they_have_gaps(bench):
    rows = {r["city"]: r for r in bench.ranking()["ranking"]}
    assert rows["rotterdam"]["published_rank"] == 3 and rows["murcia"]["published_rank"] == 15
    assert "names were lost" in bench.ranking()["note"]


def test_unknown_or_empty_revision(bench):
    with pytest.raises(NotFound, match="unknown benchmark revision"):
        bench.ranking("1999")
    with pytest.raises(NotFound, match="No dashboard scores are stored for revision 2022"):
        bench.ranking("2022")


def test_city_scores_colours_pillars_and_rank(bench):
    r = bench.city_scores("ghent")
    assert (r["label"], r["revision"], r["source"]) == ("self-assessment", "2023", SOURCE)
    assert r["percent"] == 75 and r["rank"] == 3 and r["of"] == 11 and r["published_rank"] == 5 and r["recomputes"]
    subs = {s["id"]: s for s in r["subindicators"]}
    assert [s["id"] for s in r["subindicators"]][:3] == ["1.1", "1.2", "1.3"] and len(subs) == 12
    assert subs["1.2"] == {"id": "1.2", "name": "Strategies", "pillar": "1", "yes": 4, "total": 6,
                           "fraction": 0.67, "colour": "green"}  # 0.67 shown is above 0.66
    assert subs["2.1"]["colour"] == "orange" and subs["3.2"]["colour"] == "red"
    pillars = {p["id"]: p for p in r["pillars"]}
    assert (pillars["1"]["yes"], pillars["1"]["total"]) == (11, 13)
    assert (pillars["3"]["yes"], pillars["3"]["total"], pillars["3"]["colour"]) == (3, 6, "orange")


def test_one_third_shows_red_as_on_the_dashboard(bench):
    subs = {s["id"]: s for s in bench.city_scores("madrid")["subindicators"]}
    assert subs["2.6"]["yes"] == 1 and subs["2.6"]["fraction"] == 0.33 and subs["2.6"]["colour"] == "red"


def test_member_without_a_row_gets_a_plain_no_scores_error(bench):
    with pytest.raises(NoScores) as err:
        bench.city_scores("barcelona")
    assert isinstance(err.value, NotFound) and err.value.status == 404
    assert "Only 11 members have named published rows in 2023" in err.value.message
    assert "Ghent" in err.value.message


def test_pillar_averages_follow_the_dashboard_rule(bench):
    r = bench.pillar_averages()
    assert r["label"] == "self-assessment" and r["revision"] == "2023" and r["source"] == SOURCE
    pillars = {p["id"]: p for p in r["pillars"]}
    catalog = bench.catalog
    for pid, ids in (("1", ["1.1", "1.2", "1.3"]), ("3", ["3.1", "3.2", "3.3"])):
        yes = sum(row.scores[i].yes for row in catalog.rows("2023") for i in ids)
        total = sum(row.scores[i].n for row in catalog.rows("2023") for i in ids)
        assert (pillars[pid]["yes"], pillars[pid]["total"]) == (yes, total)
        assert pillars[pid]["average"] == pytest.approx(yes / total, abs=1e-4)
    assert (pillars["1"]["yes"], pillars["1"]["total"], pillars["1"]["percent"]) == (121, 143, 85)
    # The published 69/56/41 include rows whose names were lost: shown, and said to differ.
    assert [pillars[p]["published_percent"] for p in "123"] == [69, 56, 41]
    assert [pillars[p]["percent"] for p in "123"] != [69, 56, 41]
    assert "differ" in r["note"]


def test_versus_peers_uses_the_median_of_the_other_rows(bench):
    r = bench.versus_peers("ghent")
    assert r["label"] == "self-assessment" and "ghent" not in r["peers"] and len(r["peers"]) == 10
    subs = {s["id"]: s for s in r["subindicators"]}
    # Peers' 2.1: .2 .4 .4 .4 .6 .8 .8 .8 1 1 -> median .7; Ghent has 3/5.
    assert subs["2.1"]["peer_median"] == pytest.approx(0.7) and subs["2.1"]["position"] == "below"
    assert subs["2.1"]["difference"] == pytest.approx(-0.1)
    assert subs["2.2"]["position"] == "above" and subs["3.2"]["position"] == "level"
    assert "2.1" in r["below"] and "2.2" in r["above"]


def test_change_with_one_revision_says_so(bench):
    r = bench.change("ghent")
    assert r["changes"] == [] and r["revisions"] == ["2023"]
    assert "Only one revision (2023)" in r["note"] and r["label"] == "self-assessment" and r["source"] == SOURCE
    with pytest.raises(NoScores):
        bench.change("barcelona")


def _knowledge_with_2022(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "benchmark").mkdir(parents=True)
    for name in ("cities.yaml", "principles.yaml"):
        shutil.copy(REPO / "knowledge" / name, root / name)
    for name in ("framework.yaml", "scores-2023.yaml"):
        shutil.copy(REPO / "knowledge" / "benchmark" / name, root / "benchmark" / name)
    write(root / "benchmark" / "scores-2022.yaml", """\
revision: '2022'
assessment: self-assessment
status: imported
sources: [https://example.org/dashboard-2022]
rows:
- city: ghent
  revision: '2022'
  assessment: self-assessment
  scores: {'1.1': 2/4, '1.2': 4/6, '1.3': 3/3, '2.1': 1/5, '2.2': 4/5, '2.3': 3/4, '2.4': 3/3, '2.5': 2/2,
           '3.1': 1/2, '3.2': 0/2, '3.3': 2/2, '3.4': 0/1}
  source: https://example.org/dashboard-2022
""")
    return root


def test_change_between_two_revisions(tmp_path):
    bench = Benchmark(Catalog.load(_knowledge_with_2022(tmp_path)))
    assert bench.revisions == ["2023", "2022"] and bench.latest_revision() == "2023"
    r = bench.change("ghent")
    assert r["revisions"] == ["2022", "2023"] and r["label"] == "self-assessment"
    deltas = {c["id"]: c for c in r["changes"]}
    assert deltas["1.1"]["before"] == 0.5 and deltas["1.1"]["after"] == 1.0 and deltas["1.1"]["delta"] == 0.5
    assert deltas["2.1"]["delta"] == pytest.approx(0.4)
    assert "2.6" not in deltas and "3.4" not in deltas and "2.6, 3.4" in r["note"]
    assert bench.change("rotterdam")["changes"] == []  # only in 2023
    assert bench.ranking("2022")["source"] == "https://example.org/dashboard-2022"


def test_results_are_copies(bench):
    first = bench.ranking()
    first["ranking"].clear()
    first["label"] = "audited"
    again = bench.ranking()
    assert again["label"] == "self-assessment" and len(again["ranking"]) == 11
    scores = bench.city_scores("milan")
    scores["subindicators"][0]["yes"] = 99
    assert bench.city_scores("milan")["subindicators"][0]["yes"] == 4


@pytest.mark.parametrize("call", [
    lambda b: b.ranking(), lambda b: b.city_scores("kyiv"), lambda b: b.pillar_averages(),
    lambda b: b.versus_peers("kyiv"), lambda b: b.change("kyiv"),
])
def test_every_result_is_labelled(bench, call):
    r = call(bench)
    assert r["label"] == "self-assessment" and r["revision"] == "2023" and r["source"].startswith("https://")
