"""The reader: which quoted unit answers the question asked, not only the topic.

The composer (app/answering/compose.py) scores every candidate unit — sentences, list items and the front
matter's facts (a document's ``outcomes``) — by its similarity to the question and its share of the
question's words. The reader adds what the question *expects*:

- :func:`expected_type`: the kind of answer asked for, from the question's form — ``number``
  ("how many", "how much", "what share", "what fee"), ``date`` ("when", "which year", "since
  when"), ``name`` ("which platform/software/tool...", "who", "where"), ``method`` ("how does X notify...",
  "how do cities ...") — or None; the same forms in es/it/de/fr/nl/pt for questions in those
  languages ("¿cuántos...?", "seit wann...?", "quale piattaforma...?");
- :func:`holds_type`: whether a unit holds an answer of that type (a figure that is not only a
  year, a year or month, a proper name not in the question, a means: "by replying", "through",
  "via", "using");
- :func:`fact_units`: a document's front-matter outcomes as quotable units;
- :func:`needs_subject`: whether a quoted unit leans on its document for its subject ("this",
  "the service", "the city"), so that the answer names whose it is;
- :func:`named`: the names a question asks about ("Paris", "DansMaRue" in "When did Paris launch
  DansMaRue?"), so that a date or a figure is taken from what is about them, not from a sentence
  that only shares a word of the question ("launched") in a document about something else.

The weights (``TYPE_BONUS`` in app/answering/compose.py) were set on ../shared/eval/answers-dev and checked on
tests/data/answerable.jsonl; see bench/RESULTS.md.
"""

from __future__ import annotations

import re
from functools import cache

from indexer.text import fold

_NUMBER_Q = re.compile(
    r"^\s*(?:how (?:many|much|large|big|long|often|high|far)|what (?:share|percentage|proportion|fee|cost|price|"
    r"amount|number|size|budget|sum|figure|rate)|which (?:share|percentage|proportion)|what (?:was|is) the (?:budget|"
    r"cost|number|size|share|fee))\b", re.IGNORECASE)
_NUMBER_ANYWHERE = re.compile(r"\bhow (?:many|much|large|big)\b|^\s*what(?:'s|’s| is| was| are| were) (?:the )?"
                              r"(?:\w+ ){0,3}(?:cost|costs|price|budget|fee|amount|total|population|turnover)"
                              r"\s+(?:of|for|to|in)\b", re.IGNORECASE)
_DATE_Q = re.compile(r"^\s*(?:when\b|since when\b|(?:in |from )?(?:which|what) year\b|how long ago\b|"
                     r"in what year\b|(?:what|which) (?:date|month)\b)", re.IGNORECASE)
_DATE_ANYWHERE = re.compile(r"\b(?:since when|which year|what year|when (?:did|was|were|does|is))\b", re.IGNORECASE)
_NAME_Q = re.compile(
    r"^\s*(?:(?:which|what) (?:\w+ )?(?:platform|software|tool|system|technology|app|application|product|company|"
    r"firm|vendor|supplier|organi[sz]ation|association|body|agency|department|office|unit|ministry|institute|"
    r"committee|operator|provider|consortium|authority|administration|charity|ngo|cooperative|programme|program|partner|network|foundation|university|"
    r"framework|standard|solution|engine|open[- ]source \w+|city|town|municipality|region|country|member)s?\b|"
    r"(?:which|what) (?:\w+ )?(?:cities|municipalities|countries)\b|who\b|where\b|in which (?:city|town|"
    r"municipality|country|region)\b)", re.IGNORECASE)
_METHOD_Q = re.compile(r"^\s*how (?:do|does|did|can|could|should|would|is|are|was|were)\b", re.IGNORECASE)

_FIGURE = re.compile(r"(?:\d[\d,.\s]*\d|\d)\s*(?:%|per ?cent|percent|million|thousand|m\b|k\b|€|eur\b)?|"
                     r"[€$£]\s?\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                     r"thirty|forty|fifty|hundred|thousand|million|billion|half|dozen)\b", re.IGNORECASE)
_YEAR_ONLY = re.compile(r"^(?:19|20)\d\d$")
_DATE = re.compile(r"\b(?:19|20)\d\d\b|\b(?:January|February|March|April|May|June|July|August|September|October|"
                   r"November|December)\b")
