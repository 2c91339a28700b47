"""IPv6 loopback: clients that resolve `localhost` to ::1 first (Node.js
does) find the server too, under the same rules as on 127.0.0.1."""
import http.client
import json
import socket

import pytest

from harness import HeadlessProcess


def machine_has_ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not machine_has_ipv6_loopback(), reason="no ::1 on this machine")


def post(port, body, host="::1", headers=None):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("POST", "/", body=json.dumps(body), headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@needs_ipv6
def test_bound_to_loopback_it_answers_on_ipv6_too(api):
    status, body = post(api.port, {"action": "deckNames", "version": 6})
    assert status == 200 and json.loads(body) == {"result": ["Default"], "error": None}
    conn = http.client.HTTPConnection("::1", api.port, timeout=30)
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"AnkiConnect v.6"
    conn.close()


@needs_ipv6
def test_the_same_rules_hold_on_ipv6(api):
    # a DNS-rebinding Host and a foreign Origin are refused there as well
    status, _ = post(api.port, {"action": "deckNames", "version": 6},
                     headers={"Host": f"evil.example:{api.port}"})
    assert status == 403
    status, _ = post(api.port, {"action": "deckNames", "version": 6},
                     headers={"Origin": "https://evil.example"})
    assert status == 403
    status, _ = post(api.port, {"action": "deckNames", "version": 6},
                     headers={"Host": f"[::1]:{api.port}", "Origin": "http://localhost"})
    assert status == 200


def own_address() -> str:
    """This machine's address on its network (not loopback), or ''."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # (UDP: nothing is sent)
            address = s.getsockname()[0]
    except OSError:
        return ""
    return "" if address.startswith("127.") else address


@needs_ipv6
@pytest.mark.skipif(not own_address(), reason="no network address on this machine")
def test_bound_to_another_address_it_listens_there_only():
    address = own_address()
    server = HeadlessProcess(args=("--bind", address), address=address,
                             env={"ANKICONNECT_API_KEY": "a long secret key"})
    server.start()
    try:
        status, body = post(server.port, {"action": "version", "version": 6, "key": "a long secret key"},
                            host=address)
        assert status == 200 and json.loads(body)["result"] == 6
        for other in ("::1", "127.0.0.1"):
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((other, server.port), timeout=5).close()
    finally:
        server.cleanup()
