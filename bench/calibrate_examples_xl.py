"""The examples floor for topics in other languages (app/network/examples/finding.py, XL_MIN_SCORE).

A topic in Spanish, Italian, German, French or Dutch is matched by the multilingual encoder, whose
cosines run lower than all-MiniLM-L6-v2's: the English floor (0.40) would drop every example. This
prints, for topics the knowledge base covers and for topics it does not (off-topic, and municipal
topics it has nothing on), the best cosine of any service or case, and the floor that keeps the
most covered topics with no uncovered one above it.

    .venv/bin/python bench/calibrate_examples_xl.py   # against the live index of UCC_DATA_DIR
"""

from __future__ import annotations

import statistics

from _common import emit

from indexer import crosslingual as xlm
from indexer.settings import load_settings

# Topics the knowledge base has services or cases on (es, it, de, fr, nl).
COVERED = [
    ("participatory budgeting", ["presupuestos participativos", "bilancio partecipativo", "Bürgerhaushalt",
                                 "budget participatif", "participatieve begroting"]),
    ("proactive services for families", ["servicios proactivos para familias", "servizi proattivi per le famiglie",
                                          "proaktive Dienste für Familien", "services proactifs pour les familles",
                                          "proactieve diensten voor gezinnen"]),
    ("reporting problems in public space", ["aplicaciones para avisar de incidencias en la calle",
                                            "segnalare problemi nello spazio pubblico",
                                            "Probleme im öffentlichen Raum melden",
                                            "signaler des problèmes dans l'espace public",
                                            "problemen in de openbare ruimte melden"]),
    ("digital inclusion and help for people without digital skills",
     ["inclusión digital y ayuda a personas sin competencias digitales", "inclusione digitale e aiuto a chi non ha competenze digitali",
      "digitale Inklusion und Hilfe für Menschen ohne digitale Kenntnisse", "inclusion numérique et aide aux personnes éloignées du numérique",
      "digitale inclusie en hulp voor mensen zonder digitale vaardigheden"]),
    ("free public transport", ["transporte público gratuito", "trasporto pubblico gratuito", "kostenloser Nahverkehr",
                               "transports publics gratuits", "gratis openbaar vervoer"]),
    ("city app for residents", ["aplicación móvil municipal para residentes", "app comunale per i cittadini",
                                "städtische App für Einwohner", "application mobile municipale pour les habitants",
                                "gemeentelijke app voor inwoners"]),
    ("electronic health record", ["historia clínica electrónica", "fascicolo sanitario elettronico",
                                  "elektronische Patientenakte", "dossier médical électronique", "elektronisch patiëntendossier"]),
    ("online library", ["biblioteca en línea", "biblioteca online", "Online-Bibliothek", "bibliothèque en ligne",
                        "online bibliotheek"]),
    ("help for unemployed people to find work", ["ayuda a personas desempleadas para encontrar trabajo",
                                                 "aiuto ai disoccupati per trovare lavoro",
                                                 "Hilfe für Arbeitslose bei der Jobsuche",
                                                 "aide aux chômeurs pour trouver un emploi", "hulp voor werklozen bij het vinden van werk"]),
    ("paying property tax online", ["pagar el impuesto sobre bienes inmuebles en línea", "pagare online la tassa sugli immobili",
                                    "Grundsteuer online bezahlen", "payer la taxe foncière en ligne", "onroerendezaakbelasting online betalen"]),
]
# Topics it has nothing on: off-topic, and municipal services it does not cover.
UNCOVERED = [
    ("chocolate cake recipe", ["receta de tarta de chocolate", "ricetta della torta al cioccolato", "Rezept für Schokoladenkuchen",
                               "recette de gâteau au chocolat", "recept voor chocoladetaart"]),
    ("football results", ["resultados de fútbol", "risultati delle partite di calcio", "Fußballergebnisse",
                          "résultats de football", "voetbaluitslagen"]),
    ("stock market tips", ["consejos para invertir en bolsa", "consigli per la borsa", "Tipps für die Börse",
                           "conseils pour la bourse", "beleggingstips voor de beurs"]),
    ("holiday weather forecast", ["previsión del tiempo para las vacaciones", "previsioni meteo per le vacanze",
                                  "Wettervorhersage für den Urlaub", "prévisions météo pour les vacances", "weersverwachting voor de vakantie"]),
    ("parking permits", ["permisos de aparcamiento", "permessi di parcheggio", "Parkausweise", "permis de stationnement",
                         "parkeervergunningen"]),
    ("building permits", ["licencias de obra", "permessi di costruzione", "Baugenehmigungen", "permis de construire",
                          "bouwvergunningen"]),
    ("dog licences", ["licencia para perros", "registrazione dei cani", "Hundesteuer anmelden", "déclaration des chiens",
                      "hondenbelasting"]),
    ("tourist information", ["información turística", "informazioni turistiche", "Touristeninformation",
                             "information touristique", "toeristische informatie"]),
]


def best(searcher, topic: str) -> tuple[float, str]:
    """The best multilingual cosine of any service or case for ``topic``, and its title; None when
    the topic was not read as another language (too short to tell: the English path serves it)."""
    found = searcher.search(topic, k=10, mode="hybrid", filters={"kind": ["service", "case"]})
    if found.encoder != xlm.ENCODER_NAME:
        return None
    top = max(found.hits, key=lambda h: h.dense_score or 0.0, default=None)
    return (float(top.dense_score or 0.0), top.title) if top else (0.0, "")


def main() -> None:
    from indexer.search import Searcher

    searcher = Searcher(load_settings())
    scored = {t: best(searcher, t) for _, ts in COVERED + UNCOVERED for t in ts}
    english = sorted(t for t, found in scored.items() if found is None)
    covered = [(en, t, *scored[t]) for en, ts in COVERED for t in ts if scored[t]]
    uncovered = [(en, t, *scored[t]) for en, ts in UNCOVERED for t in ts if scored[t]]
    ceiling = max(s for *_, s, _ in uncovered)
    floors = [round(0.20 + i / 100, 2) for i in range(30)]
    kept = {f: sum(s >= f for *_, s, _ in covered) for f in floors}
    leaks = {f: sum(s >= f for *_, s, _ in uncovered) for f in floors}
    chosen = min((f for f in floors if leaks[f] == 0), default=None)
    emit("calibrate_examples_xl", {
        "covered": {"n": len(covered), "median": statistics.median(s for *_, s, _ in covered),
                    "min": min(s for *_, s, _ in covered), "max": max(s for *_, s, _ in covered)},
        "uncovered": {"n": len(uncovered), "median": statistics.median(s for *_, s, _ in uncovered), "max": ceiling,
                      "highest": sorted(((round(s, 3), t, title) for _, t, s, title in uncovered), reverse=True)[:5]},
        "read_as_english": english,
        "kept_by_floor": kept, "leaks_by_floor": leaks, "least_floor_without_leak": chosen,
        "covered_missed_at_that_floor": [(t, round(s, 3), title) for _, t, s, title in covered
                                         if chosen is not None and s < chosen],
    })


if __name__ == "__main__":
    main()
