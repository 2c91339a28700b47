# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-action surface: `POST /actions/<name>` with the action's params as
the JSON body, and `GET /openapi.json`, the OpenAPI document that describes
it.  New, so modern: the API key may come as `Authorization: Bearer <key>`,
failures get HTTP statuses and `errorDetail` (util.ERROR_CODES).  The actions
themselves are the same ones, run by the same dispatcher as `POST /`.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable, Dict, List, Optional

from .util import ERROR_CODES, LARGE_DATA, RequestContext, large_data_thread

STATUS_TEXT = {200: "200 OK", 400: "400 Bad Request", 401: "401 Unauthorized",
               403: "403 Forbidden", 404: "404 Not Found", 405: "405 Method Not Allowed",
               500: "500 Internal Server Error", 503: "503 Service Unavailable"}


class RestSurface:
    """Serves the per-action paths and the OpenAPI document for one ApiApp."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._document: Optional[bytes] = None
        self._lock = threading.Lock()

    def register(self, surfaces: Dict[str, Callable[..., List[bytes]]]) -> None:
        surfaces["/actions/"] = self.action
        surfaces["/openapi.json"] = self.openapi

    # -- GET /openapi.json ---------------------------------------------------------
    def openapi(self, environ: Dict[str, Any], start_response: Callable, caller: Any) -> List[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self._failure(start_response, caller, 405, "invalid_request", None,
                                 "GET /openapi.json", [("Allow", "GET")])
        with self._lock:
            if self._document is None:
                from .openapi import document

                connect = self.app.connect
                doc = document(connect.actions.values(), connect.host.has_gui)
                self._document = json.dumps(doc).encode("ascii")
            body = self._document
        from .web import _respond

        return _respond(start_response, "200 OK", body, "application/json", caller.cors)

    # -- POST /actions/<name> ------------------------------------------------------
    def action(self, environ: Dict[str, Any], start_response: Callable, caller: Any) -> List[bytes]:
        name = (environ.get("PATH_INFO") or "")[len("/actions/"):]
        if environ.get("REQUEST_METHOD") != "POST":
            return self._failure(start_response, caller, 405, "invalid_request", name,
                                 f"POST the params of {name} as a JSON object", [("Allow", "POST")])
        params, problem = self._params(environ)
        if problem is not None:
            return self._failure(start_response, caller, 400, "invalid_request", name,
                                 f"{name}: {problem}")
        request = {"action": name, "version": 6, "params": params}
        context = RequestContext(origin=caller.origin, detailed=True, key=caller.key)
        reply = self.app.handle(request, context)
        detail = reply.get("errorDetail") if isinstance(reply, dict) else None
        status = ERROR_CODES[detail["code"]][0] if detail else 200
        headers = [("WWW-Authenticate", "Bearer")] if status == 401 else []
        return self.app._json(start_response, STATUS_TEXT[status], reply, caller.cors, headers)

    def _params(self, environ: Dict[str, Any]) -> Any:
        """(params, None), or (None, what is wrong with the body)."""
        from .web import _content_length, _json_problem, _parse

        length = _content_length(environ)
        if not length:
            return {}, None
        try:
            if length >= LARGE_DATA:  # media: on the one large-data thread
                params = large_data_thread.run(lambda: _parse(environ["wsgi.input"], length))
            else:
                params = _parse(environ["wsgi.input"], length)
        except (ValueError, RecursionError) as e:
            return None, _json_problem(e)
        if not isinstance(params, dict):
            return None, "the body must be a JSON object: the action's params"
        return params, None

    def _failure(self, start_response: Callable, caller: Any, status: int, code: str,
                 action: Optional[str], message: str, headers: Any = ()) -> List[bytes]:
        reply = {"result": None, "error": message,
                 "errorDetail": {"code": code, "action": action}}
        return self.app._json(start_response, STATUS_TEXT[status], reply, caller.cors, headers)


__all__ = ["RestSurface"]