_MEANS = re.compile(r"\b(?:by (?:\w+ing|text|sms|e-?mail|letter|post|phone)|through|via|using|with an? (?:app|"
                    r"message|letter|form|call)|sends?|sent|receives?|received|replying|notif\w*|text message|sms|"
                    r"e-?mail|letter|push)\b", re.IGNORECASE)
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][A-Za-z0-9]+(?:[A-Z][a-z]+)*)\b")
_DEPENDENT = re.compile(
    r"^(?:It|Its|This|These|They|Their|That|Those)\b|^The (?:service|city|app|platform|project|region|scheme|"
    r"programme|tool|team|pilot|winner|jury|municipality)\b|\b(?:this (?:service|app|platform|project|scheme|"
    r"programme|tool|pilot))\b", re.IGNORECASE)


# The same question forms in the members' languages (matched on the folded question: no accents,
# lower case), by language, as the words differ in meaning between them (German "wie" is "how",
# Dutch "wie" is "who"). Checked in this order: number, date, name, method.
_OTHER_LANGUAGES: dict[str, list[tuple[str, str]]] = {
    "es": [("number", r"\bcuant[oa]s?\b|\bque (?:porcentaje|proporcion|cuota|tarifa|precio|coste|costo|importe|"
                      r"presupuesto|cantidad)\b"),
           ("date", r"\bcuando\b|\b(?:en )?que ano\b"),
           ("name", r"\b(?:que|cual) (?:plataforma|software|programa|herramienta|sistema|aplicacion|app|empresa|"
                    r"organizacion|organismo|red)\b|\bquien(?:es)?\b|\bdonde\b"),
           ("method", r"\bcomo\b")],
    "it": [("number", r"\bquant[ioae]\b|\b(?:che|quale) (?:percentuale|quota|costo|prezzo|tariffa|importo|"
                      r"budget|numero)\b"),
           ("date", r"\bquando\b|\b(?:in )?(?:che|quale) anno\b"),
           ("name", r"\b(?:quale|che) (?:piattaforma|software|programma|strumento|sistema|applicazione|app|azienda|"
                    r"organizzazione|ente|rete)\b|\bchi\b|\bdove\b"),
           ("method", r"\bcome\b")],
    "de": [("number", r"\bwie (?:viele?|hoch|gross|lange|oft)\b|\bwelche[rnms]? (?:anteil|prozentsatz|gebuhr|"
                      r"betrag|preis|kosten)\b"),
           ("date", r"\bwann\b|\bin welchem jahr\b"),
           ("name", r"\bwelche[rnms]? (?:plattform|software|programm|werkzeug|system|app|anwendung|firma|"
                    r"unternehmen|organisation|netzwerk)\b|\bwer\b|\bwo\b"),
           ("method", r"\bwie\b")],
    "fr": [("number", r"\bcombien\b|\bquel(?:le)?s? (?:pourcentage|part|proportion|montant|prix|cout|tarif|"
                      r"budget|nombre)\b"),
           ("date", r"\bquand\b|\ben quelle annee\b|\bquelle annee\b"),
           ("name", r"\bquel(?:le)?s? (?:plateforme|logiciel|programme|outil|systeme|application|entreprise|"
                    r"organisation|organisme|reseau)\b|\bqui\b|\bou\b"),
           ("method", r"\bcomment\b")],
    "nl": [("number", r"\bhoeveel\b|\bhoe (?:groot|lang|vaak|hoog)\b|\bwelk(?:e)? (?:percentage|aandeel|bedrag|"
                      r"prijs)\b"),
           ("date", r"\bwanneer\b|\bin welk jaar\b"),
           ("name", r"\bwelk(?:e)? (?:platform|software|programma|tool|systeem|app|applicatie|bedrijf|organisatie|"
                    r"netwerk)\b|\bwie\b|\bwaar\b"),
           ("method", r"\bhoe\b")],
    "pt": [("number", r"\bquant[oa]s?\b|\bque (?:percentagem|porcentagem|proporcao|custo|preco|montante)\b"),
           ("date", r"\bquando\b|\b(?:em )?que ano\b"),
           ("name", r"\b(?:que|qual) (?:plataforma|software|programa|ferramenta|sistema|aplicacao|app|empresa|"
                    r"organizacao)\b|\bquem\b|\bonde\b"),
           ("method", r"\bcomo\b")],
}
_OTHER_PATTERNS = {lang: [(t, re.compile(p)) for t, p in forms] for lang, forms in _OTHER_LANGUAGES.items()}


