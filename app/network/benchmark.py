"""The benchmarking dashboard, recomputed from the stored score rows.

Every result is a plain dict that says what it is: ``"label": "self-assessment"``
(the cities answered the questionnaire themselves), the ``"revision"`` and the
``"source"`` URL of the score file. The arithmetic is :mod:`app.network.scoring`'s, which
follows the dashboard's own code::

    bench = Benchmark(catalog)
    bench.ranking()                     # latest revision with rows; ties share a rank
    bench.city_scores("ghent")          # by sub-indicator and pillar, with colours
    bench.versus_peers("ghent")         # each sub-indicator against the peers' median
    bench.pillar_averages()             # all Yes over all questions, across cities
    bench.change("ghent")               # between revisions where both exist

Only members whose name was kept on the stored dashboard page have rows, so ranks
here are among the named rows; each row keeps its published rank and percentage.
Results are computed once per revision and cached; callers get copies.
"""

from __future__ import annotations

import copy
import statistics
from functools import cached_property
from typing import Any

from indexer.errors import NotFound

from app.network import scoring
from app.network.catalog import Catalog
from app.network.models import Revision, ScoreRow
from app.errors import NoScores

LABEL = "self-assessment"
LABEL_NOTE = (
    "Self-assessment: each city answered the dashboard's Yes/No questions itself; the answers are not audited."
)
RANK_NOTE = (
    "Ranks are among the members named on the stored dashboard page; the published table also had "
    "rows whose names were lost, so published ranks have gaps."
)
PILLAR_NOTE = (
    "Computed over the named rows stored here. The dashboard's published averages were computed over "
    "every participating row, including rows whose city names were lost, so they differ."
)


def _revision_key(revision: str) -> tuple:
    return (1, int(revision)) if revision.isdigit() else (0, revision)


def _fraction_2dp(yes: int, total: int) -> float:
    return scoring.display_fraction((yes, total))


