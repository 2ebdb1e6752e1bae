"""Reading an import file of benchmark results: its records, and which layout they are in.

CSV with a header row, or YAML (a list of mappings, or a mapping with a ``rows`` list). The
columns tell the layouts apart: **answers** (:data:`ANSWER_COLUMNS`, one row per city and
question) or **subindicators** (:data:`SUBINDICATOR_COLUMNS`, one row per city and sub-indicator).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any, Literal

import yaml

from indexer.errors import DatasetError, NotFound

Layout = Literal["answers", "subindicators"]
ANSWER_COLUMNS = ("city", "revision", "field_id", "answer", "evidence")
SUBINDICATOR_COLUMNS = ("city", "revision", "subindicator", "yes", "n")


def read_records(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The file's records, with the row number of the first one."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                records = [{(k or "").strip(): v for k, v in rec.items()} for rec in reader]
            return records, 2
        if suffix in (".yaml", ".yml"):
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        else:
            raise DatasetError(f"{path.name}: use a .csv, .yaml or .yml file")
    except FileNotFoundError:
        raise NotFound(f"import file {path} does not exist") from None
    except (yaml.YAMLError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{path.name}: cannot be read: {exc}") from None
    if isinstance(data, dict):
        data = data.get("rows")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DatasetError(f"{path.name}: expected a list of rows (or a mapping with a 'rows' list)")
    records = [{("yes" if k is True else "no" if k is False else str(k)): v for k, v in r.items()} for r in data]
    return records, 1


def layout(records: list[dict[str, Any]], name: str) -> Layout:
    """The layout the records' columns give; :class:`DatasetError` when they give neither."""
    columns = set().union(*(r.keys() for r in records)) if records else set()
    if "field_id" in columns and "subindicator" not in columns:
        return "answers"
    if "subindicator" in columns and "field_id" not in columns:
        return "subindicators"
    raise DatasetError(
        f"{name}: cannot tell the layout; give either the columns {', '.join(ANSWER_COLUMNS)} "
        f"or the columns {', '.join(SUBINDICATOR_COLUMNS)}"
    )


def text(value: Any) -> str:
    """A cell as stripped text; YAML's booleans as yes or no, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


def whole_number(value: Any) -> int | None:
    """A cell as a whole number of 0 or more (an integer, or a string of digits), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    written = text(value)
    return int(written) if re.fullmatch(r"\d+", written) else None
