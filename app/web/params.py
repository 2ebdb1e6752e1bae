"""What a request to the API may hold: the limits and values that both the API's input checks
(:mod:`app.web.api`) and its OpenAPI document (:mod:`app.web.openapi`) use.

Both modules import these from here, so the document never imports the views (the views serve the
document: dependencies point one way, ``api -> openapi -> params``).
"""

from __future__ import annotations

from indexer.search import MAX_QUERY_CHARS

MAX_TEXT = MAX_QUERY_CHARS  # question, topic, comment: 2,000 characters
MAX_ID = 200  # user ids, answer ids, conversation ids, filter values
EXAMPLE_FORMATS = ("json", "md", "csv")
BOOL_VALUES = {"0": False, "1": True, "false": False, "true": True, "no": False, "yes": True}
# What the web face can vouch for: a question came over the web, from the widget or not. The Slack
# bot and the command line record their own questions; a web client cannot speak for them.
WEB_CHANNELS = ("web", "widget")
