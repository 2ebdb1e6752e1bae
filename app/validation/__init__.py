"""Checks of the whole knowledge folder: front matter, ids, references, benchmark sums.

:func:`validate_knowledge` returns every :class:`Problem` found; an empty list
means the folder is consistent. What is checked:

- every Markdown file (except ``README.md``) has YAML front matter whose ``kind``
  is one of :data:`SCHEMAS` and which fits that kind's schema; services, cases
  and guides need ``sources``; services and cases need their body sections;
- city slugs, principle ids and sub-indicator ids exist; ``services:`` names
  service files that exist; ``status`` and ``confidence`` take known values;
  file stems are unique within a kind;
- every ``outcomes`` item has a text and its own source, listed among the
  entry's ``sources``; an outcome whose text holds a figure (a number, in digits
  or words) has the ``date`` it refers to, a year at least ("2021", "2021-05",
  "2021-05-16"), or ``date: "not found"`` with a ``date_note`` saying what was
  searched (reported as a warning, not a problem);
- every ``conflicts`` item (front matter, the top-level list of ``cities.yaml``,
  ``network/awards.yaml``) has ``about``, ``followed`` and ``others`` values
  (``value``, ``source``, optional ``date``) and a ``reason``; in ``cities.yaml``
  its ``city`` exists and that member's ``field`` holds the followed value;
- ``cities.yaml``, ``principles.yaml`` and ``benchmark/framework.yaml`` fit
  their schema, without duplicate ids; a member's context facts cite its sources;
- ``network/partners.yaml`` (consortium partners, and the consortium at dated
  moments) and ``network/awards.yaml`` (each year's finalists and winner) fit
  their schema; their city slugs, partner ids and service slugs exist, counts
  add up, and a service's ``award`` field agrees with them;
- every ``benchmark/scores-*.yaml`` row names a member and a known revision,
  has every sub-indicator of that revision with the framework's question count,
  never more Yes than questions, and its published percentage recomputes.

The front matter is parsed with PyYAML (:mod:`app.network.frontmatter`),
independently of the indexer.

:func:`sources_report` lists, per entry, its sources and the facts each one
supports (``ucc validate --sources``).

The modules, in the order a check runs:

- :mod:`~app.validation.knowledge`: :func:`check_knowledge`, the whole check;
- :mod:`~app.validation.reference`: members, principles, framework, score files;
- :mod:`~app.validation.documents`: the Markdown entries;
- :mod:`~app.validation.network`: members' facts and conflicts, partners, awards;
- :mod:`~app.validation.claims` and :mod:`~app.validation.dates`: outcomes and
  conflicts that cite their sources, and their dates;
- :mod:`~app.validation.schemas`: the shapes, as pydantic models;
- :mod:`~app.validation.problems`: :class:`Problem`, :class:`Report`, and the
  sink checks write to;
- :mod:`~app.validation.sources`: the sources report.
"""

from app.network.models import CONFIDENCES
from app.network.frontmatter import split_front_matter
from app.validation.dates import DATE_NOT_FOUND, DATE_UNDATED, date_problem, date_text, has_figure
from app.validation.documents import section_titles
from app.validation.knowledge import check_knowledge, validate_knowledge
from app.validation.problems import Problem, Report
from app.validation.schemas import REQUIRED_SECTIONS, SCHEMAS, STATUSES
from app.validation.sources import EntrySources, SourceFacts, sources_report

__all__ = [
    "CONFIDENCES",
    "DATE_NOT_FOUND",
    "DATE_UNDATED",
    "REQUIRED_SECTIONS",
    "SCHEMAS",
    "STATUSES",
    "EntrySources",
    "Problem",
    "Report",
    "SourceFacts",
    "check_knowledge",
    "date_problem",
    "date_text",
    "has_figure",
    "section_titles",
    "sources_report",
    "split_front_matter",
    "validate_knowledge",
]
