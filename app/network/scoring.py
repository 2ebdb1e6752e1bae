"""The benchmarking dashboard's arithmetic, as its source code does it.

Source: ``custom/ucdashboard/src/Controller/DashboardController.php`` in
lisboncouncil/ucdashboard (see ``knowledge/benchmark/framework.yaml``).

- A sub-indicator's fraction is ``yes / n``, shown rounded to 2 decimals.
- A city's percentage is the plain mean of its sub-indicator fractions, shown
  as a whole percentage (half rounds up). By default the mean is taken over the
  exact fractions; ``rounded_fractions=True`` averages the 2-decimal values as
  the dashboard's PHP does. The published rows give the same whole percentage
  either way.
- Ranks follow the whole percentage; equal percentages share a rank (1, 1, 3).
- Colours: a displayed fraction up to 0.33 is red, up to 0.66 orange, above green.
- A pillar's average is every Yes in the pillar over every question in it,
  across the cities given.

Scores are anything with ``yes`` and ``n`` attributes (such as
:class:`app.network.models.SubScore`) or ``(yes, n)`` tuples.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Iterable, Mapping, Protocol, Union

from indexer.errors import InvalidRequest

RED_MAX = 0.33
ORANGE_MAX = 0.66
# The same colours on exact fractions: the dashboard colours the fraction rounded (half up) to 2
# decimals, so above 0.66 (green) is >= 0.665 (2/3 is green) and up to 0.33 (red) is < 0.335
# (1/3 is red).
STRONG = 0.665
WEAK = 0.335


class HasYesN(Protocol):
    yes: int
    n: int


Score = Union[HasYesN, tuple[int, int]]
Scores = Mapping[str, Score]


def _yes_n(score: Score) -> tuple[int, int]:
    yes, n = score if isinstance(score, tuple) else (score.yes, score.n)
    if n <= 0 or yes < 0 or yes > n:
        raise InvalidRequest(f"a score must have 0 <= yes <= n and n > 0, got {yes}/{n}")
    return yes, n


def round_half_up(value: float | Fraction, digits: int = 0) -> Decimal:
    """Round halves away from zero, as PHP's ``round`` does (Python's rounds to even)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(repr(value))
    return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def fraction(score: Score) -> Fraction:
    """The exact share of Yes answers in one sub-indicator."""
    yes, n = _yes_n(score)
    return Fraction(yes, n)


def display_fraction(score: Score) -> float:
    """The share of Yes answers rounded to 2 decimals, as the dashboard shows it."""
    return float(round_half_up(fraction(score), 2))


def colour(score: Score) -> str:
    """``red``, ``orange`` or ``green`` for one sub-indicator (from its displayed fraction)."""
    shown = display_fraction(score)
    if shown <= RED_MAX:
        return "red"
    if shown <= ORANGE_MAX:
        return "orange"
    return "green"


def city_percentage(scores: Scores, *, rounded_fractions: bool = False) -> float:
    """A city's score in percent (0 to 100, unrounded): the mean of its fractions.

    :param rounded_fractions: average the 2-decimal fractions, as the dashboard code does.
    :raise InvalidRequest: no scores, or an impossible score.
    """
    return float(_exact_percentage(scores, rounded_fractions=rounded_fractions))


def _exact_percentage(scores: Scores, *, rounded_fractions: bool = False) -> Fraction:
    if not scores:
        raise InvalidRequest("a city percentage needs at least one sub-indicator score")
    if rounded_fractions:
        parts = [Fraction(round_half_up(fraction(s), 2)) for s in scores.values()]
    else:
        parts = [fraction(s) for s in scores.values()]
    return sum(parts, Fraction(0)) / len(parts) * 100


def rounded_percentage(scores: Scores, *, rounded_fractions: bool = False) -> int:
    """The whole percentage shown on the dashboard."""
    return int(round_half_up(_exact_percentage(scores, rounded_fractions=rounded_fractions)))


