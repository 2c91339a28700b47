# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers: the action decorator, parameter checking and errors.

An action is a method of one of the mixin classes in `actions/`, marked with
`@action(...)`.  Its signature (names, defaults, type hints) is the single
declaration of its parameters: it drives validation, error messages,
`apiReflect` and the README's API reference.

This module must not import aqt: the headless host uses it too.
"""
from __future__ import annotations

import inspect
import threading
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

API_VERSION = 6
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1


def _addon_version() -> str:
    import json
    from pathlib import Path

    try:
        manifest = Path(__file__).with_name("manifest.json").read_text(encoding="utf-8")
        return str(json.loads(manifest).get("human_version", "unknown"))
    except (OSError, ValueError):
        return "unknown"


#: this add-on's release (manifest.json's human_version; see CHANGELOG.md)
ADDON_VERSION = _addon_version()


#: The codes of `errorDetail` (the per-action HTTP surface, MCP): each with
#: its HTTP status and meaning.  Stable: clients may branch on them.
ERROR_CODES: Dict[str, Any] = {
    "invalid_request": (400, "the request is not a JSON object of the expected form"),
    "invalid_params": (400, "a parameter is missing, unknown, or of the wrong type"),
    "unknown_action": (404, "there is no such action"),
    "unauthorized": (401, "the API key is missing or wrong"),
    "forbidden": (403, "this web origin (or Host) may not use the API"),
    "not_found": (400, "a note, card, deck, note type, field, template or file it names does not exist"),
    "duplicate": (400, "the note would be a duplicate (existingNoteId names the existing one)"),
    "empty_note": (400, "the note's first field is empty (or makes no card)"),
    "needs_anki_desktop": (400, "the action needs Anki's windows, and this server has none"),
    "unavailable": (503, "no collection is open now (Anki shows its profile manager, or is closing)"),
    "some_items_failed": (200, "the action did what it could; `items` says which items failed and why"),
    "failed": (400, "the action could not do what was asked; the message says why"),
    "internal_error": (500, "an unforeseen failure; Anki's log has the details"),
}


class ActionError(Exception):
    """An error whose message is shown to the client as is.

    `code` (one of ERROR_CODES) and `detail` (e.g. param=..., index=...,
    existingNoteId=...) are for the surfaces that answer with `errorDetail`;
    `POST /` shows only the message, as the reference does."""

    def __init__(self, message: str, code: str = "failed", **detail: Any) -> None:
        super().__init__(message)
        self.code = code
        self.detail = detail


class Refusal(str):
    """Why one item of a bulk action failed (a note of addNotes): the text
    POST / shows, with the `code` and `detail` that errorDetail's items give."""

    code: str
    detail: Dict[str, Any]

    def __new__(cls, message: str, code: str = "failed", **detail: Any) -> "Refusal":
        refusal = super().__new__(cls, message)
        refusal.code, refusal.detail = code, detail
        return refusal

    @classmethod
    def of(cls, error: "ActionError") -> "Refusal":
        return cls(str(error), error.code, **error.detail)

    def error(self) -> "ActionError":
        return ActionError(str(self), self.code, **self.detail)


@dataclass
class Partial:
    """A result some of whose items failed (addNotes' nulls): `POST /`
    answers `result` alone; the surfaces with `errorDetail` also say, in
    `failures`, which items failed and why (dicts with index, code, message)."""

    result: Any
    failures: List[Dict[str, Any]]


@dataclass
class RequestContext:
    """Facts about the HTTP request that some actions need."""

    origin: str = ""
    allowed: bool = True  # the origin may use the API
    multi_depth: int = 0
    detailed: bool = False  # failures get errorDetail (not on POST /)
    key: Optional[str] = None  # the API key from `Authorization: Bearer`


