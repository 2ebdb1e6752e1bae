"""What the API sends about the network: members, the dashboard's scores, similar members, peers
to learn from and session packs (typed dicts, as in :mod:`app.web.api.responses`).

Dashboard figures are the cities' own self-assessment: every score carries that ``label``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from typing_extensions import NotRequired, TypedDict

from app.network.cities import BASES
from app.web.api.responses import Colour, Object, about


class _Stamp(TypedDict):
    label: Annotated[str, about("Always 'self-assessment': the cities answered the dashboard questions themselves.")]
    revision: Annotated[str, about("Dashboard revision, e.g. 2023.")]
    source: Annotated[str | None, about("Where the figures come from.")]


class CitySummary(TypedDict):
    slug: str
    name: str
    local_names: list[str]
    country: str
    country_code: str
    type: Literal["city", "region"]
    role: Literal["founding", "participant"]
    capital: bool
    population_approx: int | None
    languages: list[str]
    has_scores: Annotated[bool, about("Has a named row in the latest dashboard revision.")]


class CityList(TypedDict):
    count: int
    cities: list[CitySummary]


class Score(TypedDict):
    id: str
    name: str
    yes: int
    total: int
    fraction: float
    colour: Colour


class ProfileScores(TypedDict):
    label: str
    revision: str
    source: NotRequired[str | None]
    percent: int
    pillars: NotRequired[list[Score]]
    strongest: NotRequired[list[Score]]
    weakest: NotRequired[list[Score]]


class Titled(TypedDict):
    title: str
    doc_id: str
    kind: str


class CityProfile(TypedDict):
    city: str
    name: str
    local_names: NotRequired[list[str]]
    country: str
    country_code: NotRequired[str]
    type: str
    capital: NotRequired[bool]
    role: str
    population_approx: NotRequired[int | None]
    population_band: NotRequired[str | None]
    languages: list[str]
    context: NotRequired[list[Object]]
    sources: NotRequired[list[str]]
    scores: ProfileScores | None
    scores_note: NotRequired[str | None]
    services: list[Titled]
    cases: list[Titled]
    services_note: NotRequired[str | None]


class Match(TypedDict):
    city: str
    name: str
    score: float
    why: str
    bases: NotRequired[list[str]]
    by_basis: NotRequired[Object]


class Similar(TypedDict):
    city: str
    name: str
    basis: Literal[BASES]
    matches: list[Match]
    note: NotRequired[str | None]


class Focus(TypedDict):
    subindicator: str
    name: str
    pillar: NotRequired[str]
    questions: NotRequired[list[str]]
    city_score: NotRequired[Object | None]
    network_median: NotRequired[float | None]
    peers: list[Object]
    examples: list[Object]
    guide: NotRequired[Object | None]
    why: NotRequired[str]


class LearnFrom(TypedDict):
    city: str
    name: str
    label: str
    revision: NotRequired[str]
    source: NotRequired[str | None]
    scores_missing: NotRequired[bool]
    note: NotRequired[str | None]
    focus: list[Focus]
    summary: str


class RankingRow(TypedDict):
    rank: int
    city: str
    name: str
    percent: int
    percentage: NotRequired[float]
    published_rank: NotRequired[int | None]
    published_percent: NotRequired[int | None]
    recomputes: NotRequired[bool | None]


class PillarAverage(TypedDict):
    id: str
    name: str
    yes: int
    total: int
    average: float
    percent: int
    published_percent: NotRequired[int | None]


class Ranking(_Stamp):
    label_note: NotRequired[str]
    cities: int
    ranking: list[RankingRow]
    note: NotRequired[str | None]
    pillars: list[PillarAverage]


class CitySubindicator(TypedDict):
    id: str
    name: str
    pillar: NotRequired[str]
    yes: int
    total: int
    fraction: float
    colour: NotRequired[Colour]


class PeerRow(TypedDict):
    id: str
    name: str
    city: float
    peer_median: float | None
    difference: float | None
    position: Literal["above", "below", "level"] | None
    peers: int


class VersusPeers(TypedDict):
    peers: list[str]
    subindicators: list[PeerRow]
    above: list[str]
    below: list[str]


class CityScores(TypedDict):
    label: str
    revision: str
    source: NotRequired[str | None]
    label_note: NotRequired[str]
    city: str
    name: str
    percent: int
    percentage: NotRequired[float]
    rank: int
    of: int
    published_rank: NotRequired[int | None]
    published_percent: NotRequired[int | None]
    subindicators: list[CitySubindicator]
    versus_peers: VersusPeers


class Example(TypedDict):
    title: str
    city: str | None
    city_name: str | None
    country: str | None
    year: int | None
    kind: str | None
    summary: str
    url: str | None
    doc_id: str
    source: str
    score: float
    award: Object | None
    subindicators: list[str]
    principles: list[str]
    member: bool


class Guide(TypedDict):
    title: str
    source: str
    doc_id: str
    score: float
    sections: list[str]
    subindicators: list[str]


class RelatedSubindicator(TypedDict):
    id: str
    name: str
    entries: int
    revision: str | None
    in_revision: bool
    strong_cities: list[Object]


class PackBenchmark(TypedDict):
    revision: str | None
    assessment: str
    sources: list[str]
    label: str


class SessionPack(TypedDict):
    topic: str
    filters: Object
    generated: date
    examples: list[Example]
    guides: list[Guide]
    subindicators: list[RelatedSubindicator]
    benchmark: PackBenchmark
    prompts: list[str]

