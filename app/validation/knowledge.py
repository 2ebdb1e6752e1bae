"""The whole check of a knowledge folder: :func:`check_knowledge` and :func:`validate_knowledge`.

The reference data first (members, principles, framework, scores:
:mod:`app.validation.reference`), then the Markdown entries against the ids it holds
(:mod:`app.validation.documents`), then the network's own data
(:mod:`app.validation.network`). Problems and warnings come out sorted and without repeats.
"""

from __future__ import annotations

from pathlib import Path

from app.network import catalog as cat
from app.network.models import City, Framework, Principle
from app.validation.documents import Ids, check_documents, markdown_files, service_stems
from app.validation.network import check_awards, check_cities_data, check_partners
from app.validation.problems import Problem, Report
from app.validation.reference import check_framework, check_list_file, check_scores


def check_knowledge(knowledge_dir: str | Path) -> Report:
    """Validate ``knowledge_dir``; the report holds every problem and the files checked by kind."""
    root = Path(knowledge_dir)
    report = Report()
    if not root.is_dir():
        report.problems.append(Problem(str(root), "(folder)", "does not exist"))
        return report
    cities, principles, framework = _check_reference(root, report)
    check_cities_data(root, cities, report)
    city_slugs = {c.slug for c in cities}
    for path in sorted((root / cat.BENCHMARK_DIR).glob(cat.SCORE_GLOB)):
        report.counts["scores"] += 1
        check_scores(path, path.relative_to(root).as_posix(), framework, city_slugs, report.problems)

    files = markdown_files(root)
    sub_ids = framework.all_subindicator_ids() if framework else set()
    ids = Ids(city_slugs, {p.id for p in principles}, sub_ids, service_stems(root, files))
    docs = check_documents(root, files, ids, report)
    check_partners(root, ids, cities, report)
    check_awards(root, ids, docs, report)
    report.problems = sorted(set(report.problems), key=lambda p: (p.file, p.field, p.message))
    report.warnings = sorted(set(report.warnings), key=lambda p: (p.file, p.field, p.message))
    return report


def _check_reference(root: Path, report: Report) -> tuple[list[City], list[Principle], Framework | None]:
    """Members, principles and the framework, each counted when present; principles' sub-indicators exist."""
    problems = report.problems
    cities = check_list_file(root / cat.CITIES_FILE, cat.CITIES_FILE, "cities", City, "slug", problems)
    report.counts["cities"] += bool(cities)
    principles = check_list_file(
        root / cat.PRINCIPLES_FILE, cat.PRINCIPLES_FILE, "principles", Principle, "id", problems
    )
    report.counts["principles"] += bool(principles)
    fw_rel = f"{cat.BENCHMARK_DIR}/{cat.FRAMEWORK_FILE}"
    framework = check_framework(root / fw_rel, fw_rel, problems)
    report.counts["framework"] += framework is not None
    sub_ids = framework.all_subindicator_ids() if framework else set()
    for p in principles:
        for sid in p.subindicators:
            if framework is not None and sid not in sub_ids:
                problems.append(Problem(cat.PRINCIPLES_FILE, f"{p.id}.subindicators", f"unknown sub-indicator id {sid!r}"))
    return cities, principles, framework


def validate_knowledge(knowledge_dir: str | Path) -> list[Problem]:
    """Every problem in ``knowledge_dir``; an empty list when it is consistent."""
    return check_knowledge(knowledge_dir).problems
