"""Who may call: browser origins, Host names, requestPermission."""
import json
import threading

import pytest

from harness import ApiClient

VERSION = {"action": "version", "version": 6}


def post(api, body=VERSION, **headers):
    status, hdrs, data = api.raw(body, headers=headers)
    return status, hdrs, json.loads(data) if data else None


@pytest.fixture
def config(anki):
    """Change the add-on config as Anki's config dialog does; restored after."""
    original = anki.driver("result = mw.addonManager.getConfig(ac.module)")

    def apply(**changes):
        conf = dict(original, **changes)
        anki.driver(f"import json\nconf = json.loads({json.dumps(json.dumps(conf))})\n"
                    "mw.addonManager.writeConfig(ac.module, conf)\nac.apply_config(conf)")

    yield apply
    anki.driver(f"import json\nconf = json.loads({json.dumps(json.dumps(original))})\n"
                "mw.addonManager.writeConfig(ac.module, conf)\nac.apply_config(conf)")


def test_no_origin_is_allowed(api):
    assert post(api)[0] == 200


@pytest.mark.parametrize("origin", [
    "http://localhost", "http://127.0.0.1", "http://127.0.0.1:3000", "https://127.0.0.1",
    "chrome-extension://likgccmbimhjbgkjambclfkhldnlhbnn", "moz-extension://1234-abcd",
    "safari-web-extension://ABCD",
])
def test_local_and_extension_origins_are_allowed(api, origin):
    status, headers, reply = post(api, Origin=origin)
    assert (status, reply) == (200, {"result": 6, "error": None})
    assert headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", [
    "http://evil.example", "null", "https://localhost.evil.example", "http://localhost:8080",
])
def test_foreign_origin_is_refused_with_403(api, origin):
    status, headers, reply = post(api, Origin=origin)
    assert status == 403
    assert "access-control-allow-origin" not in headers
    assert reply["result"] is None and "not allowed" in reply["error"]


def test_simple_cross_site_text_plain_post_is_refused(api):
    status, _, _ = post(api, Origin="http://evil.example", **{"Content-Type": "text/plain"})
    assert status == 403


def test_anki_own_web_views_are_not_allowed_implicitly(anki, api):
    port = anki.driver("result = mw.mediaServer.getPort()")
    assert post(api, Origin=f"http://127.0.0.1:{port}")[0] == 403
    assert post(api, Origin="http://127.0.0.1:1")[0] == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.nip.io"])
def test_dns_rebinding_host_is_refused(api, host):
    assert post(api, Host=host)[0] == 403


@pytest.mark.parametrize("host", ["localhost", "localhost:8765", "127.0.0.1:8765", "[::1]:8765"])
def test_loopback_host_names_are_allowed(api, host):
    assert post(api, Host=host)[0] == 200


def test_star_allows_every_origin(api, config):
    config(webCorsOriginList=["*"])
    status, headers, _ = post(api, Origin="http://evil.example")
    assert status == 200 and headers["access-control-allow-origin"] == "*"


def test_listed_origin_is_allowed_and_echoed(api, config):
    config(webCorsOriginList=["http://localhost", "https://example.org"])
    status, headers, _ = post(api, Origin="https://example.org")
    assert status == 200 and headers["access-control-allow-origin"] == "https://example.org"


def test_without_localhost_extensions_are_not_implied(api, config):
    config(webCorsOriginList=["https://example.org"])
    assert post(api, Origin="chrome-extension://abc")[0] == 403


def test_preflight_succeeds_for_unknown_origin_but_runs_nothing(api):
    status, headers, data = api.raw(method="OPTIONS", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 200 and data == b""
    assert headers["access-control-allow-origin"] == "http://evil.example"


def test_request_permission_from_allowed_origin_is_granted(api):
    status, headers, reply = post(api, {"action": "requestPermission", "version": 6},
                                  Origin="chrome-extension://abc")
    assert reply == {"result": {"permission": "granted", "requireApikey": False, "version": 6},
                     "error": None}


def _permission_in_thread(api, origin):
    box = {}

    def run():
        box["reply"] = post(ApiClient(api.port),
                            {"action": "requestPermission", "version": 6}, Origin=origin)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


CLICK = """
from aqt.qt import QApplication
boxes = [w for w in QApplication.topLevelWidgets()
         if w.objectName() == "ankiconnect-permission" and w.isVisible()]
result = None
if boxes:
    box = boxes[0]
    result = box.text()
    [b for b in box.buttons() if b.text() == {label!r}][0].click()
"""


def test_request_permission_asks_user_and_remembers_allow(anki, api, config):
    config()  # restore the origin lists afterwards
    origin = "https://allowed-by-user.example"
    assert post(api, Origin=origin)[0] == 403
    thread, box = _permission_in_thread(api, origin)
    text = anki.wait_for(CLICK.format(label="Allow"))
    thread.join(10)
    assert origin in text
    status, headers, reply = box["reply"]
    assert status == 200 and headers["access-control-allow-origin"] == origin
    assert reply["result"] == {"permission": "granted", "requireApikey": False, "version": 6}
    assert origin in anki.driver("result = mw.addonManager.getConfig(ac.module)['webCorsOriginList']")
    assert post(api, Origin=origin)[0] == 200


def test_request_permission_deny_and_ignore(anki, api, config):
    config()
    origin = "https://denied.example"
    thread, box = _permission_in_thread(api, origin)
    anki.wait_for(CLICK.format(label="Deny"))
    thread.join(10)
    assert box["reply"][2]["result"] == {"permission": "denied"}
    assert box["reply"][1]["access-control-allow-origin"] == origin
    assert post(api, Origin=origin)[0] == 403

    thread, box = _permission_in_thread(api, origin)
    anki.wait_for(CLICK.format(label="Ignore this origin"))
    thread.join(10)
    assert box["reply"][2]["result"] == {"permission": "denied"}
    assert origin in anki.driver("result = mw.addonManager.getConfig(ac.module)['ignoreOriginList']")
    # ignored from now on: denied at once, no dialog
    status, _, reply = post(api, {"action": "requestPermission", "version": 6}, Origin=origin)
    assert reply["result"] == {"permission": "denied"}
    assert not anki.driver(
        "from aqt.qt import QApplication\nresult = [w for w in QApplication.topLevelWidgets()"
        " if w.objectName() == 'ankiconnect-permission' and w.isVisible()]")


def test_permission_dialog_does_not_block_other_clients(anki, api, config):
    config()
    thread, box = _permission_in_thread(api, "https://waiting.example")
    anki.wait_for("from aqt.qt import QApplication\nresult = any(w.objectName() == "
                  "'ankiconnect-permission' and w.isVisible() for w in QApplication.topLevelWidgets())")
    assert api.call("deckNames") == ["Default"]  # served while the dialog is open
    anki.wait_for(CLICK.format(label="Deny"))
    thread.join(10)
    assert box["reply"][2]["result"] == {"permission": "denied"}


def test_config_dialog_save_applies_without_restart(anki, api, config):
    """Anki's own config editor: saving calls the add-on's update action."""
    config()
    anki.driver("""
import json
from aqt.addons import ConfigEditor
from aqt.qt import QWidget
holder = QWidget()
holder.mgr = mw.addonManager
conf = mw.addonManager.getConfig(ac.module)
editor = ConfigEditor(holder, ac.module, conf)
conf = dict(conf, webCorsOriginList=["http://localhost", "https://from-dialog.example"])
editor.form.editor.setPlainText(json.dumps(conf))
editor.accept()
result = True
""")
    assert post(api, Origin="https://from-dialog.example")[0] == 200
