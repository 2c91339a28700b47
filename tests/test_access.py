"""Who may call: browser origins, Host names, requestPermission."""
import json
import threading

import pytest

from harness import ApiClient, Recorder

VERSION = {"action": "version", "version": 6}


def post(api, body=VERSION, **headers):
    status, hdrs, data = api.raw(body, headers=headers)
    return status, hdrs, json.loads(data) if data else None


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


@pytest.mark.parametrize("body", [
    b"", b"{1: 2}", b"\xe7\x8c", b"1.2", b"{}", b'{"action": 1}',
    b'{"action": "requestPermission", "version": "6"}',  # not a valid request: not run either
])
def test_refused_origin_gets_403_whatever_the_body(api, body):
    """Who is calling is decided before the body: a page that may not call
    learns nothing from the body's faults (not even the banner)."""
    for origin in ("http://evil.example", "null", "foo"):
        status, headers, data = api.raw(body, headers={"Origin": origin})
        assert status == 403, (origin, body, data)
        assert "access-control-allow-origin" not in headers
        assert json.loads(data)["result"] is None
    status, _, data = api.raw(method="GET", headers={"Origin": "http://evil.example"})
    assert status == 403
    assert post(api, Host="evil.example", body=b"{1: 2}")[0] == 403


def preflight(api, origin, **headers):
    return api.raw(method="OPTIONS", headers=dict({
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"}, **headers))


def test_preflight_grants_nothing_to_an_origin_that_may_not_call(api):
    for origin in ("http://evil.example", "null", "http://localhost:8080"):
        status, headers, data = preflight(
            api, origin, **{"Access-Control-Request-Private-Network": "true"})
        assert status == 200 and data == b""
        assert not [h for h in headers if h.startswith("access-control-")], (origin, headers)
    # nor through a rebinding Host name (to an origin allowed only implicitly)
    _, headers, _ = preflight(api, "http://127.0.0.1:3000", Host="rebind.evil.example:8765")
    assert "access-control-allow-origin" not in headers


def test_preflight_grants_an_allowed_origin_its_own_name(api):
    for origin in ("http://localhost", "http://127.0.0.1:3000", "moz-extension://1234-abcd"):
        status, headers, _ = preflight(
            api, origin, **{"Access-Control-Request-Private-Network": "true"})
        assert status == 200
        assert headers["access-control-allow-origin"] == origin
        assert headers["access-control-allow-headers"] == "content-type"
        assert headers["access-control-allow-private-network"] == "true"
    _, headers, _ = preflight(api, "http://localhost")
    assert "access-control-allow-private-network" not in headers  # only when asked


def test_preflight_with_star_grants_star(api, config):
    config(webCorsOriginList=["*"])
    _, headers, _ = preflight(api, "http://evil.example")
    assert headers["access-control-allow-origin"] == "*"


def test_refused_page_reaches_request_permission_with_a_simple_post(anki, api, config):
    """A page that is not allowed gets no preflight, but a text/plain POST
    (which browsers send without one) reaches requestPermission, and the
    page may read the answer."""
    origin = "https://ignored.example"
    config(ignoreOriginList=[origin])  # denied at once, without asking
    assert "access-control-allow-origin" not in preflight(api, origin)[1]
    status, headers, reply = post(api, {"action": "requestPermission", "version": 6},
                                  Origin=origin, **{"Content-Type": "text/plain"})
    assert (status, reply) == (200, {"result": {"permission": "denied"}, "error": None})
    assert headers["access-control-allow-origin"] == origin


PAGE = """<html><body><script>
(async function () {
  var api = "http://127.0.0.1:%(api)d/", out = {};
  var ask = JSON.stringify({action: "requestPermission", version: 6});
  try {  // application/json: the browser asks first (a preflight)
    var r = await fetch(api, {method: "POST", headers: {"Content-Type": "application/json"},
                              body: ask});
    out.json = await r.json();
  } catch (e) { out.json = "refused"; }
  try {  // a string body is text/plain: a simple request, sent without asking
    out.plain = await (await fetch(api, {method: "POST", body: ask})).json();
  } catch (e) { out.plain = "refused " + e; }
  fetch("http://127.0.0.1:%(recorder)d/", {method: "POST", body: JSON.stringify(out)});
})();
</script></body></html>"""


def test_browser_page_that_may_not_call_can_still_ask_for_permission(anki, api, config):
    """In a real browser (Anki's Chromium): a page from an origin that may
    not call is refused at the preflight (so even requestPermission is not
    sent as application/json), and reaches requestPermission with a simple
    POST, whose answer it can read."""
    recorder = Recorder()
    page_origin = f"http://localhost:{recorder.port}"  # not implied by http://localhost
    config(ignoreOriginList=[page_origin])  # denied at once, without asking
    try:
        html = PAGE % {"api": api.port, "recorder": recorder.port}
        anki.driver(f"from aqt.qt import QUrl, QWebEngineView\n"
                    f"mw._ankiconnect_test_page = view = QWebEngineView()\n"
                    f"view.setHtml({html!r}, QUrl({page_origin + '/'!r}))")
        headers, body = recorder.wait()[0]
    finally:
        anki.driver("mw._ankiconnect_test_page.deleteLater()\ndel mw._ankiconnect_test_page")
        recorder.close()
    assert headers.get("Origin") == page_origin
    assert json.loads(body) == {"json": "refused", "plain": {
        "result": {"permission": "denied"}, "error": None}}
    assert api.call("deckNames") == ["Default"]


def test_request_permission_from_allowed_origin_is_granted(api):
    status, headers, reply = post(api, {"action": "requestPermission", "version": 6},
                                  Origin="chrome-extension://abc")
    assert reply == {"result": {"permission": "granted", "requireApikey": False, "version": 6},
                     "error": None}


def _permission_in_thread(api, origin):
    box = {}

    def run():  # as a page that may not call sends it: a simple POST, no preflight
        box["reply"] = post(ApiClient(api.port), {"action": "requestPermission", "version": 6},
                            Origin=origin, **{"Content-Type": "text/plain"})

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
