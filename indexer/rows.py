"""The rows a loaded document becomes in ``index.db``: its ``documents`` row and its facets.

The build (:mod:`indexer.build`) writes them in the transaction that switches the live generation;
the facet names come from :data:`indexer.store.FACET_FIELDS`, their one home.
"""

from __future__ import annotations

from . import store as st
from .documents import SourceDocument


def document_row(doc_row: int, root: str, rel: str, doc: SourceDocument, gen: int) -> tuple:
    """The ``documents`` row of ``doc`` (file ``rel`` under ``root``), live from generation ``gen``."""
    meta = doc.metadata
    year = meta.get("year")
    return (
        doc_row,
        root,
        rel,
        doc.doc_id,
        doc.source,
        doc.title,
        _one(meta.get("kind")),
        _one(meta.get("city")),
        _one(meta.get("country")),
        year if isinstance(year, int) else None,
        _one(meta.get("url")),
        doc.format,
        st.dumps(meta),
        doc.content_hash(),
        gen,
    )


def _one(value) -> str | None:
    """A front-matter value as one string: the first of a list, None for nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else None
    return str(value)


def facets(doc: SourceDocument) -> list[tuple[str, str]]:
    """The ``doc_facets`` pairs (facet, lower-cased value) of ``doc``'s front matter, sorted."""
    out = set()
    for field_name, facet in st.FACET_FIELDS.items():
        value = doc.metadata.get(field_name)
        if value is None or value == "":
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if v is not None and str(v).strip():
                out.add((facet, str(v).strip().lower()))
    return sorted(out)
