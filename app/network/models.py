"""The knowledge folder's structured data as pydantic models: members, principles, the dashboard.

- :class:`City` (``cities.yaml``) and every name a member is known by (:attr:`City.known_names`,
  with the exonyms and short names cities.yaml does not hold); :class:`Principle`
  (``principles.yaml``);
- the benchmarking dashboard's :class:`Framework` (``benchmark/framework.yaml``: revisions,
  pillars, sub-indicators, questions) and its :class:`ScoreFile` rows (``benchmark/scores-*.yaml``:
  Yes answers out of the questions of each sub-indicator, self-assessed).

Models are strict (an unknown key is an error) and frozen. :mod:`app.network.catalog` reads the
files into them; ``ucc validate`` checks the files against them.
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from indexer.errors import NotFound

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Confidence = Literal["found", "reported", "inferred", "mixed"]
CONFIDENCES: tuple[str, ...] = get_args(Confidence)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- members and principles -------------------------------------------------

# Names of members that cities.yaml (English and local names, known misspellings) does not hold:
# common exonyms, and single words of multi-word names that name the member on their own.
EXONYMS: dict[str, tuple[str, ...]] = {
    "kyiv": ("Kiew", "Kijów", "Kyjiv", "Kiyv", "Kievs"),
    "milan": ("Milán", "Mailand", "Milaan", "Milão"),
    "gothenburg": ("Gotemburgo", "Göteborgs stad", "Gothenbourg"),
    "brussels-capital-region": ("Bruselas", "Brüssel", "Bruxelles-Capitale", "Brussels Region", "Bruxelles", "Brussel",
                                "Bruxelas"),
    "lisbon": ("Lisbonne", "Lissabon", "Lisbona"),
    "ghent": ("Gante", "Gand"),
    "catalonia": ("Catalogne", "Katalonien", "Cataluña", "Catalogna", "Catalunha", "Catalonië"),
    "helsinki": ("Helsinky", "Helsínquia"),
    "barcelona": ("Barcelone", "Barcellona"),
    "paris": ("Parigi", "Parijs"),
    "murcia": ("Murcie",),
    "ljubljana": ("Lubiana", "Liubliana", "Laibach"),
}
SHORT_NAMES: dict[str, tuple[str, ...]] = {"emilia-romagna": ("Romagna",)}


class ContextFact(_Strict):
    text: str
    source: str
    confidence: Confidence


class City(_Strict):
    """One member of the network, as in ``cities.yaml``."""

    slug: str = Field(pattern=SLUG_PATTERN)
    name: str
    local_names: list[str] = []
    known_misspellings: list[str] = []
    country: str
    country_code: str = Field(pattern=r"^[A-Z]{2}$")
    type: Literal["city", "region"]
    type_note: str | None = None
    capital: bool = False
    population_approx: int | None = Field(default=None, gt=0)
    population_note: Literal["approximate"] | None = None
    population_confidence: Confidence | None = None
    population_source: str | None = None
    population_detail: str | None = None
    role: Literal["founding", "participant"]
    joined: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    languages: list[str] = []
    context: list[ContextFact] = []
    notes: str | None = None
    sources: list[str] = Field(min_length=1)

    @property
    def all_names(self) -> list[str]:
        """The English name, the slug and every local name or known spelling (cities.yaml's)."""
        return [self.name, self.slug, *self.local_names, *self.known_misspellings]

    @property
    def known_names(self) -> list[str]:
        """Every name the member is recognised by, the one index of names behind the three ways
        of recognising a member: :attr:`all_names`, the slug spelled out ("emilia romagna"), the
        common exonyms (:data:`EXONYMS`) and short names (:data:`SHORT_NAMES`). How each matches:

        - :func:`app.answering.router.find_cities` finds members named in a question: runs of words of these
          names, accents and punctuation ignored, and single words within a small typo of one of
          :attr:`all_names` (never of an exonym, a short name or a historic name);
        - :class:`app.answering.conversations.Places` finds members (and countries, and non-member cities of
          the index) in a conversation turn: a whole name, case-insensitive, accents kept;
        - :meth:`app.network.names.MemberNames.resolve` (behind
          :meth:`app.network.cities.CityDirectory.resolve`) resolves a name given on its own
          (``ucc city``, city pages): the whole name with accents and punctuation ignored, then
          without generic words ("city of"), then a unique prefix or a close typo.

        :meth:`app.network.catalog.Catalog.find_city`, for names in data files, takes
        :attr:`all_names` only, exactly.
        """
        return list(dict.fromkeys([*self.all_names, self.slug.replace("-", " "), *EXONYMS.get(self.slug, ()),
                                   *SHORT_NAMES.get(self.slug, ())]))


class Principle(_Strict):
    """One of the eight Tallinn Declaration user-centricity principles."""

    id: str
    number: int = Field(ge=1, le=8)
    name: str
    description: str
    subindicators: list[str] = []
    mapping_confidence: Confidence
    mapping_note: str | None = None
    sources: list[str] = Field(min_length=1)


# --- benchmark framework ----------------------------------------------------


class Question(_Strict):
    field: str = Field(pattern=r"^[a-z0-9_]+$")
    text: str


class SubIndicator(_Strict):
    id: str = Field(pattern=r"^\d\.\d$")
    name: str
    source_spelling: str | None = None
    note: str | None = None
    questions: list[Question] = Field(min_length=1)

    @property
    def n(self) -> int:
        """Number of scored questions."""
        return len(self.questions)


class Pillar(_Strict):
    id: str
    name: str
    subindicators: list[SubIndicator] = Field(min_length=1)


class Revision(_Strict):
    """One revision (tab) of the dashboard: its pillars, sub-indicators and questions."""

    revision: str
    label: str = ""
    question_count: int
    note: str | None = None
    count_confidence: Confidence | None = None
    sources: list[str] = []
    pillars: list[Pillar] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_counts(self) -> Revision:
        fields = self.field_ids
        if len(fields) != self.question_count:
            raise ValueError(f"revision {self.revision}: {len(fields)} questions, question_count says {self.question_count}")
        if len(set(fields)) != len(fields):
            raise ValueError(f"revision {self.revision}: a question field id is repeated")
        if len(set(self.subindicator_ids)) != len(self.subindicator_ids):
            raise ValueError(f"revision {self.revision}: a sub-indicator id is repeated")
        return self

    @property
    def subindicators(self) -> list[SubIndicator]:
        return [s for p in self.pillars for s in p.subindicators]

    @property
    def subindicator_ids(self) -> list[str]:
        return [s.id for s in self.subindicators]

    @property
    def field_ids(self) -> list[str]:
        return [q.field for s in self.subindicators for q in s.questions]

    def subindicator(self, sub_id: str) -> SubIndicator:
        """The sub-indicator ``sub_id`` ("2.1"); :class:`NotFound` if absent."""
        for s in self.subindicators:
            if s.id == sub_id:
                return s
        raise NotFound(f"revision {self.revision} has no sub-indicator {sub_id!r}")

    def subindicator_of_field(self, field_id: str) -> SubIndicator:
        """The sub-indicator that holds question ``field_id``; :class:`NotFound` if none."""
        for s in self.subindicators:
            if any(q.field == field_id for q in s.questions):
                return s
        raise NotFound(f"revision {self.revision} has no question {field_id!r}")

    def pillar_of(self, sub_id: str) -> Pillar:
        """The pillar that holds sub-indicator ``sub_id``."""
        for p in self.pillars:
            if any(s.id == sub_id for s in p.subindicators):
                return p
        raise NotFound(f"revision {self.revision} has no sub-indicator {sub_id!r}")


def subindicator_key(sub_id: str) -> tuple[int, ...]:
    """Sort key of a sub-indicator id in the dashboard's order: "1.2" before "1.10"."""
    return tuple(int(p) if p.isdigit() else 0 for p in str(sub_id).split("."))


class Framework(_Strict):
    """``benchmark/framework.yaml``: the dashboard's questions in every revision."""

    name: str
    assessment: Literal["self-assessment"]
    sources: list[str] = Field(min_length=1)
    source_code: str | None = None
    scoring: dict[str, Any]
    revisions: list[Revision] = Field(min_length=1)

    @property
    def revision_ids(self) -> list[str]:
        return [r.revision for r in self.revisions]

    def revision(self, revision: str) -> Revision:
        """The revision named ``revision`` ("2023"); :class:`NotFound` if absent."""
        for r in self.revisions:
            if r.revision == str(revision):
                return r
        raise NotFound(f"unknown benchmark revision {revision!r}; known: {', '.join(self.revision_ids)}")

    def all_subindicator_ids(self) -> set[str]:
        """Sub-indicator ids of any revision."""
        return {s for r in self.revisions for s in r.subindicator_ids}


# --- scores -----------------------------------------------------------------

_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class SubScore(_Strict):
    """Yes answers out of the questions of one sub-indicator, written "yes/n"."""

    yes: int = Field(ge=0)
    n: int = Field(gt=0)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            m = _FRACTION.match(value)
            if not m:
                raise ValueError(f"expected 'yes/n' such as '3/4', got {value!r}")
            return {"yes": int(m.group(1)), "n": int(m.group(2))}
        if isinstance(value, dict) and True in value:  # YAML 1.1 reads an unquoted `yes:` key as true
            value = {("yes" if k is True else k): v for k, v in value.items()}
        return value

    def __str__(self) -> str:
        return f"{self.yes}/{self.n}"


class Answer(_Strict):
    """One question's answer, kept when results are imported question by question."""

    field: str
    answer: Literal["yes", "no"]
    evidence: str = ""


class ScoreRow(_Strict):
    """One city's scores in one revision."""

    city: str
    revision: str
    assessment: Literal["self-assessment"]
    published_rank: int | None = Field(default=None, ge=1)
    published_percentage: int | None = Field(default=None, ge=0, le=100)
    scores: dict[str, SubScore] = Field(min_length=1)
    answers: list[Answer] = []
    source: str

    @field_validator("revision", mode="before")
    @classmethod
    def _revision_str(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("scores", mode="before")
    @classmethod
    def _keys_str(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value


class ScoreFile(_Strict):
    """A ``benchmark/scores-*.yaml`` file: rows of one revision."""

    revision: str
    assessment: Literal["self-assessment"]
    status: Literal["published", "imported"]
    sources: list[str] = Field(min_length=1)
    page_labels: str | None = None
    published_pillar_averages: dict[str, int] = {}
    published_pillar_averages_note: str | None = None
    left_out: list[dict[str, Any]] = []
    left_out_note: str | None = None
    imported_from: str | None = None
    rows: list[ScoreRow] = []

    @field_validator("revision", mode="before")
    @classmethod
    def _revision_str(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    def row(self, city: str) -> ScoreRow:
        """The row of ``city`` (a slug); :class:`NotFound` if absent."""
        for r in self.rows:
            if r.city == city:
                return r
        raise NotFound(f"no {self.revision} benchmark row for {city!r}")


