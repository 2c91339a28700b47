# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AnkiConnect class: the action registry and request dispatch.

This is the one place that decides which thread runs what.  `handle()` is
called on an HTTP worker thread; it hops to the collection's thread (Anki's
main thread) and starts the action there.  An action that must not hold
that thread for the rest of its work (a download, waiting for the user or a
sync) hands back an `Offload`: its `work` runs back on the worker, its
`then` on the collection's thread again.  Actions declared `anywhere`
(`version`) run on the worker with no hop.  Replies are shaped exactly as
the v6 reference shapes them.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from .actions.cards import CardActions
from .actions.decks import DeckActions
from .actions.gui import GuiActions
from .actions.media import MediaActions
from .actions.misc import MiscActions
from .actions.models import ModelActions
from .actions.notes import NoteActions
from .actions.packages import PackageActions
from .actions.stats import StatsActions
from .events import api_source, changed_types
from .util import (
    ActionError,
    ActionSpec,
    Offload,
    Partial,
    RequestContext,
    and_then,
    bind_params,
    large_data_thread,
    collect_actions,
)

#: Requests without a "version" are answered as version 4 (bare results).
DEFAULT_VERSION = 4


class AnkiConnect(
    MiscActions,
    DeckActions,
    ModelActions,
    NoteActions,
    CardActions,
    StatsActions,
    MediaActions,
    GuiActions,
    PackageActions,
):
    """Every action, dispatched by name, against one host."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.actions: Dict[str, ActionSpec] = collect_actions(type(self))

    # -- what action code uses -------------------------------------------------
    @property
    def col(self) -> Any:
        """The open collection (an error reply if there is none)."""
        return self.host.col

    def window(self, action: str) -> Any:
        """Anki's main window (an error reply where there is none)."""
        return self.host.window(action)

    def config(self) -> dict:
        return self.host.config()

    # -- dispatch ----------------------------------------------------------------
    def handle(self, request: Any, context: Optional[RequestContext] = None) -> Any:
        """Answer one request object (on an HTTP worker thread):
        `{"result", "error"}` or, for version <= 4, the bare result on success."""
        context = context or RequestContext()
        try:
            if self._runs_anywhere(request):
                reply = self.start(request, context)
            else:
                reply = self.host.run_on_main(lambda: self.start(request, context))
            return self.finish(reply)
        except ActionError as e:  # the host could not run it (Anki is closing)
            return self._failure(request.get("action") if isinstance(request, dict) else None,
                                 e, context)

    def start(self, request: Any, context: RequestContext) -> Any:
        """On the collection's thread: check the request, run the action and
        shape its reply; or an Offload whose outcome is the reply.  (A request
        from HTTP has passed web.REQUEST_SCHEMA; `multi`'s sub-actions, as in
        the reference, have not, and are checked here.)"""
        if not isinstance(request, dict):
            return _reply(None, "request must be a JSON object")
        name = request.get("action", "")
        try:
            version = _version_of(request)
            spec, kwargs = self._bind(name, request, version, context)
            run = _Run(spec, version, context, kwargs)
            outcome = self._step(run, getattr(self, spec.method_name), **kwargs)
        except Exception as e:
            return self._failure(name, e, context)
        return self._shaped(run, outcome)

    def finish(self, outcome: Any) -> Any:
        """On an HTTP worker: carry an Offload through to its result, running
        each `work` here and each `then` on the collection's thread."""
        while isinstance(outcome, Offload):
            result = large_data_thread.run(outcome.work) if outcome.large else outcome.work()
            then = outcome.then
            if then is None:
                return result
            outcome = self.host.run_on_main(lambda: then(result))
        return outcome

    def start_all(self, requests: List[Any], context: RequestContext) -> Any:
        """On the collection's thread: start each request in turn; the list of
        replies, or an Offload whose outcome is that list (when one of them
        offloads work, the rest start after it, in order)."""
        replies: List[Any] = []

        def start_from(first: int) -> Any:
            for i in range(first, len(requests)):
                reply = self.start(requests[i], context)
                if isinstance(reply, Offload):
                    return and_then(reply, lambda r, i=i: record_and_go_on(r, i + 1))
                replies.append(reply)
            return replies

        def record_and_go_on(reply: Any, next_index: int) -> Any:
            replies.append(reply)
            return start_from(next_index)

        return start_from(0)

    def _runs_anywhere(self, request: Any) -> bool:
        name = request.get("action") if isinstance(request, dict) else None
        spec = self.actions.get(name) if isinstance(name, str) else None
        return spec is not None and spec.anywhere

    def _bind(self, name: Any, request: dict, version: int,
              context: RequestContext) -> Tuple[ActionSpec, Dict[str, Any]]:
        if not isinstance(name, str):
            raise ActionError("unsupported action", "unknown_action")
        self._check_key(name, request.get("key", context.key))
        spec = self.actions.get(name)
        if spec is None or not spec.exists_in(version):
            raise ActionError("unsupported action", "unknown_action", action=name)
        # taken out of the request, so that a large value (media) can be let
        # go as soon as the action is done with it
        params = request.pop("params", None)
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise ActionError(f"{name}: params must be an object", "invalid_params")
        kwargs = bind_params(spec, params)
        if spec.context:
            kwargs["context"] = context
        if spec.gui and not self.host.has_gui:
            raise ActionError(f"{name} needs the Anki desktop app", "needs_anki_desktop")
        return spec, kwargs

    def _step(self, run: "_Run", fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one part of an action on the collection's thread; each part of
        a write action is an undo step of its own, and what it changed is
        recorded as events (source `api`)."""
        spec = run.spec
        if not spec.write:
            return fn(*args, **kwargs)
        with self.host.api_step(f"AnkiConnect: {spec.name}") as step:
            outcome = fn(*args, **kwargs)
        if step.changed:
            run.changed = True
            covered = {e.type for e in spec.emits}
            if covered & {"notes.added", "notes.deleted"}:
                # their cards come and go with them
                covered.update(("notes.updated", "cards.changed"))
            for kind in changed_types(step.changes):
                if kind not in covered:
                    self.host.events.record(kind, source=run.source)
        return outcome

    def _shaped(self, run: "_Run", outcome: Any) -> Any:
        """The reply for an action's outcome (an Offload of it, if it offloads)."""
        spec, version, context = run.spec, run.version, run.context
        if isinstance(outcome, Partial):
            self._record_emits(run, outcome.result)
            if not context.detailed:
                return outcome.result if version <= 4 else _reply(outcome.result, None)
            reply = _reply(outcome.result, None)
            if outcome.failures:
                reply["errorDetail"] = {"code": "some_items_failed", "action": spec.name,
                                        "items": outcome.failures}
            return reply
        if not isinstance(outcome, Offload):
            self._record_emits(run, outcome)
            return outcome if version <= 4 else _reply(outcome, None)
        work, then = outcome.work, outcome.then
        if then is None:
            def work_shaped() -> Any:
                try:
                    return self._shaped(run, work())
                except Exception as e:
                    return self._failure(spec.name, e, context)

            return Offload(work_shaped, large=outcome.large)

        def work_caught() -> Tuple[bool, Any]:
            try:
                return True, work()
            except Exception as e:
                return False, e

        def then_shaped(caught: Tuple[bool, Any]) -> Any:
            ok, value = caught
            try:
                if not ok:
                    raise value
                return self._shaped(run, self._step(run, then, value))
            except Exception as e:
                return self._failure(spec.name, e, context)

        return Offload(work_caught, then_shaped, outcome.large)

    def _record_emits(self, run: "_Run", result: Any) -> None:
        """The events a write declares, with the ids it knows, once it is done."""
        for emit in run.spec.emits:
            if not (run.changed or emit.type.startswith("media.")):
                continue  # (it changed nothing in the collection)
            ids = _ids_at(result if emit.ids == "result" else run.params, emit.ids)
            if ids:
                extra = {"reason": emit.reason} if emit.reason else {}
                self.host.events.record(emit.type, ids, run.source, **extra)

    def _failure(self, name: Any, error: Exception, context: RequestContext) -> Dict[str, Any]:
        """The reply for a failed request; with `errorDetail` where the
        surface asks for it (context.detailed)."""
        if isinstance(error, ActionError):
            reply, code, detail = _reply(None, str(error)), error.code, error.detail
        elif isinstance(error, RecursionError):
            reply = _reply(None, f"{name}: the request is nested too deeply")
            code, detail = "invalid_request", {}
        else:  # an unforeseen failure still gets a clear reply
            self.host.log.error("action %s failed", name, exc_info=error)
            reply, code, detail = _reply(None, _describe_failure(name, error)), "internal_error", {}
        if context.detailed:
            reply["errorDetail"] = dict({"code": code, "action": name}, **detail)
        return reply

    def _check_key(self, name: str, key: Any) -> None:
        if name != "requestPermission" and not self.key_is_valid(key):
            raise ActionError("valid api key must be provided", "unauthorized")

    def key_is_valid(self, key: Any) -> bool:
        """Whether `key` is the config's API key (any key when none is set)."""
        expected = self.config().get("apiKey")
        if not expected:
            return True
        # Compared as hashes, so the time taken tells nothing of the key's
        # content nor of its length.
        return isinstance(key, str) and hmac.compare_digest(_digest(key), _digest(str(expected)))

@dataclass
class _Run:
    """One request being answered: what its parts and events need."""

    spec: ActionSpec
    version: int
    context: RequestContext
    params: Dict[str, Any]
    changed: bool = False  # a part of it changed the collection

    @property
    def source(self) -> Dict[str, Any]:
        return api_source(self.spec.name)


def _ids_at(value: Any, path: str) -> List[Any]:
    """The ids (numbers) or names at `path` in a result or in the params:
    "result" is the value itself; "note.id" goes into a key, and through
    lists ("answers.cardId")."""
    found = [value]
    for key in ([] if path == "result" else path.split(".")):
        found = [item.get(key) for item in _flat(found) if isinstance(item, dict)]
    return [v for v in _flat(found) if isinstance(v, (int, str)) and not isinstance(v, bool)]


def _flat(values: List[Any]) -> List[Any]:
    out: List[Any] = []
    for v in values:
        out.extend(v if isinstance(v, list) else [v])
    return out


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _reply(result: Any, error: Optional[str]) -> Dict[str, Any]:
    return {"result": result, "error": error}


def _version_of(request: dict) -> int:
    """The request's version: 4 when it has none.  As the reference's schema
    has it ("version": {"type": "integer"}), a whole float such as 6.0 is an
    integer; a string such as "6", a boolean or null is not.  (web.py checks
    the top-level request with that schema; this checks `multi`'s sub-actions.)"""
    version = request.get("version", DEFAULT_VERSION)
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    if isinstance(version, float) and version.is_integer():
        return int(version)
    raise ActionError("version must be an integer")


def _describe_failure(name: str, error: Exception) -> str:
    text = str(error).strip()
    if isinstance(error, KeyError):
        text = f"not found: {text}"
    if not text:
        text = type(error).__name__
    return f"{name}: {text}"


__all__ = ["AnkiConnect", "RequestContext"]
