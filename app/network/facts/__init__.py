"""Questions about the network answered from its data, not from prose.

The member list (``cities.yaml``), the dashboard's framework and its self-assessed scores are
data; a question that asks for them gets the data, with its source:

- members by country, type, role and date joined, and how many there are; one member's own
  membership ("When did Paris join UserCentriCities?", "Is Helsinki a founding member?");
  ("Which members are in Finland?", "Which Spanish members are in the network?",
  "Which regions are members?", "Who joined in 2022?", "How many members does the network have?");
- the dashboard's structure ("How many questions are on the dashboard?", "What are its pillars?");
- two or more members side by side on the dashboard, with the sub-indicators where they differ most;
- the best and weakest members on one sub-indicator or pillar;
- the network's award, by year, and whether a member won it.

:func:`read` decides whether a question is one of these: it must ask for nothing but membership
attributes (or the dashboard's parts) once the words that name them are taken out, so that
"Which Spanish cities run participatory budgets?" still goes to a cited answer.
Every answer is a :class:`NetworkAnswer`: a :class:`Reply` part list and a plain sentence;
scores say they are self-assessed.

The modules: :mod:`~app.network.facts.questions` (reading the question),
:mod:`~app.network.facts.members`, :mod:`~app.network.facts.dashboard` and
:mod:`~app.network.facts.awards` (the answers), :mod:`~app.network.facts.model` (what they return).
"""

from app.network.facts.awards import awards
from app.network.facts.dashboard import compare, dashboard, subindicator_ranking, topic_subindicator
from app.network.facts.members import member, members, pick
from app.network.facts.model import MONTHS, NetworkAnswer, member_item
from app.network.facts.questions import NetworkQuestion, only_members, pick_criterion, read

__all__ = [
    "MONTHS",
    "NetworkAnswer",
    "NetworkQuestion",
    "awards",
    "compare",
    "dashboard",
    "member",
    "member_item",
    "members",
    "pick",
    "pick_criterion",
    "read",
    "subindicator_ranking",
    "topic_subindicator",
]
