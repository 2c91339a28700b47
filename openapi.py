# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""`GET /openapi.json`: an OpenAPI 3.1 document of the whole API, built from
the actions' declarations (schema.py): one operation per action, at
`POST /actions/<name>`, with `operationId` the action's name; and `POST /`,
the reference's protocol.  This module must not import aqt.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable

from .schema import SchemaBuilder, params_schema, result_schema
from .util import ADDON_VERSION, API_VERSION, ERROR_CODES, GROUPS, ActionSpec

COMPONENTS = "#/components/schemas/"

def error_detail_schema() -> Dict[str, Any]:
    return {
        "type": "object",
        "description": "Why the request failed, for programs: `code` is stable; `action`, and "
                       "where there is one, the parameter (`param`) or the failing items "
                       "(`items`, each with its `index`).",
        "properties": {
            "code": {"enum": sorted(ERROR_CODES),
                     "description": "; ".join(f"`{c}` ({s}): {m}" for c, (s, m) in
                                              sorted(ERROR_CODES.items()))},
            "action": {"type": ["string", "null"]},
            "param": {"type": "string"},
            "items": {"type": "array", "items": {
                "type": "object",
                "properties": {"index": {"type": "integer"}, "code": {"type": "string"},
                               "message": {"type": "string"}},
                "required": ["index", "code", "message"]}},
        },
        "required": ["code"],
    }


def document(specs: Iterable[ActionSpec], has_gui: bool = True) -> Dict[str, Any]:
    """The OpenAPI document for `specs` (leaving out GUI actions without GUI)."""
    builder = SchemaBuilder(COMPONENTS)
    paths: Dict[str, Any] = {"/": legacy_path()}
    for spec in sorted(specs, key=lambda s: s.name):
        if spec.gui and not has_gui:
            continue
        paths[f"/actions/{spec.name}"] = {"post": operation(spec, builder)}
    schemas = dict(builder.defs)
    schemas["ErrorDetail"] = error_detail_schema()
    schemas["Failure"] = {
        "type": "object",
        "properties": {"result": {"type": "null"}, "error": {"type": "string"},
                       "errorDetail": {"$ref": COMPONENTS + "ErrorDetail"}},
        "required": ["result", "error", "errorDetail"],
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AnkiConnect",
            "version": ADDON_VERSION,
            "description": (
                f"Anki's collection over local HTTP (API version {API_VERSION}). Each action "
                "answers at `POST /actions/<name>` with its params as the JSON body; `POST /` "
                "takes the reference's `{action, version, params}` requests."),
            "license": {"name": "GPL-3.0-or-later", "identifier": "GPL-3.0-or-later"},
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "http://127.0.0.1:8765"}],
        "security": [{}, {"apiKey": []}],
        "tags": [{"name": t} for t in dict.fromkeys(GROUPS.values())],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apiKey": {
                "type": "http", "scheme": "bearer",
                "description": "When the add-on's config sets `apiKey`, send it as "
                               "`Authorization: Bearer <key>`."}},
        },
    }


def operation(spec: ActionSpec, builder: SchemaBuilder) -> Dict[str, Any]:
    description = "\n\n".join(spec.prose)
    flags = [f for f, on in (("Writes to the collection (one undo step in Anki).", spec.write),
                             ("Needs the Anki desktop app.", spec.gui)) if on]
    description = "\n\n".join([description] + flags if description else flags)
    op: Dict[str, Any] = {
        "operationId": spec.name,
        "summary": spec.summary,
        "tags": [spec.group],
        "requestBody": {
            "required": not spec.params or any(p.required for p in spec.params.values()),
            "content": {"application/json": {"schema": params_schema(spec, builder)}},
        },
        "responses": with_http_failures({
            "200": {
                "description": "The action's result.",
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"result": result_schema(spec, builder),
                                   "error": {"type": "null"},
                                   "errorDetail": {"$ref": COMPONENTS + "ErrorDetail"}},
                    "required": ["result", "error"],
                }}},
            },
            **{status: failure(meaning) for status, meaning in (
                ("400", "Wrong params, or the action could not do what was asked; in "
                        "plain text, a malformed HTTP request (see POST /)."),
                ("401", "The API key is missing or wrong."),
                ("403", "This web origin (or Host) may not use the API."),
                ("404", "There is no such action."),
                ("500", "An unforeseen failure."),
                ("503", "No collection is open now."))},
        }),
    }
    if description:
        op["description"] = description
    examples = {f"example{i + 1}": {"value": params} for i, (params, _) in enumerate(spec.examples)}
    if examples:
        op["requestBody"]["content"]["application/json"]["examples"] = examples
    return op


#: what the HTTP server itself answers, in plain text, to a request no action sees
HTTP_FAILURES = {
    "400": "The HTTP request is malformed (an invalid header, say).",
    "413": "The body is larger than the config's webMaxRequestBytes.",
    "431": "The request's headers are too large.",
}
PLAIN_TEXT = {"text/plain": {"schema": {"type": "string"}}}


def with_http_failures(responses: Dict[str, Any]) -> Dict[str, Any]:
    """`responses`, with the HTTP server's own plain-text answers added."""
    for status, meaning in HTTP_FAILURES.items():
        if status in responses:
            responses[status]["content"].update(PLAIN_TEXT)
        else:
            responses[status] = {"description": meaning, "content": dict(PLAIN_TEXT)}
    return responses


def failure(meaning: str) -> Dict[str, Any]:
    return {"description": meaning,
            "content": {"application/json": {"schema": {"$ref": COMPONENTS + "Failure"}}}}


def legacy_path() -> Dict[str, Any]:
    request = {
        "type": "object",
        "properties": {
            "action": {"type": "string", "minLength": 1},
            "version": {"type": "integer",
                        "description": "6; 4 or lower (or none) answers the bare result"},
            "params": {"type": "object"},
            "key": {"type": "string", "description": "the API key, when one is set"},
        },
        "required": ["action"],
    }
    return {"post": {
        "operationId": "request",
        "summary": "Any action, as the reference AnkiConnect protocol takes it.",
        "description": "The reply is `{result, error}` with HTTP 200 (for version 4 or lower, "
                       "the bare result on success), byte for byte as the reference answers.",
        "tags": ["Miscellaneous"],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": request}}},
        "responses": with_http_failures({
            "200": {"description": "The reply; an empty body gets the banner "
                                   "`AnkiConnect v.6` as text.",
                    "content": {"application/json": {"schema": {}}, **PLAIN_TEXT}},
            "403": {"description": "This web origin (or Host) may not use the API."},
        }),
    }}


__all__ = ["document"]
