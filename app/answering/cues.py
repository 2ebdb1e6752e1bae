"""Cues: the hand-written patterns that tell the router which capability a question is for.

They read the router's template of the question (:mod:`app.answering.template`): folded (lower
case, accents removed), punctuation spaced out, member names replaced by ``CITYX`` (:data:`C`) and
sub-indicator phrases by ``SUBX``. Each list holds ``(pattern, label)`` pairs, tried in order; the
label says in the route's ``reason`` which cue fired.

- :data:`LEARN`, :data:`LEARN_NEEDS_ENTITY`: peers to learn from ("who should Porto learn from?");
- :data:`SIMILAR` (with :data:`SIMILAR_NEEDS_WH`): members like one ("which cities are like Espoo?");
- :data:`METHOD`: "how is it calculated?", which vetoes a lookup: explanations are cited answers;
- :data:`RANKING`, :data:`SCORES` (and :data:`SCORES_WEAK`, :data:`DOING`): the dashboard's figures;
- :data:`EXAMPLES` (and :data:`EXAMPLES_VETO`): services and cases to show;
- :data:`TOPIC_FILLER`, :data:`EDGE_WORDS`: what is left out of a route's topic.
"""

from __future__ import annotations

import re

C = "CITYX"
_NOT_POSS = r"(?!'s)"
_GROUP = r"(?:cities|city|members?|regions?|peers?|ones?|municipalit(?:y|ies)|partners?|places?|administrations?)"
_WHO = rf"(?:\bwho\b|\bwhom\b|\b(?:which|what)\s+(?:\w+\s+){{0,2}}?{_GROUP}\b)"

LEARN = [
    # who should Porto learn from (on usability)?  which cities could we learn from?
    (re.compile(rf"{_WHO}[^?.!]{{0,70}}?\blearn(?:s|ed|ing)?\b[^?.!]{{0,25}}?\bfrom\b(?!\s+{C})"), "who … learn from"),
    # peers / cities / someone to learn from
    (re.compile(rf"\b(?:peers?|cities|members|regions|someone|partners?|role models?|places)\b[^?.!]{{0,30}}?"
                rf"\blearn(?:s|ed|ing)?\s+from\b(?!\s+{C})"), "… to learn from"),
    # learn from others / the best / peers
    (re.compile(r"\blearn(?:s|ed|ing)?\s+from\s+(?:others|other\s+(?:cities|members|regions)|peers|the\s+best|"
                r"the\s+(?:leaders|top\s+performers|best\s+performers))\b"), "learn from others"),
    # role models / mentors / good peers for Porto
    (re.compile(rf"\b(?:role\s+models?|mentors?|peers?\s+to\s+follow|best\s+peers?|good\s+peers?|peer\s+cities)\s+"
                rf"(?:for|to)\s+{C}"), "role model for a city"),
]
LEARN_NEEDS_ENTITY = [
    # who can help Milan (improve co-creation)?  which city could mentor Kyiv on eID?
    (re.compile(rf"{_WHO}[^?.!]{{0,40}}?\b(?:help|mentor|coach|advise|support|inspire|twin\s+with|pair\s+with|"
                rf"partner\s+with)\s+(?:{C}|us|me|our\s+(?:city|region|team|administration))\b"), "who … could help"),
    # who should we talk to / ask / visit
    (re.compile(rf"{_WHO}\s+(?:should|could|can|might|would|do|does)\s+{C}\s+(?:\w+\s+){{0,2}}?"
                rf"(?:ask|talk\s+to|speak\s+to|contact|call|visit|turn\s+to|look\s+to|reach\s+out\s+to|copy|follow)\b"),
     "who should … ask"),
]

