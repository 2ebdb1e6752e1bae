"""Answer evaluation: does the assistant's answer hold the fact that was asked for?

Reads a question file in the answers-dev format (one JSON object a line; see
``../shared/eval/answers-dev/README.md``)::

    {"id": "a14", "q": "How many questions are on the dashboard?", "status": "answered", "all": [["41"]]}

- ``status``: the expected status (``answered`` or ``cannot_answer``).
- ``all``: a list of groups; the answer must contain one option of every group.
- ``min_of``: ``[N, options]``; the answer must contain at least N of the options.

Matching is case- and accent-insensitive, on the answer text plus its citations' titles and
city names. An ``answered`` case that is not routed to scores, the ranking, similar cities,
learn-from or examples must cite at least one source.

:func:`evaluate` asks every question through any ``ask(question) -> result`` callable (normally
``Assistant(settings).ask``) and scores the results; nothing here prints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from indexer.errors import ConfigurationError, DatasetError, IndexNotBuilt
from indexer.text import fold

STATUSES = ("answered", "cannot_answer", "need_more_detail")
# Routed answers state data (scores, members, examples) rather than quote sources: the
# citation rule does not apply to them.
UNCITED_INTENTS = frozenset({"scores", "ranking", "similar", "learn_from", "examples"})
MAX_ERRORS_SHOWN = 10

_SPACE = re.compile(r"\s+")


# --- the question file --------------------------------------------------------------------


@dataclass(frozen=True)
class QACase:
    id: str
    q: str
    status: str
    all: tuple[tuple[str, ...], ...] = ()
    min_of: tuple[int, tuple[str, ...]] | None = None
    line: int = 0
    lang: str | None = None  # the file's "lang" field (ISO 639-1), where it gives one


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{what} must be a non-empty list of strings")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{what} must hold only non-empty strings")
    return tuple(value)


def parse_case(obj: Any, line: int = 0) -> QACase:
    """One line's object as a :class:`QACase`; ``ValueError`` says what is wrong with it.
    Keys other than the format's are ignored (a file may carry notes or question types)."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    for key in ("id", "q"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise ValueError(f'"{key}" must be a non-empty string')
    status = obj.get("status")
    if status not in STATUSES:
        raise ValueError(f'"status" must be one of {", ".join(STATUSES)}, not {status!r}')
    groups: tuple[tuple[str, ...], ...] = ()
    if "all" in obj:
        if not isinstance(obj["all"], list) or not obj["all"]:
            raise ValueError('"all" must be a non-empty list of groups (lists of options)')
        groups = tuple(_strings(g, f'"all" group {i}') for i, g in enumerate(obj["all"], 1))
    min_of = None
    if "min_of" in obj:
        m = obj["min_of"]
        if not (isinstance(m, list) and len(m) == 2 and isinstance(m[0], int) and not isinstance(m[0], bool)):
            raise ValueError('"min_of" must be [N, [options...]]')
        options = _strings(m[1], '"min_of" options')
        if not 1 <= m[0] <= len(options):
            raise ValueError(f'"min_of" asks for {m[0]} of {len(options)} options')
        min_of = (m[0], options)
    if status != "answered" and (groups or min_of):
        raise ValueError(f'"all" and "min_of" apply only to answered cases, not {status}')
    lang = obj.get("lang")
    if lang is not None and not (isinstance(lang, str) and lang.strip()):
        raise ValueError('"lang" must be a language code such as "es"')
    return QACase(obj["id"].strip(), obj["q"], status, groups, min_of, line, lang.strip().lower() if lang else None)


def parse_cases(lines: Iterable[str], source: str = "<input>") -> list[QACase]:
    """Every case of the lines; all bad lines are reported together in one :class:`DatasetError`."""
    cases: list[QACase] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            errors.append(f"line {n}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        try:
            case = parse_case(obj, n)
        except ValueError as exc:
            errors.append(f"line {n}: {exc}")
            continue
        if case.id in seen:
            errors.append(f'line {n}: id "{case.id}" already used on line {seen[case.id]}')
            continue
        seen[case.id] = n
        cases.append(case)
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n  ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise DatasetError(f"{source}: {len(errors)} bad line(s):\n  " + "\n  ".join(shown) + more)
    if not cases:
        raise DatasetError(f"{source}: no questions (one JSON object a line, with id, q and status).")
    return cases


def load_cases(path: str | Path) -> list[QACase]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path} cannot be read: {exc}") from None
    return parse_cases(text.splitlines(), str(path))


