"""What the live index holds: documents and chunks by kind, city, principle, sub-indicator."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from . import store as st
from .settings import Settings


def index_stats(settings: Settings) -> dict:
    store = st.Store(settings.data_dir)
    try:
        gen = store.require_live()
        db = store.db
        p = {"gen": gen.id}
        live = st.live_clause()

        def grouped(column_sql: str) -> dict[str, dict[str, int]]:
            rows = db.execute(
                f"SELECT {column_sql} AS k, COUNT(DISTINCT d.id), COUNT(c.id) FROM documents d "
                f"LEFT JOIN chunks c ON c.doc = d.id WHERE {live} GROUP BY k ORDER BY k",
                p,
            ).fetchall()
            return {(k if k is not None else "(none)"): {"documents": nd, "chunks": nc} for k, nd, nc in rows}

        def facet(name: str) -> dict[str, int]:
            rows = db.execute(
                f"SELECT f.value, COUNT(DISTINCT d.id) FROM doc_facets f JOIN documents d ON d.id = f.doc "
                f"WHERE f.facet = :facet AND {live} GROUP BY f.value ORDER BY f.value",
                dict(p, facet=name),
            ).fetchall()
            return dict(rows)

        by_kind_city: dict[str, dict[str, int]] = {}
        for kind, city, n in db.execute(
            f"SELECT d.kind, d.city, COUNT(*) FROM documents d WHERE {live} GROUP BY d.kind, d.city", p
        ):
            by_kind_city.setdefault(kind or "(none)", {})[city or "(none)"] = n

        finished = datetime.fromisoformat(gen.finished_at)
        age = (datetime.now(timezone.utc) - finished).total_seconds()
        config = db.execute("SELECT value FROM meta WHERE key = 'index_config'").fetchone()
        roots = [r for (r,) in db.execute("SELECT DISTINCT root FROM files ORDER BY root")]
        skipped = [
            {"path": path, "reason": err}
            for path, err in db.execute("SELECT path, error FROM files WHERE error IS NOT NULL ORDER BY path")
        ]
        return {
            "generation": gen.id,
            "built_at": gen.finished_at,
            "index_age_seconds": round(age, 1),
            "model": gen.model,
            "dim": gen.dim,
            "config": json.loads(config[0]) if config else {},
            "documents": gen.documents,
            "chunks": gen.chunks,
            "roots": roots,
            "by_kind": grouped("d.kind"),
            "by_city": grouped("d.city"),
            "by_kind_city": by_kind_city,
            "by_principle": facet("principle"),
            "by_subindicator": facet("subindicator"),
            "skipped_files": skipped,
            "data_dir": str(settings.data_dir),
        }
    finally:
        store.close()
