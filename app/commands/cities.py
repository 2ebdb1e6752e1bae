"""``ucc similar``, ``ucc learn-from`` and ``ucc scores``: members, bench-learning, the dashboard.

Register them on the main group::

    main.add_command(similar_command)
    main.add_command(learn_from_command)
    main.add_command(scores_command)

Each reads the knowledge folder (``UCC_KNOWLEDGE_DIR``) and, where services are
needed, the live index (``UCC_DATA_DIR``); without an index they still answer
from the structured data and say what is missing.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, Sequence

import click

from indexer.errors import UccError
from indexer.settings import load_settings

from app.network.benchmark import Benchmark
from app.network.catalog import Catalog
from app.network.cities import BASES, MAX_K, CityDirectory
from app.network.learning import learn_from
from app.terminal import shown as printable  # text from knowledge files, escaped for the terminal

_ANSI = {"green": "green", "orange": "yellow", "red": "red"}


def _echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def _open(with_searcher: bool = True) -> tuple[Catalog, Benchmark, CityDirectory, Any]:
    """Catalog, benchmark, directory and searcher from the settings."""
    from indexer.search import Searcher

    settings = load_settings()
    catalog = Catalog.load(settings.knowledge_dir)
    benchmark = Benchmark(catalog)
    searcher = Searcher(settings) if with_searcher else None
    return catalog, benchmark, CityDirectory(catalog, searcher, benchmark), searcher


def _run(func: Callable[[], None]) -> None:
    try:
        func()
    except UccError as exc:
        raise click.ClickException(exc.message) from None


def _tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def paint(text: str, colour: str | None, enabled: bool) -> str:
    """``text`` in the dashboard colour (orange shows as yellow), only when ``enabled``."""
    if not enabled or colour not in _ANSI:
        return text
    return click.style(text, fg=_ANSI[colour])


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = (),
          colours: Sequence[dict[int, str]] | None = None, color: bool = False) -> list[str]:
    """Aligned text lines; a column index in ``right`` is right-aligned. ``colours[i]`` maps
    column -> dashboard colour for row ``i`` (padding is done before colouring)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def fmt(values: Sequence[str], row_colours: dict[int, str] | None = None) -> str:
        out = []
        for i, v in enumerate(values):
            padded = v.rjust(widths[i]) if i in right else v.ljust(widths[i])
            out.append(paint(padded, (row_colours or {}).get(i), color))
        return "  ".join(out).rstrip()

    lines = [fmt(headers)]
    for n, r in enumerate(cells):
        lines.append(fmt(r, colours[n] if colours else None))
    return lines


# --- similar ---------------------------------------------------------------------


@click.command("similar")
@click.argument("city")
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, MAX_K), help="Members to return.")
@click.option("--basis", default="all", show_default=True, type=click.Choice(BASES, case_sensitive=False),
              help="Compare dashboard scores, context (type, size, country), services, or all of them.")
@click.option("--json", "as_json", is_flag=True, help='Print {"city", "matches": [{"city", "score", "why"}]}.')
def similar_command(city: str, k: int, basis: str, as_json: bool) -> None:
    """Members most like CITY, each with a short reason.

    CITY may be an English or local name, with or without accents ("Göteborg",
    "Milano", "Bruxelles", "Kiev"). Dashboard figures are self-assessment.

    Example: ucc similar Gent --basis benchmark -k 3
    """

    def body() -> None:
        _, _, directory, _ = _open(with_searcher=basis.lower() in ("services", "all"))
        result = directory.similar(city, k=k, basis=basis)
        if as_json:
            matches = [{"city": m["city"], "score": m["score"], "why": m["why"]} for m in result["matches"]]
            _echo_json({"city": result["city"], "matches": matches})
            return
        click.echo(f"Members most like {result['name']} (basis: {result['basis']})")
        if not result["matches"]:
            click.echo("No member to compare with on this basis.")
        rows = [(i, printable(m["name"]), f"{m['score']:.3f}", printable(m["why"]))
                for i, m in enumerate(result["matches"], 1)]
        for line in table(("#", "Member", "Score", "Why"), rows, right=(0, 2)):
            click.echo(line)
        if result.get("note"):
            click.echo(f"Note: {result['note']}")

    _run(body)


# --- learn-from ------------------------------------------------------------------


@click.command("learn-from")
@click.argument("city")
@click.option("-s", "--subindicator", help='One sub-indicator to work on, by id or name ("2.1", "Co-creation").')
@click.option("--peers", "k_peers", default=3, show_default=True, type=click.IntRange(1, 10),
              help="Peers to suggest per sub-indicator.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON.")
