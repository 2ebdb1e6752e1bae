"""The network's data: members and their profiles, the benchmarking dashboard, the service catalogue,
examples for the UserCentriCafé, bench-learning and the network's own facts (members, awards).

- the data: :mod:`~app.network.catalog` (the knowledge folder's data files, read lazily) into
  :mod:`~app.network.models` (pydantic models); :mod:`~app.network.frontmatter` (an entry's YAML
  front matter); :mod:`~app.network.benchmark_import` (a network's own results, imported);
- the dashboard: :mod:`~app.network.scoring` (its arithmetic and colours) and
  :mod:`~app.network.benchmark` (ranks, city scores, peers, change);
- members: :mod:`~app.network.names` (a name given on its own), :mod:`~app.network.cities`
  (profiles, similar members, on :mod:`~app.network.similarity`), :mod:`~app.network.learning`
  (whom to learn from), :mod:`~app.network.browse` (city pages and filter values),
  :mod:`~app.network.coverage` (where the knowledge base is thin);
- answers from the data: :mod:`~app.network.facts` (questions about the network as data) and
  :mod:`~app.network.examples` (examples and UserCentriCafé session packs);
- :mod:`~app.network.wording`: lists of names and language names in plain English.
"""
