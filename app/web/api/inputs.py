"""What the API reads: the JSON bodies and the query parameters of each route, as pydantic models.

These models are the contract's inputs, declared once: :mod:`app.web.api.reading` validates every
request with them (a failure becomes the API's error, see :mod:`app.web.api.vocabulary`) and
:mod:`app.web.api.openapi` writes their JSON Schema into the document (request bodies as components,
query models as parameters). A body model is strict (a number is not a string) and closed (an
unknown field is 400 ``unknown_field``); a query model is closed too (``unknown_parameter``), and an
optional parameter given empty (``?k=``) counts as left out.

The question itself is checked where every face has it checked, by the assistant
(:func:`app.answering.answers.check_question`: 400 ``empty_question``, 422 ``question_too_long``), and
so are a conversation id and the names of filters (400 ``invalid_request``): their fields here only
describe those rules.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator

from indexer.search import FILTER_KEYS, FILTER_PLURALS, MODES

from app.network.cities import BASES, MAX_K
from app.web.api.period import period
from app.web.api.vocabulary import (MAX_ID, MAX_TEXT, NOT_BLANK, WEB_CHANNELS, BodyFilters, Flag, QueryFilter, Rule,
                                    When, choice, one_line, problem, text, whole_number)

EXAMPLE_FORMATS = ("json", "md", "csv")
EXAMPLE_KINDS = ("service", "case")  # examples are services and cases


class Body(BaseModel):
    """A JSON object: only these fields, each of its JSON type."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query parameters: only these names."""

    model_config = ConfigDict(extra="forbid")


# --- bodies ---------------------------------------------------------------------------------------


ConversationId = Annotated[str, Field(json_schema_extra={"pattern": "^([A-Za-z0-9_-]{8,64})?$"})]


class AskRequest(Body):
    """A question, with an optional conversation to follow up and filters."""

    question: Annotated[str, Field(description="At most 2,000 characters (422 past it); not blank.",
                                   json_schema_extra={"minLength": 1, "maxLength": MAX_TEXT, "pattern": NOT_BLANK})]
    conversation_id: Annotated[ConversationId | None,
                               Field(description="From a previous answer, to ask a follow-up.")] = None
    filters: Annotated[BodyFilters | None, Field(
        description="Metadata filters: each a value or a list of values.",
        json_schema_extra={"propertyNames": {"enum": [*FILTER_KEYS, *FILTER_PLURALS]}})] = None
    channel: Annotated[Literal["", *WEB_CHANNELS] | None, Field(
        description="Empty or null: web. The web API records only web and widget questions; slack and cli are "
                    "400 (those faces record their own)."),
        Rule("invalid_channel", "Unknown channel {input!r} for the web API; use one of: "
                                f"{', '.join(WEB_CHANNELS)} (the Slack bot and the command line record their own "
                                "questions).")] = None
    user_id: Annotated[str | None, Field(
        max_length=MAX_ID, description="An id the client gives its user; only a salted hash of 'web:' and the id is "
                                       "stored, so it never matches a Slack user's."),
        Rule("invalid_user_id", f"user_id is at most {MAX_ID} characters.")] = None

    def filter_lists(self) -> dict[str, list[str]] | None:
        """The filters as the assistant takes them: each a list of strings."""
        out = {key: [str(v) for v in (value if isinstance(value, list) else [value])]
               for key, value in (self.filters or {}).items()}
        return out or None


def _comment(value: str | None) -> str | None:
    return one_line(value) or None if value is not None else None


class FeedbackRequest(Body):
    """A rating of an answer."""

    answer_id: Annotated[str, Field(max_length=MAX_ID, description="The answer_id of an answer from POST /ask."),
                         Rule("invalid_answer_id", f"answer_id is at most {MAX_ID} characters.")]
    rating: Annotated[Literal["up", "down"], Rule("invalid_rating", "The rating must be 'up' or 'down'.")]
    comment: Annotated[str | None, Field(max_length=MAX_TEXT, description="At most 2,000 characters (422 past it)."),
                       AfterValidator(_comment),
                       Rule("comment_too_long", f"The comment is too long ({{length}} characters; at most {MAX_TEXT}).",
                            422)] = None


class NoOptions(Body):
    """No options: an empty JSON object at most."""


