"""The add-on's life in Anki: start, port conflicts, config, profiles, quit.

Each test here starts its own Anki (they change ports, profiles, or quit it).
"""
import json
import socket
import time

import pytest

from harness import AnkiProcess, ApiClient, free_port


def port_is_free(port):
    """Nothing listens there and a new server could bind it (as servers do,
    with SO_REUSEADDR: closed connections may linger in TIME_WAIT)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except OSError:
        pass
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_port_in_use_shows_one_message_and_anki_keeps_working():
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    anki = AnkiProcess(port=port)
    try:
        anki.start(wait=False)
        deadline = time.time() + 60
        while True:  # Anki itself is up and usable
            try:
                if anki.driver("result = mw.col is not None and mw.state", timeout=5):
                    break
            except OSError:
                pass
            assert time.time() < deadline, anki.log()
            time.sleep(0.2)
        messages = anki.wait_for("""
from aqt.qt import QApplication, QMessageBox
result = [w.text() for w in QApplication.topLevelWidgets()
          if isinstance(w, QMessageBox) and w.isVisible() and 'AnkiConnect' in w.text()]
""")
        assert len(messages) == 1 and str(port) in messages[0]
        # it names the usual causes and what to do about each
        for cause in ("original AnkiConnect add-on", "another Anki", "Windows",
                      "webBindPort"):
            assert cause in messages[0], messages[0]
        assert "could not listen" in anki.log()
        assert anki.driver("result = len(mw.col.decks.all_names_and_ids())") == 1

        # Saving the config with another port starts the server there.
        new_port = free_port()
        anki.driver(f"conf = mw.addonManager.getConfig(ac.module)\nconf['webBindPort'] = {new_port}\n"
                    "mw.addonManager.writeConfig(ac.module, conf)\nac.apply_config(conf)")
        assert ApiClient(new_port).call("deckNames") == ["Default"]
    finally:
        blocker.close()
        anki.cleanup()


def test_config_port_change_rebinds_and_quit_frees_port():
    anki = AnkiProcess().start()
    try:
        client = anki.client()
        assert client.call("version") == 6
        new_port = free_port()
        anki.driver(f"conf = mw.addonManager.getConfig(ac.module)\nconf['webBindPort'] = {new_port}\n"
                    "mw.addonManager.writeConfig(ac.module, conf)\nac.apply_config(conf)")
        assert ApiClient(new_port).call("version") == 6
        assert port_is_free(anki.port)  # the old port was released
        anki.stop()
        assert anki.proc.returncode is not None
        assert port_is_free(new_port)
    finally:
        anki.cleanup()


def test_environment_overrides_config():
    env_port = free_port()
    anki = AnkiProcess(
        config={"webBindPort": free_port()},
        env={"ANKICONNECT_BIND_PORT": str(env_port),
             "ANKICONNECT_CORS_ORIGIN": "https://from-env.example,https://two.example"},
        port=env_port,
    )
    try:
        anki.start()
        client = ApiClient(env_port)
        assert client.call("version") == 6
        status, _, _ = client.raw({"action": "version", "version": 6},
                                  headers={"Origin": "https://two.example"})
        assert status == 200
    finally:
        anki.cleanup()


def test_profiles_switch_and_server_keeps_serving():
    anki = AnkiProcess().start()
    try:
        client = anki.client()
        anki.driver("mw.pm.create('Second')")
        assert sorted(client.call("getProfiles")) == ["Second", "User 1"]
        assert client.call("getActiveProfile") == "User 1"
        anki.driver("mw.col.decks.id('Only in User 1')")
        assert client.call("loadProfile", name="Nobody") is False
        assert client.call("loadProfile", name="User 1") is True
        assert client.call("loadProfile", name="Second") is True
        assert client.call("getActiveProfile") == "Second"
        assert client.call("deckNames") == ["Default"]
        assert client.call("loadProfile", name="User 1") is True
        assert "Only in User 1" in client.call("deckNames")
        # With the profile manager showing, the API answers clearly.
        anki.driver("mw.unloadProfileAndShowProfileManager()")
        anki.wait_for("result = mw.col is None")
        assert client.call("getActiveProfile") is None
        reply = client.request("deckNames")
        assert reply["result"] is None and "no Anki profile is open" in reply["error"]
        assert client.call("loadProfile", name="Second") is True
        assert client.call("getActiveProfile") == "Second"
    finally:
        anki.cleanup()


def test_profile_switch_with_an_add_window_open_answers_and_anki_can_quit():
    """An Add window with typed input asks the user before it closes: the
    switch answers a clear error in bounded time, switches nothing, even
    when the user answers later, and Anki still quits."""
    anki = AnkiProcess().start()
    try:
        client = anki.client()
        anki.driver("mw.pm.create('Second')\n"
                    "import sys\nsys.modules[type(ac.host).__module__].WINDOWS_CLOSE_TIMEOUT = 3")
        note = {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "typed", "Back": "x"}}
        assert client.call("guiAddCards", note=note) is None
        started = time.time()
        reply = client.request("loadProfile", name="Second")
        assert time.time() - started < 30
        assert reply["result"] is None and "did not close" in reply["error"], reply
        assert client.call("getActiveProfile") == "User 1"
        # the user discards the input later: the window closes, no switch happens
        assert anki.wait_for("""