SIMILAR = [
    (re.compile(rf"\b(?:similar|comparable|closest|close|alike|analogous|equivalent|most\s+like)\s+(?:to\s+|with\s+)?"
                rf"{C}{_NOT_POSS}"), "similar to a city"),
    (re.compile(rf"(?<!would )(?<!'d )\b(?:like|resembl(?:e|es|ing))\s+{C}{_NOT_POSS}"
                rf"(?=\s*(?:[?!.,;]|$|\b(?:in|on|by|for|regarding|with|when|and|at|size|overall)\b))"), "like a city"),
    (re.compile(rf"\bsimilar\s+(?:\w+\s+){{1,2}}(?:to|as|with)\s+{C}{_NOT_POSS}"), "similar profile to a city"),
    (re.compile(rf"\b{C}'s\s+(?:closest\s+|nearest\s+|most\s+similar\s+)?(?:peers?|twins?|counterparts?|look\s?alikes?|"
                rf"equivalents|peer\s+group)\b"), "a city's peers"),
    (re.compile(rf"\b(?:peers|twins|counterparts|look\s?alikes|peer\s+group)\s+(?:of|for|to)\s+{C}{_NOT_POSS}"), "peers of a city"),
    (re.compile(rf"\b(?:similar|comparable)\s+(?:cities|members|regions|municipalities|places)\b[^?.!]{{0,20}}?\b(?:to|as|with)\s+"
                rf"{C}{_NOT_POSS}"), "similar cities to a city"),
    (re.compile(rf"\b{C}{_NOT_POSS}\b[^?.!]{{0,30}}?\b(?:to|with|against|among)\s+(?:other\s+|the\s+)?(?:most\s+)?"
                r"(?:similar|comparable)\s+(?:cities|members|regions|municipalities|places|peers)\b"), "a city against similar cities"),
]
SIMILAR_NEEDS_WH = re.compile(
    rf"\b(?:which|what|who|whom|find|list|show|name|give|suggest|any|are there|cities|members|regions|others?|peers)\b")

# "How is it calculated?": explanations of the benchmark go to answer.
METHOD = [
    re.compile(r"\bhow\s+(?:is|are|was|were|do|does|did)\b[^?]{0,60}?\b(?:calculated|computed|weighted|determined|decided|"
               r"defined|aggregated|averaged|normali[sz]ed)\b"),
    re.compile(r"\bhow\s+(?:do|does|did)\s+(?:the\s+)?(?:ranking|rankings|scoring|scores?|benchmark|dashboard|index)\s+work"),
    re.compile(r"\bmethodolog(?:y|ies|ical)\b|\bformula\b|\bbased\s+on\s+what\b|\bwhat\s+(?:is|are)\s+(?:the\s+)?"
               r"(?:ranking|scores?)\s+based\s+on\b"),
    re.compile(r"^\s*why\b"),
    # how did Ghent improve its usability score? (the how, not the score)
    re.compile(rf"\bhow\s+(?:did|does|do|can|could|should|has|have)\s+(?:{C}|we|i|they|a\s+city)\s+(?:\w+\s+){{0,2}}?"
               r"(?:improve|improved|raise|raised|increase|increased|boost|boosted|achieve|achieved|reach|reached|get\s+to)\b"),
    re.compile(r"\bhow\s+(?:are|were|is)\s+(?:the\s+)?(?:cities|members|regions|scores?)\s+(?:ranked|scored|rated|compared)\b"),
]

