"""``ucc validate`` and ``ucc benchmark import``: checks of the knowledge folder.

Register them on the main group::

    main.add_command(validate_command)
    main.add_command(benchmark_group)
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from indexer.errors import UccError
from indexer.settings import load_settings

from app.network.benchmark_import import import_scores
from app.network.catalog import Catalog
from app.validation import EntrySources, check_knowledge, sources_report

def _default_knowledge_dir() -> str:
    return str(load_settings().knowledge_dir)


def _knowledge_option(func):
    return click.option(
        "--knowledge-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=_default_knowledge_dir,
        show_default="UCC_KNOWLEDGE_DIR or knowledge",
        help="The knowledge folder.",
    )(func)


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


@click.command("validate")
@_knowledge_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--sources", "show_sources", is_flag=True,
              help="Instead of checking, list per entry its sources and the facts each one supports.")
@click.option("--entry", metavar="NAME",
              help="With --sources: only the entries this file, slug or city slug names (e.g. kronoberg).")
def validate_command(knowledge_dir: Path, as_json: bool, show_sources: bool, entry: str | None) -> None:
    """Check the knowledge folder: front matter, ids, references, figures' dates, conflicts,
    network data (members, partners, awards) and benchmark sums.

    Prints every problem as FILE: FIELD: MESSAGE and exits with status 1 if
    there is any; otherwise prints one line with the files checked by kind.
    Warnings (an outcome whose date was not found, an undated source in a
    conflict) are printed as "warning: FILE: FIELD: MESSAGE" and do not fail.

    With --sources, prints for each entry (a Markdown file, a member of
    cities.yaml, a partner, an award) its sources and, under each, the facts it
    supports in the entry's data: outcomes with their dates, conflicts
    (followed and other values), context facts, finalists and winners. A source
    marked "not in sources" is cited by a fact but missing from the entry's
    sources list; one with no fact supports the prose only.

    \b
    Examples:
      ucc validate --knowledge-dir knowledge
      ucc validate --json
      ucc validate --sources --entry kronoberg
      ucc validate --sources --json > sources.json
    """
    if entry and not show_sources:
        raise click.UsageError("--entry goes with --sources")
    if show_sources:
        try:
            entries = sources_report(knowledge_dir, entry)
        except UccError as exc:
            raise click.ClickException(exc.message) from None
        if as_json:
            _echo_json({"entries": [e.to_dict() for e in entries]})
        else:
            _echo_sources(entries)
        if entry and not entries:
            raise click.ClickException(f"no entry is called {entry!r}")
        return
    report = check_knowledge(knowledge_dir)
    if as_json:
        _echo_json(report.to_dict())
    else:
        for problem in report.problems:
            click.echo(str(problem))
        for warning in report.warnings:
            click.echo(f"warning: {warning}")
        click.echo(report.summary(), err=not report.ok)
    if not report.ok:
        raise SystemExit(1)


def _echo_sources(entries: list[EntrySources]) -> None:
    """The sources report as text: an entry, its sources, and the facts under each."""
    n_facts = bare = 0
    for e in entries:
        city = f", {e.city}" if e.city and e.city != e.entry else ""
        click.echo(f"{e.key} [{e.kind}{city}] {e.title}")
        if not e.sources:
            click.echo("    (no sources)")
        for s in e.sources:
            click.echo(f"  {s.source}" + ("" if s.listed else "  (not in sources)"))
            if not s.facts:
                bare += 1
                click.echo("    - (no fact recorded as data; supports the text)")
            for f in s.facts:
                n_facts += 1
                date = f", {f['date']}" if f.get("date") else ""
                click.echo(f"    - {f['fact']}{date}: {f['text']}")
        click.echo("")
    n_sources = sum(len(e.sources) for e in entries)
    click.echo(f"{len(entries)} entries, {n_sources} sources, {n_facts} facts; "
               f"{bare} of the sources support the text only (no fact recorded as data)")


@click.group("benchmark")
def benchmark_group() -> None:
    """Benchmark data: import a network's own dashboard results.

    Example: ucc benchmark import results.csv --revision 2023 --dry-run
    """


@benchmark_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--revision", help="Revision of rows that leave it empty (2023 or 2022).")
@click.option("--dry-run", is_flag=True, help="Check every row but write nothing.")
@click.option("--source", help="Where the results come from (recorded on every row).")
@_knowledge_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def import_command(
    file: Path, revision: str | None, dry_run: bool, source: str | None, knowledge_dir: Path, as_json: bool
) -> None:
    """Check FILE (CSV or YAML) and write it as a score file under knowledge/benchmark/.

    FILE has one row per city and question (city, revision, field_id, answer,
    evidence) or per city and sub-indicator (city, revision, subindicator, yes,
    n); see knowledge/benchmark/README.md. Every bad row is listed and nothing
    is written unless all rows are good. Exit status 1 on any error.

    Example: ucc benchmark import results.csv --revision 2023
    """
    try:
        result = import_scores(file, Catalog.load(knowledge_dir), revision=revision, dry_run=dry_run, source=source)
    except UccError as exc:
        raise click.ClickException(exc.message) from None
    if as_json:
        _echo_json(result.to_dict())
    else:
        for error in result.errors:
            click.echo(str(error))
        if not result.ok:
            click.echo(f"{len(result.errors)} error(s) in {result.source_file}; nothing written", err=True)
        elif result.output is None:
            click.echo(f"ok: {len(result.rows)} cities, revision {result.revision}; dry run, nothing written")
        else:
            click.echo(f"ok: {len(result.rows)} cities, revision {result.revision}; wrote {result.output}")
    if not result.ok:
        raise SystemExit(1)
