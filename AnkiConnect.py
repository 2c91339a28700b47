# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AnkiConnect class: the action registry and request dispatch.

`handle()` takes one decoded request object and returns the reply object
exactly as the v6 reference shapes it.  It runs on an HTTP worker thread;
each action hops to the thread that owns the collection (Anki's main thread)
unless it is declared with `main_thread=False`.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Dict, Optional

from .actions.cards import CardActions
from .actions.decks import DeckActions
from .actions.gui import GuiActions
from .actions.media import MediaActions
from .actions.misc import MiscActions
from .actions.models import ModelActions
from .actions.notes import NoteActions
from .actions.packages import PackageActions
from .actions.stats import StatsActions
from .util import API_VERSION, ActionError, ActionSpec, bind_params, collect_actions

#: Requests without a "version" are answered as version 4 (bare results).
DEFAULT_VERSION = 4
#: How deep `multi` may nest inside `multi`.
MAX_MULTI_DEPTH = 4


@dataclass
class RequestContext:
    """Facts about the HTTP request that some actions need."""

    origin: str = ""
    allowed: bool = True  # the origin may use the API
    multi_depth: int = 0


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

    def on_main(self, fn: Any) -> Any:
        """Run `fn` on the collection's thread (for main_thread=False actions)."""
        return self.host.run_on_main(fn)

    def config(self) -> dict:
        return self.host.config()

    # -- dispatch ----------------------------------------------------------------
    def handle(self, request: Any, context: Optional[RequestContext] = None) -> Any:
        """Answer one request object: `{"result", "error"}` or, for
        version <= 4, the bare result on success."""
        context = context or RequestContext()
        if not isinstance(request, dict):
            return _reply(None, "request must be a JSON object")
        name = request.get("action", "")
        try:
            version = _version_of(request)
            result = self._call(name, request, version, context)
        except ActionError as e:
            return _reply(None, str(e))
        except RecursionError:
            return _reply(None, f"{name}: the request is nested too deeply")
        except Exception as e:  # an unforeseen failure still gets a clear reply
            self.host.log.exception("action %s failed", name)
            return _reply(None, _describe_failure(name, e))
        if version <= 4:
            return result
        return _reply(result, None)

    def _call(self, name: Any, request: dict, version: int, context: RequestContext) -> Any:
        if not isinstance(name, str):
            raise ActionError("unsupported action")
        self._check_key(name, request.get("key"))
        spec = self.actions.get(name)
        if spec is None or not spec.exists_in(version):
            raise ActionError("unsupported action")
        params = request.get("params")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise ActionError(f"{name}: params must be an object")
        kwargs = bind_params(spec, params)
        if spec.context:
            kwargs["context"] = context
        if spec.gui:
            # checked before anything runs, so headless hosts answer clearly
            if not self.host.has_gui:
                raise ActionError(f"{name} needs the Anki desktop app")
        if spec.main_thread and not self.host.is_main_thread():
            return self.host.run_on_main(lambda: self._invoke(spec, kwargs))
        return self._invoke(spec, kwargs)

    def _invoke(self, spec: ActionSpec, kwargs: Dict[str, Any]) -> Any:
        method = getattr(self, spec.method_name)
        if not spec.write:
            return method(**kwargs)
        with self.host.undo_step(f"AnkiConnect: {spec.name}"):
            return method(**kwargs)

    def _check_key(self, name: str, key: Any) -> None:
        expected = self.config().get("apiKey")
        if not expected or name == "requestPermission":
            return
        # Compared as hashes, so the time taken tells nothing of the key's
        # content nor of its length.
        if not isinstance(key, str) or not hmac.compare_digest(
            _digest(key), _digest(str(expected))
        ):
            raise ActionError("valid api key must be provided")


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _reply(result: Any, error: Optional[str]) -> Dict[str, Any]:
    return {"result": result, "error": error}


def _version_of(request: dict) -> int:
    version = request.get("version", DEFAULT_VERSION)
    if version is None:
        return DEFAULT_VERSION
    if isinstance(version, bool):
        raise ActionError("version must be an integer")
    if isinstance(version, int):
        return version
    if isinstance(version, float) and version.is_integer():
        return int(version)
    if isinstance(version, str) and version.strip().isdigit():
        return int(version)
    raise ActionError("version must be an integer")


def _describe_failure(name: str, error: Exception) -> str:
    text = str(error).strip()
    if isinstance(error, KeyError):
        text = f"not found: {text}"
    if not text:
        text = type(error).__name__
    return f"{name}: {text}"


__all__ = ["AnkiConnect", "RequestContext", "API_VERSION", "MAX_MULTI_DEPTH"]
