"""The dashboard arithmetic against the published 2023 rows, plus property tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.network.catalog import Catalog
from app.network.scoring import (
    change_between,
    city_percentage,
    colour,
    compare_to_peers,
    display_fraction,
    pillar_average,
    rank,
    rank_rows,
    round_half_up,
    rounded_percentage,
    shown_pillar_average,
)
from indexer.errors import InvalidRequest

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"

PUBLISHED = {
    "milan": 87,
    "rotterdam": 86,
    "tallinn": 75,
    "ghent": 75,
    "madrid": 74,
    "utrecht": 71,
    "helsinki": 65,
    "kyiv": 65,
    "porto": 58,
    "espoo": 58,
    "murcia": 52,
}


@pytest.fixture(scope="module")
def rows():
    return Catalog.load(KNOWLEDGE).score_files["scores-2023.yaml"].rows


def test_published_rows_are_the_named_ones(rows):
    assert {r.city for r in rows} == set(PUBLISHED)


@pytest.mark.parametrize("rounded_fractions", [False, True])
def test_recomputed_percentages_equal_published(rows, rounded_fractions):
    got = {r.city: rounded_percentage(r.scores, rounded_fractions=rounded_fractions) for r in rows}
    assert got == PUBLISHED
    assert all(got[r.city] == r.published_percentage for r in rows)


def test_unrounded_values_match_the_fact_sheet(rows):
    by_city = {r.city: r for r in rows}
    assert round(city_percentage(by_city["milan"].scores), 1) == 87.4
    assert round(city_percentage(by_city["rotterdam"].scores), 1) == 85.6
    assert round(city_percentage(by_city["ghent"].scores), 1) == 74.9


def test_shared_ranks(rows):
    ranked = {r.city: r.rank for r in rank_rows((row.city, row.scores) for row in rows)}
    assert ranked["milan"] == 1
    assert ranked["rotterdam"] == 2
    assert ranked["tallinn"] == ranked["ghent"] == 3
    assert ranked["madrid"] == 5
    assert ranked["helsinki"] == ranked["kyiv"] == 7
    assert ranked["porto"] == ranked["espoo"] == 9
    assert ranked["murcia"] == 11


def test_published_ranks_follow_the_same_order(rows):
    """Published ranks come from the full table (with unnamed rows) but agree in order and ties."""
    ranked = rank_rows((row.city, row.scores) for row in rows)
    published = {r.city: r.published_rank for r in rows}
    ours = [r.rank for r in ranked]
    theirs = [published[r.city] for r in ranked]
    assert theirs == sorted(theirs)
    for i in range(1, len(ranked)):
        assert (ours[i] == ours[i - 1]) == (theirs[i] == theirs[i - 1])


def test_rank_skips_after_ties():
    ranked = rank({"a": 75.0, "b": 74.9, "c": 74.3})
    assert [(r.city, r.shown, r.rank) for r in ranked] == [("a", 75, 1), ("b", 75, 1), ("c", 74, 3)]


def test_display_fraction_and_colours():
    assert display_fraction((2, 3)) == 0.67
    assert display_fraction((1, 3)) == 0.33
    assert colour((1, 3)) == "red"  # 0.33 shown
    assert colour((1, 2)) == "orange"
    assert colour((2, 3)) == "green"  # 0.67 shown
    assert colour((0, 5)) == "red"
    assert colour((4, 4)) == "green"


def test_round_half_up():
    assert round_half_up(64.5) == 65
    assert round_half_up(0.125, 2) == round_half_up(0.13, 2)


def test_pillar_average(rows):
    scores = [r.scores for r in rows]
    value = pillar_average(scores, ["3.1", "3.2", "3.3"])
    assert 0 <= value <= 1
    assert pillar_average([{"1.1": (1, 4), "1.2": (3, 6)}, {"1.1": (4, 4)}], ["1.1", "1.2"]) == 8 / 14
    assert shown_pillar_average([{"1.1": (1, 3)}], ["1.1"]) == 33


def test_compare_to_peers():
    result = compare_to_peers({"1.1": (2, 4)}, [{"1.1": (4, 4)}, {"1.1": (1, 4)}, {"1.1": (3, 4)}])
    (item,) = result
    assert item.peer_median == 0.75 and item.peers == 3 and item.difference == -0.25
    (lonely,) = compare_to_peers({"2.6": (1, 3)}, [{"1.1": (4, 4)}])
    assert lonely.peer_median is None and lonely.difference is None


def test_change_between_revisions_keeps_shared_subindicators():
    before = {"1.1": (2, 4), "3.4": (0, 1)}
    after = {"1.1": (3, 4), "2.6": (1, 3)}
    (change,) = change_between(before, after)
    assert change.subindicator == "1.1" and change.delta == 0.25


def test_bad_scores_are_refused():
    with pytest.raises(InvalidRequest):
        city_percentage({})
    with pytest.raises(InvalidRequest):
        city_percentage({"1.1": (5, 4)})
    with pytest.raises(InvalidRequest):
        display_fraction((1, 0))


score = st.integers(min_value=1, max_value=8).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))
score_set = st.dictionaries(st.sampled_from(["1.1", "1.2", "2.1", "2.6", "3.3"]), score, min_size=1)


@given(score_set)
def test_percentage_is_between_0_and_100(scores):
    value = city_percentage(scores)
    assert 0 <= value <= 100
    assert 0 <= rounded_percentage(scores) <= 100
    assert abs(rounded_percentage(scores) - value) <= 0.5


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.floats(0, 100), min_size=1))
def test_ranks_are_monotonic_and_ties_equal(percentages):
    ranked = rank(percentages)
    assert len(ranked) == len(percentages)
    assert ranked[0].rank == 1
    for i, (prev, cur) in enumerate(zip(ranked, ranked[1:]), start=1):
        assert cur.percentage <= prev.percentage
        assert cur.rank >= prev.rank
        if cur.shown == prev.shown:
            assert cur.rank == prev.rank
        else:
            assert cur.rank == i + 1
        assert cur.rank == 1 + sum(1 for r in ranked if r.shown > cur.shown)


@given(score_set)
def test_all_yes_scores_100_and_all_no_scores_0(scores):
    assert city_percentage({k: (n, n) for k, (_, n) in scores.items()}) == 100
    assert city_percentage({k: (0, n) for k, (_, n) in scores.items()}) == 0
