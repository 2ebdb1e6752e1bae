"""Resolving a member's name given on its own (``ucc city Göteborg``, city pages, ``similar``).

:class:`MemberNames` indexes every name a member is known by (:attr:`app.network.models.City.known_names`)
and resolves a name in four steps: the whole name with accents and punctuation ignored, then the
same without generic words ("city of", "regione"), then a query of 4+ letters that starts one
member's name or is a whole word of it, then a close typo (an edit distance that grows with the
length). Nothing close enough raises :class:`app.errors.UnknownCity` with the three closest
names. Finding members named inside a question is another job (:mod:`app.answering.router`).
"""

from __future__ import annotations

import re
from functools import cached_property

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from indexer.errors import InvalidRequest
from indexer.text import fold

from app.errors import UnknownCity
from app.network.models import City

GENERIC = frozenset(
    """city of the town region regione municipality municipio comune di ajuntament ayuntamiento de del la le
    stad gemeente ville ciudad citta kommun kaupunki capital""".split()
)
MAX_NAME_CHARS = 200


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name."""
    return " ".join(re.sub(r"[\W_]+", " ", fold(str(text))).split())


def _strip_generic(norm: str) -> str:
    return " ".join(w for w in norm.split() if w not in GENERIC)


def _allowed_edits(length: int) -> int:
    if length < 5:
        return 0
    if length == 5:
        return 1
    if length < 10:
        return 2
    return 3


class MemberNames:
    """The names of the members in ``cities``, for resolving one name given on its own."""

    def __init__(self, cities: list[City]):
        self.cities = cities

    @cached_property
    def by_slug(self) -> dict[str, City]:
        return {c.slug: c for c in self.cities}

    @cached_property
    def _aliases(self) -> dict[str, set[str]]:
        """Normalised name -> slugs (a name can only be ambiguous in the stripped form)."""
        index: dict[str, set[str]] = {}
        for c in self.cities:
            for n in c.known_names:  # how they match here: see City.known_names
                norm = normalise(n)
                if norm:
                    index.setdefault(norm, set()).add(c.slug)
        return index

    @cached_property
    def _stripped(self) -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for norm, slugs in self._aliases.items():
            s = _strip_generic(norm)
            if s:
                index.setdefault(s, set()).update(slugs)
        return index

    @cached_property
    def _alias_list(self) -> list[tuple[str, str]]:
        return sorted((norm, slug) for norm, slugs in self._aliases.items() for slug in slugs)

    def resolve(self, name: str) -> City:
        """The member called ``name``: slug, English or local name, known spelling, or a close typo.

        :raise UnknownCity: nothing matches closely enough (with the 3 closest names).
        """
        raw = (name or "").strip()
        if not raw:
            raise InvalidRequest("Give a member city or region name.")
        if len(raw) > MAX_NAME_CHARS:
            raise UnknownCity(raw[:60] + "…", [])
        q = normalise(raw)
        for index, key in ((self._aliases, q), (self._stripped, _strip_generic(q))):
            slugs = index.get(key)
            if slugs and len(slugs) == 1:
                return self.by_slug[next(iter(slugs))]
        key = _strip_generic(q) or q
        found = self._prefix_match(key) or self._typo_match(key)
        if found:
            return self.by_slug[found]
        raise UnknownCity(raw, self.suggestions(raw))

    def _prefix_match(self, key: str) -> str | None:
        """A query of 4+ letters that starts one member's name, or is a whole word of it."""
        if len(key) < 4:
            return None
        hits = {slug for norm, slug in self._alias_list
                if norm.startswith(key) or key in [w for w in norm.split() if w not in GENERIC]}
        return next(iter(hits)) if len(hits) == 1 else None

    def _typo_match(self, key: str) -> str | None:
        allowed = _allowed_edits(len(key))
        if not allowed:
            return None
        best: dict[str, int] = {}
        for norm, slug in self._alias_list:
            d = OSA.distance(key, norm, score_cutoff=allowed)
            if d <= allowed and d < best.get(slug, allowed + 1):
                best[slug] = d
        if not best:
            return None
        low = min(best.values())
        winners = [s for s, d in best.items() if d == low]
        return winners[0] if len(winners) == 1 else None

    def suggestions(self, name: str, n: int = 3) -> list[str]:
        """The English names of the ``n`` members closest to ``name``."""
        q = normalise(name)
        best: dict[str, float] = {}
        for norm, slug in self._alias_list:
            words = [w for w in norm.split() if w not in GENERIC]
            s = max([fuzz.ratio(q, norm)] + [0.95 * fuzz.ratio(q, w) for w in words if len(norm.split()) > 1])
            if s > best.get(slug, -1):
                best[slug] = s
        ranked = sorted(best, key=lambda slug: (-best[slug], self.by_slug[slug].name))
        return [self.by_slug[s].name for s in ranked[:n]]
