"""``ucc backup`` and ``ucc restore``: copies of UCC_DATA_DIR that can be trusted.

Register them on the main group::

    main.add_command(backup_command)
    main.add_command(restore_command)
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from indexer.settings import load_settings

from app.operations import backup as ops


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print what was backed up as JSON.")
def backup_command(dest: Path, as_json: bool) -> None:
    """Back up UCC_DATA_DIR into the new folder DEST, while the service runs.

    Copies the index (index.db and the live generation's FAISS file), the question log,
    conversations and the Slack bot's state through SQLite's backup API, and the log salt,
    with a manifest of SHA-256 checksums. A build running meanwhile is fine.

    Example: ucc backup /var/backups/ucc/2026-11-24
    """
    report = ops.backup(load_settings(), dest)
    if as_json:
        _echo_json(report.to_dict())
        return
    size = sum(f["bytes"] for f in report.files)
    click.echo(f"Backed up generation {report.generation} ({report.documents} documents, {report.chunks} chunks) "
               f"and {len(report.files)} files, {size / 1e6:.1f} MB, into {report.path} ({report.seconds:.1f} s).")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a data directory that is not empty (its contents are kept beside it).")
@click.option("--json", "as_json", is_flag=True, help="Print what was restored as JSON.")
def restore_command(src: Path, force: bool, as_json: bool) -> None:
    """Restore a backup made by `ucc backup` into UCC_DATA_DIR.

    Checks every checksum, PRAGMA integrity_check of every database and that the FAISS file
    holds every live chunk before anything is replaced; then swaps the folders. Stop the web
    service and the Slack bot first.

    Example: ucc restore /var/backups/ucc/2026-11-24 --force
    """
    report = ops.restore(load_settings(), src, force=force)
    if as_json:
        _echo_json(report.to_dict())
        return
    click.echo(f"Restored generation {report.generation} ({report.documents} documents, {report.chunks} chunks) "
               f"and {report.files} files into {report.data_dir}.")
    if report.replaced:
        click.echo(f"The previous contents are in {report.replaced}; delete that folder once the service works.")
