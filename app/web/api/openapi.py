"""The OpenAPI 3.1 document, generated from the route table (:mod:`app.web.api.contract`) and the
models it names: nothing in it is written twice.

``spec()`` is served at ``/api/v1/openapi.json`` (and rendered at ``/api/v1/docs``,
:mod:`app.web.api.docpage`). The JSON Schema of every model comes from pydantic
(``TypeAdapter.json_schemas``, dialect 2020-12, which OpenAPI 3.1 uses as it is); each body and
response model is a component under ``#/components/schemas``. A query model becomes the
operation's parameters, one per field: an optional parameter may be sent empty (``allowEmptyValue``), a list is repeatable
(``style: form, explode: true``).

Why not flask-openapi3 or spectree, which do this from pydantic models too (weighed from their
documentation and issue threads, not installed): both answer a validation failure with one status
(422 unless set per app or route) and pydantic's list of errors as the body, reshaped only through
a callback or hook (flask-openapi3's ``validation_error_callback``, spectree's ``before``), while
this API answers 400, 413, 415 or 422 with a snake_case code per failure, which its tests and
clients rely on; both replace
Flask's app or blueprint class (``OpenAPI``/``APIBlueprint``) or bind to the app (``SpecTree``) and
parse the query string themselves (a repeated or empty parameter, ``+5`` as a number); and their
documentation pages are Swagger UI, Redoc or another bundle of scripts, which the
``script-src 'self'`` policy forbids unless vendored. What they would save is this module (under
200 lines: parameters, error responses, aliases); they would cost the error contract above.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from app.web.api.contract import ADMIN_ERRORS, ALWAYS, ERRORS, OPERATIONS, PATH_PARAMETERS, TAGS, Content, Operation
from app.web.api.responses import Error

VERSION = "1.0.0"
REF = "#/components/schemas/"


class _Schema(GenerateJsonSchema):
    """pydantic's generator without a title on every property (the names say it)."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


def _models() -> list[Any]:
    models = [Error]
    for op in OPERATIONS:
        for content in (op.ok, op.body):
            models += [m for m in (content.types.values() if content else ()) if not isinstance(m, dict)]
        if op.query is not None:
            models.append(op.query)
    return list(dict.fromkeys(models))


def _schemas() -> tuple[dict[Any, dict], dict[str, dict]]:
    """(model -> its schema, a $ref for a named one; the components)."""
    models = _models()
    refs, defs = TypeAdapter.json_schemas([(m, "validation", TypeAdapter(m)) for m in models],
                                          ref_template=REF + "{model}", schema_generator=_Schema)
    return {m: refs[(m, "validation")] for m in models}, defs.get("$defs", {})


def _schema(model: Any, refs: dict[Any, dict]) -> dict:
    return model if isinstance(model, dict) else refs[model]


def _content(content: Content, refs: dict[Any, dict]) -> dict:
    return {ctype: {"schema": _schema(model, refs)} for ctype, model in content.types.items()}


def _parameters(op: Operation, components: dict[str, dict]) -> list[dict]:
    params = [{"name": name, "in": "path", "required": True, **PATH_PARAMETERS[name]}
              for name in PATH_PARAMETERS if "{" + name + "}" in op.path]
    if op.query is None:
        return params
    schema = components[op.query.__name__]
    for name, field in op.query.model_fields.items():
        prop = dict(schema["properties"][name])
        description = prop.pop("description", "")
        prop = _without_null(prop)
        repeat = prop.get("type") == "array"
        param = {"name": name, "in": "query", "required": field.is_required(), "description": description,
                 "schema": prop}
        if not field.is_required() and not repeat:
            param["allowEmptyValue"] = True  # ?k= counts as left out
        if repeat:
            param.update(style="form", explode=True)
        params.append(param)
    return params


def _without_null(schema: dict) -> dict:
    """A query value is never null: drop the null branch, a null or empty default, and write a
    flag's default as it is sent ("0")."""
    if "anyOf" in schema:
        branches = [s for s in schema["anyOf"] if s != {"type": "null"}]
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        schema = {**rest, **(branches[0] if len(branches) == 1 else {"anyOf": branches})}
    if schema.get("default", 0) in (None, []):
        del schema["default"]
    elif isinstance(schema.get("default"), bool):
        schema["default"] = "1" if schema["default"] else "0"
    return schema


def _operation(op: Operation, refs: dict[Any, dict], components: dict[str, dict]) -> dict:
    ok: dict[str, Any] = {"description": op.ok.description, "content": _content(op.ok, refs)}
    if op.ok.headers:
        ok["headers"] = op.ok.headers
    out: dict[str, Any] = {
        "tags": [op.tag], "summary": op.summary, "description": op.description,
        "operationId": op.summary.lower().replace(" ", "_").replace("'", "").replace(",", ""),
        "parameters": _parameters(op, components), "responses": {str(op.status): ok}}
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": _content(op.body, refs),
                              **({"description": op.body.description} if op.body.description else {})}
    codes = set(op.errors) | set(ALWAYS) | (set(ADMIN_ERRORS) if op.admin else set())
    if op.admin:
        out["security"] = [{"bearer": []}]
    for code in sorted(codes):
        out["responses"][code] = {"$ref": f"#/components/responses/E{code}"}
    return out


def _paths(refs: dict[Any, dict], components: dict[str, dict]) -> dict[str, dict]:
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        operation = _operation(op, refs, components)
        paths.setdefault(op.path, {})[op.method] = operation
        for alias in op.aliases:
            paths.setdefault(alias, {})[op.method] = {
                **operation, "operationId": operation["operationId"] + "_v1",
                "description": operation["description"] + f" Same as {op.path}."}
    return paths


@lru_cache(maxsize=1)
def _spec_json() -> str:
    refs, components = _schemas()
    paths = _paths(refs, components)
    queries = {op.query.__name__ for op in OPERATIONS if op.query is not None}
    schemas = {name: s for name, s in components.items() if name not in queries}  # those are parameters
    error = {"content": {"application/json": {"schema": refs[Error]}}}
    doc = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "UserCentriCities assistant API",
            "version": VERSION,
            "summary": "Cited answers, search, members, dashboard scores and session examples for the "
                       "UserCentriCities network.",
            "description": "JSON over HTTP. Errors are always {\"error\": {\"code\", \"message\"}}. Each client may "
                           "make UCC_RATE_LIMIT requests a minute. Dashboard figures are the cities' own "
                           "self-assessment. Admin routes need Authorization: Bearer <UCC_ADMIN_TOKEN> and are "
                           "off when no token is set.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": "/", "description": "This server."}],
        "tags": [{"name": t} for t in TAGS],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {f"E{code}": {"description": text, **error} for code, text in ERRORS.items()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "UCC_ADMIN_TOKEN; admin routes only."}},
        },
    }
    return json.dumps(doc)


def spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document (a fresh copy)."""
    return json.loads(_spec_json())


def response_schema(doc: dict, path: str, method: str, status: int | str,
                    content_type: str = "application/json") -> dict:
    """The schema of one response, with the components beside it so that $refs resolve."""
    response = doc["paths"][path][method.lower()]["responses"][str(status)]
    if "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = response["content"][content_type]["schema"]
    return {**schema, "components": doc["components"]}
