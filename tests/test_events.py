"""Live changes: GET /events (Server-Sent Events, read with httpx-sse, a
real SSE client) and getEvents (long polling), against real Anki and the
headless server."""
import json
import queue
import socket
import threading
import time

import httpx
import pytest
from httpx_sse import connect_sse

from anki_helpers import gui  # noqa: F401 (fixture)
from harness import HeadlessProcess


def note(front):
    return {"deckName": "Default", "modelName": "Basic", "fields": {"Front": front, "Back": "b"}}


class Listener:
    """An SSE client in a thread of its own; `get()` the next event."""

    def __init__(self, port, params=None, headers=None):
        self.events = queue.Queue()
        self.url = f"http://127.0.0.1:{port}/events"
        self.params, self.headers = params or {}, headers or {}
        self.status = None
        self.ready = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=60))
        threading.Thread(target=self._run, daemon=True).start()
        assert self.ready.wait(10)

    def _run(self):
        try:
            with connect_sse(self._client, "GET", self.url, params=self.params,
                             headers=self.headers) as source:
                self.status = source.response.status_code
                self.ready.set()
                for sse in source.iter_sse():
                    if not sse.data:  # the `retry:` advice alone is no event
                        continue
                    self.events.put((sse.event, sse.id, json.loads(sse.data)))
            self.events.put(("ended", None, None))
        except Exception as e:  # closed by the test, or refused
            self.ready.set()
            self.events.put(("closed", None, repr(e)))

    def get(self, timeout=5, type=None):
        deadline = time.monotonic() + timeout
        while True:
            event, last_id, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if type is None or event == type:
                return event, last_id, data

    def close(self):
        self._client.close()


@pytest.fixture
def listener(api):
    opened = []

    def listen(**kwargs):
        opened.append(Listener(api.port, **kwargs))
        return opened[-1]

    yield listen
    for each in opened:
        each.close()


def test_an_api_add_arrives_as_notes_added_within_a_second(api, listener):
    events = listener()
    started = time.monotonic()
    nid = api.call("addNote", note=note("live"))
    event, event_id, data = events.get(timeout=1, type="notes.added")
    assert time.monotonic() - started < 1
    assert data["ids"] == [nid] and data["type"] == "notes.added"
    assert data["source"] == {"kind": "api", "action": "addNote"}
    assert int(event_id) == data["id"] and data["time"] > 0


def test_each_kind_of_api_change(api, listener):
    events = listener()
    nid = api.call("addNote", note=note("kinds"))
    [cid] = api.call("findCards", query=f"nid:{nid}")
    api.call("updateNoteFields", note={"id": nid, "fields": {"Back": "changed"}})
    api.call("suspend", cards=[cid])
    api.call("createDeck", deck="Live")
    api.call("changeDeck", cards=[cid], deck="Live")
    api.call("storeMediaFile", filename="_live.txt", data="aGk=")
    api.call("deleteMediaFile", filename="_live.txt")
    api.call("deleteNotes", notes=[nid])
    seen = [events.get()[2]]
    while seen[-1]["type"] != "notes.deleted":
        seen.append(events.get()[2])
    # Anki may react to a change with an operation of its own (its windows
    # redrawing): those come as source `anki`, by kind only, without ids
    ours = [e for e in seen if e["source"]["kind"] == "api"]
    assert all(not e["ids"] and not e.get("names") for e in seen if e not in ours)
    seen = ours
    kinds = [(e["type"], e.get("reason")) for e in seen]
    assert kinds[:2] == [("notes.added", None), ("notes.updated", None)]
    assert ("cards.changed", "suspended") in kinds and ("cards.changed", "moved") in kinds
    assert ("decks.changed", None) in kinds
    by_type = {e["type"]: e for e in seen}
    assert by_type["notes.updated"]["ids"] == [nid]
    assert by_type["media.added"]["names"] == ["_live.txt"]
    assert by_type["media.deleted"]["names"] == ["_live.txt"]
    assert by_type["notes.deleted"]["ids"] == [nid]
    assert all(e["source"] == {"kind": "api", "action": e["source"]["action"]} for e in seen)