# "the most proactive" is about members, "the most proactive services" about things.
_NOT_A_THING = r"(?!\s+(?:services?|apps?|portals?|projects?|practices?|examples?|tools?|platforms?|initiatives?|cases?))"
_BEST_WORDS = r"best|highest|lowest|worst|strongest|weakest|top|leading"
_BEST = rf"(?:{_BEST_WORDS})"
_RANK_SUPERLATIVE = rf"(?:{_BEST_WORDS}|first|last)"
RANKING = [
    (re.compile(r"\b(?:ranking|rankings|league\s+table|leaderboard|leader\s+board|standings|ranked\s+list)\b"), "ranking"),
    (re.compile(r"\btop\s+(?:\d+\s+|ten\s+|five\s+|three\s+|performing\s+|scoring\s+|rated\s+)*"
                rf"(?:{_GROUP}|performers|scorers)\b"), "top cities"),
    (re.compile(r"\btop\s+(?:\d+|ten|five|three)\s+(?:on|in|for|at)\s+(?:the\s+)?(?:SUBX|benchmark|dashboard|ranking|20\d\d)\b"),
     "top n on"),
    (re.compile(r"\btop\s+(?:\d+|ten|five|three)\b"), "top n"),
    # "the first city-wide consultation", "the first city to run PB" are facts, not a ranking:
    # "first"/"last" rank only with "performing", "scoring"...
    (re.compile(rf"\b(?:{_BEST}\s+(?:performing\s+|scoring\s+|ranked\s+|rated\s+)?|(?:first|last)\s+(?:performing|"
                rf"scoring|ranked|rated)\s+)(?:{_GROUP}|performers?|scorers?)\b(?!\s*-)"), "best cities"),
    (re.compile(rf"\b(?:{_GROUP}|who)\b[^?.!]{{0,40}}?\b(?:scores?|scored|scoring|ranks?|ranked|performs?|performed|"
                rf"performing|does|did|do|is|are|was|were|comes?|came)\s+(?:the\s+)?(?:{_RANK_SUPERLATIVE}|most\s+highly|"
                rf"highest|better)\b"), "who scores best"),
    (re.compile(rf"\b(?:{_GROUP}|who)\b[^?.!]{{0,40}}?\b(?:{_RANK_SUPERLATIVE}|most)\s+(?:at|on|in|for)\s+SUBX"), "best at"),
    (re.compile(rf"\b(?:{_GROUP})\b[^?.!]{{0,20}}?\b(?:is|are|was|were)\s+(?:the\s+)?(?:most|least)\s+SUBX{_NOT_A_THING}"),
     "the most proactive"),
    (re.compile(rf"\b(?:{_GROUP}|who)\b[^?.!]{{0,40}}?\b(?:has|have|had|with|gets?|got)\s+(?:the\s+)?"
                rf"(?:{_RANK_SUPERLATIVE}|most)\s+(?:scores?\s+(?:on|in|for)\s+)?SUBX{_NOT_A_THING}"),
     "highest on"),
    (re.compile(rf"\b(?:{_GROUP}|who)\b[^?.!]{{0,30}}?\bleads?\b\s*(?:the\s+way\s+)?(?:on|in|at|for)\b"), "who leads"),
    (re.compile(rf"\b(?:order|sort|rank|list)(?:ed)?\s+(?:all\s+)?(?:the\s+)?(?:{_GROUP})\s+by\b|\bcompare\s+all\s+(?:the\s+)?"
                rf"(?:{_GROUP})\b|\b(?:{_GROUP})\s+(?:ordered|sorted|ranked)\s+by\b"), "order by score"),
    (re.compile(r"\bwho\s+(?:is|was|are)\s+(?:the\s+)?(?:best|top|leader|leaders|number\s+one|winner)\b"), "who is best"),
    (re.compile(rf"\bmost\s+(?:user\s+centric|user\s+centred|user\s+centered|digital|digitally\s+advanced|advanced|mature)\s+"
                rf"(?:{_GROUP})\b"), "most user-centric city"),
    (re.compile(rf"\bhow\s+(?:do|did)\s+(?:the\s+|all\s+(?:the\s+)?)?(?:{_GROUP}|SUBX)\s+(?:rank|compare|score|perform|fare|stack\s+up)\b"
                r"(?=\s*(?:[?!.,;]|$|\b(?:on|in|at|for|overall|against|across|when|with|regarding)\b))"),
     "how do the cities rank"),
    (re.compile(rf"\b(?:has|have|had|gets?|got)\s+(?:the\s+)?(?:best|highest|lowest|worst|top|strongest|weakest)\s+"
                r"(?:overall\s+)?(?:scores?|results?|ratings?|percentages?|marks)\b"), "has the best scores"),
]
# Cues that name a ranking outright; the others need a subject among the members.
RANKING_NOUNS = frozenset({"ranking", "top cities", "top n on", "best cities", "order by score"})
# Cues that a ranking question is about the members: without one of these, "best" is advice.
RANKING_SUBJECT = re.compile(rf"{_WHO}|\bwho\b|\b{_GROUP}\b|\bCITYX\b|\brank")

