"""large_data gives exactly what the json module gives, for large bodies too
(where it handles long strings apart): compared on generated bodies, valid
and broken.  Plain Python: large_data imports nothing of Anki's."""
import base64
import importlib.util
import json
import os
import random
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "large_data", Path(__file__).resolve().parent.parent / "large_data.py")
large_data = importlib.util.module_from_spec(spec)
spec.loader.exec_module(large_data)

LONG = large_data.LONG_STRING


def reference(body):
    try:
        return "ok", json.loads(body.decode("utf-8-sig"))
    except Exception as e:
        return type(e).__name__, str(e)


def ours(body):
    try:
        return "ok", large_data.loads(body)
    except Exception as e:
        return type(e).__name__, str(e)


def b64(n):
    return base64.b64encode(os.urandom(n)).decode()


def big_bodies(rng):
    data = b64(3 * LONG)
    yield json.dumps({"action": "storeMediaFile", "version": 6,
                      "params": {"filename": "a.bin", "data": data}}).encode()
    yield json.dumps({"action": "multi", "params": {"actions": [
        {"action": "storeMediaFile", "params": {"filename": f"{i}", "data": b64(2 * LONG + i)}}
        for i in range(3)]}}).encode()
    # a long string as a key, next to small strings with escapes
    yield json.dumps({data: 1, "a\"b": "c\\d", "e": ["\u00e9", data[:LONG * 3]]}).encode()
    # non-ASCII long string, with and without ensure_ascii
    text = "言葉" * LONG
    yield json.dumps({"text": text}, ensure_ascii=False).encode()
    yield json.dumps({"text": text}).encode()
    # a long stretch without quotes that is not a string
    yield json.dumps({"ids": list(range(60000)), "x": "y" * (2 * LONG)}).encode()
    # escapes before the long string (backslashes before quotes)
    yield json.dumps({"q": 'x\\"y\\\\', "r": "\\\\\\\"", "d": data}).encode()
    yield json.dumps([data, data, "", data]).encode()
    yield json.dumps(data).encode()
    yield b"\xef\xbb\xbf" + json.dumps({"d": data}).encode()
    # broken: control character, invalid UTF-8, unterminated, a stray byte
    body = json.dumps({"d": data}).encode()
    at = len(body) // 2
    yield body[:at] + b"\n" + body[at + 1:]
    yield body[:at] + b"\xff" + body[at + 1:]
    yield body[:at] + "é".encode() + body[at + 1:]
    yield body[:-2]
    yield body[:5] + b"x" + body[5:]
    yield b'{"a": 1, ' + body[1:]
    yield body + b"]"
    yield b"\xef\xbb\xbf\xef\xbb\xbf" + body
    yield b'{"a": "' + b"A" * (3 * LONG) + b'\\"' + b"B" * (3 * LONG) + b'"}'
    yield b'{"a": "' + b"A" * (3 * LONG) + b'\\u00e9' + b"B" * (3 * LONG) + b'"}'
    yield b'{"a": NaN, "b": "' + b"A" * (3 * LONG) + b'", "c": 1e400, "d": 123456789012345678901234567890}'
    yield b'{"a": "' + b"A" * (3 * LONG) + b'", "a": "dup"}'
    yield b'["\\ud800", "' + b"A" * (3 * LONG) + b'"]'
    yield b"[" * 100000 + b'"' + b"A" * (3 * LONG) + b'"' + b"]" * 100000
    for _ in range(30):  # random cuts and flips of a valid body
        body = bytearray(rng.choice([
            json.dumps({"d": data, "e": "x\"y"}).encode(),
            json.dumps([{"k": "v"}, data, 1.5, None, True]).encode(),
        ]))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(body))
            body[at] = rng.choice(b'"\\{}[],:x\x00\x1f \xc3')
        yield bytes(body)


def test_large_bodies_parse_as_json_does():
    rng = random.Random(7)
    shortcut_used = 0
    for body in big_bodies(rng):
        body = body if len(body) >= large_data.LARGE_BODY else body + b" " * large_data.LARGE_BODY
        assert ours(body) == reference(body), body[:80]
        shortcut_used += large_data._long_strings(body, 0) != []
    assert shortcut_used > 15