@dataclass
class Offload:
    """What an action hands back, from the collection's thread, when the
    rest of its work must not hold that thread: the dispatcher runs `work()`
    on the HTTP worker (a download, waiting for the user, a dialog or a
    sync), then `then(result)` back on the collection's thread (which may
    hand back another Offload).  Without `then`, work's result is the result.
    `large`: work with megabytes of data (media), run on the large-data thread.
    """

    work: Callable[[], Any]
    then: Optional[Callable[[Any], Any]] = None
    large: bool = False


class LargeDataThread:
    """One thread for work on megabytes of data (media bodies, their base64,
    their JSON): the memory such work allocates is reused by the next large
    request instead of being kept by each of the HTTP worker threads (C
    allocators keep memory per thread).  `run(fn)` waits for fn's result."""

    def __init__(self) -> None:
        self._executor: Any = None
        self._lock = threading.Lock()

    def run(self, fn: Callable[[], Any]) -> Any:
        with self._lock:
            if self._executor is None:
                from concurrent.futures import ThreadPoolExecutor

                self._executor = ThreadPoolExecutor(1, thread_name_prefix="AnkiConnect large data")
            executor = self._executor
        return executor.submit(fn).result()


#: the one large-data thread (started on first use)
large_data_thread = LargeDataThread()
#: bodies and replies from this size are handled on the large-data thread
LARGE_DATA = 1 << 20


def and_then(outcome: Any, fn: Callable[[Any], Any]) -> Any:
    """`fn(outcome)`; for an Offload, an Offload that runs `fn` on its final
    result, on the collection's thread."""
    if not isinstance(outcome, Offload):
        return fn(outcome)
    first = outcome

    def after(result: Any) -> Any:
        return and_then(first.then(result) if first.then is not None else result, fn)

    return Offload(first.work, after, first.large)


def wait_for(future: Any, action: str, timeout: Optional[float] = 60.0,
             then: Optional[Callable[[Any], Any]] = None) -> Any:
    """An Offload that waits, off the collection's thread, for a Future that
    Anki's main thread resolves (`timeout=None`: as long as it takes), then
    runs `then(its result)` on the collection's thread; a value that is not
    a Future is returned as it is."""
    from concurrent.futures import Future
    from concurrent.futures import TimeoutError as FutureTimeout

    if not isinstance(future, Future):
        return future

    def wait() -> Any:
        try:
            return future.result(timeout)
        except FutureTimeout:
            raise ActionError(f"{action}: Anki did not finish in {timeout:g} seconds") from None

    return Offload(wait, then)


