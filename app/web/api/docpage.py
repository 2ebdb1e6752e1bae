"""The readable API page (``/api/v1/docs``): the OpenAPI document flattened for its template,
``templates/api_docs.html``, so that the page holds no logic (and no script: the policy allows
only the server's own)."""

from __future__ import annotations

from typing import Any

from app.web.api.openapi import spec

def _type(schema: dict, doc: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema or "oneOf" in schema:
        return " | ".join(_type(s, doc) for s in schema.get("anyOf") or schema.get("oneOf"))
    if "allOf" in schema:
        return " + ".join(_type(s, doc) for s in schema["allOf"])
    t = schema.get("type", "any")
    if isinstance(t, list):
        t = " | ".join(t)
    if t in ("array", "array | null"):
        t = t.replace("array", f"array of {_type(schema.get('items', {}), doc)}")
    if "enum" in schema:
        t += ": " + ", ".join("null" if v is None else str(v) for v in schema["enum"])
    if "const" in schema:
        t += f" = {schema['const']}"
    return t


def _fields(schema: dict, doc: dict) -> list[dict[str, str]]:
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    rows = []
    for name, prop in schema.get("properties", {}).items():
        rows.append({"name": name, "type": _type(prop, doc), "required": name in schema.get("required", ()),
                     "description": prop.get("description", "")})
    return rows


def doc_sections() -> list[dict[str, Any]]:
    """The operations grouped by tag, flattened for the template (no logic in the page)."""
    doc = spec()
    groups: dict[str, list] = {t["name"]: [] for t in doc["tags"]}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            responses = []
            for code, r in op["responses"].items():
                if "$ref" in r:
                    continue
                content = r.get("content", {})
                types = list(content)
                schema = content[types[0]]["schema"] if types else {}
                responses.append({"status": code, "description": r["description"], "types": types,
                                  "schema": schema["$ref"].rsplit("/", 1)[1] if "$ref" in schema else ""})
            errors = [code for code, r in op["responses"].items() if "$ref" in r]
            body = None
            if "requestBody" in op:
                content = op["requestBody"]["content"]
                first = next(iter(content.values()))["schema"]
                body = {"types": list(content), "fields": _fields(first, doc)}
            groups[op["tags"][0]].append({
                "method": method.upper(), "path": path, "summary": op["summary"], "description": op["description"],
                "admin": "security" in op, "params": [{"name": p["name"], "in": p["in"], "required": p["required"],
                                                       "type": _type(p["schema"], doc),
                                                       "description": p.get("description", "")}
                                                      for p in op.get("parameters", [])],
                "body": body, "responses": responses, "errors": errors,
                "anchor": (method + path).replace("/", "-").replace("{", "").replace("}", "").replace(".", "-"),
            })
    schemas = [{"name": name, "type": _type(s, doc), "description": s.get("description", ""),
                "fields": _fields(s, doc)} for name, s in doc["components"]["schemas"].items()]
    return [{"tag": tag, "operations": ops} for tag, ops in groups.items() if ops] + [
        {"tag": "Schemas", "operations": [], "schemas": schemas}]
