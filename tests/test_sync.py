"""`sync` against Anki's own sync server (`python -m anki.syncserver`).

Notes and media added on one side arrive on the other: between two headless
servers, and between real Anki (its own Sync button) and a headless server.
Each test has its own account on the server.
"""
import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from harness import ApiError, HeadlessProcess, free_port

ACCOUNTS = {"alice": "pw-a", "bob": "pw-b", "carol": "pw-c", "dave": "pw-d"}


class SyncServer:
    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="ankiconnect-syncserver-"))
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/"

    def start(self) -> "SyncServer":
        env = dict(os.environ, SYNC_BASE=str(self.base / "data"), SYNC_PORT=str(self.port),
                   SYNC_HOST="127.0.0.1")
        for i, (user, password) in enumerate(ACCOUNTS.items(), 1):
            env[f"SYNC_USER{i}"] = f"{user}:{password}"
        self.log = open(self.base / "server.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "anki.syncserver"], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                assert self.proc.poll() is None and time.time() < deadline, "no sync server"
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def sync_server():
    server = SyncServer().start()
    yield server
    server.stop()


@pytest.fixture
def servers(tmp_path):
    """Starts headless servers; stops them after the test."""
    started = []

    def start(name: str, user: str = None, password: str = None, endpoint: str = None):
        env = {}
        if user:
            env.update(ANKICONNECT_SYNC_USER=user, ANKICONNECT_SYNC_PASSWORD=password or ACCOUNTS[user])
        if endpoint:
            env["ANKICONNECT_SYNC_ENDPOINT"] = endpoint
        server = HeadlessProcess(base=tmp_path / name, env=env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def add_note(side, deck: str, front: str, media: str, data: bytes) -> None:
    """Add a note whose field shows a media file, and the file (on `side`'s collection)."""
    side.driver(f"""
name = col.media.write_data({media!r}, {data!r})
n = col.new_note(col.models.by_name("Basic"))
n["Front"] = {front!r}
n["Back"] = '<img src="' + name + '">'
col.add_note(n, col.decks.id({deck!r}))
result = name
""")


def notes_and_media(side) -> tuple:
    """The Front of every note, and every media file with its bytes."""
    return tuple(side.driver("""
import os
d = col.media.dir()
result = [sorted(col.get_note(n)["Front"] for n in col.find_notes("")),
          {f: open(os.path.join(d, f), "rb").read().decode() for f in sorted(os.listdir(d))}]
"""))


def sync_error(client, **params) -> str:
    with pytest.raises(ApiError) as e:
        client.call("sync", **params)
    return str(e.value)


def test_headless_servers_sync_notes_and_media_through_the_server(sync_server, servers):
    a = servers("a", "alice", endpoint=sync_server.endpoint)
    add_note(a, "Synced", "first", "first.txt", b"media one")
    add_note(a, "Synced::Child", "second", "second.txt", b"media two")
    api_a = a.client()

    # the server has nothing yet: uploading is a choice the client must make
    error = sync_error(api_a)
    assert "full upload is required" in error and '"fullSync": "upload"' in error
    assert "nothing to download" in sync_error(api_a, fullSync="download")
    assert api_a.call("sync", fullSync="upload") is None

    # a second collection, new and empty, takes the server's
    b = servers("b", "alice", endpoint=sync_server.endpoint)
    api_b = b.client()
    error = sync_error(api_b)
    assert "this collection is empty" in error and '"fullSync": "download"' in error
    assert "would empty the server's collection" in sync_error(api_b, fullSync="upload")
    assert api_b.call("sync", fullSync="download") is None
    assert api_b.call("deckNames") == ["Default", "Synced", "Synced::Child"]
    assert notes_and_media(b) == (["first", "second"],
                                  {"first.txt": "media one", "second.txt": "media two"})

    # from now on a normal sync, both ways, media too; fullSync is ignored then
    add_note(b, "Synced", "third", "third.txt", b"media three")
    # a large file stored through the API (written without Anki's lock) syncs too
    large = "L" * (3 << 19)
    assert api_b.call("storeMediaFile", filename="large.txt",
                      data=base64.b64encode(large.encode()).decode()) == "large.txt"
    assert api_b.call("sync") is None
    assert api_a.call("sync", fullSync="download") is None
    assert notes_and_media(a) == (["first", "second", "third"], {
        "first.txt": "media one", "large.txt": large, "second.txt": "media two",
        "third.txt": "media three"})
    a.driver("col.remove_notes(col.find_notes('Front:first'))")
    assert api_a.call("sync") is None
    assert api_b.call("sync") is None
    assert notes_and_media(b)[0] == ["second", "third"]


def test_unmergeable_changes_need_a_chosen_full_sync(sync_server, servers):
    a = servers("a", "bob", endpoint=sync_server.endpoint)
    add_note(a, "Default", "mine", "m.txt", b"m")
    api_a = a.client()
    api_a.call("sync", fullSync="upload")
    # a note type change cannot be merged
    a.driver("m = col.models.by_name('Basic'); col.models.add_field(m, col.models.new_field('Extra')); "
             "col.models.update_dict(m)")
    add_note(a, "Default", "after", "a.txt", b"a")
    error = sync_error(api_a)
    assert "cannot be merged" in error
    assert '"fullSync": "upload"' in error and '"download"' in error
    assert notes_and_media(a)[0] == ["after", "mine"]  # nothing was replaced
    # download: the server's copy wins, the local change is gone
    assert api_a.call("sync", fullSync="download") is None
    assert notes_and_media(a)[0] == ["mine"]
    assert a.driver("result = [f['name'] for f in col.models.by_name('Basic')['flds']]") == ["Front", "Back"]


def test_sync_errors_are_clear(sync_server, servers):
    nobody = servers("nobody")
    error = sync_error(nobody.client())
    assert "not logged in to a sync account" in error and "ANKICONNECT_SYNC_USER" in error
    wrong = servers("wrong", "carol", password="not-it", endpoint=sync_server.endpoint)
    error = sync_error(wrong.client())
    assert error.startswith("sync: ") and "password" in error.lower()
    gone = servers("gone", "carol", endpoint=f"http://127.0.0.1:{free_port()}/")
    assert sync_error(gone.client()).startswith("sync: cannot reach the sync server")
    reply = gone.client().request("sync", fullSync="sideways")
    assert reply["error"].startswith("sync: parameter 'fullSync' must be")
    assert gone.client().call("deckNames") == ["Default"]  # still serving


GUI_LOGIN = """
from anki.collection import Collection
auth = mw.col.sync_login(username={user!r}, password={password!r}, endpoint={endpoint!r})
mw.pm.set_custom_sync_url({endpoint!r})
mw.pm.set_sync_key(auth.hkey)
mw.pm.set_sync_username({user!r})
result = mw.pm.sync_auth() is not None
"""

GUI_LOGOUT = """
mw.pm.set_sync_key(None)
mw.pm.set_sync_username(None)
mw.pm.set_custom_sync_url(None)
mw.pm.set_current_sync_url(None)
result = True
"""


def test_anki_syncs_with_its_own_sync_and_meets_a_headless_server(anki, sync_server, servers):
    from harness import RESET_COLLECTION

    anki.driver(RESET_COLLECTION)
    gui = anki.client()
    assert sync_error(gui) == "sync: Anki is not logged in to a sync account"
    anki.driver(GUI_LOGIN.format(user="dave", password=ACCOUNTS["dave"],
                                 endpoint=sync_server.endpoint))
    try:
        anki.driver("""
col = mw.col
name = col.media.write_data("from-anki.txt", b"anki media")
n = col.new_note(col.models.by_name("Basic"))
n["Front"] = "from anki"
n["Back"] = '<img src="from-anki.txt">'
col.add_note(n, col.decks.id("Desktop"))
""")
        assert "full sync is required" in sync_error(gui)
        assert gui.call("sync", fullSync="upload") is None

        headless = servers("h", "dave", endpoint=sync_server.endpoint)
        api_h = headless.client()
        assert api_h.call("sync", fullSync="download") is None
        assert notes_and_media(headless) == (["from anki"], {"from-anki.txt": "anki media"})
        add_note(headless, "Desktop", "from headless", "from-headless.txt", b"headless media")
        assert api_h.call("sync") is None

        assert gui.call("sync") is None  # Anki's own Sync, normal this time
        assert anki.driver("""
import os
col = mw.col
result = [sorted(col.get_note(n)["Front"] for n in col.find_notes("")),
          open(os.path.join(col.media.dir(), "from-headless.txt"), "rb").read().decode()]
""") == [["from anki", "from headless"], "headless media"]
    finally:
        anki.driver(GUI_LOGOUT)
