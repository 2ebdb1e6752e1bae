"""``ucc publish`` and ``ucc pull``: build the index once, serve it on several hosts.

The build host runs ``ucc index --publish DEST`` (or ``ucc index`` then ``ucc publish DEST``);
each web host runs ``ucc pull SRC`` (from a timer) and its running ``ucc serve`` answers from the
pulled generation on its next query. The work is :mod:`indexer.publish` and :mod:`indexer.pull`.

Register them on the main group::

    main.add_command(publish_command)
    main.add_command(pull_command)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from indexer.publish import DEFAULT_KEEP, PublishReport, publish
from indexer.settings import load_settings


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


KEEP_OPTION = click.option("--keep", default=DEFAULT_KEEP, show_default=True, type=click.IntRange(1, 1000),
                           help="Published generations kept in DEST (the newest; older ones are deleted).")


def publish_to(dest: Path, keep: int) -> PublishReport:
    """Publish the live generation of UCC_DATA_DIR into DEST (also used by ``ucc index --publish``)."""
    return publish(load_settings().data_dir, dest, keep=keep)


def publish_line(report: PublishReport) -> str:
    if not report.published:
        return f"Generation {report.generation} was already published in {report.path}; LATEST names it."
    return (f"Published generation {report.generation} ({report.documents} documents, {report.chunks} chunks, "
            f"{report.bytes / 1e6:.1f} MB) into {report.path}/{report.folder} ({report.seconds:.1f} s)."
            + (f" Removed: {', '.join(report.removed)}." if report.removed else ""))


@click.command("publish")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@KEEP_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print what was published as JSON.")
def publish_command(dest: Path, keep: int, as_json: bool) -> None:
    """Publish the live index generation into the folder DEST, for web hosts to `ucc pull`.

    Writes DEST/gen-NNNNNN/ (index.db with the live generation only, its FAISS file, and a
    manifest with the SHA-256 and size of each file, the model, its dimension and the index
    settings), assembled under a hidden name and renamed into place, then replaces DEST/LATEST.
    Only the index: never the question log, conversations or the Slack bot's state. Publishing
    the same generation again does nothing. Serve DEST over HTTPS (or share it) to the web hosts.
    `ucc index --publish DEST` builds and publishes in one step.

    Example: ucc publish /srv/ucc-publish --keep 3
    """
    report = publish_to(dest, keep)
    if as_json:
        _echo_json(report.to_dict())
        return
    click.echo(publish_line(report))


class _ByteBar:
    """A tqdm bar in bytes per file, on stderr, only when it is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bars: dict = {}

    def __call__(self, name: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(name)
        if bar is None:
            bar = self.bars[name] = tqdm(total=total, desc=name, unit="B", unit_scale=True, file=sys.stderr,
                                         leave=False)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@click.command("pull")
@click.argument("src")
@click.option("--generation", type=click.IntRange(1), help="Pull this published generation instead of LATEST "
              "(e.g. to go back to the one before).")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(1, 3600),
              help="Seconds each connection and read may take over HTTP.")
@click.option("--json", "as_json", is_flag=True, help="Print what was pulled as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def pull_command(src: str, generation: int | None, timeout: float, as_json: bool, quiet: bool) -> None:
    """Pull the latest published index generation from SRC and make it live here.

    SRC is a folder `ucc publish` wrote, or an http(s):// URL serving it. Checks the manifest
    (no other file than index.db and the FAISS file, no '..', no symbolic links), the model
    (UCC_EMBEDDING_MODEL and prefixes as on the build host), then every file's size and SHA-256
    and the copy itself before anything is replaced; then switches the live generation in one
    transaction, as a build does: a running `ucc serve` answers from it on its next query, with
    no restart. A failed pull leaves the current index serving and says why. Pulling the
    generation that is live already does nothing. Writes only inside UCC_DATA_DIR and never
    touches the question log, conversations or the Slack bot's state.

    Example: ucc pull https://build.example.org/ucc-publish/
    """
    from indexer.pull import pull

    bars = _ByteBar(enabled=not (quiet or as_json) and sys.stderr.isatty())
    try:
        report = pull(load_settings(), src, generation=generation, progress=bars, timeout=timeout)
    finally:
        bars.close()
    if as_json:
        _echo_json(report.to_dict())
        return
    if not report.pulled:
        click.echo(f"Generation {report.published_generation} from {report.source} is live already "
                   f"(here generation {report.generation}); nothing to do.")
        return
    here = "" if report.generation == report.published_generation else f" as generation {report.generation}"
    click.echo(f"Pulled generation {report.published_generation}{here} ({report.documents} documents, "
               f"{report.chunks} chunks, {report.bytes / 1e6:.1f} MB) from {report.source} in {report.seconds:.1f} s; "
               f"it is live (before: {report.previous if report.previous is not None else 'no index'}).")
