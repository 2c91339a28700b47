# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""JSON Schemas (draft 2020-12) of each action's params and result, derived
from its one declaration: the signature's type hints (the ones validation
uses) and the docstring's descriptions.

Shapes of objects are TypedDicts (a class whose docstring describes its
keys as `key: text` lines, as an action's docstring describes its params);
each becomes a named schema, referenced where it is used.  A parameter may
be declared `Annotated[Dict[str, Any], Shape]`: validation checks the base
type (the action reports details in its own words), the schema shows Shape.

This module must not import aqt.
"""
from __future__ import annotations

import inspect
import typing
from typing import Any, Dict, List, Union

from .util import ActionSpec, _is_typed_dict, parse_docstring

DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: where a standalone schema keeps its named shapes
LOCAL_DEFS = "#/$defs/"


def is_shape(hint: Any) -> bool:
    """Whether `hint` is a TypedDict class."""
    return _is_typed_dict(hint)


class SchemaBuilder:
    """Turns type hints into JSON Schema; named shapes collect in `defs`
    and are referenced as `<ref_prefix><Name>`."""

    def __init__(self, ref_prefix: str = LOCAL_DEFS) -> None:
        self.ref_prefix = ref_prefix
        self.defs: Dict[str, Any] = {}
        self._shapes: Dict[str, type] = {}

    def of(self, hint: Any) -> Dict[str, Any]:
        if hint is Any or hint is object:
            return {}
        if hint is None or hint is type(None):
            return {"type": "null"}
        simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
        if hint in simple:
            return {"type": simple[hint]}
        if is_shape(hint):
            return self._shape(hint)
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin is typing.Annotated:
            shown = [a for a in args[1:] if is_shape(a) or isinstance(a, dict)]
            if shown:
                return shown[0] if isinstance(shown[0], dict) else self.of(shown[0])
            return self.of(args[0])
        if origin is Union:
            options = [self.of(a) for a in args]
            return options[0] if len(options) == 1 else {"anyOf": options}
        if origin is typing.Literal:
            return literal_schema(list(args))
        if origin in (list, List) or hint is list:
            return {"type": "array", "items": self.of(args[0]) if args else {}}
        if origin in (dict, Dict) or hint is dict:
            out: Dict[str, Any] = {"type": "object"}
            if args and args[1] is not Any:
                out["additionalProperties"] = self.of(args[1])
            return out
        raise TypeError(f"no JSON Schema for type hint {hint!r}")

    def _shape(self, shape: type) -> Dict[str, Any]:
        name = shape.__name__
        if self._shapes.setdefault(name, shape) is not shape:
            raise TypeError(f"two shapes are called {name}: {self._shapes[name]} and {shape}")
        if name not in self.defs:
            self.defs[name] = {}  # (a shape may refer to itself)
            hints = typing.get_type_hints(shape, include_extras=True)
            doc = parse_docstring(inspect.cleandoc(shape.__doc__ or ""), hints)
            properties = {}
            for key, hint in hints.items():
                prop = self.of(hint)
                if doc["params"].get(key):
                    prop = dict(prop, description=doc["params"][key])
                properties[key] = prop
            schema: Dict[str, Any] = {"type": "object", "properties": properties}
            required = [k for k in hints if k in shape.__required_keys__]
            if required:
                schema["required"] = required
            schema["additionalProperties"] = bool(getattr(shape, "open_shape", False))
            if doc["summary"]:
                schema["description"] = doc["summary"]
            self.defs[name] = schema
        return {"$ref": self.ref_prefix + name}


def literal_schema(values: list) -> Dict[str, Any]:
    """A Literal's schema; typed, and `const` for one value, which client
    generators handle better than a bare `enum`."""
    kinds = {type(v) for v in values}
    schema: Dict[str, Any] = {}
    if len(kinds) == 1:
        kind = kinds.pop()
        names = {bool: "boolean", int: "integer", float: "number", str: "string"}
        if kind in names:
            schema["type"] = names[kind]
    if len(values) == 1:
        schema["const"] = values[0]
    else:
        schema["enum"] = values
    return schema


def params_schema(spec: ActionSpec, builder: SchemaBuilder) -> Dict[str, Any]:
    """The schema of an action's `params` object."""
    properties: Dict[str, Any] = {}
    for p in spec.params.values():
        prop = builder.of(p.hint)
        extra: Dict[str, Any] = {}
        if spec.param_docs.get(p.name):
            extra["description"] = spec.param_docs[p.name]
        if not p.required and p.default is not None:
            extra["default"] = p.default
        properties[p.name] = dict(prop, **extra) if extra else prop
    schema: Dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False}
    required = [p.name for p in spec.params.values() if p.required]
    if required:
        schema["required"] = required
    return schema


def result_schema(spec: ActionSpec, builder: SchemaBuilder) -> Dict[str, Any]:
    """The schema of an action's result."""
    return builder.of(spec.result)


def action_schemas(spec: ActionSpec) -> Dict[str, Any]:
    """`{"params": schema, "result": schema}` of one action, each standalone
    (its named shapes in its own `$defs`)."""
    out = {}
    for part, make in (("params", params_schema), ("result", result_schema)):
        builder = SchemaBuilder()
        schema = dict(make(spec, builder))
        if builder.defs:
            schema["$defs"] = builder.defs
        out[part] = dict({"$schema": DIALECT}, **schema)
    return out


__all__ = ["DIALECT", "SchemaBuilder", "params_schema", "result_schema", "action_schemas",
           "is_shape"]
