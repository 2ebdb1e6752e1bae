"""Reading a search hit of a service or case: its city, its list fields, its project.

The searcher's :class:`~indexer.search.Hit` carries the entry's front matter as ``metadata``;
these helpers read what the examples need from it.
"""

from __future__ import annotations

from typing import Any

from indexer.errors import UccError
from indexer.search import Hit

from app.network.catalog import Catalog
from app.network.wording import slug_title


def as_list(value: Any) -> list:
    """A metadata value that may be one item or a list, as a list (None or "": empty)."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def entry_slug(source: str) -> str:
    """The slug of an entry from its source path: ``services/meldr.md`` -> ``meldr``."""
    return source.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def hit_city(hit: Hit) -> str | None:
    """The entry's city slug: its ``city``, else the first of its ``cities``."""
    if hit.city:
        return hit.city
    cities = as_list(hit.metadata.get("cities"))
    return str(cities[0]) if cities else None


def same_project(a: Hit, b: Hit) -> bool:
    """Whether two entries describe the same project: a case and the service it is mainly
    about (the first of its ``services``), or two entries with the same link."""
    if a.url and a.url == b.url:
        return True
    for case, other in ((a, b), (b, a)):
        linked = as_list(case.metadata.get("services"))
        if linked and str(linked[0]) == entry_slug(other.source) and other.kind == "service":
            return True
    return False


def city_name(catalog: Catalog | None, slug: str | None) -> str | None:
    """The member's name, or the slug written as a name for a city the catalogue does not hold."""
    if slug is None:
        return None
    if catalog is not None:
        try:
            return catalog.city(slug).name
        except UccError:
            pass
    return slug_title(slug)