from aqt.qt import QApplication, QMessageBox
result = any(isinstance(w, QMessageBox) and w.isVisible() for w in QApplication.topLevelWidgets())
""")
        anki.driver("""
from aqt.qt import QApplication, QMessageBox
for w in QApplication.topLevelWidgets():
    if isinstance(w, QMessageBox) and w.isVisible():  # Anki 2.1.66 asks Yes/No
        (w.button(QMessageBox.StandardButton.Discard)
         or w.button(QMessageBox.StandardButton.Yes)).click()
""")
        assert anki.wait_for("result = aqt.dialogs.allClosed()", timeout=10)
        time.sleep(1)
        assert client.call("getActiveProfile") == "User 1"
        # with the windows closed, the switch goes through
        assert client.call("loadProfile", name="Second") is True
        assert client.call("getActiveProfile") == "Second"
        # an empty Add window closes without asking
        assert client.call("guiAddCards") is None
        assert client.call("loadProfile", name="User 1") is True
        started = time.time()
        client.call("guiExitAnki")
        anki.proc.wait(timeout=60)
        assert time.time() - started < 60
    finally:
        anki.cleanup()


API_KEY = "correct horse battery staple"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    log = tmp_path_factory.mktemp("log") / "api.jsonl"
    anki = AnkiProcess(config={"apiKey": API_KEY, "apiLogPath": str(log)}).start()
    anki.api_log = log
    yield anki
    anki.cleanup()


def test_api_key_required(keyed):
    client = keyed.client()
    denied = {"result": None, "error": "valid api key must be provided"}
    assert client.request("deckNames") == denied
    assert client.request("deckNames", version=4) == denied
    assert client.request("deckNames", key="wrong") == denied
    assert client.request("deckNames", key=12345) == denied
    assert client.request("deckNames", key=API_KEY) == {"result": ["Default"], "error": None}


def test_api_key_refusal_runs_nothing(keyed):
    client = keyed.client()
    reply = client.request("multi", key="wrong", actions=[
        {"action": "loadProfile", "params": {"name": "User 1"}, "key": API_KEY}])
    assert reply == {"result": None, "error": "valid api key must be provided"}


def test_api_key_refusals_change_nothing(keyed):
    client = keyed.client()
    for key in (None, "wrong", API_KEY.upper(), API_KEY + " ", ""):
        for version in (6, 4):
            reply = client.request("createDeck", version=version, key=key, deck="pwned")
            assert reply == {"result": None, "error": "valid api key must be provided"}
            reply = client.request("addNote", version=version, key=key, note={
                "deckName": "Default", "modelName": "Basic", "fields": {"Front": "pwned"}})
            assert API_KEY not in json.dumps(reply)
    assert "pwned" not in client.call("deckNames", key=API_KEY)
    assert client.call("findNotes", key=API_KEY, query="pwned") == []


def test_request_permission_needs_no_key_and_reports_it(keyed):
    assert keyed.client().call("requestPermission") == {
        "permission": "granted", "requireApikey": True, "version": 6}


def test_multi_sub_actions_carry_their_own_key(keyed):
    client = keyed.client()
    result = client.call("multi", key=API_KEY, actions=[
        {"action": "version", "key": API_KEY},
        {"action": "version"},
    ])
    assert result == [6, {"result": None, "error": "valid api key must be provided"}]


def test_api_log_has_requests_but_never_the_key(keyed):
    client = keyed.client()
    client.call("multi", key=API_KEY, actions=[{"action": "deckNames", "key": API_KEY}])
    lines = [json.loads(l) for l in keyed.api_log.read_text().splitlines()]
    assert any(l["request"]["action"] == "multi" for l in lines)
    assert lines[-1]["reply"] == {"result": [["Default"]], "error": None}
    assert API_KEY not in keyed.api_log.read_text()