SCORES = [
    (re.compile(r"\bscor(?:e|es|ed|ing)\b|\bscorecards?\b"), "score"),
    (re.compile(r"\brat(?:ed|ing|ings)\b"), "rating"),
    (re.compile(r"\bperformance\b|\bperform(?:s|ed|ing)?\b(?=\s*(?:[?!.,;]|$|\b(?:on|in|at|for|regarding|overall|well|"
                r"badly|poorly|better|worse|compared|against|across|when\s+it\s+comes)\b))"), "performance"),
    (re.compile(rf"\bhow\s+(?:well|good|strong|weak|mature|advanced|far\s+along)\s+(?:is|are|was|does|did|do|has)\s+{C}{_NOT_POSS}"),
     "how good is"),
    (re.compile(rf"\bhow\s+(?:is|was|does|did|has|do)\s+{C}{_NOT_POSS}\s+(?:do|doing|done|fare|fares|faring|fared|"
                r"stack\s+up|stacks\s+up|compare|measure\s+up|rank|ranked|look|looking)"
                r"(?=\s*(?:[?!.,;]|$|\b(?:on|in|at|for|against|with|regarding|overall|across|compared|to|when)\b))"),
     "how is a city doing"),
    (re.compile(rf"\bwhere\s+(?:does|did|do|is|was)\s+{C}{_NOT_POSS}\s+(?:stand|rank|sit|place|come|fall|land|stand\s+out)\b"),
     "where does a city stand"),
    (re.compile(rf"\b{C}(?:'s)?\s+(?:20\d\d\s+)?(?:rank|ranking|position|place|standing|percentage|percent|benchmark|dashboard|"
                r"self\s+assessment|results?|numbers|figures|stats|statistics|marks|grades?|strengths?|weakness(?:es)?|weakest|strongest|weak\s+spots?|strong\s+points?|"
                r"weak\s+points?|best\s+and\s+worst)\b"), "a city's results"),
    (re.compile(r"\b(?:benchmark|dashboard|self\s+assessment|assessment)\s+(?:results?|scores?|figures|numbers|data|"
                r"performance|position|profile)\b"), "benchmark results"),
    (re.compile(r"\bresults?\s+(?:on|in|for)\s+(?:the\s+)?(?:SUBX|benchmark|dashboard|20\d\d)\b"), "results on"),
    (re.compile(r"%|\bpercent(?:age)?\b"), "percentage"),
    (re.compile(rf"\bhow\s+(?:is|are|was|were|does|do|did)\s+(?:they|it|{C})\s+(?:doing|faring|performing|scoring|ranked|rated)\b"),
     "how are they doing"),
    (re.compile(r"\bSUBX\s+(?:results?|scores?|ratings?|performance|rank(?:ing)?)\b"), "sub-indicator results"),
    (re.compile(rf"\bwhat\s+(?:rank|ranking|position|place|score|percentage|result)\s+(?:did|does|do|is|was|has)\s+{C}"),
     "what rank did a city get"),
    (re.compile(rf"\bwhat\s+(?:did|does|do|has)\s+{C}{_NOT_POSS}\s+(?:get|got|achieve|achieved|obtain|receive|reach|score)\b"),
     "what did a city get"),
    (re.compile(r"\b(?:above|below)\s+(?:the\s+)?(?:network\s+)?average\b|\b(?:better|worse)\s+than\s+(?:the\s+)?average\b"),
     "above average"),
    (re.compile(r"\b(?:strengths?|weakness(?:es)?|weakest|strongest)\b"), "strengths"),
    (re.compile(rf"\bis\s+{C}{_NOT_POSS}\s+(?:good|strong|weak|bad|mature|advanced|among\s+the\s+(?:best|top|leaders))\b"),
     "is a city good at"),
]
# A city with only "benchmark" or "dashboard" and no doing-verb: weakly scores.
SCORES_WEAK = re.compile(r"\b(?:benchmark|dashboard)\b")
DOING = re.compile(r"\b(?:use|uses|used|using|fill|filled|filling|improve|improved|improving|implement\w*|introduc\w*|"
                    r"launch\w*|design\w*|build|built|make|made|set\s+up|start\w*|prepare\w*|join\w*|contribut\w*|"
                    r"present\w*|respond\w*|react\w*|decid\w*)\b")