def expected_type(question: str, language: str | None = None) -> str | None:
    """``number``, ``date``, ``name``, ``method`` or None (see the module docstring); ``language``:
    the question's, when it is one of :data:`_OTHER_LANGUAGES` (else the English forms)."""
    q = question.strip()
    if language in _OTHER_PATTERNS:
        folded = fold(q)
        return next((atype for atype, pattern in _OTHER_PATTERNS[language] if pattern.search(folded)), None)
    if _NUMBER_Q.search(q) or _NUMBER_ANYWHERE.search(q):
        return "number"
    if _DATE_Q.search(q) or _DATE_ANYWHERE.search(q):
        return "date"
    if _NAME_Q.search(q):
        return "name"
    if _METHOD_Q.search(q):
        return "method"
    return None


def _figures(text: str) -> list[str]:
    return [m.group(0).strip() for m in _FIGURE.finditer(text) if m.group(0).strip()]


@cache
def _language_names() -> frozenset[str]:
    """English names of languages, lower case ("dutch", "finnish"): capitalised, but adjectives
    ("shared by Dutch municipalities") rather than the name a "which ...?" question asks for."""
    from babel import Locale

    return frozenset(n.lower() for n in Locale("en").languages.values() if n.isalpha())


def holds_type(text: str, atype: str | None, question: str = "") -> bool:
    """Whether ``text`` holds an answer of type ``atype`` that the question does not already state."""
    if atype is None:
        return False
    if atype == "number":
        asked = set(_figures(question))
        return any(not _YEAR_ONLY.match(f.strip(" ,.")) and f not in asked for f in _figures(text))
    if atype == "date":
        return bool(_DATE.search(text))
    if atype == "name":
        asked = {w.lower() for w in re.findall(r"[A-Za-z0-9]+", question)} | _language_names()
        return any(m.group(1).lower() not in asked for m in _PROPER.finditer(text))
    if atype == "method":
        return bool(_MEANS.search(text))
    return False


_ASKS_FOR_PLACE = re.compile(r"\b(?:which|what) (?:\w+ )?(?:cit(?:y|ies)|towns?|municipalit(?:y|ies)|regions?|"
                             r"countr(?:y|ies)|members?)\b|\bwho else\b|\bother (?:cities|members)\b",
                             re.IGNORECASE)


# "Can my 13-year-old vote in Helsinki's OmaStadi?": a yes/no question is about what it names, too.
_YES_NO_Q = re.compile(r"^\s*(?:can|could|does|do|did|is|are|was|were|has|have|had|will|would|should|may|must)\b",
                       re.IGNORECASE)


def named(question: str, atype: str | None) -> list[str]:
    """The proper names of an English factoid or yes/no question (a number, a date or a name is
    expected; "Can ... vote in Helsinki's OmaStadi?"), lower case: what its answer must be about.
    None for a question asking which city or member (its answer names other places than the ones
    it names) or for another question."""
    if (atype not in ("number", "date", "name") and not _YES_NO_Q.match(question)) or _ASKS_FOR_PLACE.search(question):
        return []
    return list(dict.fromkeys(m.group(1).lower() for m in _PROPER.finditer(question.strip())))


def about(text: str, names: list[str]) -> int:
    """How many of ``names`` ``text`` (a unit with its document's title and city) names."""
    low = fold(text)
    return sum(fold(n) in low for n in names)


def fact_units(metadata: dict) -> list[str]:
    """The front matter's quotable facts of a document: its outcomes, each a sentence."""
    units = []
    for outcome in metadata.get("outcomes") or []:
        text = outcome.get("text") if isinstance(outcome, dict) else outcome
        if isinstance(text, str) and len(text.split()) >= 4:
            units.append(" ".join(text.split()))
    return units


def needs_subject(text: str, names: list[str]) -> bool:
    """Whether a quoted unit leans on its document for its subject and names none of ``names``."""
    if not _DEPENDENT.search(text):
        return False
    low = text.lower()
    return not any(n and n.lower() in low for n in names)


def subject_of(title: str, city: str | None) -> str:
    """Whose a quote is, shortly: "Rotterdam, MeldR" for "Rotterdam: MeldR, co-designing one reporting
    app" in Rotterdam; "Helsinki, Proactive offer of pre-primary education places"."""
    head, sep, rest = title.partition(":")
    name = head.strip()
    if sep and city and name.lower() == city.lower():
        name = re.split(r"[,;(]| - | – ", rest.strip())[0].strip() or name
    elif sep and len(name.split()) > 6:
        name = title
    name = re.sub(r"\s*\([^()]*\)", "", name).strip(" .")
    if city and city.lower() not in name.lower():
        return f"{city}, {name}"
    return name