def test_types_filter(api, listener):
    events = listener(params={"types": "cards.changed"})
    nid = api.call("addNote", note=note("filtered"))
    api.call("suspend", cards=api.call("findCards", query=f"nid:{nid}"))
    event, _, data = events.get()
    while data["source"]["kind"] != "api":  # (Anki's own reactions, by kind only)
        event, _, data = events.get()
    assert event == "cards.changed" and data["reason"] == "suspended"


def test_resuming_with_last_event_id_replays_what_was_missed(api, listener):
    first = listener()
    api.call("createDeck", deck="Before")
    _, last_id, _ = first.get(type="decks.changed")
    first.close()
    missed = [api.call("addNote", note=note(f"missed {i}")) for i in range(3)]
    again = listener(headers={"Last-Event-ID": last_id})
    replayed = [again.get(type="notes.added")[2]["ids"] for _ in range(3)]
    assert replayed == [[n] for n in missed]
    # ?since= works too, and an id the server never gave starts with `reset`
    since = listener(params={"since": "999999999"})
    assert since.get()[0] == "reset"


def test_get_events_long_polling(api):
    last = api.call("getEvents", since=0, timeout=0)
    since = last[-1]["id"] if last else 0
    for _ in range(10):  # until Anki's own reactions to earlier writes are over
        started = time.monotonic()
        more = api.call("getEvents", since=since, timeout=1)
        if not more:
            break
        since = more[-1]["id"]
    assert more == []
    assert 0.9 < time.monotonic() - started < 5
    results = []
    poller = threading.Thread(target=lambda: results.append(
        api.call("getEvents", since=since, timeout=20, types=["notes.added"])))
    poller.start()
    time.sleep(0.5)
    started = time.monotonic()
    nid = api.call("addNote", note=note("polled"))
    poller.join(10)
    assert time.monotonic() - started < 2
    [[event]] = results
    assert event["ids"] == [nid] and event["type"] == "notes.added"
    with pytest.raises(Exception, match="unknown event types"):
        api.call("getEvents", types=["nope"])


def test_a_foreign_origin_is_refused(api):
    with httpx.Client() as client:
        reply = client.get(f"http://127.0.0.1:{api.port}/events",
                           headers={"Origin": "https://evil.example"})
        assert reply.status_code == 403
        reply = client.get(f"http://127.0.0.1:{api.port}/events?types=nope")
        assert reply.status_code == 400
        # an allowed origin (the default list has http://localhost) gets CORS
        with client.stream("GET", f"http://127.0.0.1:{api.port}/events",
                           headers={"Origin": "http://localhost"}) as reply:
            assert reply.status_code == 200
            assert reply.headers["access-control-allow-origin"] == "http://localhost"


def test_a_change_in_anki_itself_arrives_with_source_anki(anki, api, listener):
    nid = api.call("addNote", note=note("in anki"))
    [cid] = api.call("findCards", query=f"nid:{nid}")
    events = listener()
    # a note deleted through Anki's own operation, as the browser does it
    anki.driver(f"""
from aqt.operations.note import remove_notes
remove_notes(parent=mw, note_ids=[{nid}]).run_in_background()
""")
    event, _, data = events.get(type="notes.deleted")
    assert data["ids"] == [nid] and data["source"] == {"kind": "anki"}
    # an Anki-side change only known by its kind: a deck renamed in Anki
    anki.driver("from aqt.operations.deck import add_deck_dialog\n"
                "mw.col.decks.id('Made in Anki')\n"
                "from anki.collection import OpChanges\n"
                "from aqt import gui_hooks\n"
                "gui_hooks.operation_did_execute(OpChanges(deck=True), None)")
    event, _, data = events.get(type="decks.changed")
    assert data["source"] == {"kind": "anki"} and data["ids"] == []
    assert cid  # (the card went with its note)