EXAMPLES = [
    (re.compile(r"(?<!for )(?<!for an )\bexamples?\b(?!\s+(?:question|sentence)s?\b)"), "examples"),
    (re.compile(r"\b(?:show|give|find|list|share(?!\s+of\b)|suggest|recommend|need|want|looking\s+for|look\s+for|search\s+for|"
                r"point\s+me\s+to|send|collect|gather)\s+(?:me\s+|us\s+)?(?:some\s+|a\s+few\s+|good\s+|concrete\s+|more\s+|"
                r"relevant\s+|any\s+|the\s+|nice\s+|best\s+|several\s+|CITYX(?:'s)?\s+|\w+\s+){0,2}(?:examples?|services|cases|case\s+stud(?:y|ies)|"
                r"practices?|good\s+practices?|best\s+practices?|stories|success\s+stories|inspiration|projects|initiatives|"
                r"apps|solutions)\b"), "show me services"),
    (re.compile(r"\b(?:good|inspiring|concrete|real|real\s+world|successful|interesting|notable|innovative)\s+"
                r"(?:practices?|examples?|cases?|case\s+stud(?:y|ies)|stories|services)\b"), "good practices"),
    (re.compile(r"\bcase\s+stud(?:y|ies)\b|\bsuccess\s+stor(?:y|ies)\b|\bshowcases?\b|\binspiration\b"), "case studies"),
    (re.compile(r"\b(?:what|which|any)\s+(?:\w+\s+){0,2}?(?:services|apps|projects|initiatives|tools|solutions)\b"),
     "which services"),
    (re.compile(r"\bservices?\s+(?:like|such\s+as)\b"), "services like"),
]
# ... and a question that asks for a figure ("What share of Kronoberg's services are in healthcare?").
EXAMPLES_VETO = re.compile(r"\b(?:benchmark|dashboard|indicators?|sub\s?indicators?|questions?|framework|count(?:s|ed)?|"
                           r"(?:what|which)\s+(?:share|percentage|proportion|number)|how\s+(?:many|much))\b")

# Words removed from the topic, besides cue phrases and member names.
TOPIC_FILLER = [
    re.compile(r"\b(?:can|could|would|will)\s+you\b|\bplease\b|\b(?:show|give|find|list|share|send|tell)\s+(?:me|us)\b"),
    re.compile(r"\b(?:i|we)\s+(?:need|want|would\s+like|'d\s+like|am\s+looking\s+for|are\s+looking\s+for)\b|\blooking\s+for\b"),
    re.compile(r"^\s*(?:(?:can|could|would|will)\s+you\s+|please\s+)?(?:show|give|find|list|share|suggest|recommend|collect|"
               r"gather)\b"),
    re.compile(r"\b(?:case\s+stud(?:y|ies)|success\s+stor(?:y|ies)|good\s+practices?|best\s+practices?|examples?|cases?|"
               r"inspiring|inspiration|showcases?)\s*(?:of|for|from|on|about|in|with|where|that|showing)?\b"),
    re.compile(r"\bfor\s+(?:a|an|our|the|my|this|next)\s+(?:\w+\s+){0,2}?(?:caf[eé]\s+session|caf[eé]|workshop|presentation|"
               r"talk|meeting|slides?|deck|webinar|session|training|council|newsletter|conference|seminar)\b"),
    re.compile(r"\b(?:what|which)\s+(?:are|is)\s+(?:some|the)?\b|\bare\s+there\b|\bis\s+there\b|\bdo\s+you\s+have\b"),
    re.compile(r"\bhow\s+(?:does|did|do|is|was|has|have|well|good)\b|\bwhat\s+(?:is|are|was|were)\b"),
    re.compile(r"\b(?:some|a\s+few|any|more|good|concrete|relevant|nice|several|real\s+world|inspiring|interesting|"
               r"successful)\b(?=\s+\w)"),
    re.compile(r"\b(?:in|from|of|for|at|by|to|like|with|about|on)\s+(?:the\s+)?CITYX(?:'s)?|CITYX(?:'s)?"),
    re.compile(r"\bin\s+(?:the\s+)?(?:network|usercentricities(?:\s+network)?)\b"),
    re.compile(r"\b(?:to|with|for)\s+(?:our|my|the)\s+(?:council|board|team|colleagues|management|mayor|staff|city\s+council)\b"),
    re.compile(r"^\s*(?:what|which|any)\b|\b(?:wants?|needs?|would\s+like|hopes?|plans?)\s+to\b|\bget\s+better\s+at\b"),
    re.compile(r"[?!.,;:%]"),
]
EDGE_WORDS = frozenset("the a an of for on in about from with and or to that which some any me us our my by at as".split())


def cue(patterns, text: str) -> tuple[str, re.Match] | None:
    """The label and match of the first of ``patterns`` found in ``text``, or None."""
    for pat, label in patterns:
        m = pat.search(text)
        if m:
            return label, m
    return None


def spans(patterns, text: str) -> list[tuple[int, int]]:
    """Where any of ``patterns`` matches in ``text``: the phrases left out of the topic."""
    return [(m.start(), m.end()) for pat, _ in patterns for m in pat.finditer(text)]
