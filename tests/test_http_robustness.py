"""Hostile and broken HTTP: the server answers or closes, and keeps serving."""
import json
import socket
import threading
import time

import pytest

VERSION = json.dumps({"action": "version", "version": 6}).encode()


def exchange(port, data, timeout=10, read_until_close=True):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if not read_until_close and b"\r\n\r\n" in out:
                    break
        except socket.timeout:
            pass
        return out


def rss_mb(anki):
    return anki.driver(
        "result = int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]) // 1024")


def test_oversized_content_length_is_refused_without_reading_it(api):
    started = time.time()
    head = (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % (10 ** 12))
    reply = exchange(api.port, head + b"{", timeout=10)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
    assert time.time() - started < 5
    assert api.call("version") == 6


def test_lying_content_length_does_not_block_others(api):
    slow = socket.create_connection(("127.0.0.1", api.port))
    slow.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n{\"action\"")
    try:
        assert api.call("version") == 6
    finally:
        slow.close()


def test_many_idle_and_slow_connections_do_not_starve_clients(api):
    idle = []
    try:
        for i in range(200):
            s = socket.create_connection(("127.0.0.1", api.port))
            if i % 2:
                s.sendall(b"POST / HTTP/1.1\r\nHost: local")  # a header, never finished
            idle.append(s)
        started = time.time()
        for _ in range(20):
            assert api.call("version") == 6
        assert time.time() - started < 5
    finally:
        for s in idle:
            s.close()


@pytest.mark.parametrize("garbage", [
    b"\x00\x01\x02\x03garbage\r\n\r\n",
    b"NOT HTTP AT ALL\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n0\r\n\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
])
def test_garbage_is_answered_or_closed_and_server_keeps_serving(api, garbage):
    reply = exchange(api.port, garbage, timeout=5)
    assert reply == b"" or reply.startswith(b"HTTP/1.")
    assert api.call("version") == 6


def test_megabyte_header_line_is_refused(api):
    head = b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * (1024 * 1024) + b"\r\n"
    reply = b""
    try:
        reply = exchange(api.port, head + b"Content-Length: 2\r\n\r\n{}", timeout=10)
    except (ConnectionResetError, BrokenPipeError):
        pass  # refused before all of it was read
    assert reply == b"" or reply.split(b" ")[1] in (b"400", b"413", b"431")
    assert api.call("version") == 6


def test_deeply_nested_json_gets_an_error(api):
    for depth in (10_000, 1_000_000):
        body = b'{"action": "version", "params": {"x": ' + b"[" * depth + b"]" * depth + b"}}"
        status, _, data = api.raw(body)
        reply = json.loads(data)
        assert status == 200 and reply["result"] is None and reply["error"]
    assert api.call("version") == 6


@pytest.mark.parametrize("template", [b"%s", b'{"params": %s}', b'{"action": "version", "params": %s}'])
def test_nesting_that_jsonschemas_text_cannot_quote_gets_an_error(api, template):
    """Parsed, but too deep for jsonschema's text about it (which quotes the
    request) to be written."""
    for depth in (200, 600, 900):
        status, _, data = api.raw(template % (b"[" * depth + b"]" * depth))
        reply = json.loads(data)
        assert status == 200 and reply["result"] is None and reply["error"], depth
    assert api.call("version") == 6


def test_huge_numbers_and_odd_values(api):
    for body in (b'{"action": "version", "version": 1e999}',
                 b'{"action": "version", "version": ' + b"9" * 5000 + b"}",
                 b'{"action": 5}', b'{"action": null}', b'{"action": ["version"]}'):
        status, _, data = api.raw(body)
        assert status == 200
        assert json.loads(data)["result"] is None
    assert api.call("version") == 6


def test_256_clients_connecting_at_once_are_all_answered(api):
    results = []
    lock = threading.Lock()
    start = threading.Event()

    def one():
        start.wait()
        req = b"POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(VERSION)
        try:
            reply = exchange(api.port, req + VERSION, timeout=30)
        except OSError as e:
            reply = repr(e).encode()
        with lock:
            results.append(reply.endswith(b'{"result": 6, "error": null}'))

    threads = [threading.Thread(target=one) for _ in range(256)]
    for t in threads:
        t.start()
    start.set()
    for t in threads:
        t.join(60)
    assert len(results) == 256 and all(results)


def test_memory_stays_bounded_under_large_and_broken_bodies(anki, api):
    before = rss_mb(anki)
    junk = b'{"action": "version", "params": {"x": "' + b"a" * (20 * 1024 * 1024) + b'"}}'
    for _ in range(10):
        status, _, data = api.raw(junk)
        assert status == 200 and json.loads(data)["result"] is None
        api.raw(b"\xff" * (5 * 1024 * 1024))
    after = rss_mb(anki)
    assert after - before < 300, (before, after)
    assert api.call("version") == 6


def test_request_size_limit_holds_for_declared_and_chunked_bodies(tmp_path):
    """webMaxRequestBytes: a declared or chunked body over it gets 413 without
    being buffered whole or run; the server keeps serving."""
    from harness import HeadlessProcess

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"webMaxRequestBytes": 100_000}))
    server = HeadlessProcess(base=tmp_path / "server", args=("--config", str(config))).start()
    try:
        client = server.client()
        head = b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 200000\r\n\r\n"
        started = time.time()
        assert exchange(server.port, head, timeout=10).startswith(b"HTTP/1.1 413")
        assert time.time() - started < 5  # answered without waiting for the body

        body = json.dumps({"action": "createDeck", "version": 6,
                           "params": {"deck": "x" * 1_000_000}}).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536])
                          for i in range(0, len(body), 65536)) + b"0\r\n\r\n"
        head = b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        try:
            reply = exchange(server.port, head + chunks, timeout=10)
        except (ConnectionResetError, BrokenPipeError):
            reply = b""  # refused before all of it was sent
        assert reply == b"" or reply.startswith(b"HTTP/1.1 413"), reply[:100]

        small = json.dumps({"action": "createDeck", "version": 6, "params": {"deck": "y" * 50_000}})
        assert client.raw(small)[0] == 200
        assert client.call("deckNames") == ["Default", "y" * 50_000]
    finally:
        server.cleanup()