class GuiUnavailable(ActionError):
    """The action needs Anki's windows, which this host does not have."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "needs_anki_desktop")


# ---------------------------------------------------------------------------
# The action decorator

#: The API reference's groups, in order, by the module their actions are in.
GROUPS = {"misc": "Miscellaneous", "packages": "Miscellaneous", "decks": "Decks",
          "models": "Models", "notes": "Notes", "cards": "Cards", "media": "Media",
          "stats": "Statistics", "gui": "Graphical"}


@dataclass(frozen=True)
class Emits:
    """An event a write action records when it is done (events.py): its
    `type`, where its ids are (`"result"`, or a parameter's path such as
    `"notes"`, `"note.id"`, `"answers.cardId"`) and, for `cards.changed`,
    the `reason` (reviewed, suspended, moved, rescheduled, ...)."""

    type: str
    ids: str = ""
    reason: str = ""


@dataclass
class ActionSpec:
    """What the dispatcher knows about one action."""

    name: str
    method_name: str
    write: bool = False  # changes the collection (or its media): one undo step
    destructive: bool = False  # a write that deletes or resets (notes, decks, learning)
    idempotent: bool = False  # a write that, repeated, changes nothing more
    emits: Tuple["Emits", ...] = ()  # events it records, with their ids (events.py)
    gui: bool = False  # needs Anki's main window
    anywhere: bool = False  # touches nothing: runs on whichever thread asks
    versions: Optional[range] = None  # API versions it exists in; None: all
    context: bool = False  # receives the request context as `context=`
    params: Dict[str, "Param"] = field(default_factory=dict)
    doc: str = ""
    result: Any = None
    #: the docstring, parsed (see parse_docstring)
    summary: str = ""
    prose: List[str] = field(default_factory=list)
    param_docs: Dict[str, str] = field(default_factory=dict)
    examples: List[Any] = field(default_factory=list)
    #: the README's group it belongs to (GROUPS: by the module of its mixin)
    group: str = ""

    def exists_in(self, version: int) -> bool:
        return self.versions is None or version in self.versions


@dataclass
class Param:
    name: str
    hint: Any
    required: bool
    default: Any = None


def action(
    *,
    write: bool = False,
    destructive: bool = False,
    idempotent: bool = False,
    emits: Any = (),
    gui: bool = False,
    anywhere: bool = False,
    versions: Optional[range] = None,
    context: bool = False,
    name: Optional[str] = None,
) -> Callable:
    """Mark a method as an API action.

    write:       the action changes the collection (or its media files); it
                 runs as one undo step named "AnkiConnect: <action>" and
                 Anki's GUI refreshes after.
    destructive: a write that deletes or resets something (notes, decks, note
                 type fields, learning progress, files): MCP offers it only
                 behind its own switch.
    idempotent:  a write that, made twice, changes nothing more the second time.
    emits:       the events (Emits, or a tuple of them) a write records with
                 the ids it knows; other changes are reported by kind alone.
    gui:         the action needs Anki's windows (fails clearly when headless).
    anywhere:    the action touches neither the collection nor Anki (e.g.
                 `version`): it runs on the HTTP worker, with no hop.

    Every other action runs on the collection's thread (Anki's main thread).
    Work that must not hold that thread (downloads, waiting) is handed back
    as an `Offload`, which the dispatcher runs on the HTTP worker.
    versions:    API versions the action exists in (default: every version).
    context:     pass the request context (origin, allowed) as `context=`.
    """

    def mark(fn: Callable) -> Callable:
        fn._ankiconnect_action = dict(  # type: ignore[attr-defined]
            name=name or fn.__name__,
            write=write or destructive,
            destructive=destructive,
            idempotent=idempotent,
            emits=(emits,) if isinstance(emits, Emits) else tuple(emits),
            gui=gui,
            anywhere=anywhere,
            versions=versions,
            context=context,
        )
        return fn

    return mark


def collect_actions(cls: type) -> Dict[str, ActionSpec]:
    """Find every @action method of `cls` (and its mixins)."""
    found: Dict[str, ActionSpec] = {}
    for klass in reversed(cls.__mro__):
        for attr, fn in vars(klass).items():
            marks = getattr(fn, "_ankiconnect_action", None)
            if marks is None:
                continue
            spec = ActionSpec(method_name=attr, **marks)
            spec.doc = inspect.cleandoc(fn.__doc__ or "")
            spec.params, spec.result = _signature_params(fn, spec.context)
            doc = parse_docstring(spec.doc, spec.params)
            spec.summary, spec.prose = doc["summary"], doc["prose"]
            spec.param_docs, spec.examples = doc["params"], doc["examples"]
            # a module split by theme (gui_browser.py) belongs to its group (gui)
            module = klass.__module__.rsplit(".", 1)[-1].split("_", 1)[0]
            spec.group = GROUPS.get(module, "Miscellaneous")
            owner = found.get(spec.name)
            if owner is not None and owner.method_name != attr:
                raise TypeError(f"action {spec.name} is defined twice")
            found[spec.name] = spec
    return found


def _signature_params(fn: Callable, takes_context: bool):
    hints = typing.get_type_hints(fn, include_extras=True)  # (Annotated shapes stay)
    params: Dict[str, Param] = {}
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        if takes_context and p.name == "context":
            continue
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"{fn.__name__}: actions take named parameters only")
        required = p.default is inspect.Parameter.empty
        params[p.name] = Param(
            p.name, hints.get(p.name, Any), required, None if required else p.default
        )
    return params, hints.get("return", Any)


def open_shape(shape: Any) -> Any:
    """Mark a TypedDict as open: its schema allows keys it does not name
    (params objects, whose other keys the action ignores, as the reference
    does).  A shape is closed otherwise (results: nothing undeclared)."""
    shape.open_shape = True
    return shape


class JsonSchema(dict):
    """A JSON Schema written out, for what a type hint cannot say (an
    array's items by position, a pattern, a fixed length):
    `Annotated[hint, JsonSchema({...})]` is checked as `hint`, and schema.py
    shows this schema as it is.  Hashable, as type hints must be (the
    parameter checks are built once per hint)."""

    def __hash__(self) -> int:  # type: ignore[override]
        import json

        return hash(json.dumps(self, sort_keys=True))


def parse_docstring(doc: str, names: Any) -> Dict[str, Any]:
    """An action's docstring, the API reference of it: the first paragraph
    is the summary; `name: text` lines, where `name` is one of `names`,
    describe those (parameters, or a TypedDict's keys); lines
    `Example: <params JSON> -> <result JSON>` are examples; the rest is prose."""
    import json
    import re

    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", doc.strip()) if p.strip()]
    summary = paragraphs[0] if paragraphs else ""
    prose: List[str] = []
    param_docs: Dict[str, str] = {}
    examples: List[Any] = []
    for para in paragraphs[1:]:
        lines = para.splitlines()
        if all(line.strip().startswith("Example:") for line in lines):
            for line in lines:
                body = line.strip()[len("Example:"):].strip()
                req, _, res = body.partition(" -> ")
                examples.append((json.loads(req) if req.strip() else {},
                                 json.loads(res) if res.strip() else None))
            continue
        first = lines[0].split(":", 1)[0].strip()
        if ":" in lines[0] and first in names:
            current = None
            for line in lines:
                head = line.split(":", 1)[0].strip()
                if ":" in line and head in names:
                    current = head
                    param_docs[current] = line.split(":", 1)[1].strip()
                elif current:
                    param_docs[current] += " " + line.strip()
            continue
        prose.append(" ".join(line.strip() for line in lines))
    return {"summary": " ".join(summary.split()), "prose": prose,
            "params": param_docs, "examples": examples}


# ---------------------------------------------------------------------------
# Parameter checking


def bind_params(spec: ActionSpec, params: Dict[str, Any]) -> Dict[str, Any]:
    """Check `params` against the action's signature; return the kwargs."""
    for key in params:
        if key not in spec.params:
            # The wording of the v6 reference's own example error.
            raise ActionError(
                f"{spec.name}() got an unexpected keyword argument '{key}'",
                "invalid_params", param=key,
            )
    kwargs: Dict[str, Any] = {}
    for p in spec.params.values():
        if p.name not in params:
            if p.required:
                raise ActionError(f"{spec.name}: missing required parameter '{p.name}'",
                                  "invalid_params", param=p.name)
            continue
        try:
            kwargs[p.name] = checker(p.hint)(params[p.name])
        except ParamTypeError as e:
            where = p.name + e.path
            raise ActionError(
                f"{spec.name}: parameter '{where}' must be {e.expected}, "
                f"got {describe_value(e.value)}", "invalid_params", param=where,
            ) from None
    return kwargs


class ParamTypeError(Exception):
    def __init__(self, expected: str, value: Any, path: str = ""):
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.path = path


def describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def check_type(value: Any, hint: Any) -> Any:
    """Check a JSON value against a type hint; return it (ints for int ids).

    Supported hints: Any, object, int, float, str, bool, None, list[T],
    dict[str, T], Optional/Union, Literal, Annotated (its base type is
    checked) and TypedDict (an object: the action checks its keys).  Whole
    floats are accepted for int (JavaScript clients sometimes send 1.0).
    """
    return checker(hint)(value)


_checkers: Dict[Any, Callable[[Any], Any]] = {}


def checker(hint: Any) -> Callable[[Any], Any]:
    """The check_type function of one hint, built once (it runs for every
    parameter of every request)."""
    check = _checkers.get(hint)
    if check is None:
        check = _checkers[hint] = _build_checker(hint)
    return check


def _build_checker(hint: Any) -> Callable[[Any], Any]:
    if hint is Any or hint is object:
        return _unchecked
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:  # the shape is for the schema; the base is checked
        return checker(args[0])
    if _is_typed_dict(hint):  # an object; the action checks its keys itself
        return checker(dict)
    expected = type_name(hint)
    if origin is Union:
        options = [checker(option) for option in args]

        def check_union(value: Any) -> Any:
            for option in options:
                try:
                    return option(value)
                except ParamTypeError:
                    continue
            raise ParamTypeError(expected, value)
        return check_union
    if origin is typing.Literal:
        allowed_types = {type(a) for a in args}

        def check_literal(value: Any) -> Any:
            if value in args and type(value) in allowed_types:
                return value
            raise ParamTypeError(expected, value)
        return check_literal
    if hint in _SIMPLE_CHECKS:
        return _SIMPLE_CHECKS[hint]
    if origin in (list, List) or hint is list:
        item = checker(args[0]) if args else None

        def check_list(value: Any) -> Any:
            if not isinstance(value, list):
                raise ParamTypeError(expected, value)
            if item is None:
                return value
            out = []
            for i, element in enumerate(value):
                try:
                    out.append(item(element))
                except ParamTypeError as e:
                    raise ParamTypeError(e.expected, e.value, f"[{i}]{e.path}") from None
            return out
        return check_list
    if origin in (dict, Dict) or hint is dict:
        entry = checker(args[1]) if args else None

        def check_dict(value: Any) -> Any:
            if not isinstance(value, dict):
                raise ParamTypeError(expected, value)
            if entry is None:
                return value
            out = {}
            for k, v in value.items():
                try:
                    out[k] = entry(v)
                except ParamTypeError as e:
                    raise ParamTypeError(e.expected, e.value, f".{k}{e.path}") from None
            return out
        return check_dict
    raise TypeError(f"unsupported parameter type hint: {hint!r}")


def _is_typed_dict(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__total__")


def _unchecked(value: Any) -> Any:
    return value


def _check_null(value: Any) -> Any:
    if value is None:
        return None
    raise ParamTypeError("null", value)


def _check_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    raise ParamTypeError("a boolean", value)


def _check_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if not INT64_MIN <= value <= INT64_MAX:  # Anki's ids and numbers are 64-bit
            raise ParamTypeError("an integer between -2^63 and 2^63-1", value)
        return value
    raise ParamTypeError("an integer", value)


def _check_float(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise ParamTypeError("a number", value)


def _check_str(value: Any) -> Any:
    if isinstance(value, str):
        return value
    raise ParamTypeError("a string", value)


_SIMPLE_CHECKS: Dict[Any, Callable[[Any], Any]] = {
    type(None): _check_null, None: _check_null, bool: _check_bool, int: _check_int,
    float: _check_float, str: _check_str}


def type_name(hint: Any) -> str:
    """A readable name of a type hint, for errors and the API reference."""
    if hint is Any or hint is object:
        return "any value"
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return type_name(args[0])
    if _is_typed_dict(hint):
        return "an object"
    if origin is Union:
        names = [type_name(a) for a in args if a is not type(None)]
        text = " or ".join(names)
        return text + " or null" if type(None) in args else text
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    simple = {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
        list: "an array",
        dict: "an object",
    }
    if hint in simple:
        return simple[hint]
    if origin in (list, List):
        return f"an array of {_plural(type_name(args[0]))}" if args else "an array"
    if origin in (dict, Dict):
        return f"an object of {_plural(type_name(args[1]))}" if args else "an object"
    return str(hint)


def _plural(name: str) -> str:
    for article in ("an ", "a "):
        if name.startswith(article):
            name = name[len(article):]
            break
    else:
        return name
    if " or " in name:
        return name
    if " of " in name:  # "object of integers" -> "objects of integers"
        head, tail = name.split(" of ", 1)
        return f"{head}s of {tail}"
    return name + "s"
