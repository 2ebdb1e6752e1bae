"""Structured reference data of the knowledge base: members, principles, benchmark.

``knowledge/cities.yaml``, ``knowledge/principles.yaml``,
``knowledge/benchmark/framework.yaml`` and the ``knowledge/benchmark/scores-*.yaml``
files are read into the small pydantic models of :mod:`app.network.models`.
:class:`Catalog` loads them lazily from one knowledge folder::

    catalog = Catalog.load("knowledge")
    catalog.city("gothenburg").name          # "Gothenburg"
    catalog.find_city("Göteborg").slug       # "gothenburg"
    catalog.framework.revision("2023").subindicator_ids

Malformed files raise :class:`~indexer.errors.DatasetError`; unknown ids asked
for by name raise :class:`~indexer.errors.NotFound`. The names of the knowledge
folder's data files are declared here, once.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from indexer.errors import DatasetError, NotFound

from app.network.frontmatter import split_front_matter
from app.network.models import City, Framework, Principle, ScoreFile, ScoreRow

# The knowledge folder's data files and folders (relative to it): one home for their names.
CITIES_FILE = "cities.yaml"
PRINCIPLES_FILE = "principles.yaml"
BENCHMARK_DIR = "benchmark"
FRAMEWORK_FILE = "framework.yaml"
SCORE_GLOB = "scores-*.yaml"
SERVICES_DIR = "services"
PARTNERS_FILE = "network/partners.yaml"
AWARDS_FILE = "network/awards.yaml"


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
