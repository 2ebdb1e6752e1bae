"""The network's own data: members' facts and conflicts, partners and the consortium, awards.

- ``cities.yaml``: a member's context facts cite its sources; the top-level ``conflicts`` list
  names an existing member, cites that member's sources, and the member's ``field`` holds the
  followed value.
- ``network/partners.yaml`` (optional): consortium partners, and the consortium at dated moments;
  city slugs and partner ids exist, nobody is listed before joining, counts add up.
- ``network/awards.yaml`` (optional): each year's finalists and winner; their city slugs and
  service slugs exist, the winner is a finalist, steps cite the award's sources, and a
  service's (or case's) ``award`` field agrees with the file.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from indexer.errors import DatasetError

from app.network import catalog as cat
from app.network.models import City
from app.validation.claims import check_conflicts, check_listed
from app.validation.dates import date_text, date_value, joined_after
from app.validation.documents import Ids
from app.validation.problems import Problem, Report, Sink, as_list
from app.validation.reference import load_yaml
from app.validation.schemas import Award, ConsortiumSnapshot, Partner

_AWARD_STEPS = ("call_opened", "call_deadline", "finalists_announced", "ceremony", "submissions", "jury")


# --- members ------------------------------------------------------------------


def check_cities_data(root: Path, cities: list[City], report: Report) -> None:
    """Context facts cite the member's sources; the top-level ``conflicts`` list of cities.yaml."""
    rel = cat.CITIES_FILE
    sink = report.sink(rel)
    for city in cities:
        for j, fact in enumerate(city.context):
            check_listed(sink, f"{city.slug}.context[{j}].source", fact.source, set(city.sources), "this member's")
    try:
        data = cat.read_yaml(root / rel)
    except DatasetError:
        return  # already reported
    if not isinstance(data, dict):
        return
    by_slug = {c.slug: c for c in cities}
    # Sources are checked per member below, once the member is known.
    for i, raw, conflict in check_conflicts(sink, data.get("conflicts"), None):
        _check_member_conflict(sink, f"conflicts[{i}]", raw, conflict, by_slug)


def _check_member_conflict(sink: Sink, where: str, raw: dict[str, Any], conflict: Any,
                           by_slug: dict[str, City]) -> None:
    slug = raw.get("city")
    if slug is None:
        sink.problem(f"{where}.city", "is required: the slug of the member the conflict is about")
        return
    city = by_slug.get(slug)
    if city is None:
        sink.problem(f"{where}.city", f"unknown city slug {slug!r}")
        return
    sides = [("followed", conflict.followed)] + [(f"others[{j}]", v) for j, v in enumerate(conflict.others)]
    for side, value in sides:
        check_listed(sink, f"{where}.{side}.source", value.source, set(city.sources), f"{slug}'s")
    name = raw.get("field")
    if name is None:
        return
    if name not in City.model_fields:
        sink.problem(f"{where}.field", f"{name!r} is not a member field")
        return
    current = getattr(city, name)
    if str(current) != str(conflict.followed.value):
        sink.problem(f"{where}.followed.value",
                     f"{slug}.{name} is {current!r} but the conflict follows {conflict.followed.value!r}")


# --- reading the optional files -------------------------------------------------


def _list_in(sink: Sink, data: Any, key: str, required: bool = True) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get(key), list):
        return data[key]
    if required or (isinstance(data, dict) and key in data):
        sink.problem(key, f"expected a mapping with a '{key}' list")
    return []


def _open_network_file(root: Path, rel: str, count: str, report: Report) -> tuple[Sink, Any] | None:
    """A network data file's problem sink and parsed YAML (counted under ``count``); None when the
    file is absent (it is optional) or cannot be parsed (the problem is reported)."""
    path = root / rel
    if not path.is_file():
        return None
    data = load_yaml(path, rel, report.problems)
    if data is None:
        return None
    report.counts[count] += 1
    return report.sink(rel), data


# --- partners and the consortium --------------------------------------------------


def check_partners(root: Path, ids: Ids, cities: list[City], report: Report) -> None:
    """``network/partners.yaml``: consortium partners and the consortium at dated moments."""
    opened = _open_network_file(root, cat.PARTNERS_FILE, "partners", report)
    if opened is None:
        return
    sink, data = opened
    partners: dict[str, Partner] = {}
    for i, raw in enumerate(_list_in(sink, data, "partners")):
        partner = sink.validated(Partner, raw, f"partners[{i}]")
        if partner is None:
            continue
        if partner.id in partners:
            sink.problem("id", f"duplicate id {partner.id!r}")
        partners[partner.id] = partner
        _check_partner(sink, f"partners[{i}]", partner)
    joined = {c.slug: c.joined for c in cities}
    for i, raw in enumerate(_list_in(sink, data, "consortium", required=False)):
        where = f"consortium[{i}]"
        snap = sink.validated(ConsortiumSnapshot, raw, where)
        if snap is not None:
            _check_snapshot(sink, where, snap, ids, joined, partners)


def _check_partner(sink: Sink, where: str, partner: Partner) -> None:
    date_value(sink, f"{where}.joined", partner.joined)
    date_value(sink, f"{where}.left", partner.left)
    for j, fact in enumerate(partner.context):
        at = f"{where}.context[{j}]"
        check_listed(sink, f"{at}.source", fact.source, set(partner.sources), "this partner's")
        date_value(sink, f"{at}.date", fact.date)


