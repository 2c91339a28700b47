"""Crash safety: Anki killed (SIGKILL) in the middle of a bulk add.

The collection opens again, passes SQLite's integrity check and Anki's Check
Database, and holds every note whose addition was acknowledged to a client
before the kill.  Each test starts its own Anki (or headless server) and
restarts it on the same collection.
"""
import os
import signal
import threading
import time

from dbcheck import check_database
from harness import AnkiProcess, ApiClient, HeadlessProcess

WRITERS = 3
BATCH = 20
#: acknowledged notes before the kill comes (while requests are in flight)
KILL_AFTER = 300


def basic(front):
    return {"deckName": "Default", "modelName": "Basic",
            "fields": {"Front": front, "Back": "crash"}}


def add_until_killed(port, kill):
    """Writers add notes (batches and single notes) until the server dies;
    returns {note id: front} of every addition a client was told of."""
    acked = {}
    lock = threading.Lock()

    def writer(n):
        client = ApiClient(port)
        i = 0
        while True:
            fronts = [f"writer {n} note {i + k}" for k in range(BATCH if n else 1)]
            try:
                if n:
                    ids = client.call("addNotes", notes=[basic(f) for f in fronts])
                else:
                    ids = [client.call("addNote", note=basic(fronts[0]))]
            except Exception:  # the server is gone
                return
            with lock:
                acked.update(zip(ids, fronts))
            i += len(fronts)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    deadline = time.time() + 60
    while len(acked) < KILL_AFTER:
        assert time.time() < deadline, "the writers did not get going"
        time.sleep(0.01)
    kill()
    for t in threads:
        t.join(30)
    assert all(None not in (nid, front) for nid, front in acked.items())
    return dict(acked)


def check_survivors(client, acked):
    infos = client.call("notesInfo", notes=list(acked))
    missing = [nid for nid, info in zip(acked, infos) if not info]
    assert not missing, f"{len(missing)} acknowledged notes lost, e.g. {missing[:5]}"
    assert [info["fields"]["Front"]["value"] for info in infos] == list(acked.values())
    # notes added after the last acknowledgement may or may not be there; no others
    assert len(client.call("findNotes", query="")) >= len(acked)


def test_sigkill_during_bulk_add_in_anki(tmp_path):
    (tmp_path / "anki").mkdir()
    anki = AnkiProcess(base=tmp_path / "anki").start()
    try:
        # every write is committed before its reply (Anki before 23.10 keeps
        # a transaction open on the Python side until it is saved)
        anki.client().call("addNote", note=basic("committed?"))
        pending = anki.driver("""
col = mw.col
result = [bool(getattr(col.db, "modified_in_python", False)),
          bool(col.modified_by_backend()) if hasattr(col, "modified_by_backend") else False,
          bool(col._have_outstanding_checkpoint()) if hasattr(col, "_have_outstanding_checkpoint") else False]
""")
        assert pending == [False, False, False]
        acked = add_until_killed(anki.port, anki.kill)
        assert anki.proc.returncode == -signal.SIGKILL
    finally:
        anki.kill()
    again = AnkiProcess(base=tmp_path / "anki").start()
    try:
        check_survivors(again.client(), acked)
        assert check_database(again, gui=True) == []
    finally:
        again.stop()


def test_sigkill_during_bulk_add_headless(tmp_path):
    server = HeadlessProcess(base=tmp_path / "first").start()

    def kill():
        os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(10)

    try:
        acked = add_until_killed(server.port, kill)
        assert server.proc.returncode == -signal.SIGKILL
    finally:
        server.stop()
    again = HeadlessProcess(collection=server.collection, base=tmp_path / "second").start()
    try:
        check_survivors(again.client(), acked)
        assert check_database(again, gui=False) == []
    finally:
        again.stop()