@dataclass(frozen=True)
class RankedCity:
    city: str
    percentage: float  # unrounded, 0-100
    shown: int  # whole percentage
    rank: int

    def to_dict(self) -> dict[str, object]:
        return {"city": self.city, "percentage": self.percentage, "shown": self.shown, "rank": self.rank}


def rank(percentages: Mapping[str, float]) -> list[RankedCity]:
    """Rank cities by percentage (0-100). Equal whole percentages share a rank: 1, 1, 3.

    Ordered best first; among equals, by unrounded percentage, then by name.
    """
    ordered = sorted(percentages.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [int(round_half_up(p)) for _, p in ordered]
    result: list[RankedCity] = []
    for i, (city, pct) in enumerate(ordered):
        place = i + 1 if i == 0 or shown[i] != shown[i - 1] else result[-1].rank
        result.append(RankedCity(city, pct, shown[i], place))
    return result


def rank_rows(rows: Iterable[tuple[str, Scores]]) -> list[RankedCity]:
    """Rank ``(city, scores)`` pairs by their recomputed percentage."""
    return rank({city: city_percentage(scores) for city, scores in rows})


def pillar_average(score_sets: Iterable[Scores], subindicator_ids: Iterable[str]) -> float:
    """All Yes answers over all questions of the given sub-indicators, across cities (0 to 1).

    A city without a score for one of the sub-indicators simply adds nothing for it.
    """
    ids = set(subindicator_ids)
    yes_total = n_total = 0
    for scores in score_sets:
        for sub_id, score in scores.items():
            if sub_id in ids:
                yes, n = _yes_n(score)
                yes_total += yes
                n_total += n
    if n_total == 0:
        raise InvalidRequest("no scores for this pillar")
    return yes_total / n_total


def shown_pillar_average(score_sets: Iterable[Scores], subindicator_ids: Iterable[str]) -> int:
    """The pillar average as the dashboard shows it: 2 decimals, as a whole percentage."""
    return int(round_half_up(pillar_average(score_sets, subindicator_ids), 2) * 100)


@dataclass(frozen=True)
class PeerComparison:
    subindicator: str
    city: float  # the city's fraction, 0-1
    peer_median: float | None  # None when no peer has this sub-indicator
    peers: int
    difference: float | None  # city minus peer median

    def to_dict(self) -> dict[str, object]:
        return {
            "subindicator": self.subindicator,
            "city": self.city,
            "peer_median": self.peer_median,
            "peers": self.peers,
            "difference": self.difference,
        }


def compare_to_peers(city_scores: Scores, peer_scores: Iterable[Scores]) -> list[PeerComparison]:
    """For each of the city's sub-indicators: its fraction against the peers' median.

    ``peer_scores`` should not include the city itself.
    """
    peers = list(peer_scores)
    result = []
    for sub_id, score in city_scores.items():
        mine = float(fraction(score))
        values = [float(fraction(p[sub_id])) for p in peers if sub_id in p]
        median = statistics.median(values) if values else None
        diff = None if median is None else mine - median
        result.append(PeerComparison(sub_id, mine, median, len(values), diff))
    return result


@dataclass(frozen=True)
class Change:
    subindicator: str
    before: float  # fraction, 0-1
    after: float
    delta: float

    def to_dict(self) -> dict[str, object]:
        return {"subindicator": self.subindicator, "before": self.before, "after": self.after, "delta": self.delta}


def change_between(before: Scores, after: Scores) -> list[Change]:
    """Fraction changes for the sub-indicators present in both revisions, in ``after``'s order.

    Sub-indicators in only one revision (2.6 only in 2023, 3.4 only in 2022) are left out.
    """
    result = []
    for sub_id, score in after.items():
        if sub_id in before:
            old, new = float(fraction(before[sub_id])), float(fraction(score))
            result.append(Change(sub_id, old, new, new - old))
    return result
