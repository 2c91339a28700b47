"""JSON Schemas written as short TypeScript-like types, for the README:
`string[]`, `{noteId: integer, tags: string[]}`, `NoteInfo[] | null`."""
from __future__ import annotations

import json
from typing import Any, Dict

SIMPLE = ("string", "integer", "number", "boolean", "null")


def schema_text(schema: Dict[str, Any], link=lambda name: name) -> str:
    """The type `schema` describes; `link(name)` renders a named shape."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return link(schema["$ref"].rsplit("/", 1)[-1])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(_grouped(s, link) for s in schema[key])
    if "enum" in schema:
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(schema_text(dict(schema, type=k), link) for k in kind)
    if kind in SIMPLE:
        return kind
    if kind == "array":
        items = schema.get("items")
        inner = _grouped(items, link) if items else "any"
        size = schema.get("minItems")
        if size is not None and size == schema.get("maxItems"):
            return f"[{', '.join([schema_text(items or {}, link)] * size)}]"
        return inner + "[]"
    if kind == "object" or "properties" in schema:
        return _object_text(schema, link)
    return "any"


def _grouped(schema: Dict[str, Any], link) -> str:
    text = schema_text(schema, link)
    return f"({text})" if " | " in text else text


def _object_text(schema: Dict[str, Any], link) -> str:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    parts = [f"{name}{'' if name in required else '?'}: {schema_text(sub, link)}"
             for name, sub in properties.items()]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        parts.append(f"[name: string]: {schema_text(extra, link)}")
    elif not properties and extra is not False:
        return "object"
    return "{" + ", ".join(parts) + "}"
