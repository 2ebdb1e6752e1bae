"""``ucc examples``: services and cases on a topic, and a UserCentriCafé session pack.

Register it on the main group::

    main.add_command(examples_command)
"""

from __future__ import annotations

import json
import shutil
import textwrap

import click

from indexer.errors import UccError
from indexer.search import Searcher
from indexer.settings import load_settings

from app.network.catalog import Catalog
from app.network.examples import MAX_N, Example, examples, examples_csv, session_pack
from app.terminal import json_shown, shown

FORMATS = ("text", "md", "csv", "json")


@click.command("examples")
@click.argument("topic")
@click.option("-n", "n", type=click.IntRange(1, MAX_N), default=5, show_default=True,
              help=f"Most examples (1-{MAX_N}).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: a list for the terminal; md: the session pack as Markdown; csv: the examples, one "
                   "row each; json: the session pack.")
@click.option("--city", multiple=True, help="Only this city or region (slug or name; repeatable).")
@click.option("--country", multiple=True, help="Only this country (repeatable).")
@click.option("--kind", multiple=True, type=click.Choice(("service", "case")), help="Only services or only cases.")
@click.option("--subindicator", multiple=True, help='Only entries tagged with this sub-indicator, e.g. "2.2".')
@click.option("--all-per-city", is_flag=True, help="Allow several examples from the same city.")
def examples_command(topic, n, fmt, city, country, kind, subindicator, all_per_city):
    """Services and cases on TOPIC for a UserCentriCafé session, at most one per city.

    Each example has a two-line summary (the entry's first sentences), its city, year and
    link. Weak matches are left out, so fewer than N examples (or none) may come back.
    --format md prints the whole session pack: examples, guides to read, cities strong on
    the related dashboard sub-indicators (self-assessment) and discussion prompts.

    Example: ucc examples "proactive services" -n 4 --format md > session.md
    """
    filters = {"city": list(city), "country": list(country), "kind": list(kind), "subindicator": list(subindicator)}
    filters = {k: v for k, v in filters.items() if v}
    try:
        settings = load_settings()
        catalog = Catalog.load(settings.knowledge_dir)
        searcher = Searcher(settings)
        if fmt in ("md", "json"):
            pack = session_pack(searcher, catalog, topic, n=n, filters=filters, one_per_city=not all_per_city)
            output = pack.to_markdown() if fmt == "md" else json.dumps(pack.to_dict(), indent=2, ensure_ascii=False)
        else:
            found = examples(searcher, catalog, topic, n=n, filters=filters, one_per_city=not all_per_city)
            output = examples_csv(found) if fmt == "csv" else render_text(topic, found)
    except UccError as exc:
        raise click.ClickException(exc.message) from None
    output = json_shown(output) if fmt == "json" else shown(output, lines=True)  # titles come from files
    click.echo(output, nl=not output.endswith("\n"))


def render_text(topic: str, found: list[Example], width: int | None = None) -> str:
    """The examples as an aligned list for a terminal."""
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 100)
    topic = " ".join(topic.split())
    if not found:
        return (f'No service or case in the knowledge base matches "{topic}" closely enough.\n'
                "Try a broader topic, or drop a filter.")
    lines = [f'{len(found)} example{"s" if len(found) != 1 else ""} for "{topic}"', ""]
    number_width = len(str(len(found))) + 2
    indent = " " * number_width
    for i, e in enumerate(found, 1):
        head = f"{i}.".rjust(number_width - 1) + " "
        lines += textwrap.wrap(e.title, width, initial_indent=head, subsequent_indent=indent)
        where = e.city_name or e.city or "no city recorded"
        if e.country:
            where += f", {e.country}"
        if not e.member:
            where += " (not a member)"
        facts = [where, str(e.year) if e.year else "year not recorded", e.kind or "entry"]
        if e.award and e.award.get("result"):
            facts.append(f"award {e.award['result']} {e.award.get('year') or ''}".rstrip())
        facts.append(f"match {e.score:.2f}")
        lines.append(indent + " · ".join(facts))
        lines += textwrap.wrap(e.summary, width, initial_indent=indent, subsequent_indent=indent)
        lines.append(indent + (e.url or "no link recorded"))
        lines.append(indent + f"knowledge base: {e.source}")
        lines.append("")
    lines.append("Use --format md for a session pack (guides, strong cities, discussion prompts).")
    return "\n".join(lines)
