"""``ucc eval-answers``: ask every question of an answers-dev file and score the answers.

Register it on the main group::

    main.add_command(eval_answers_command)

The checking lives in :mod:`app.operations.answer_eval`; this command only asks through the
assistant and formats the report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from indexer.errors import UccError
from indexer.settings import load_settings

from app.operations.answer_eval import Report, evaluate_file

ANSWER_CHARS = 240


def _short(text: str, limit: int = ANSWER_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _rate(row: dict) -> str:
    return f"{row['passed']}/{row['total']}"


def format_report(report: Report) -> str:
    lines = [f"{report.passed}/{report.total} passed ({report.source})"]
    lines.append("By expected status: " + ", ".join(f"{k} {_rate(v)}" for k, v in report.by_status().items()))
    lines.append("By intent (route taken): " + ", ".join(f"{k} {_rate(v)}" for k, v in report.by_intent().items()))
    lines.append("By language: " + ", ".join(f"{k} {_rate(v)}" for k, v in report.by_language().items()))
    failures = report.failures
    if failures:
        lines.append("")
        lines.append(f"Failures ({len(failures)}):")
    for r in failures:
        lines.append(f"- {r.id} [{r.intent}] {r.q}")
        lines.append(f"    expected {r.expected_status}, got {r.status}: {'; '.join(r.problems)}")
        lines.append(f"    answer: {_short(r.answer) if r.answer else '(none)'}")
    return "\n".join(lines)


@click.command("eval-answers")
@click.argument("qa_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: passed, total, by_status, "
              "by_intent, by_language, failures and every case.")
def eval_answers_command(qa_file, as_json):
    """Ask every question of QA_FILE (answers-dev format: id, q, status, all, min_of; an optional
    lang) against the live index, as `ucc ask` does, and report passed/total, by expected status,
    by intent and by language (the lang field, else the language detected), with each failure's
    question, statuses and answer. The exit code is 0 whatever the score; a
    malformed file is an error listing its bad lines.

    Example: ucc eval-answers ../shared/eval/answers-dev/qa.jsonl --json
    """
    from app.assistant import Assistant

    assistant = Assistant(load_settings())
    tty = not as_json and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            click.echo(f"\r{done}/{total} questions", nl=done == total, err=True)

    try:
        report = evaluate_file(qa_file, assistant.ask, progress=progress)
    except UccError as exc:
        raise click.ClickException(exc.message) from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))
        return
    click.echo(format_report(report))
