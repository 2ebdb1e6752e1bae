"""Examples for UserCentriCafé moderators: services and cases on a topic, and a session pack.

Each month one member presents a service at the UserCentriCafé and peers discuss it.
A moderator preparing a session needs a few comparable examples from other members,
the toolkit guides worth reading beforehand, the members that rate themselves strong
on the related dashboard sub-indicators, and some questions to open the discussion::

    found = examples(searcher, catalog, "proactive services", n=5)
    pack = session_pack(searcher, catalog, "proactive services")
    pack.to_markdown(); pack.to_csv(); pack.to_dict()

Everything comes from the knowledge base: summaries are the entries' own first
sentences, dashboard figures are the cities' self-assessment, and the discussion
prompts are questions built from fixed templates, never claims.

The modules: :mod:`~app.network.examples.finding` (examples on a topic),
:mod:`~app.network.examples.hits` and :mod:`~app.network.examples.summaries` (reading a
search hit, the entry's summary), :mod:`~app.network.examples.pack` (the session pack),
:mod:`~app.network.examples.prompts` (discussion prompts), :mod:`~app.network.examples.export`
(CSV and Markdown) and :mod:`~app.network.examples.model` (the dataclasses).
"""

from app.network.examples.export import CSV_COLUMNS, examples_csv, md_cell, md_link, md_text, md_url, safe_cell
from app.network.examples.finding import DEFAULT_MIN_SCORE, MAX_N, clean_topic, example_filters, examples
from app.network.examples.hits import same_project
from app.network.examples.model import EXAMPLE_KINDS, GUIDE_KIND, Example, Guide, RelatedSubindicator, StrongCity
from app.network.examples.pack import SessionPack, latest_revision, related_guides, related_subindicators, session_pack
from app.network.examples.prompts import discussion_prompts, entry_name
from app.network.examples.summaries import summarise

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_MIN_SCORE",
    "EXAMPLE_KINDS",
    "GUIDE_KIND",
    "MAX_N",
    "Example",
    "Guide",
    "RelatedSubindicator",
    "SessionPack",
    "StrongCity",
    "clean_topic",
    "discussion_prompts",
    "entry_name",
    "example_filters",
    "examples",
    "examples_csv",
    "latest_revision",
    "md_cell",
    "md_link",
    "md_text",
    "md_url",
    "related_guides",
    "related_subindicators",
    "safe_cell",
    "same_project",
    "session_pack",
    "summarise",
]