# --- query parameters -----------------------------------------------------------------------------


class NoQuery(Query):
    """No parameters."""


class Filtered(Query):
    """Query parameters with the metadata filters (each repeatable), added by :func:`_with_filters`."""

    def filters(self) -> dict[str, list[str]]:
        return {key: getattr(self, key) for key in FILTER_KEYS if getattr(self, key)}


def _with_filters(model: type[Filtered], **schema_extra: dict) -> type[Filtered]:
    """``model`` with one repeatable parameter per filter of the index (FILTER_KEYS)."""
    fields = {key: (QueryFilter, Field([], description=f"Only documents with this {key}; repeatable.",
                                       json_schema_extra=schema_extra.get(key)))
              for key in FILTER_KEYS}
    return create_model(model.__name__.lstrip("_"), __base__=model, __doc__=model.__doc__, **fields)


class _SearchQuery(Filtered):
    """What to search for."""

    q: Annotated[text("query"), Field(description="The search text (at most 2,000 characters).")]
    k: Annotated[whole_number(1, 100), Field(description="Documents to return.")] = 10
    mode: Annotated[Literal[MODES] | None, Field(description="Retrieval mode (default UCC_SEARCH_MODE)."),
                    choice(MODES, "mode")] = None


class _ExamplesQuery(Filtered):
    """The session's topic, how many examples and in which format."""

    topic: Annotated[text("topic"), Field(description="The session's topic.")]
    n: Annotated[whole_number(1, 20), Field(description="Examples to return.")] = 5
    format: Annotated[Literal[EXAMPLE_FORMATS], Field(description="Response format."),
                      choice(EXAMPLE_FORMATS, "format")] = "json"
    all_per_city: Annotated[Flag, Field(description="1: more than one example per city.")] = False


SearchQuery = _with_filters(_SearchQuery)
# Examples are services and cases: a kind filter must name at least one of them.
ExamplesQuery = _with_filters(_ExamplesQuery, kind={"contains": {"enum": list(EXAMPLE_KINDS)},
                                                    "description": "Only services or only cases; repeatable."})


class SimilarQuery(Query):
    k: Annotated[whole_number(1, MAX_K), Field(description="Matches to return.")] = 5
    basis: Annotated[Literal[BASES], Field(description="What similarity is based on."), choice(BASES, "basis")] = "all"


class LearnFromQuery(Query):
    subindicator: Annotated[str | None, Field(description="A dashboard sub-indicator id, e.g. 2.1.",
                                              examples=["2.1"])] = None


class RevisionQuery(Query):
    revision: Annotated[str | None, Field(description="Dashboard revision (default: the latest with scores).")] = None


class PeriodQuery(Query):
    """A period of the question log: ``since``/``until`` or ``days`` back (see :mod:`app.web.api.period`)."""

    since: Annotated[When | None, Field(
        description="Start of the period: a date (YYYY-MM-DD) or an RFC 3339 date and time.")] = None
    until: Annotated[When | None, Field(description="End of the period (default: now).")] = None
    days: Annotated[whole_number(1, 3660) | None, Field(
        description="Instead of since: this many days back from until (default: now).")] = None

    @model_validator(mode="after")
    def _days_or_since(self):
        if self.days is not None and self.since is not None:
            raise problem("invalid_parameter", "Give 'days' or 'since', not both.")
        return self

    def period(self, default_days: int | None = 30) -> tuple[str | None, str | None]:
        """(since, until) as UTC ISO strings; without since or days, ``default_days`` back."""
        return period(self.since, self.until, self.days, default_days)


class ListQuery(PeriodQuery):
    limit: Annotated[whole_number(1, 1000), Field(description="Most rows.")] = 200


class TopicsQuery(PeriodQuery):
    k: Annotated[whole_number(1, 100), Field(description="Topics to return.")] = 10


class ImportQuery(Query):
    write: Annotated[Flag, Field(description="1: write the score file.")] = False
    revision: Annotated[str | None, Field(description="Revision of rows that leave it empty.")] = None
    source: Annotated[str | None, Field(description="Where the results come from (recorded on every row).")] = None
    name: Annotated[str | None, Field(description="File name for a raw body (its stem names the score file).")] = None
