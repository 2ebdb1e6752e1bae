"""The shapes the knowledge folder's data must fit, as pydantic models.

- Front matter of Markdown entries, by ``kind`` (:data:`SCHEMAS`): services, cases, guides and
  network pages; services, cases and guides need ``sources``; each kind's required body
  sections are :data:`REQUIRED_SECTIONS`. Extra keys are allowed.
- A conflict between sources (``conflicts`` lists: front matter, ``cities.yaml``,
  ``network/awards.yaml``): the value followed, the others, and why.
- ``network/partners.yaml`` (partners and consortium snapshots) and ``network/awards.yaml``
  (each year's award): closed models, an unknown key is a problem.

Members, principles, the dashboard framework and score files have their models in
:mod:`app.network.models`, which the app reads them into; the checks validate against those.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.network.models import SLUG_PATTERN, Confidence

STATUSES = ("live", "pilot", "planned", "in-design", "discontinued", "unknown")
REQUIRED_SECTIONS: dict[str, tuple[str, ...]] = {
    "service": ("In a nutshell", "What makes it user-centric"),
    "case": ("Problem", "Approach", "Results", "Lessons"),
    "guide": ("Why it matters", "Steps", "Pitfalls", "Member examples", "Dashboard questions this helps"),
}

# --- front-matter schemas ---------------------------------------------------

Status = Literal[STATUSES]  # type: ignore[valid-type]


class Outcome(BaseModel):
    """A result figure; it must say where it comes from."""

    model_config = ConfigDict(extra="allow")
    source: str = Field(min_length=1)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")
    title: str = Field(min_length=1)
    kind: str
    principles: list[str] = []
    subindicators: list[str] = []
    tags: list[str] = []
    confidence: Confidence | None = None
    status: Status | None = None


class ServiceDoc(_Doc):
    kind: Literal["service"]
    city: str | None = None
    cities: list[str] = []
    member: bool = True
    sources: list[str] = Field(min_length=1)
    outcomes: list[Outcome] = []


class CaseDoc(_Doc):
    kind: Literal["case"]
    city: str | None = None
    cities: list[str] = []
    member: bool = True
    sources: list[str] = Field(min_length=1)
    outcomes: list[Outcome] = []
    services: list[str] = []


class GuideDoc(_Doc):
    kind: Literal["guide"]
    sources: list[str] = Field(min_length=1)
    confidence: Confidence
    services: list[str] = []


class NetworkDoc(_Doc):
    kind: Literal["network"]
    sources: list[str] = []
    city: str | None = None
    cities: list[str] = []
    outcomes: list[Outcome] = []
    services: list[str] = []


SCHEMAS: dict[str, type[_Doc]] = {"service": ServiceDoc, "case": CaseDoc, "guide": GuideDoc, "network": NetworkDoc}


# --- conflicts and network data ---------------------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class ConflictValue(_Loose):
    """One side of a disagreement: the value, where it comes from and the date of that source."""

    value: str | int | float
    date: Any = None
    source: str = Field(min_length=1)


class Conflict(_Loose):
    """Sources disagree: the value followed, the others, and why (knowledge/README.md)."""

    about: str = Field(min_length=1)
    followed: ConflictValue
    others: list[ConflictValue] = Field(min_length=1)
    reason: str = Field(min_length=1)


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatedFact(_Closed):
    text: str = Field(min_length=1)
    source: str = Field(min_length=1)
    date: Any = None
    confidence: Confidence = "found"


class Partner(_Closed):
    """A consortium partner that is not a member city or region (``network/partners.yaml``)."""

    id: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1)
    type: str = Field(min_length=1)
    country: str | None = None
    role: Literal["lead", "co-ordinator", "partner"]
    joined: Any = None
    left: Any = None
    context: list[DatedFact] = []
    sources: list[str] = Field(min_length=1)


class ConsortiumSnapshot(_Closed):
    """Who was in the consortium at one date, as one source gives it."""

    date: Any
    text: str = Field(min_length=1)
    source: str = Field(min_length=1)
    partners_count: int | None = Field(default=None, gt=0)
    members_count: int | None = Field(default=None, gt=0)
    members: list[str] = []
    partners: list[str] = []
    note: str | None = None


class AwardEntry(_Closed):
    """A finalist (or the winner) of one year's award."""

    city: str = Field(min_length=1)
    member: bool = True
    service: str | None = None
    service_note: str | None = None
    source: str = Field(min_length=1)


class AwardWinner(AwardEntry):
    confidence: Confidence
    note: str | None = None


class AwardStep(_Closed):
    date: Any = None
    place: str | None = None
    text: str | None = None
    source: str = Field(min_length=1)


class AwardCount(_Closed):
    count: int = Field(gt=0)
    cities_and_regions: int | None = Field(default=None, gt=0)
    date: Any = None
    source: str = Field(min_length=1)


class Award(_Closed):
    """One year's "Best user-centric service in European cities and regions" award."""

    year: int = Field(ge=2000, le=2100)
    name: str = Field(min_length=1)
    call_opened: AwardStep | None = None
    call_deadline: AwardStep | None = None
    submissions: AwardCount | None = None
    jury: DatedFact | None = None
    finalists_announced: AwardStep | None = None
    finalists: list[AwardEntry] = Field(min_length=1)
    winner: AwardWinner | None = None
    ceremony: AwardStep | None = None
    conflicts: list[Any] = []
    sources: list[str] = Field(min_length=1)

