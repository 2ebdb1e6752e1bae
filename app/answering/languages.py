"""What the assistant tells someone who asks in another language, in that language where it can.

The knowledge base is in English: an answer to a question in Spanish quotes English sources, and
says so. The multilingual encoder (indexer/crosslingual.py) understands some languages well
(``UNDERSTOOD``: those it was trained on) and others only partly; for the rest, an answer says that
the question was not understood well enough and invites the asker to try English.
"""

from __future__ import annotations

import re

# The Universal Sentence Encoder Multilingual v3's training languages (ISO 639-1), of which the
# members write es, it, de, fr, nl, pt, pl.
UNDERSTOOD = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())

QUOTES_ENGLISH = {
    "es": "Las fuentes están en inglés: esta respuesta las cita tal cual.",
    "it": "Le fonti sono in inglese: questa risposta le cita testualmente.",
    "de": "Die Quellen sind auf Englisch: Diese Antwort zitiert sie wörtlich.",
    "fr": "Les sources sont en anglais : cette réponse les cite telles quelles.",
    "nl": "De bronnen zijn in het Engels: dit antwoord citeert ze letterlijk.",
    "pt": "As fontes estão em inglês: esta resposta cita-as tal como estão.",
    "pl": "Źródła są po angielsku: ta odpowiedź cytuje je dosłownie.",
}
NOT_UNDERSTOOD = {
    "fi": "En ymmärrä vielä suomea tarpeeksi hyvin. Voisitko kysyä englanniksi?",
    "sv": "Jag förstår inte svenska tillräckligt bra än. Kan du ställa frågan på engelska?",
    "et": "Ma ei mõista veel eesti keelt piisavalt hästi. Kas saaksite küsida inglise keeles?",
    "ca": "Encara no entenc prou bé el català. Podries fer la pregunta en anglès?",
    "uk": "Я ще недостатньо добре розумію українську. Чи могли б ви запитати англійською?",
    "sk": "Slovenčine ešte nerozumiem dostatočne dobre. Mohli by ste sa opýtať po anglicky?",
    "sl": "Slovenščine še ne razumem dovolj dobro. Bi lahko vprašali v angleščini?",
    "lv": "Es vēl pietiekami labi nesaprotu latviešu valodu. Vai varat jautāt angliski?",
}
IN_ENGLISH = {
    "es": "La respuesta está en inglés, a partir de los datos de la red.",
    "it": "La risposta è in inglese, dai dati della rete.",
    "de": "Die Antwort ist auf Englisch, aus den Daten des Netzwerks.",
    "fr": "La réponse est en anglais, à partir des données du réseau.",
    "nl": "Het antwoord is in het Engels, op basis van de gegevens van het netwerk.",
    "pt": "A resposta está em inglês, a partir dos dados da rede.",
    "pl": "Odpowiedź jest po angielsku, na podstawie danych sieci.",
}
QUOTES_ENGLISH_EN = "The sources are in English: this answer quotes them as they are."
IN_ENGLISH_EN = "The answer is in English, from the network's data."
NOT_UNDERSTOOD_EN = ("This language is not understood well enough yet; asking in English will give a better "
                     "answer.")


def language_notes(code: str | None, status: str, quoted: bool = True) -> list[str]:
    """The notes for an answer to a question in language ``code`` (nothing for English); ``quoted``:
    a cited answer (it quotes English sources), else an answer from the network's data."""
    if not code or code in ("en", "und"):
        return []
    if code not in UNDERSTOOD:
        return [n for n in (NOT_UNDERSTOOD.get(code), NOT_UNDERSTOOD_EN) if n]
    if status == "answered":
        if not quoted:
            return [n for n in (IN_ENGLISH.get(code), IN_ENGLISH_EN) if n]
        return [n for n in (QUOTES_ENGLISH.get(code), QUOTES_ENGLISH_EN) if n]
    return []


def understood(code: str | None) -> bool:
    """Whether questions in ``code`` are read well (English, undetermined, or a language the
    multilingual encoder was trained on)."""
    return not code or code in ("en", "und") or code in UNDERSTOOD


# "Which city ...?" in the languages the interface has texts for: the question wants members named,
# so a general guide is a worse answer to it than a member's own service.
_WHICH_CITY = re.compile(
    r"^\W*(?:in |en |dans |a |in welke |in welcher )?(?:"
    r"(?:which|what) (?:cit(?:y|ies)|towns?|municipalit(?:y|ies)|members?)"  # en
    r"|(?:qué|cuál(?:es)?) (?:ciudad(?:es)?|municipios?|miembros?)"  # es
    r"|(?:quale|quali) (?:città|comuni?|membri)"  # it
    r"|welche[rsnm]? (?:stadt|städte|kommunen?|gemeinden?|mitglieder)"  # de
    r"|quel(?:le)?s? (?:villes?|communes?|membres?)"  # fr
    r"|welke (?:stad|steden|gemeenten?|leden)"  # nl
    r"|(?:que|qual|quais) (?:cidades?|municípios?|membros?)"  # pt
    r"|(?:które|jakie) (?:miast[oa]|gminy)"  # pl
    r")\b", re.IGNORECASE)