def _check_snapshot(sink: Sink, where: str, snap: ConsortiumSnapshot, ids: Ids, joined: dict[str, str | None],
                    partners: dict[str, Partner]) -> None:
    """Who was in the consortium at one date: known, listed once, already joined; counts add up."""
    when = date_value(sink, f"{where}.date", snap.date, required=True)
    for slug, n in Counter(snap.members).items():
        if slug not in ids.cities:
            sink.problem(f"{where}.members", f"unknown city slug {slug!r}")
        elif n > 1:
            sink.problem(f"{where}.members", f"{slug!r} is listed {n} times")
        elif joined_after(joined.get(slug), when):
            sink.problem(f"{where}.members", f"{slug!r} is listed on {when} but cities.yaml says it joined {joined[slug]}")
    for pid in snap.partners:
        if pid not in partners:
            sink.problem(f"{where}.partners", f"unknown partner id {pid!r}")
        elif joined_after(date_text(partners[pid].joined), when):
            sink.problem(f"{where}.partners", f"{pid!r} is listed on {when} but joined {date_text(partners[pid].joined)}")
    if snap.members and snap.members_count is not None and len(snap.members) != snap.members_count:
        sink.problem(f"{where}.members", f"{len(snap.members)} members listed, members_count says {snap.members_count}")
    n_members = snap.members_count if snap.members_count is not None else (len(snap.members) or None)
    if snap.partners_count is not None and n_members is not None and snap.partners:
        total = n_members + len(snap.partners)
        if total != snap.partners_count:
            sink.problem(f"{where}.partners_count",
                         f"{n_members} cities and regions + {len(snap.partners)} partners = {total}, "
                         f"but partners_count says {snap.partners_count}")


# --- awards ------------------------------------------------------------------------


def check_awards(root: Path, ids: Ids, docs: dict[str, dict[str, Any]], report: Report) -> None:
    """``network/awards.yaml``: each year's finalists and winner; services' ``award`` fields agree with it."""
    opened = _open_network_file(root, cat.AWARDS_FILE, "awards", report)
    if opened is None:
        return
    sink, data = opened
    service_city = {
        Path(rel).stem: meta.get("city") for rel, meta in docs.items() if meta.get("kind") == "service"
    }
    awards: dict[int, Award] = {}
    for i, raw in enumerate(_list_in(sink, data, "awards")):
        where = f"awards[{i}]"
        award = sink.validated(Award, raw, where)
        if award is None:
            continue
        if award.year in awards:
            sink.problem(f"{where}.year", f"duplicate year {award.year}")
        awards[award.year] = award
        _check_award(sink, where, award, raw, ids, service_city)
    for rel, meta in docs.items():
        _check_award_claim(rel, meta, awards, report)


def _check_award(sink: Sink, where: str, award: Award, raw: Any, ids: Ids, service_city: dict[str, Any]) -> None:
    """One year's award: finalists and winner known and cited, the winner a finalist, steps cited and dated."""
    listed = set(award.sources)
    entries = [(f"finalists[{j}]", e) for j, e in enumerate(award.finalists)]
    if award.winner is not None:
        entries.append(("winner", award.winner))
    for name, entry in entries:
        at = f"{where}.{name}"
        if entry.member and entry.city not in ids.cities:
            sink.problem(f"{at}.city", f"unknown city slug {entry.city!r} (write member: false for a non-member)")
        if entry.service is not None:
            if entry.service not in ids.service_stems:
                sink.problem(f"{at}.service", f"no service file {cat.SERVICES_DIR}/{entry.service}.md")
            elif service_city.get(entry.service) not in (None, entry.city):
                sink.problem(f"{at}.service",
                             f"{entry.service} is a service of {service_city[entry.service]!r}, not {entry.city!r}")
        check_listed(sink, f"{at}.source", entry.source, listed, "the award's")
    if award.winner is not None and not any(
        f.city == award.winner.city and f.service == award.winner.service for f in award.finalists
    ):
        sink.problem(f"{where}.winner", "the winner is not among the finalists")
    for name in _AWARD_STEPS:
        step = getattr(award, name)
        if step is not None:
            check_listed(sink, f"{where}.{name}.source", step.source, listed, "the award's")
            date_value(sink, f"{where}.{name}.date", step.date)
    check_conflicts(sink, raw.get("conflicts") if isinstance(raw, dict) else None, listed,
                    f"{where}.conflicts", "the award's")


def _check_award_claim(rel: str, meta: dict[str, Any], awards: dict[int, Award], report: Report) -> None:
    """A service's (or case's) ``award`` field agrees with awards.yaml."""
    claim = meta.get("award")
    if not isinstance(claim, dict) or meta.get("kind") not in ("service", "case"):
        return
    year, result = claim.get("year"), claim.get("result")
    stems = [Path(rel).stem] if meta["kind"] == "service" else [s for s in as_list(meta.get("services"))]
    award = awards.get(year) if isinstance(year, int) else None
    awards_file = cat.AWARDS_FILE
    if award is None:
        report.problems.append(Problem(rel, "award", f"no {year} award in {awards_file}"))
    elif result == "winner" and (award.winner is None or award.winner.service not in stems):
        report.problems.append(Problem(rel, "award", f"{awards_file} does not give this service as the {year} winner"))
    elif result in ("finalist", "winner") and not any(f.service in stems for f in award.finalists if f.service):
        report.problems.append(Problem(rel, "award", f"not among the {year} finalists in {awards_file}"))
