"""Where the knowledge base is thin: members, principles and sub-indicators with no content."""

from __future__ import annotations

from app.network.catalog import Catalog


def knowledge_gaps(stats: dict, catalog: Catalog) -> dict:
    """Compare what the live index holds (``indexer.stats.index_stats``) with the network's lists.

    Counts come from the index, so they show what the assistant can actually cite.
    """
    services_by_city = stats.get("by_kind_city", {}).get("service", {})
    members = [
        {
            "slug": c.slug,
            "name": c.name,
            "documents": stats["by_city"].get(c.slug, {}).get("documents", 0),
            "services": services_by_city.get(c.slug, 0),
        }
        for c in catalog.cities
    ]
    subindicators = sorted(catalog.framework.all_subindicator_ids(), key=lambda s: tuple(map(int, s.split("."))))
    return {
        "members": members,
        "members_without_services": [m["slug"] for m in members if m["services"] == 0],
        "principles_without_documents": [
            p.id for p in catalog.principles if not stats["by_principle"].get(p.id.lower())
        ],
        "subindicators_without_documents": [s for s in subindicators if not stats["by_subindicator"].get(s)],
    }