# "Examples of ..." in the languages the interface has texts for (English is the router's).
_EXAMPLES = re.compile(
    r"\b(?:ejemplos?|esempi|esempio|beispiele?|exemples?|voorbeelden|voorbeeld|exemplos?|przykłady|przykład)\b",
    re.IGNORECASE)


def asks_for_examples(question: str) -> bool:
    """Whether ``question`` asks for examples ("Ejemplos de servicios proactivos", "Beispiele für ...")."""
    return bool(_EXAMPLES.search(question or ""))


# The verbs and adjectives of three routes in the languages the interface has texts for (folded:
# no accents), where the multilingual encoder tells the routes apart poorly ("¿De qué ciudades
# debería aprender Madrid?" lies as near "Which cities are similar to Madrid?" as to learn-from).
ROUTE_WORDS = {
    "learn_from": re.compile(r"\b(?:learn\w*|aprend\w*|impar\w*|lern\w*|apprend\w*|leren|leert|inspir\w*|"
                             r"uczy\w*|nauczy\w*)\b"),
    "similar": re.compile(r"\b(?:simil\w*|parecid\w*|parec\w*|semejante\w*|ahnl\w*|ahnel\w*|ressembl\w*|"
                          r"semblabl\w*|comparable\w*|assomigli\w*|somigli\w*|lijk\w*|vergelijkbaar|vergleichbar\w*|semelhan\w*|"
                          r"podobn\w*)\b|\b(?:son|sont|sind|zijn|sono|sao|estan) (?:como|comme|wie|als|come)\b"),
    "compare": re.compile(r"\b(?:compar(?!abl)\w*|confront\w*|vergleich\w*|vergelijk(?!baar)\w*|porown\w*)\b"),
    # The award's words: without one, a question is never about the award ("Combien de propositions
    # ... en 2022 ?" is as near "Who won the award in 2022?" as to anything else). Nouns only: the
    # verbs ("ganó", "gewonnen", "won") are as often about a football league as about the award.
    "awards": re.compile(r"\b(?:award\w*|prize\w*|premi\w*|prix|preis\w*|prijs\w*|nagrod\w*|finalist\w*|"
                         r"ganador\w*|vincitor\w*|gewinner\w*|laureat\w*|winnaar\w*|vencedor\w*|zwyciez\w*|"
                         r"jury|jurado|giuria)\b"),
    # One member's membership: joining, belonging, founding ("¿Cuándo se unió París...?", "beigetreten").
    "member_joined": re.compile(r"\b(?:join\w*|uni[oa]\w*|unid[oa]|adh[ei]r\w*|aderi\w*|entr[oóa]\w*|beigetreten|"
                                r"beitr\w*|mitglied\w*|rejoin\w*|rejoint\w*|membr[eo]\w*|miembro\w*|lid|leden|"
                                r"toegetreden|aangesloten|fundador\w*|fondat\w*|fondateur\w*|grundungs\w*|grunder\w*|"
                                r"oprichter\w*|oprichtend\w*|czlon\w*|dolacz\w*)\b"),
}
# The members and cities of a country: a question naming one and these words lists them
# ("Quali città della rete si trovano in Portogallo?"); the bonus goes to that kind of exemplar only.
ROUTE_WORDS["members_country"] = re.compile(
    r"\b(?:members?|cities|membr[eio]s?|miembros?|mitglied\w*|lid|leden|socios?|citta|ciudad(?:es)?|stadt|stadte|"
    r"villes?|stad|steden|cidades?|region\w*|regio's|comuni|municipios?|municipalites|gemeenten|kommunen)\b")
# ... and the members who joined in a year: "Combien de signalements DansMaRue a-t-elle reçus en
# 2022 ?" is near "Which members joined in 2022?" by its year alone.
ROUTE_WORDS["members_joined"] = ROUTE_WORDS["member_joined"]
# Routes (or kinds of exemplar, app/answering/crossroute.py) a question in another language takes
# only when it uses one of their words.
ROUTES_NEEDING_WORDS = frozenset({"awards", "similar", "learn_from", "member_joined", "members_joined"})


def route_words(folded: str) -> set[str]:
    """The routes of :data:`ROUTE_WORDS` whose words the folded question uses."""
    return {name for name, pattern in ROUTE_WORDS.items() if pattern.search(folded)}


def routing_language(code: str, confidence: float, guess: str) -> str | None:
    """The language a question is routed in when it is not English: its detected language, or,
    when the detector was unsure (short questions naming a member: "Van wie kan Rotterdam
    leren?"), its first guess from :data:`GUESS_MIN` on; None for English or a language the
    multilingual encoder was not trained on."""
    if code in ("en", "und", "") and (guess in ("en", "und", "") or confidence < GUESS_MIN):
        return None
    found = guess if code == "und" else code
    return found if found in UNDERSTOOD else None


# Least confidence of the detector's first guess for an unsure question to be routed in that language.
GUESS_MIN = 0.3


def asks_which_city(question: str) -> bool:
    """Whether ``question`` asks which member(s) do something ("Welke stad heeft een app ...?",
    "¿Qué ciudades ...?", "Which cities ...?")."""
    return bool(_WHICH_CITY.search(question or ""))