# --- matching ------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, accents removed, runs of white space as one space ("1 000" with a
    non-breaking space matches "1 000")."""
    return _SPACE.sub(" ", fold(text)).strip()


def _as_dict(result: Any) -> dict:
    if isinstance(result, Mapping):
        return dict(result)
    if hasattr(result, "to_dict"):
        return result.to_dict()
    raise TypeError(f"ask() returned {type(result).__name__}, not a result dict")


def _citations(result: dict) -> list[dict]:
    cites = result.get("citations")
    if cites is None:
        cites = result.get("sources") or []
    return [c if isinstance(c, Mapping) else asdict(c) for c in cites]


def matched_text(result: Mapping) -> str:
    """What the expected facts are looked for in: the answer, then each citation's title and
    city name (the slug when a citation has no name), normalised."""
    parts = [str(result.get("answer") or "")]
    for c in _citations(dict(result)):
        parts += [str(c.get("title") or ""), str(c.get("city_name") or c.get("city") or "")]
    return normalise(" \n ".join(p for p in parts if p))


def _has(text: str, option: str) -> bool:
    return normalise(option) in text


@dataclass
class CaseResult:
    id: str
    q: str
    expected_status: str
    status: str  # the assistant's, or "error" when asking raised
    intent: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    answer: str = ""
    citations: int = 0
    lang: str = "und"  # the case's "lang", else the language the assistant detected

    def to_dict(self) -> dict:
        return asdict(self)


def check(case: QACase, result: Any) -> CaseResult:
    """Score one result (the dict ``Assistant.ask`` returns) against its case."""
    r = _as_dict(result)
    status = str(r.get("status") or "")
    intent = str(r.get("intent") or (r.get("route") or {}).get("intent") or "answer")
    cites = _citations(r)
    problems: list[str] = []
    if status != case.status:
        problems.append(f"status {status or '(none)'}, expected {case.status}")
    if case.status == "answered":
        text = matched_text(r)
        for group in case.all:
            if not any(_has(text, o) for o in group):
                problems.append("missing " + " / ".join(f'"{o}"' for o in group))
        if case.min_of:
            need, options = case.min_of
            found = [o for o in options if _has(text, o)]
            if len(found) < need:
                problems.append(f"{len(found)} of {need} needed from " + ", ".join(f'"{o}"' for o in options)
                                + (f" (found {', '.join(found)})" if found else ""))
        if status == "answered" and intent not in UNCITED_INTENTS and not cites:
            problems.append("no citation")
    return CaseResult(case.id, case.q, case.status, status, intent, not problems, problems,
                      str(r.get("answer") or ""), len(cites), case.lang or str(r.get("language") or "und"))


# --- the run --------------------------------------------------------------------------------


@dataclass
class Report:
    source: str
    results: list[CaseResult]

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    def _by(self, key: Callable[[CaseResult], str]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            row = out.setdefault(key(r), {"passed": 0, "total": 0})
            row["total"] += 1
            row["passed"] += r.passed
        return dict(sorted(out.items()))

    def by_status(self) -> dict[str, dict[str, int]]:
        """Passed/total by the expected status."""
        return self._by(lambda r: r.expected_status)

    def by_intent(self) -> dict[str, dict[str, int]]:
        """Passed/total by the route the assistant took."""
        return self._by(lambda r: r.intent)

    def by_language(self) -> dict[str, dict[str, int]]:
        """Passed/total by the question's language (its "lang" field, else the one detected)."""
        return self._by(lambda r: r.lang)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "passed": self.passed,
            "total": self.total,
            "by_status": self.by_status(),
            "by_intent": self.by_intent(),
            "by_language": self.by_language(),
            "failures": [r.to_dict() for r in self.failures],
            "cases": [r.to_dict() for r in self.results],
        }


def evaluate(cases: Iterable[QACase], ask: Callable[[str], Any], source: str = "",
             progress: Callable[[int, int], None] | None = None) -> Report:
    """Ask every case's question (each as a new question, outside any conversation) and score
    the answers. A question whose ``ask`` raises is a failure with status ``error``; a missing
    index or an unusable model stops the run."""
    cases = list(cases)
    results = []
    for i, case in enumerate(cases, 1):
        try:
            results.append(check(case, ask(case.q)))
        except (IndexNotBuilt, ConfigurationError):
            raise  # no question can be answered: say so once
        except Exception as exc:  # noqa: BLE001 - one broken question must not hide the others
            results.append(CaseResult(case.id, case.q, case.status, "error", "error", False,
                                      [f"{type(exc).__name__}: {exc}"], lang=case.lang or "und"))
        if progress:
            progress(i, len(cases))
    return Report(source, results)


def evaluate_file(path: str | Path, ask: Callable[[str], Any],
                  progress: Callable[[int, int], None] | None = None) -> Report:
    return evaluate(load_cases(path), ask, str(path), progress)
