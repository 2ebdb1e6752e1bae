"""The reference data: members, principles, the dashboard framework and its score files.

``cities.yaml`` and ``principles.yaml`` fit their models (:mod:`app.network.models`) without
duplicate ids; ``benchmark/framework.yaml`` fits its model; every ``benchmark/scores-*.yaml`` row
names a member and a known revision, has every sub-indicator of that revision with the
framework's question count, never more Yes than questions, and its published percentage
recomputes (:func:`app.network.scoring.rounded_percentage`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from indexer.errors import DatasetError, NotFound

from app.network import catalog as cat
from app.network.models import Framework, ScoreFile, ScoreRow
from app.network.scoring import rounded_percentage
from app.validation.problems import Problem, pydantic_problems


def load_yaml(path: Path, rel: str, problems: list[Problem]) -> Any:
    """The parsed YAML of ``path``, or None when it is missing or malformed (the problem is recorded)."""
    try:
        return cat.read_yaml(path)
    except DatasetError as exc:
        problems.append(Problem(rel, "(file)", exc.message.split(": ", 1)[-1]))
        return None


def check_list_file(
    path: Path, rel: str, key: str, model: type[BaseModel], id_field: str, problems: list[Problem]
) -> list[Any]:
    """The items of the ``key`` list of ``path`` that fit ``model``; no two share ``id_field``."""
    data = load_yaml(path, rel, problems)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        problems.append(Problem(rel, key, f"expected a mapping with a '{key}' list"))
        return []
    items = []
    for i, raw in enumerate(data[key]):
        try:
            items.append(model.model_validate(raw))
        except ValidationError as exc:
            problems.extend(pydantic_problems(rel, exc, f"{key}[{i}]."))
    for ident, n in Counter(getattr(x, id_field) for x in items).items():
        if n > 1:
            problems.append(Problem(rel, id_field, f"duplicate {id_field} {ident!r} ({n} times)"))
    return items


def check_framework(path: Path, rel: str, problems: list[Problem]) -> Framework | None:
    """``benchmark/framework.yaml`` as a :class:`~app.network.models.Framework`, or None when it does not fit."""
    return _load_model(path, rel, Framework, problems)


def _load_model(path: Path, rel: str, model: type[BaseModel], problems: list[Problem]) -> Any:
    data = load_yaml(path, rel, problems)
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(rel, exc))
        return None


def check_scores(
    path: Path, rel: str, framework: Framework | None, cities: set[str], problems: list[Problem]
) -> None:
    """One score file: its rows name members and its revision, fit the framework and recompute."""
    scores = _load_model(path, rel, ScoreFile, problems)
    if scores is None:
        return
    seen: Counter = Counter()
    for i, row in enumerate(scores.rows):
        where = f"rows[{i}]"
        seen[(row.city, row.revision)] += 1
        if row.city not in cities:
            problems.append(Problem(rel, f"{where}.city", f"unknown city slug {row.city!r}"))
        if row.revision != scores.revision:
            problems.append(Problem(rel, f"{where}.revision", f"{row.revision!r} differs from the file's {scores.revision!r}"))
        problems.extend(_check_row_against_framework(rel, where, row, framework))
        if row.published_percentage is not None and all(s.yes <= s.n for s in row.scores.values()):
            got = rounded_percentage(row.scores)
            if got != row.published_percentage:
                problems.append(
                    Problem(rel, f"{where}.published_percentage", f"published {row.published_percentage}% but the scores recompute to {got}%")
                )
    for (city, revision), n in seen.items():
        if n > 1:
            problems.append(Problem(rel, "rows", f"{city!r} has {n} rows for revision {revision}"))


def _check_row_against_framework(rel: str, where: str, row: ScoreRow, framework: Framework | None) -> list[Problem]:
    out = []
    for sub_id, s in row.scores.items():
        if s.yes > s.n:
            out.append(Problem(rel, f"{where}.scores.{sub_id}", f"{s} has more Yes answers than questions"))
    if framework is None:
        return out
    try:
        revision = framework.revision(row.revision)
    except NotFound:
        return out + [Problem(rel, f"{where}.revision", f"unknown revision {row.revision!r}")]
    expected = {s.id: s.n for s in revision.subindicators}
    for sub_id, s in row.scores.items():
        if sub_id not in expected:
            out.append(Problem(rel, f"{where}.scores.{sub_id}", f"unknown sub-indicator id in revision {row.revision}"))
        elif s.n != expected[sub_id]:
            out.append(Problem(rel, f"{where}.scores.{sub_id}", f"n is {s.n} but the framework has {expected[sub_id]} questions"))
    missing = [s for s in expected if s not in row.scores]
    if missing:
        out.append(Problem(rel, f"{where}.scores", f"missing sub-indicators {', '.join(missing)}"))
    known_fields = set(revision.field_ids)
    for j, answer in enumerate(row.answers):
        if answer.field not in known_fields:
            out.append(Problem(rel, f"{where}.answers[{j}].field", f"unknown question {answer.field!r}"))
    return out