def test_an_answer_in_the_reviewer_arrives_as_cards_changed(anki, gui, listener):
    api = gui
    nid = api.call("addNote", note=note("review me"))
    [cid] = api.call("findCards", query=f"nid:{nid}")
    assert api.call("guiDeckReview", name="Default") and api.call("guiShowAnswer")
    events = listener()
    assert anki.driver("result = [mw.state, mw.reviewer.state]") == ["review", "answer"]
    # the user presses Good
    assert anki.driver("mw.reviewer._answerCard(3)\nresult = mw.reviewer.state") != "answer"
    event, _, data = events.get(timeout=15, type="cards.changed")
    while not data["ids"]:  # (Anki's own reactions to earlier writes, by kind only)
        event, _, data = events.get(timeout=15, type="cards.changed")
    assert data["ids"] == [cid] and data["reason"] == "reviewed" and data["ease"] == 3
    assert data["source"] == {"kind": "anki"}


def test_an_answer_through_guiAnswerCard_arrives_with_source_api(anki, gui, listener):
    api = gui
    nid = api.call("addNote", note=note("answer me"))
    [cid] = api.call("findCards", query=f"nid:{nid}")
    assert api.call("guiDeckReview", name="Default") and api.call("guiShowAnswer")
    assert api.call("guiCurrentCard")["cardId"] == cid
    events = listener()
    assert api.call("guiAnswerCard", ease=3) is True
    event, _, data = events.get(timeout=15, type="cards.changed")
    while not data["ids"]:  # (Anki's own reactions to earlier writes, by kind only)
        event, _, data = events.get(timeout=15, type="cards.changed")
    assert data["ids"] == [cid] and data["reason"] == "reviewed" and data["ease"] == 3
    assert data["source"] == {"kind": "api", "action": "guiAnswerCard"}
    assert not anki.driver("result = bool(ac.connect.host.answering)")


def test_the_key_as_bearer_or_query(tmp_path):
    server = HeadlessProcess(env={"ANKICONNECT_API_KEY": "events key"}).start()
    try:
        url = f"http://127.0.0.1:{server.port}/events"
        with httpx.Client() as client:
            assert client.get(url).status_code == 401
            with client.stream("GET", url, params={"key": "events key"}) as reply:
                assert reply.status_code == 200
            with client.stream("GET", url, headers={"Authorization": "Bearer events key"}) as reply:
                assert reply.status_code == 200
            assert client.get(url, params={"key": "wrong key"}).status_code == 401
        assert "events key" not in server.log() and "wrong key" not in server.log()
    finally:
        server.cleanup()


def test_idle_listeners_do_not_hold_up_requests(api):
    listeners = [Listener(api.port) for _ in range(30)]
    try:
        started = time.monotonic()
        for _ in range(20):
            assert api.call("deckNames") == ["Default"]
        assert time.monotonic() - started < 5
    finally:
        for each in listeners:
            each.close()


def test_a_listener_that_stops_reading_is_dropped(anki, api, listener):
    stuck = socket.create_connection(("127.0.0.1", api.port))
    stuck.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\n\r\n".encode())
    assert stuck.recv(4096).startswith(b"HTTP/1.1 200")
    reading = listener()
    try:
        ids = api.call("addNotes", notes=[note(f"bulk {i}") for i in range(5000)])
        for i in range(16):  # each event names 5000 notes: more than 1 MB in all
            api.call("addTags", notes=ids, tags=f"tag{i}")
        got = [reading.get(timeout=10) for _ in range(2)]
        while got[-1][0] != "ended":
            got.append(reading.get(timeout=10))
        last_id = [e for e in got if e[1]][-1][1]
        updates = [e for e in got if e[0] == "notes.updated" and e[2]["ids"]]
        assert len(updates) < 16
        # the one that reads resumes where it was, and misses nothing
        again = listener(headers={"Last-Event-ID": last_id})
        while len(updates) < 16:
            event = again.get(timeout=10)
            if event[0] == "notes.updated" and event[2]["ids"]:
                updates.append(event)
        assert all(e[2]["ids"] == ids for e in updates)
        assert len({e[2]["id"] for e in updates}) == 16
        assert api.call("version") == 6
        # the stream not read ended too: it left about 1 MB buffered, no more
        stuck.settimeout(10)
        buffered = b""
        while not buffered.endswith(b"\r\n0\r\n\r\n"):
            buffered += stuck.recv(1 << 16)
        assert 1 << 20 < len(buffered) < 1.3 * (1 << 20)
    finally:
        stuck.close()
