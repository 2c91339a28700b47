# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live changes: what changed in the collection, as events, so that clients
stop polling.

`EventLog` is a bounded ring of events with increasing ids.  It is fed from
two places: the dispatcher, after an action that wrote (source `api`), and
Anki's own hooks, for changes made in Anki's windows or by other add-ons
(source `anki`; hosts/gui.py).  Recording only appends to the ring and wakes
the readers; it never waits for them.  Readers: `GET /events` (Server-Sent
Events, `EventStream` here) and the action `getEvents` (long polling).

This module must not import aqt.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

#: the event types (`reset` comes only to a reader the ring no longer reaches)
TYPES = ("notes.added", "notes.updated", "notes.deleted", "cards.changed", "decks.changed",
         "models.changed", "tags.changed", "media.added", "media.deleted", "sync.finished",
         "profile.opened", "profile.closed")
#: events kept for readers that come back (Last-Event-ID, since)
RING_SIZE = 2000
#: readers waiting at once (SSE streams and long polls), each holding an HTTP thread
MAX_WAITERS = 200
#: a stream sends a comment this often when nothing happens (proxies, dead peers)
HEARTBEAT_SECONDS = 15.0
#: getEvents waits at most this long
MAX_POLL_SECONDS = 30.0
#: a stream ends after sending this much (its reader reconnects and resumes):
#: what a reader that stops reading can leave buffered in the server
MAX_STREAM_BYTES = 1 << 20

#: what Anki's OpChanges flags say changed, as event types
CHANGE_TYPES = (("note", "notes.updated"), ("note_text", "notes.updated"),
                ("card", "cards.changed"), ("deck", "decks.changed"),
                ("deck_config", "decks.changed"), ("notetype", "models.changed"),
                ("tag", "tags.changed"))


def api_source(action: str) -> Dict[str, Any]:
    """The source of a change made through the API by `action`."""
    return {"kind": "api", "action": action}


def changed_types(changes: Any) -> List[str]:
    """The event types an OpChanges says changed (every kind, for None:
    a change Anki cannot describe)."""
    if changes is None:
        return list(dict.fromkeys(t for _, t in CHANGE_TYPES))
    return list(dict.fromkeys(t for flag, t in CHANGE_TYPES if getattr(changes, flag, False)))


class TooManyReaders(Exception):
    """MAX_WAITERS readers are waiting already."""