class Benchmark:
    """Dashboard figures of one catalog, computed on first use and kept."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._cache: dict[tuple, Any] = {}

    # -- revisions and rows -------------------------------------------------
    @cached_property
    def revisions(self) -> list[str]:
        """Revisions that have score rows, latest first."""
        found = {r.revision for f in self.catalog.score_files.values() for r in f.rows}
        return sorted(found, key=_revision_key, reverse=True)

    def latest_revision(self) -> str:
        if not self.revisions:
            raise NotFound("No dashboard scores are stored in the knowledge base (benchmark/scores-*.yaml).")
        return self.revisions[0]

    def _revision(self, revision: str | None) -> str:
        if revision is None or str(revision).strip() == "":
            return self.latest_revision()
        revision = str(revision).strip()
        self.catalog.framework.revision(revision)  # NotFound for a revision the dashboard never had
        if revision not in self.revisions:
            raise NotFound(
                f"No dashboard scores are stored for revision {revision}; "
                f"revisions with scores: {', '.join(self.revisions) or 'none'}."
            )
        return revision

    def rows(self, revision: str | None = None) -> dict[str, ScoreRow]:
        """The score rows of ``revision`` (default: latest), by city slug."""
        rev = self._revision(revision)
        key = ("rows", rev)
        if key not in self._cache:
            self._cache[key] = {r.city: r for r in self.catalog.rows(rev)}
        return self._cache[key]

    def has_scores(self, slug: str, revision: str | None = None) -> bool:
        try:
            return slug in self.rows(revision)
        except NotFound:
            return False

    def _row(self, slug: str, revision: str | None) -> ScoreRow:
        rev = self._revision(revision)
        row = self.rows(rev).get(slug)
        if row is None:
            raise NoScores(self._name(slug), rev, [self._name(s) for s in sorted(self.rows(rev))])
        return row

    def _name(self, slug: str) -> str:
        try:
            return self.catalog.city(slug).name
        except NotFound:
            return slug

    def sources(self, revision: str) -> list[str]:
        out: list[str] = []
        for f in self.catalog.score_files.values():
            if f.revision == revision or any(r.revision == revision for r in f.rows):
                out += [s for s in f.sources if s not in out]
        return out

    def source(self, revision: str) -> str | None:
        """The URL of the score file of ``revision`` (its first source)."""
        sources = self.sources(revision)
        return sources[0] if sources else None

    def _framework(self, revision: str) -> Revision:
        return self.catalog.framework.revision(revision)

    def _stamp(self, revision: str, **extra: Any) -> dict[str, Any]:
        return {"label": LABEL, "label_note": LABEL_NOTE, "revision": revision, "source": self.source(revision),
                **extra}

    def fractions(self, revision: str | None = None) -> dict[str, dict[str, float]]:
        """Exact fractions (0 to 1) by city slug, then sub-indicator id."""
        rev = self._revision(revision)
        key = ("fractions", rev)
        if key not in self._cache:
            self._cache[key] = {
                slug: {sid: float(scoring.fraction(s)) for sid, s in row.scores.items()}
                for slug, row in self.rows(rev).items()
            }
        return self._cache[key]

    # -- ranking --------------------------------------------------------------
    def _ranked(self, rev: str) -> list[scoring.RankedCity]:
        key = ("ranked", rev)
        if key not in self._cache:
            self._cache[key] = scoring.rank_rows((slug, row.scores) for slug, row in self.rows(rev).items())
        return self._cache[key]

    def ranking(self, revision: str | None = None) -> dict[str, Any]:
        """Every named row of ``revision``, best first; equal whole percentages share a rank."""
        rev = self._revision(revision)
        key = ("ranking", rev)
        if key not in self._cache:
            rows = self.rows(rev)
            out = []
            for rc in self._ranked(rev):
                row = rows[rc.city]
                out.append({
                    "rank": rc.rank,
                    "city": rc.city,
                    "name": self._name(rc.city),
                    "percent": rc.shown,
                    "percentage": round(rc.percentage, 1),
                    "published_rank": row.published_rank,
                    "published_percent": row.published_percentage,
                    "recomputes": self._recomputes(row),
                })
            self._cache[key] = self._stamp(rev, cities=len(out), ranking=out, note=RANK_NOTE)
        return copy.deepcopy(self._cache[key])

    @staticmethod
    def _recomputes(row: ScoreRow) -> bool | None:
        if row.published_percentage is None:
            return None
        return row.published_percentage in (
            scoring.rounded_percentage(row.scores),
            scoring.rounded_percentage(row.scores, rounded_fractions=True),
        )

    # -- one city -------------------------------------------------------------
    def city_scores(self, slug: str, revision: str | None = None) -> dict[str, Any]:
        """One city's scores: by sub-indicator (with colours), by pillar, overall and rank.

        :raise NoScores: the city has no named row in the revision.
        """
        row = self._row(slug, revision)
        rev = row.revision
        key = ("city", rev, slug)
        if key not in self._cache:
            fw = self._framework(rev)
            subs = []
            for s in fw.subindicators:
                score = row.scores.get(s.id)
                if score is None:
                    continue
                subs.append({
                    "id": s.id,
                    "name": s.name,
                    "pillar": fw.pillar_of(s.id).id,
                    "yes": score.yes,
                    "total": score.n,
                    "fraction": _fraction_2dp(score.yes, score.n),
                    "colour": scoring.colour(score),
                })
            pillars = []
            for p in fw.pillars:
                mine = [x for x in subs if x["pillar"] == p.id]
                if not mine:
                    continue
                yes, total = sum(x["yes"] for x in mine), sum(x["total"] for x in mine)
                pillars.append({
                    "id": p.id,
                    "name": p.name,
                    "yes": yes,
                    "total": total,
                    "fraction": _fraction_2dp(yes, total),
                    "colour": scoring.colour((yes, total)),
                })
            ranked = next(rc for rc in self._ranked(rev) if rc.city == slug)
            self._cache[key] = self._stamp(
                rev,
                city=slug,
                name=self._name(slug),
                percent=ranked.shown,
                percentage=round(ranked.percentage, 1),
                rank=ranked.rank,
                of=len(self._ranked(rev)),
                published_rank=row.published_rank,
                published_percent=row.published_percentage,
                recomputes=self._recomputes(row),
                subindicators=subs,
                pillars=pillars,
                source=row.source or self.source(rev),
                note=RANK_NOTE,
            )
        return copy.deepcopy(self._cache[key])

    def pillar_averages(self, revision: str | None = None) -> dict[str, Any]:
        """Per pillar: every Yes over every question in it, across the named rows (the dashboard rule)."""
        rev = self._revision(revision)
        key = ("pillars", rev)
        if key not in self._cache:
            fw = self._framework(rev)
            score_sets = [row.scores for row in self.rows(rev).values()]
            published: dict[str, int] = {}
            for f in self.catalog.score_files.values():
                if f.revision == rev:
                    published.update(f.published_pillar_averages)
            pillars = []
            for p in fw.pillars:
                ids = [s.id for s in p.subindicators]
                yes = sum(s[i].yes for s in score_sets for i in ids if i in s)
                total = sum(s[i].n for s in score_sets for i in ids if i in s)
                if total == 0:
                    continue
                pillars.append({
                    "id": p.id,
                    "name": p.name,
                    "yes": yes,
                    "total": total,
                    "average": round(scoring.pillar_average(score_sets, ids), 4),
                    "percent": scoring.shown_pillar_average(score_sets, ids),
                    "published_percent": published.get(p.id),
                })
            self._cache[key] = self._stamp(rev, cities=len(score_sets), pillars=pillars, note=PILLAR_NOTE)
        return copy.deepcopy(self._cache[key])

    def versus_peers(self, slug: str, revision: str | None = None) -> dict[str, Any]:
        """Each of the city's sub-indicators against the median of the other named rows."""
        row = self._row(slug, revision)
        rev = row.revision
        key = ("peers", rev, slug)
        if key not in self._cache:
            fw = self._framework(rev)
            names = {s.id: s.name for s in fw.subindicators}
            peers = {c: r.scores for c, r in self.rows(rev).items() if c != slug}
            items = []
            for cmp in scoring.compare_to_peers(row.scores, peers.values()):
                diff = cmp.difference
                position = None if diff is None else ("above" if diff > 1e-9 else "below" if diff < -1e-9 else "level")
                items.append({
                    "id": cmp.subindicator,
                    "name": names.get(cmp.subindicator, cmp.subindicator),
                    "city": round(cmp.city, 4),
                    "peer_median": None if cmp.peer_median is None else round(cmp.peer_median, 4),
                    "difference": None if diff is None else round(diff, 4),
                    "position": position,
                    "peers": cmp.peers,
                })
            order = {s: i for i, s in enumerate(fw.subindicator_ids)}
            items.sort(key=lambda x: order.get(x["id"], 99))
            self._cache[key] = self._stamp(
                rev,
                city=slug,
                name=self._name(slug),
                peers=sorted(peers),
                subindicators=items,
                above=[x["id"] for x in items if x["position"] == "above"],
                below=[x["id"] for x in items if x["position"] == "below"],
                source=row.source or self.source(rev),
            )
        return copy.deepcopy(self._cache[key])

    def change(self, slug: str) -> dict[str, Any]:
        """Fraction changes between the city's two latest revisions with rows.

        With a single revision, ``changes`` is empty and ``note`` says so.
        :raise NoScores: the city has no row in any revision.
        """
        have = [rev for rev in self.revisions if slug in self.rows(rev)]
        if not have:
            latest = self.latest_revision()
            raise NoScores(self._name(slug), latest, [self._name(s) for s in sorted(self.rows(latest))])
        name = self._name(slug)
        if len(have) == 1:
            rev = have[0]
            return self._stamp(
                rev,
                city=slug,
                name=name,
                revisions=have,
                changes=[],
                source=self.rows(rev)[slug].source or self.source(rev),
                note=f"Only one revision ({rev}) is available for {name}, so no change can be shown.",
            )
        after_rev, before_rev = have[0], have[1]
        before, after = self.rows(before_rev)[slug], self.rows(after_rev)[slug]
        names = {s.id: s.name for r in (before_rev, after_rev) for s in self._framework(r).subindicators}
        changes = [
            {"id": c.subindicator, "name": names.get(c.subindicator, c.subindicator), "before": round(c.before, 4),
             "after": round(c.after, 4), "delta": round(c.delta, 4)}
            for c in scoring.change_between(before.scores, after.scores)
        ]
        only = sorted(set(before.scores) ^ set(after.scores))
        return self._stamp(
            after_rev,
            city=slug,
            name=name,
            revisions=[before_rev, after_rev],
            before_revision=before_rev,
            percent_before=scoring.rounded_percentage(before.scores),
            percent_after=scoring.rounded_percentage(after.scores),
            changes=changes,
            source=after.source or self.source(after_rev),
            note=("Sub-indicators in only one of the revisions are left out: " + ", ".join(only) + "."
                  if only else None),
        )

    # -- helpers for other capabilities -------------------------------------
    def network_median(self, revision: str | None = None) -> dict[str, float]:
        """Median fraction of every sub-indicator across the named rows."""
        rev = self._revision(revision)
        key = ("median", rev)
        if key not in self._cache:
            fr = self.fractions(rev)
            ids = self._framework(rev).subindicator_ids
            values = {i: [f[i] for f in fr.values() if i in f] for i in ids}
            self._cache[key] = {i: statistics.median(v) for i, v in values.items() if v}
        return self._cache[key]
