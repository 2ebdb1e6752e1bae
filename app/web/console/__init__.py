"""The moderator console at /console: server-rendered pages for UserCentriCafé moderators.

    /console                     search examples by topic and filters; pick some; download a pack
    /console/pack        (POST)  the session pack of the picked examples, Markdown or CSV
    /console/cities              the members
    /console/cities/<slug>       dashboard table, chart against the peers' median, similar, learn-from
    /console/ranking?revision=   the dashboard ranking of a revision
    /console/questions?days=30   most asked topics, recent questions with their answers, content gaps,
                                 failed routes, down-rated answers
    /console/questions.csv       the same period as CSV
    /console/sign-in, /console/sign-out

One module per part, each registering its views on the one blueprint (:mod:`.blueprint`, which
also renders pages and error pages):

    sessions.py   the signed cookie and the server-side sessions (SQLite in UCC_DATA_DIR)
    access.py     the admin token, sign-in and sign-out, the bearer header, CSRF
    examples.py   the examples page and session packs
    cities.py     the members, a member's page with its chart, the ranking
    questions.py  the questions page and its CSV export
    helpers.py    the templates' filters and globals (ranks said one way on every page)

The views only translate HTTP to :class:`app.assistant.Assistant` calls; templates
(``templates/console/``) escape every retrieved string (Jinja autoescape). The pages work
without JavaScript; ``static/console.js`` adds select-all and table sorting. Tables scroll
inside their own box on narrow screens.
"""

from app.web.console import access, cities, examples, helpers, questions  # noqa: F401  (views register here)
from app.web.console.blueprint import bp

__all__ = ["bp"]