def learn_from_command(city: str, subindicator: str | None, k_peers: int, as_json: bool) -> None:
    """Who to learn from on CITY's weakest dashboard sub-indicators, with examples and a guide.

    For each weak sub-indicator: the members that score well there (similar
    members first), their services and cases that show how, and the toolkit
    guide to read first. Scores are the cities' own self-assessment.

    Example: ucc learn-from Ghent --subindicator 2.1
    """

    def body() -> None:
        _, benchmark, directory, searcher = _open()
        result = learn_from(directory, benchmark, searcher, city, subindicator=subindicator, k_peers=k_peers)
        if as_json:
            _echo_json(result)
            return
        color = _tty()
        click.echo(f"Bench-learning for {result['name']} (dashboard revision {result['revision']}, "
                   f"{result['label']}; source: {result['source']})")
        if result["note"]:
            click.echo(result["note"])
        for item in result["focus"]:
            click.echo("")
            head = f"{item['subindicator']} {item['name']} ({item['pillar']})"
            score = item["city_score"]
            if score:
                shown = paint(f"{score['yes']}/{score['total']} ({score['colour']})", score["colour"], color)
                head += f": {result['name']} {shown}"
            if item["network_median"] is not None:
                head += f"; named members' median {item['network_median']:.2f}"
            click.echo(head)
            if item["peers"]:
                click.echo("  Learn from:")
                rows = [(p["name"], f"{p['yes']}/{p['total']}", p["why"].split("; similar: ", 1)[-1]
                         if "; similar: " in p["why"] else "") for p in item["peers"]]
                for line in table(("Member", "Score", "Similar because"), rows, right=(1,)):
                    click.echo("    " + line)
            else:
                click.echo("  No named member scores higher here.")
            if item["guide"]:
                click.echo(f"  Read first: {printable(item['guide']['title'])} ({printable(item['guide']['doc_id'])})")
            if item["examples"]:
                click.echo("  How others did it:")
                for ex in item["examples"]:
                    click.echo(printable(f"    - {ex['title']} ({ex['kind']}, {ex['name']}) {ex['doc_id']}"))
            if item.get("examples_note"):
                click.echo(f"  {item['examples_note']}")

    _run(body)


# --- scores ----------------------------------------------------------------------


@click.command("scores")
@click.argument("city", required=False)
@click.option("--revision", help="Dashboard revision (default: the latest with scores).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def scores_command(city: str | None, revision: str | None, as_json: bool) -> None:
    """Dashboard scores: the ranking, or CITY's scores by sub-indicator and pillar.

    Scores are recomputed from the published rows exactly as the dashboard does
    (ties share a rank) and are the cities' own self-assessment.

    Example: ucc scores Ghent --json
    """

    def body() -> None:
        _, benchmark, directory, _ = _open(with_searcher=False)
        if city is None:
            _print_ranking(benchmark, revision, as_json)
        else:
            _print_city(benchmark, directory.resolve(city).slug, revision, as_json)

    _run(body)


def _print_ranking(benchmark: Benchmark, revision: str | None, as_json: bool) -> None:
    result = benchmark.ranking(revision)
    pillars = benchmark.pillar_averages(result["revision"])
    if as_json:
        _echo_json({**result, "pillar_averages": pillars["pillars"], "pillar_note": pillars["note"]})
        return
    click.echo(f"Dashboard ranking, revision {result['revision']} ({result['label']}; source: {result['source']})")
    rows = []
    for r in result["ranking"]:
        published = ""
        if r["published_rank"] is not None:
            published = f"#{r['published_rank']}" + (f" {r['published_percent']}%" if r["published_percent"] is not None
                                                      else "")
        rows.append((r["rank"], r["name"], f"{r['percent']}%", f"{r['percentage']:.1f}", published))
    for line in table(("Rank", "Member", "Score", "Exact", "Published"), rows, right=(0, 2, 3)):
        click.echo(line)
    averages = []
    for p in pillars["pillars"]:
        published = f" (published {p['published_percent']}%)" if p["published_percent"] is not None else ""
        averages.append(f"{p['name']} {p['percent']}%{published}")
    click.echo("Pillar averages (all Yes over all questions, named rows): " + "; ".join(averages))
    click.echo(f"Note: {result['note']} {pillars['note']}")


def _print_city(benchmark: Benchmark, slug: str, revision: str | None, as_json: bool) -> None:
    result = benchmark.city_scores(slug, revision)
    if as_json:
        _echo_json({
            "city": result["city"],
            "revision": result["revision"],
            "percent": result["percent"],
            "rank": result["rank"],
            "subindicators": [{"id": s["id"], "name": s["name"], "yes": s["yes"], "total": s["total"]}
                              for s in result["subindicators"]],
            "source": result["source"],
            "label": result["label"],
        })
        return
    color = _tty()
    peers = {s["id"]: s for s in benchmark.versus_peers(slug, result["revision"])["subindicators"]}
    published = ""
    if result["published_rank"] is not None:
        published = f"; published rank {result['published_rank']}, {result['published_percent']}%"
    click.echo(f"{result['name']}: {result['percent']}%, rank {result['rank']} of {result['of']} named members"
               f"{published} (revision {result['revision']}, {result['label']}; source: {result['source']})")
    rows, colours = [], []
    for s in result["subindicators"]:
        p = peers.get(s["id"], {})
        median = "" if p.get("peer_median") is None else f"{p['peer_median']:.2f}"
        rows.append((s["id"], s["name"], f"{s['yes']}/{s['total']}", f"{s['fraction']:.2f}", s["colour"], median))
        colours.append({3: s["colour"], 4: s["colour"]})
    for line in table(("ID", "Sub-indicator", "Yes", "Score", "Colour", "Peers' median"), rows, right=(2, 3, 5),
                      colours=colours, color=color):
        click.echo(line)
    pillars = []
    for p in result["pillars"]:
        shown = paint(f"{p['fraction']:.2f}", p["colour"], color)
        pillars.append(f"{p['id']} {p['name']} {p['yes']}/{p['total']} ({shown})")
    click.echo("Pillars: " + "; ".join(pillars))
    click.echo(f"Note: {result['note']}")