@pytest.mark.parametrize("reply", [
    {"result": b64(3 * LONG), "error": None},
    {"result": "言葉\"\\\n\x7f" * LONG, "error": None},
    {"error": "x", "result": "é" * (2 * LONG)},
    b64(2 * LONG),
    {"result": "short", "error": None},
    {"result": [b64(3 * LONG)], "error": None},
    [1, 2, 3],
    None,
])
def test_replies_encode_as_json_does(reply):
    assert b"".join(large_data.dumps(reply)) == json.dumps(reply).encode("ascii")


def b64_reference(text):
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


@pytest.mark.parametrize("size", [(1 << 20) * 3, (1 << 20) * 3 + 1, (1 << 20) * 3 + 2])
def test_large_base64_decodes_exactly_as_binascii(size):
    text = base64.b64encode(os.urandom(size)).decode()
    pieces = large_data.b64decode_unlocked(text)
    if pieces is None:
        pytest.skip("no OpenSSL through ctypes here: the usual decoding is used")
    assert b"".join(pieces) == b64_reference(text)


@pytest.mark.parametrize("change", [
    lambda t: t[:1000] + "=" + t[1001:],  # padding inside: zero bits to OpenSSL
    lambda t: t[:1] + "=" + t[2:],
    lambda t: t[:-5] + "=" + t[-4:],
    lambda t: t[:1000] + "\n" + t[1001:],
    lambda t: " " + t[1:],  # OpenSSL would trim it
    lambda t: t[:-5] + "\n" + t[-4:],
    lambda t: t[:1000] + "*" + t[1001:],
    lambda t: t[:1000] + "é" + t[1001:],
    lambda t: t[:-4] + "QQ=A",
    lambda t: t[:-4] + "Q===",
    lambda t: t[:-1],
])
def test_large_base64_that_binascii_refuses_is_left_to_the_caller(change):
    text = change(base64.b64encode(os.urandom((1 << 20) * 3)).decode())
    assert b64_reference(text) is None
    assert large_data.b64decode_unlocked(text) is None


def test_finding_a_byte_in_a_large_body_is_bytes_find():
    body = bytearray(b"x" * (3 << 20))
    for at in (0, 1, 1 << 20, len(body) - 1):
        body[at] = ord("\\")
    body = bytes(body)
    for begin, end in [(0, len(body)), (1, len(body)), (2, len(body) - 1), (2, len(body)),
                       (5, 5 + (1 << 20)), (5, 6 + (1 << 20)), ((1 << 20) + 1, len(body) - 1)]:
        assert large_data.find_byte(body, b"\\", begin, end) == body.find(b"\\", begin, end)
    assert large_data.find_byte(body, b"y") == -1


@pytest.mark.parametrize("inserted", [b"\x01", b"\x1f", b"\x00", b"\x7f", "é".encode(), b"\xff"])
def test_long_string_checks_find_what_json_refuses(inserted):
    data = base64.b64encode(os.urandom(2 << 20))
    body = b'{"d": "' + data[:700000] + inserted + data[700001:] + b'", "e": [1, "x"]}'
    assert ours(body) == reference(body)


@pytest.mark.parametrize("size", [(1 << 20) * 3, (1 << 20) * 3 + 1, (1 << 20) * 3 + 2])
def test_large_base64_encodes_exactly_as_binascii(size):
    data = os.urandom(size)
    text = large_data.b64encode_unlocked(data)
    if text is None:
        pytest.skip("no OpenSSL through ctypes here: the usual encoding is used")
    assert text == base64.b64encode(data).decode("ascii")


@pytest.mark.parametrize("inserted", ["", '"', "\\", "\x01", "\x7f", "é", "\u2028"])
def test_long_results_are_written_exactly_as_json_dumps(inserted):
    text = base64.b64encode(os.urandom(3 << 20)).decode()
    text = text[:5000] + inserted + text[5000:]
    for reply in ({"result": text, "error": None}, text):
        assert b"".join(large_data.dumps(reply)) == json.dumps(reply).encode("ascii")
