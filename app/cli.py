"""``ucc``: the command-line face. Each command reads its input, calls one
library function and prints the result; library errors become clean messages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.terminal import json_shown, shown
from indexer.errors import UccError
from indexer.publish import DEFAULT_KEEP
from indexer.settings import load_settings


class _Group(click.Group):
    """Turns the project's errors into one-line messages and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UccError as exc:
            raise click.ClickException(exc.message) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="usercentricities-assistant")
def main():
    """UserCentriCities assistant: index the knowledge base, search it, evaluate retrieval.

    Settings come from UCC_* environment variables (see README). Data lives in
    UCC_DATA_DIR (default ./var).
    """


class _Bars:
    """A tqdm progress bar per build stage, on stderr, only when it is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bars: dict = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=f"{stage:>8}", unit="item", file=sys.stderr, leave=False)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _progress(quiet: bool) -> _Bars:
    return _Bars(enabled=not quiet and sys.stderr.isatty())


def _emit_json(obj) -> None:
    click.echo(json_shown(json.dumps(obj, indent=2, ensure_ascii=False, default=str)))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.option("--publish", "publish_dest", type=click.Path(file_okay=False, path_type=Path),
              help="Then publish the live generation into this folder for web hosts (as `ucc publish`).")
@click.option("--keep", default=DEFAULT_KEEP, show_default=True, type=click.IntRange(1, 1000),
              help="With --publish: published generations kept.")
def index(paths, as_json, quiet, publish_dest, keep):
    """Build or update the index from PATHS (default: the knowledge base).

    Only changed files are re-read and only new passages are embedded. Files that
    cannot be read are listed with the reason and skipped; the rest is indexed.
    With --publish DEST the live generation is then published for `ucc pull`
    (also when nothing changed: publishing a generation already there does nothing).

    Example: ucc index knowledge/ ../more-guides/
    """
    from indexer.build import build_index

    settings = load_settings()
    roots = list(paths) or [settings.knowledge_dir]
    bars = _progress(quiet or as_json)
    try:
        report = build_index(roots, settings, progress=bars)
    finally:
        bars.close()
    published = None
    if publish_dest is not None:
        from app.commands.publish import publish_to

        published = publish_to(publish_dest, keep)
    if as_json:
        _emit_json(dict(report.to_dict(), **({"published": published.to_dict()} if published else {})))
        return
    _print_build(report)
    if published is not None:
        from app.commands.publish import publish_line

        click.echo(publish_line(published))


def _print_build(report) -> None:
    state = f"generation {report.generation}" if report.generation else "no change; index unchanged"
    click.echo(
        f"Indexed in {report.seconds:.1f} s ({state}): {len(report.added)} added, {len(report.updated)} updated, "
        f"{report.unchanged} unchanged, {len(report.removed)} removed, {len(report.skipped)} skipped."
    )
    click.echo(
        f"Live index: {report.documents} documents, {report.chunks} chunks "
        f"({report.chunks_embedded} passages embedded, {report.chunks_reused} reused)."
    )
    for item in report.skipped:
        click.echo(f"  skipped {shown(item['path'])}: {shown(item['reason'])}", err=True)


@main.command()
@click.argument("query")
@click.option("-k", "k", default=10, show_default=True, type=click.IntRange(1, 100), help="Documents to return.")
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "dense"]), help="Retrieval mode (default UCC_SEARCH_MODE).")
@click.option("--city", multiple=True, help="Only documents about this city (slug); repeatable.")
@click.option("--country", multiple=True, help="Only documents from this country; repeatable.")
@click.option("--kind", multiple=True, help="Only this kind (service, guide, case, network...); repeatable.")
@click.option("--principle", multiple=True, help="Only documents tagged with this principle id.")
@click.option("--subindicator", multiple=True, help="Only documents tagged with this sub-indicator (e.g. 2.2).")
@click.option("--year", multiple=True, help="Only documents of this year.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
def search(query, k, mode, as_json, **filters):
    """Search the index; each hit is a document with its best passages.

    Example: ucc search "proactive child benefits" --kind service -k 5
    """
    from indexer.search import Searcher

    searcher = Searcher(load_settings())
    result = searcher.search(query, k=k, mode=mode, filters={f: list(v) for f, v in filters.items() if v})
    if as_json:
        _emit_json(result.to_dict())
        return
    if not result.hits:
        click.echo("No matches.")
    for hit in result.hits:  # titles, paths, urls and snippets come from files: print them escaped
        where = shown(", ".join(x for x in (hit.kind, hit.city) if x))
        page = f" p.{hit.page}" if hit.page else ""
        click.echo(f"{hit.rank:>2}. {shown(hit.title)}  [{hit.score:.3f}]" + (f"  ({where})" if where else ""))
        click.echo(f"    {shown(hit.source)}{page}" + (f"  {shown(hit.url)}" if hit.url else ""))
        click.echo(f"    {shown(hit.snippet)}")


@main.command("eval")
@click.argument("dataset_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--corpus", type=click.Path(exists=True, path_type=Path), help="Folder whose files are the corpus.")
@click.option("--mode", "modes", multiple=True, type=click.Choice(["hybrid", "bm25", "dense"]),
              help="Modes to score (default: all three).")
@click.option("--store", type=click.Path(path_type=Path), help="Keep the evaluation index here (default: a temporary folder).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def eval_command(dataset_dir, corpus, modes, store, as_json):
    """Score retrieval on a BEIR-layout data set: nDCG@10, Recall@10, MRR@10 per mode, and per
    language when the queries carry a "lang" field (as ../shared/eval/toolkit-dev-multilingual).

    Example: ucc eval ../shared/eval/toolkit-dev --corpus ../shared/corpora --json
    """
    from indexer.evaluation import evaluate

    settings = load_settings()
    bars = _progress(as_json)
    try:
        result = evaluate(dataset_dir, corpus, settings, modes=modes or ("hybrid", "bm25", "dense"),
                          store_dir=store, progress=bars)
    finally:
        bars.close()
    if as_json:
        _emit_json({k: result[k] for k in ("default_mode", "modes", "by_language", "queries", "documents")})
        return
    click.echo(f"{result['queries']} queries over {result['documents']} documents ({result['chunks']} chunks)")
    click.echo(f"{'mode':<8} {'nDCG@10':>8} {'Recall@10':>10} {'MRR@10':>8}")
    for mode, m in result["modes"].items():
        mark = " (default)" if mode == result["default_mode"] else ""
        click.echo(f"{mode:<8} {m['ndcg@10']:>8.4f} {m['recall@10']:>10.4f} {m['mrr@10']:>8.4f}{mark}")
    if result.get("by_language"):
        click.echo("nDCG@10 by language (the queries' \"lang\" field):")
        for lang, by_mode in result["by_language"].items():
            click.echo(f"  {lang:<4} " + "  ".join(f"{mode} {m['ndcg@10']:.4f}" for mode, m in by_mode.items()))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats(as_json):
    """What the live index holds, by kind, city, principle and sub-indicator, and the gaps:
    members with no service, principles and sub-indicators no document covers.

    Example: ucc stats --json
    """
    from app.network.catalog import Catalog
    from app.network.coverage import knowledge_gaps
    from indexer.stats import index_stats

    settings = load_settings()
    data = index_stats(settings)
    try:
        data["gaps"] = knowledge_gaps(data, Catalog.load(settings.knowledge_dir))
    except (UccError, OSError) as exc:  # an index of other folders has no member lists to compare with
        data["gaps"] = {"unavailable": str(exc)}
    if as_json:
        _emit_json(data)
        return
    click.echo(f"Generation {data['generation']}, built {data['built_at']} ({data['index_age_seconds']:.0f} s ago)")
    click.echo(f"Model {data['model']} ({data['dim']} dims); {data['documents']} documents, {data['chunks']} chunks")
    for title, key in (("By kind", "by_kind"), ("By city", "by_city")):
        click.echo(title + ":")
        for name, c in data[key].items():
            click.echo(f"  {shown(name):<28} {c['documents']:>5} documents {c['chunks']:>6} chunks")
    for title, key in (("By principle", "by_principle"), ("By sub-indicator", "by_subindicator")):
        click.echo(title + ":")
        for name, n in data[key].items():
            click.echo(f"  {shown(name):<44} {n:>5} documents")
    gaps = data["gaps"]
    if "unavailable" not in gaps:
        click.echo("Gaps:")
        click.echo("  members with no service: " + (shown(", ".join(gaps["members_without_services"])) or "none"))
        click.echo("  principles with no document: "
                   + (shown(", ".join(gaps["principles_without_documents"])) or "none"))
        click.echo("  sub-indicators with no document: "
                   + (shown(", ".join(gaps["subindicators_without_documents"])) or "none"))
    if data["skipped_files"]:
        click.echo("Skipped files:")
        for s in data["skipped_files"]:
            click.echo(f"  {shown(s['path'])}: {shown(s['reason'])}")


@main.command()
@click.argument("question")
@click.option("--conversation", help="Continue this conversation (its id is printed with every answer).")
@click.option("--city", multiple=True, help="Only sources about this city (slug); repeatable.")
@click.option("--kind", multiple=True, help="Only sources of this kind (service, guide, case, network).")
@click.option("--json", "as_json", is_flag=True, help="Print the structured result as JSON.")
def ask(question, conversation, city, kind, as_json):
    """Ask the assistant: a short answer quoted from cited sources, or scores, similar
    cities, peers to learn from or examples when the question is about those.

    Follow-ups ("and in Spain?") continue a conversation: pass --conversation ID.

    Example: ucc ask "How did Ghent make its services proactive?"
    """
    from app.assistant import Assistant

    filters = {k: list(v) for k, v in (("city", city), ("kind", kind)) if v}
    # answered, timed and recorded in the question log (channel cli) by the assistant
    result = Assistant(load_settings()).ask_and_record(question, channel="cli", conversation=conversation,
                                                       filters=filters or None).result
    if as_json:
        _emit_json(result)
        return
    _print_answer(result)


def _print_answer(result: dict) -> None:
    """The answer for a terminal; every text from the knowledge base is printed escaped."""
    status = result.get("status")
    if status == "need_more_detail":
        click.echo(shown(result.get("answer") or "Could you say a little more? For example:", lines=True))
        for option in result.get("clarifying_options", []):
            click.echo(f"  - {shown(option.get('label') or option.get('question') or option)}")
    elif status == "cannot_answer":
        click.echo(shown(result.get("answer") or "I cannot answer that from the knowledge base.", lines=True))
        for near in result.get("nearest", [])[:3]:
            click.echo(f"  nearest: {shown(near.get('title'))} ({shown(near.get('source'))})")
    else:
        click.echo(shown(result.get("answer", ""), lines=True))
    from app.commands.render import part_lines

    for part in result.get("parts") or []:
        lines = part_lines(part)
        if lines:
            click.echo("")
            click.echo(shown("\n".join(lines), lines=True))
    cites = result.get("citations", [])
    if cites:
        click.echo("\nSources:")
        for c in cites:
            where = ", ".join(x for x in (c.get("city"), c.get("kind")) if x)
            page = f" p.{c['page']}" if c.get("page") else ""
            click.echo(shown(f"  [{c['n']}] {c['title']}" + (f" ({where})" if where else "")
                             + f" — {c.get('url') or c.get('source')}{page}"))
    related = result.get("related", [])
    if related:
        click.echo(shown("Related elsewhere: " + "; ".join(f"{r['title']} ({r.get('city')})" for r in related[:3])))
    if result.get("follow_ups"):
        click.echo(shown("You could ask: " + " | ".join(result["follow_ups"][:3])))
    if result.get("conversation_id"):
        click.echo(f"(conversation {shown(result['conversation_id'])})")


@main.command()
@click.option("--no-serve", is_flag=True, help="Only bring the index up to date, then say how to use it.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def up(ctx, no_serve, quiet):
    """Bring the index up to date with the knowledge base, then serve the API, the chat
    widget and the moderator console (what the README's run command calls).

    Re-running it is fast when nothing changed: only changed files are re-read.

    Example: ucc up
    """
    from app.commands.serve import serve_command
    from indexer.build import build_index

    if not no_serve:
        ctx.invoke(serve_command, host=None, port=None, workers=None, threads=None, no_index=False)
        return
    settings = load_settings()
    bars = _progress(quiet)
    try:
        report = build_index([settings.knowledge_dir], settings, progress=bars)
    finally:
        bars.close()
    state = "rebuilt" if report.generation else "up to date"
    click.echo(f"Index {state}: {report.documents} documents, {report.chunks} chunks ({report.seconds:.1f} s).")
    for item in report.skipped:
        click.echo(f"  skipped {shown(item['path'])}: {shown(item['reason'])}", err=True)
    click.echo('Try:  .venv/bin/ucc ask "How did Helsinki offer pre-primary places without an application?"')
    click.echo('      .venv/bin/ucc search "proactive services for families" -k 5')
    click.echo("      .venv/bin/ucc serve")

@main.command()
@click.option("--http", is_flag=True, help="Serve Slack's HTTP events at /slack/events instead of Socket Mode.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for --http.")
@click.option("--port", default=3000, show_default=True, type=click.IntRange(1, 65535), help="Port for --http.")
def slack(http, host, port):
    """Run the Slack bot: Socket Mode with SLACK_APP_TOKEN, or HTTP with SLACK_SIGNING_SECRET.

    Without credentials it says which ones to set and exits. See README, "Slack bot".

    Example: ucc slack   (or: ucc slack --http --port 3000)
    """
    from bots.run import main as slack_main  # the CLI dispatches to the Slack face; nothing else in app/ may

    raise SystemExit(slack_main((["--http", "--host", host, "--port", str(port)] if http else [])))


def _register() -> None:
    from app.commands.backup import backup_command, restore_command
    from app.commands.cities import learn_from_command, scores_command, similar_command
    from app.commands.examples import examples_command
    from app.commands.knowledge import benchmark_group, validate_command
    from app.commands.model import model_group
    from app.commands.serve import serve_command

    for command in (validate_command, benchmark_group, similar_command, learn_from_command, scores_command,
                    examples_command, serve_command, model_group):
        main.add_command(command)
    from app.commands.publish import publish_command, pull_command

    for command in (backup_command, restore_command, publish_command, pull_command):
        main.add_command(command)

    from app.commands.check import check_command
    main.add_command(check_command)

    from app.commands.answer_eval import eval_answers_command
    main.add_command(eval_answers_command)


_register()
