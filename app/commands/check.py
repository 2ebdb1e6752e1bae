"""``ucc check``: is the data directory consistent (index, FAISS file, the service's databases)?

Register it on the main group::

    main.add_command(check_command)
"""

from __future__ import annotations

import json

import click

from indexer.integrity import check_integrity
from indexer.settings import load_settings


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check_command(as_json: bool) -> None:
    """Check UCC_DATA_DIR: PRAGMA integrity_check of every SQLite file, one live generation whose
    FAISS file holds exactly its chunks, a full-text row for every chunk.

    Changes nothing; a build may run meanwhile. Leftovers of an interrupted build (cleaned up by the
    next one) are warnings. Exit code 0 when healthy, 1 when a problem is found.

    Example: ucc check --json
    """
    report = check_integrity(load_settings())
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        if report.generation is not None:
            click.echo(f"Live generation {report.generation}: {report.documents} documents, {report.chunks} chunks, "
                       f"{report.faiss_vectors if report.faiss_vectors is not None else 'no'} FAISS vectors.")
        for name, result in report.databases.items():
            click.echo(f"{name}: {result}")
        for finding in report.findings:
            click.echo(str(finding), err=finding.level == "error")
        click.echo(f"{report.data_dir}: " + ("OK" if report.ok else f"{len(report.errors)} problem(s) found")
                   + (f", {len(report.warnings)} warning(s)" if report.warnings else "") + ".")
    if not report.ok:
        raise SystemExit(1)