class EventLog:
    """The ring of recent events; thread-safe."""

    def __init__(self, size: int = RING_SIZE) -> None:
        self._events: deque = deque(maxlen=size)
        self._last_id = 0
        self._cond = threading.Condition()
        self._waiters = 0
        #: called with the number of waiting readers when it changes (the
        #: HTTP server keeps that many more threads)
        self.on_waiters: Callable[[int], None] = lambda n: None

    @property
    def last_id(self) -> int:
        return self._last_id

    @property
    def waiting(self) -> int:
        """How many readers wait now."""
        return self._waiters

    def record(self, type: str, ids: Iterable[Any] = (), source: Optional[Dict[str, Any]] = None,
               **data: Any) -> None:
        """Append an event (`ids`: numbers go to `ids`, names to `names`)."""
        values = list(ids)
        event: Dict[str, Any] = {
            "type": type,
            "ids": [v for v in values if isinstance(v, int) and not isinstance(v, bool)],
            "source": source or {"kind": "anki"},
            "time": round(time.time(), 3),
        }
        names = [v for v in values if isinstance(v, str)]
        if names:
            event["names"] = names
        event.update(data)
        with self._cond:
            self._last_id += 1
            event["id"] = self._last_id
            self._events.append(event)
            self._cond.notify_all()

    def after(self, since: int, types: Optional[Sequence[str]] = None) -> List[Dict[str, Any]]:
        """The events after id `since` (of `types`), oldest first; a `reset`
        event first when the ring no longer reaches back to `since` (or
        `since` is from before the server started: ids begin anew then)."""
        with self._cond:
            return self._after(since, types)

    def _after(self, since: int, types: Optional[Sequence[str]]) -> List[Dict[str, Any]]:
        out: List[Dict[str, Any]] = []
        first = self._events[0]["id"] if self._events else self._last_id + 1
        if since > self._last_id or since < first - 1:
            out.append({"id": first - 1, "type": "reset", "ids": [], "source": {"kind": "server"},
                        "time": round(time.time(), 3),
                        "reason": "events were missed: reload what you show"})
        for event in self._events:
            if event["id"] > since and (not types or event["type"] in types):
                out.append(event)
        return out

    def wait(self, since: int, timeout: float, types: Optional[Sequence[str]] = None
             ) -> List[Dict[str, Any]]:
        """The events after `since` (of `types`), waiting up to `timeout`
        seconds for the first one; raises TooManyReaders when too many wait."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            found = self._after(since, types)
            if found or timeout <= 0:
                return found
            if self._waiters >= MAX_WAITERS:
                raise TooManyReaders()
            self._waiters += 1
            self._count_waiters()
            try:
                while not found:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                    found = self._after(since, types)
            finally:
                self._waiters -= 1
                self._count_waiters()
            return found

    def _count_waiters(self) -> None:
        try:
            self.on_waiters(self._waiters)
        except Exception:  # the server's thread count is a nicety
            pass


def parse_types(text: Optional[str]) -> Optional[Tuple[str, ...]]:
    """`?types=notes.added,cards.changed` as a tuple (None: all)."""
    names = tuple(t.strip() for t in (text or "").split(",") if t.strip())
    return names or None


def unknown_types_problem(types: Optional[Sequence[str]]) -> Optional[str]:
    """What is wrong with `types` (names no event type), or None."""
    unknown = [t for t in types or () if t not in TYPES]
    if not unknown:
        return None
    return f"unknown event types: {', '.join(unknown)} (known: {', '.join(TYPES)})"


def sse(event: Dict[str, Any]) -> bytes:
    """One Server-Sent Events message."""
    return (f"id: {event['id']}\nevent: {event['type']}\n"
            f"data: {json.dumps(event, ensure_ascii=False)}\n\n").encode("utf-8")


class EventStream:
    """The body of a `GET /events` reply: each event as it comes, a
    heartbeat comment when nothing happens.  The stream ends after
    MAX_STREAM_BYTES, so that a reader that stopped reading leaves no more
    than that buffered (the server drops its connection once idle); one that
    reads reconnects with Last-Event-ID and misses nothing.  A reader that
    fell so far behind that the ring no longer holds what it has not read
    gets `reset` and the stream ends too."""

    def __init__(self, log: EventLog, since: int, types: Optional[Sequence[str]],
                 max_bytes: int = MAX_STREAM_BYTES) -> None:
        self.log = log
        self.since = since
        self.types = types
        self.max_bytes = max_bytes
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield b"retry: 2000\n\n"
        started = False
        sent = 0
        while not self.closed and sent < self.max_bytes:
            events = self.log.wait(self.since, HEARTBEAT_SECONDS, self.types)
            if not events:
                yield b": keep-alive\n\n"
                continue
            for event in events:
                message = sse(event)
                sent += len(message)
                yield message
                if event["type"] == "reset" and started:
                    return  # it fell behind (stopped reading): it comes back and reloads
            self.since = events[-1]["id"]
            started = True

    def close(self) -> None:  # (WSGI calls it when the client goes away)
        self.closed = True




class EventsSurface:
    """`GET /events`: Server-Sent Events, behind the same access rules as
    every surface.  The API key comes as `Authorization: Bearer <key>` or as
    `?key=` (a browser's EventSource cannot send headers).  `?types=` picks
    the types; `Last-Event-ID` (or `?since=`) replays from the ring; without
    either, the stream starts with what happens next."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def register(self, surfaces: Dict[str, Callable[..., List[bytes]]]) -> None:
        surfaces["/events"] = self.serve

    def serve(self, environ: Dict[str, Any], start_response: Callable, caller: Any) -> Any:
        from urllib.parse import parse_qs

        connect = self.app.connect
        log: EventLog = connect.host.events
        query = parse_qs(environ.get("QUERY_STRING") or "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self._failure(start_response, caller, "405 Method Not Allowed",
                                 "invalid_request", "GET /events", [("Allow", "GET")])
        key = caller.key or (query.get("key") or [None])[0]
        if not connect.key_is_valid(key):
            return self._failure(start_response, caller, "401 Unauthorized", "unauthorized",
                                 "valid api key must be provided (Bearer, or ?key=)",
                                 [("WWW-Authenticate", "Bearer")])
        since_text = environ.get("HTTP_LAST_EVENT_ID") or (query.get("since") or [""])[0]
        try:
            since = int(since_text) if since_text else log.last_id
        except ValueError:
            return self._failure(start_response, caller, "400 Bad Request", "invalid_request",
                                 "since (or Last-Event-ID) must be an event id")
        types = parse_types((query.get("types") or [""])[0])
        problem = unknown_types_problem(types)
        if problem:
            return self._failure(start_response, caller, "400 Bad Request", "invalid_request",
                                 problem)
        if log.waiting >= MAX_WAITERS:
            return self._failure(start_response, caller, "503 Service Unavailable", "unavailable",
                                 f"{MAX_WAITERS} readers are listening already")
        headers = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"),
                   ("X-Accel-Buffering", "no")]
        if caller.cors:
            headers += [("Access-Control-Allow-Origin", caller.cors), ("Vary", "Origin")]
        start_response("200 OK", headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            return [b""]
        return EventStream(log, since, types)

    def _failure(self, start_response: Callable, caller: Any, status: str, code: str,
                 message: str, headers: Any = ()) -> List[bytes]:
        reply = {"result": None, "error": f"events: {message}",
                 "errorDetail": {"code": code, "action": None}}
        return self.app._json(start_response, status, reply, caller.cors, headers)


__all__ = ["EventLog", "EventStream", "EventsSurface", "TYPES", "changed_types", "parse_types",
           "sse", "TooManyReaders", "MAX_POLL_SECONDS", "unknown_types_problem"]
