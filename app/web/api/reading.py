"""Reading a request into the models of :mod:`app.web.api.inputs`, and a failure into the API's error.

``json_body(Model)`` wants ``Content-Type: application/json`` (415), a body within
``UCC_MAX_BODY_BYTES`` (413, also for a chunked body), UTF-8 JSON (400 ``invalid_json``) holding an
object (400 ``invalid_body``). ``query(Model)`` refuses unknown names (``unknown_parameter``) and a
name given twice unless it is repeatable (``repeated_parameter``).

Then pydantic validates, and the first error becomes one answer, in this order: unknown fields
(all named), a missing or null required one (``missing_field`` / ``missing_parameter``), a JSON value
of the wrong type (``invalid_type``), an error a validator raised in the API's terms
(:func:`app.web.api.vocabulary.problem`), and otherwise the :class:`~app.web.api.vocabulary.Rule`
declared beside the field's constraint (``invalid_parameter`` when there is none).
"""

from __future__ import annotations

import json
import typing
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.web.api.vocabulary import Rule
from app.web.errors import fail

M = TypeVar("M", bound=BaseModel)
_TYPE_NAMES = {"string_type": "a string", "dict_type": "an object", "list_type": "an array", "int_type": "an integer",
               "bool_type": "true or false", "model_type": "an object", "model_attributes_type": "an object"}


def request_body() -> bytes:
    """The request's body, 413 past UCC_MAX_BODY_BYTES: from its Content-Length before it is read,
    and for a chunked body (no Content-Length) as soon as it runs past the limit. Werkzeug stops
    reading a chunked body at the limit and hands back the truncated part, which would be a 400."""
    try:
        raw = request.get_data(cache=True)
        limit = request.max_content_length
        if request.content_length is None and limit is not None and len(raw) >= limit \
                and request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()
    except HTTPException:
        raise
    except Exception:  # noqa: BLE001 - the server could not read it (e.g. a malformed chunk size)
        fail(400, "invalid_body", "The request body could not be read.")
    return raw


def json_body(model: type[M]) -> M:
    """The request's JSON object, validated by ``model``."""
    if not request.is_json:
        fail(415, "unsupported_media_type", "Send a JSON object with Content-Type: application/json.")
    raw = request_body()  # 413 past UCC_MAX_BODY_BYTES
    try:
        data = json.loads((raw or b"null").decode("utf-8-sig"))  # strict: json.loads(bytes) lets surrogates pass
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # and so would a "\ud800" escape
    except (ValueError, UnicodeError):
        fail(400, "invalid_json", "The body is not valid JSON in UTF-8.")
    except RecursionError:  # [[[[...]]]] past the parser's recursion limit
        fail(400, "invalid_json", "The body is nested too deeply.")
    if not isinstance(data, dict):
        fail(400, "invalid_body", "The body must be a JSON object.")
    return _validate(model, data, "field")


def query(model: type[M]) -> M:
    """The query string, validated by ``model``; repeatable parameters are those of list type."""
    fields = model.model_fields
    unknown = sorted(set(request.args) - set(fields))
    if unknown:
        allowed = f"allowed: {', '.join(fields)}" if fields else "this route takes none"
        fail(400, "unknown_parameter", f"Unknown parameter(s): {', '.join(unknown)}; {allowed}.")
    data: dict[str, Any] = {}
    for name in request.args:
        values = request.args.getlist(name)
        if typing.get_origin(fields[name].annotation) is list:
            data[name] = [v for v in values if v.strip()]
        elif len(values) > 1:
            fail(400, "repeated_parameter", f"Give '{name}' once.")
        elif values[0] != "" or fields[name].is_required():
            data[name] = values[0]  # an optional one given empty counts as left out
    return _validate(model, data, "parameter")


def _validate(model: type[M], data: dict[str, Any], what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fail(*_answer(model, exc.errors(), what))


def _answer(model: type[BaseModel], errors: list[dict[str, Any]], what: str) -> tuple[int, str, str]:
    """(status, code, message) for the first of pydantic's ``errors`` (see the module)."""
    unknown = [str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        allowed = f"allowed: {', '.join(model.model_fields)}" if model.model_fields else "none is allowed"
        return 400, f"unknown_{what}", f"Unknown {what}(s): {', '.join(sorted(unknown))}; {allowed}."
    error = errors[0]
    status = (error.get("ctx") or {}).get("status")
    if status is not None:  # raised by a validator in the API's terms
        return status, error["type"], error["msg"]
    name = str(error["loc"][0])
    field = model.model_fields[name]
    value = error["input"]
    if error["type"] == "missing" or (value is None and field.is_required()):
        return 400, f"missing_{what}", f"The {what} '{name}' is required."
    if error["type"] in _TYPE_NAMES or (error["type"] == "literal_error" and not isinstance(value, str)):
        expected = " or ".join(sorted({_TYPE_NAMES.get(e["type"], "a string") for e in errors
                                       if e["loc"][:1] == error["loc"][:1]}))
        return 400, "invalid_type", f"The {what} '{name}' must be {expected}."
    rule = _rule(field.metadata, field.annotation) or Rule("invalid_parameter", "'{name}' is not valid: {reason}.")
    length = len(value) if isinstance(value, (str, list)) else 0
    return rule.status, rule.code, rule.message.format(name=name, input=value, length=length,
                                                       reason=error["msg"].rstrip(".").lower())


def _rule(metadata: list[Any], annotation: Any) -> Rule | None:
    """The field's Rule: beside its constraints, or inside its type (``Annotated[...] | None``)."""
    for item in metadata:
        if isinstance(item, Rule):
            return item
    for arg in typing.get_args(annotation):
        found = _rule(list(getattr(arg, "__metadata__", ())), arg)
        if found is not None:
            return found
    return None
