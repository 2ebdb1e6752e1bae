"""What the checks of the knowledge folder report, and where they put it.

A :class:`Problem` is one thing wrong in one file (a path relative to the knowledge folder,
the field, a message); a :class:`Report` collects the problems, the warnings and the files
checked by kind. A check writes through a :class:`Sink`, bound to one file: problems fail
validation, warnings (a date not found, an undated source) do not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in the knowledge folder. ``file`` is relative to it."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Report:
    """The outcome of :func:`app.validation.check_knowledge`: problems, and files checked by kind."""

    problems: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no problem; warnings (dates not found, undated sources) do not count."""
        return not self.problems

    def summary(self) -> str:
        """One line such as ``ok: 15 guide, 1 cities, 1 framework; 2 warning(s)``."""
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items())) or "nothing"
        head = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        tail = f"; {len(self.warnings)} warning(s)" if self.warnings else ""
        return f"{head}: {parts}{tail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": dict(self.counts),
            "problems": [p.to_dict() for p in self.problems],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def sink(self, rel: str) -> Sink:
        """A sink for the file ``rel`` that writes into this report."""
        return Sink(rel, self.problems, self.warnings)


@dataclass
class Sink:
    """Where checks put what they find: problems fail validation, warnings do not."""

    rel: str
    problems: list[Problem]
    warnings: list[Problem]

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.rel, where, message))

    def warning(self, where: str, message: str) -> None:
        self.warnings.append(Problem(self.rel, where, message))

    def invalid(self, exc: ValidationError, prefix: str = "") -> None:
        """Every error of a failed pydantic validation, as problems of this file."""
        self.problems.extend(pydantic_problems(self.rel, exc, prefix))

    def validated(self, model: type[BaseModel], raw: Any, where: str) -> Any:
        """``raw`` as a ``model``, or None when it does not fit (the problems are recorded)."""
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            self.invalid(exc, f"{where}.")
            return None


def pydantic_problems(rel: str, exc: ValidationError, prefix: str = "") -> list[Problem]:
    """The errors of a failed pydantic validation of a part of ``rel``, in plain words."""
    out = []
    for err in exc.errors():
        loc = prefix + ".".join(str(p) for p in err["loc"]) or "(file)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "literal_error":
            msg = f"unknown value {err.get('input')!r}; {msg.lower()}"
        out.append(Problem(rel, loc, msg))
    return out


def as_list(value: Any) -> list[Any]:
    """A YAML value that may be one item or a list, as a list (None: empty)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
