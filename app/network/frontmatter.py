"""The YAML front matter of a knowledge file: the ``---`` block at the top of a Markdown entry.

One reader for the app's side (the catalogue's service titles, ``ucc validate`` and its sources
report), parsed with PyYAML. The indexer keeps its own, on purpose: the validator checks the
knowledge folder independently of the indexer that loads it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*$", re.S | re.M)


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """``(front matter, body)``; front matter is None when the file has none.

    :raise yaml.YAMLError: the front matter is not valid YAML.
    """
    m = _FRONT.match(text)
    if not m:
        return None, text
    data = yaml.safe_load(m.group(1)) or {}
    if not isinstance(data, dict):
        raise yaml.YAMLError("front matter is not a mapping")
    return data, text[m.end() :]
