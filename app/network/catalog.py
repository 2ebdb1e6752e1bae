"""Structured reference data of the knowledge base: members, principles, benchmark.

``knowledge/cities.yaml``, ``knowledge/principles.yaml``,
``knowledge/benchmark/framework.yaml`` and the ``knowledge/benchmark/scores-*.yaml``
files are read into small pydantic models. :class:`Catalog` loads them lazily
from one knowledge folder::

    catalog = Catalog.load("knowledge")
    catalog.city("gothenburg").name          # "Gothenburg"
    catalog.find_city("Göteborg").slug       # "gothenburg"
    catalog.framework.revision("2023").subindicator_ids

Malformed files raise :class:`~indexer.errors.DatasetError`; unknown ids asked
for by name raise :class:`~indexer.errors.NotFound`.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from indexer.errors import DatasetError, NotFound

from app.network.frontmatter import split_front_matter

# The knowledge folder's data files and folders (relative to it): one home for their names.
CITIES_FILE = "cities.yaml"
PRINCIPLES_FILE = "principles.yaml"
BENCHMARK_DIR = "benchmark"
FRAMEWORK_FILE = "framework.yaml"
SCORE_GLOB = "scores-*.yaml"
SERVICES_DIR = "services"
PARTNERS_FILE = "network/partners.yaml"
AWARDS_FILE = "network/awards.yaml"

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
    "milan": ("Milán", "Mailand", "Milaan"),
    "gothenburg": ("Gotemburgo", "Göteborgs stad", "Gothenbourg"),
    "brussels-capital-region": ("Bruselas", "Brüssel", "Bruxelles-Capitale", "Brussels Region"),
    "lisbon": ("Lisbonne", "Lissabon"),
    "ghent": ("Gante",),
    "catalonia": ("Catalogne", "Katalonien"),
    "helsinki": ("Helsinky",),
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
        - :meth:`app.network.cities.CityDirectory.resolve` resolves a name given on its own (``ucc city``,
          city pages): the whole name with accents and punctuation ignored, then without generic
          words ("city of"), then a unique prefix or a close typo.

        :meth:`Catalog.find_city`, for names in data files, takes :attr:`all_names` only, exactly.
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


# --- loading ----------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; :class:`DatasetError` if it is missing or malformed."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise DatasetError(f"{path}: not valid YAML: {exc}") from None


def _items(data: Any, key: str, path: Path) -> list[Any]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise DatasetError(f"{path}: expected a mapping with a '{key}' list")
    return data[key]


def _build(model: type[BaseModel], data: Any, path: Path, where: str = "") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise DatasetError(f"{path}: {where}{loc}: {first['msg']}") from None


def load_cities(path: Path) -> list[City]:
    """Read ``cities.yaml``."""
    return [_build(City, c, path, f"cities[{i}].") for i, c in enumerate(_items(read_yaml(path), "cities", path))]


def load_principles(path: Path) -> list[Principle]:
    """Read ``principles.yaml``."""
    items = _items(read_yaml(path), "principles", path)
    return [_build(Principle, p, path, f"principles[{i}].") for i, p in enumerate(items)]


def load_framework(path: Path) -> Framework:
    """Read ``benchmark/framework.yaml``."""
    return _build(Framework, read_yaml(path), path)


def load_score_file(path: Path) -> ScoreFile:
    """Read one ``benchmark/scores-*.yaml`` file."""
    return _build(ScoreFile, read_yaml(path), path)


class Catalog:
    """The structured data of one knowledge folder, read on first use."""

    def __init__(self, knowledge_dir: str | Path):
        self.knowledge_dir = Path(knowledge_dir)

    @classmethod
    def load(cls, knowledge_dir: str | Path) -> Catalog:
        """A catalog over ``knowledge_dir``; :class:`NotFound` if the folder does not exist."""
        path = Path(knowledge_dir)
        if not path.is_dir():
            raise NotFound(f"knowledge folder {path} does not exist")
        return cls(path)

    @property
    def benchmark_dir(self) -> Path:
        return self.knowledge_dir / BENCHMARK_DIR

    @property
    def has_cities(self) -> bool:
        """Whether this folder lists members (``cities.yaml``); a plain folder of documents does not."""
        return (self.knowledge_dir / CITIES_FILE).is_file()

    @cached_property
    def cities(self) -> list[City]:
        return load_cities(self.knowledge_dir / CITIES_FILE)

    @cached_property
    def membership(self) -> dict[str, Any]:
        """The ``membership`` block of ``cities.yaml``: count, as_of, count_note, sources (may be empty)."""
        data = read_yaml(self.knowledge_dir / CITIES_FILE)
        block = data.get("membership") if isinstance(data, dict) else None
        return dict(block) if isinstance(block, dict) else {}

    @cached_property
    def awards(self) -> list[dict[str, Any]]:
        """The network's awards by year (``network/awards.yaml``; empty when the file is absent).
        ``ucc validate`` checks its shape; here it is read as plain data."""
        path = self.knowledge_dir / AWARDS_FILE
        if not path.is_file():
            return []
        data = read_yaml(path)
        items = data.get("awards") if isinstance(data, dict) else None
        return [a for a in items if isinstance(a, dict)] if isinstance(items, list) else []

    def service_title(self, slug: str | None) -> str | None:
        """The title of ``services/SLUG.md`` from its front matter, or None."""
        if not slug:
            return None
        path = self.knowledge_dir / SERVICES_DIR / f"{slug}.md"
        try:
            meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None
        title = meta.get("title") if meta else None
        return str(title) if title else None

    @cached_property
    def principles(self) -> list[Principle]:
        return load_principles(self.knowledge_dir / PRINCIPLES_FILE)

    @cached_property
    def framework(self) -> Framework:
        return load_framework(self.benchmark_dir / FRAMEWORK_FILE)

    @cached_property
    def score_files(self) -> dict[str, ScoreFile]:
        """Every score file, keyed by file name, in name order."""
        return {p.name: load_score_file(p) for p in sorted(self.benchmark_dir.glob(SCORE_GLOB))}

    def reload_scores(self) -> None:
        """Forget the score files read so far: the next use reads the benchmark folder again."""
        self.__dict__.pop("score_files", None)

    @cached_property
    def _names(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for c in self.cities:
            for name in c.all_names:
                index.setdefault(name.casefold(), c.slug)
        return index

    def city(self, slug: str) -> City:
        """The member with this slug; :class:`NotFound` if none."""
        for c in self.cities:
            if c.slug == slug:
                return c
        raise NotFound(f"unknown city {slug!r}")

    def find_city(self, name: str) -> City:
        """The member called ``name``: slug, English or local name, any case."""
        slug = self._names.get(name.strip().casefold())
        if slug is None:
            raise NotFound(f"no member city or region is called {name!r}")
        return self.city(slug)

    def principle(self, principle_id: str) -> Principle:
        """The principle with this id; :class:`NotFound` if none."""
        for p in self.principles:
            if p.id == principle_id:
                return p
        raise NotFound(f"unknown principle {principle_id!r}")

    def rows(self, revision: str) -> list[ScoreRow]:
        """Every score row of ``revision``, from all score files."""
        return [r for f in self.score_files.values() for r in f.rows if r.revision == str(revision)]
