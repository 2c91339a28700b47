# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Large requests and replies (media of many MB) without holding up Anki.

A 20 MB file sent to storeMediaFile is a 27 MB JSON body of base64.  Python
runs one thread at a time (the interpreter lock), and long C calls keep the
lock throughout: `json.loads` of that body takes ~40 ms, `json.dumps` of the
same file from retrieveMediaFile ~75 ms, and even copying 27 MB into new
memory ~25 ms on a machine where touching fresh memory is slow.  Meanwhile
no other thread of Anki runs: its main thread and other clients' small
requests wait.  So here:

- JSON: long strings are cut out of a large body and handled apart, a
  slice at a time, and the rest goes through the json module as usual
  (`loads`, `dumps`).  The results are exactly
  json.loads(body.decode("utf-8-sig")) and json.dumps(reply).encode("ascii");
  whenever the shortcut is not sure, the json module does the whole work.
- Large str copies (`ascii_text`, `joined_text`) are done by memmove
  through ctypes, which lets other threads run meanwhile (CPython's
  b"".join of large bytes already does).  Likewise the check that a long
  string is plain ASCII (the C library's strcspn) and the decoding of
  large base64 (OpenSSL's EVP_DecodeBlock, `b64decode_unlocked`).
- While a thread works through large data, other threads get the lock
  every 0.25 ms instead of every 5 ms (`share_interpreter`).

This module must not import aqt (the headless host uses it).
"""
from __future__ import annotations

import base64
import codecs
import json
import os
import sys
import threading
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Tuple

#: bodies from this size are searched for long strings
LARGE_BODY = 1 << 20
#: strings from this size are handled apart (a window this long without a
#: quote is inside one)
LONG_STRING = 1 << 16
#: bytes or characters handled per slice (well under a millisecond each)
SLICE = 1 << 16
#: how often a thread doing long work on large data lets others run, in s
SHARED_SWITCH_INTERVAL = 0.00025
#: bytes a JSON string cannot hold unescaped
_CONTROL = bytes(range(32))
#: ASCII characters json.dumps writes as they are (no escape)
_PLAIN = bytes(c for c in range(32, 127) if c not in b'"\\')


# ---------------------------------------------------------------------------
# Sharing the interpreter

_sharing_lock = threading.Lock()
_sharing = 0
_saved_interval = 0.005


@contextmanager
def share_interpreter() -> Iterator[None]:
    """While the block works through large data a slice at a time, let
    other threads take the interpreter lock every SHARED_SWITCH_INTERVAL
    instead of Python's 5 ms.  A small request passes the lock between
    threads several times (HTTP thread, worker, Anki's main thread), and
    would otherwise wait up to 5 ms each time.  The interval is the
    process's: it is restored when the last such block ends."""
    global _sharing, _saved_interval
    with _sharing_lock:
        if _sharing == 0:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved_interval, SHARED_SWITCH_INTERVAL))
        _sharing += 1
    try:
        yield
    finally:
        with _sharing_lock:
            _sharing -= 1
            if _sharing == 0:
                sys.setswitchinterval(_saved_interval)


# ---------------------------------------------------------------------------
# Copying large buffers without the interpreter lock
#
# A new str is created empty with the C API, PyUnicode_New(n, 127) (no
# memory is touched yet), and filled with memmove, a ctypes call that
# releases the lock, so the page faults of fresh memory and the copy happen
# while other threads run.  Filling a new object before anyone else sees it
# is how C code builds strings; a str made with maxchar 127 is compact
# ASCII, whose UTF-8 buffer (PyUnicode_AsUTF8AndSize) is its text.  Each
# result is checked at both ends; on anything unexpected (another Python,
# no ctypes) the plain copy is made instead.

_LARGE_COPY = 1 << 20
_capi: Any = None


def _c_api() -> Any:
    global _capi
    if _capi is None:
        _capi = False
        try:
            import ctypes
            import platform

            if platform.python_implementation() == "CPython":
                api = ctypes.PyDLL(None, handle=ctypes.pythonapi._handle)  # own prototypes
                api.PyBytes_AsString.restype = ctypes.c_void_p
                api.PyBytes_AsString.argtypes = [ctypes.py_object]
                api.PyBytes_FromStringAndSize.restype = ctypes.py_object
                api.PyBytes_FromStringAndSize.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t]
                api.PyUnicode_New.restype = ctypes.py_object
                api.PyUnicode_New.argtypes = [ctypes.c_ssize_t, ctypes.c_uint32]
                api.PyUnicode_AsUTF8AndSize.restype = ctypes.c_void_p
                api.PyUnicode_AsUTF8AndSize.argtypes = [ctypes.py_object, ctypes.c_void_p]
                _capi = (api, ctypes.memmove)
        except Exception:
            _capi = False
    return _capi or None


def _filled(make: Any, address: Any, sources: List[Tuple[Any, int, int]], size: int) -> Any:
    """A new object of `size` from `make(size)`, filled from (source
    address, length, offset) pieces; None if that cannot be done."""
    api = _c_api()
    if api is None:
        return None
    out = make(api[0], size)
    base = address(api[0], out)
    if not base:
        return None
    memmove = api[1]
    for source, length, offset in sources:
        memmove(base + offset, source, length)
    return out


def joined_text(pieces: List[str]) -> str:
    """"".join(pieces) for ASCII pieces."""
    size = sum(len(p) for p in pieces)
    if size >= _LARGE_COPY and all(p.isascii() for p in pieces):
        api = _c_api()
        sources, at = [], 0
        for p in pieces:
            if p:
                address = api[0].PyUnicode_AsUTF8AndSize(p, None) if api else None
                if not address:
                    return "".join(pieces)
                sources.append((address, len(p), at))
                at += len(p)
        out = _filled(lambda api, n: api.PyUnicode_New(n, 127),
                      lambda api, o: api.PyUnicode_AsUTF8AndSize(o, None), sources, size)
        if out is not None and _same_ends(out, pieces[0], pieces[-1]):
            return out
    return "".join(pieces)


def ascii_text(body: bytes, begin: int, end: int) -> str:
    """body[begin:end].decode("ascii") (already known to be ASCII)."""
    size = end - begin
    if size >= _LARGE_COPY:
        api = _c_api()
        source = api[0].PyBytes_AsString(body) if api else None
        if source:
            out = _filled(lambda api, n: api.PyUnicode_New(n, 127),
                          lambda api, o: api.PyUnicode_AsUTF8AndSize(o, None),
                          [(source + begin, size, 0)], size)
            if out is not None and _same_ends(out, body[begin:begin + 64].decode("ascii"),
                                              body[end - 64:end].decode("ascii")):
                return out
    return str(memoryview(body)[begin:end], "ascii")


def _same_ends(out: Any, first: Any, last: Any) -> bool:
    head, tail = first[:64], last[-64:]
    return out[:len(head)] == head and (not tail or out[-len(tail):] == tail)


# ---------------------------------------------------------------------------
# Decoding large base64 without the interpreter lock
#
# binascii decodes with the lock held (~90 ms for a 20 MB file, in slices or
# not), and every small request meanwhile waits for it at each of its hops
# between threads.  OpenSSL's EVP_DecodeBlock, called through ctypes (which
# lets the lock go for the call), decodes the same data in ~15 ms while other
# threads run.  It is used only where it decodes exactly as
# base64.b64decode(validate=True): the text is all but the last 4-character
# group, it holds no "=" (which EVP_DecodeBlock would read as zero bits) and
# starts and ends with a base64 character (it trims whitespace at either end);
# any other character makes it fail, and the caller decodes the usual way.

_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_libcrypto: Any = None


def _openssl(name: str) -> Any:
    """OpenSSL's int `name`(unsigned char *to, const unsigned char *from,
    int n) through ctypes, or None where there is no libcrypto to load."""
    global _libcrypto
    if _libcrypto is None:
        _libcrypto = False
        try:
            import ctypes
            import ctypes.util

            for lib in filter(None, ["libcrypto.so.3", "libcrypto.so.1.1",
                                     ctypes.util.find_library("crypto")]):
                try:
                    _libcrypto = ctypes.CDLL(lib)
                    break
                except OSError:
                    continue
        except Exception:
            _libcrypto = False
    try:
        function = getattr(_libcrypto, name) if _libcrypto else None
    except AttributeError:
        return None
    if function is not None and function.argtypes is None:
        import ctypes

        function.restype = ctypes.c_int
        function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    return function


def b64decode_unlocked(text: str) -> Optional[List[bytes]]:
    """base64.b64decode(text, validate=True) of a large str, as two
    consecutive pieces, decoded while other threads run; None when this
    cannot be done here (small or odd-shaped text, invalid characters, no
    OpenSSL or ctypes): then the caller decodes it itself."""
    size = len(text) - 4
    if size < _LARGE_COPY or size % 4 or size >= 1 << 31 or not text.isascii():
        return None
    if text[0] not in _B64_CHARS or text[size - 1] not in _B64_CHARS:
        return None
    api, decode = _c_api(), _openssl("EVP_DecodeBlock")
    if api is None or decode is None:
        return None
    source = api[0].PyUnicode_AsUTF8AndSize(text, None)
    # (EVP_DecodeBlock would take "=" inside the text for padding)
    if not source or _memchr(source, ord("="), size) != -1:
        return None
    out_size = size // 4 * 3
    out = api[0].PyBytes_FromStringAndSize(None, out_size)
    target = api[0].PyBytes_AsString(out)
    if not target or decode(target, source, size) != out_size:
        return None
    try:
        last = base64.b64decode(text[size:], validate=True)
    except ValueError:  # binascii.Error
        return None
    return [out, last]


def b64encode_unlocked_applies(size: int) -> bool:
    """Whether b64encode_unlocked encodes `size` bytes here (large enough,
    and OpenSSL reachable through ctypes)."""
    return (_LARGE_COPY <= size and (size + 2) // 3 * 4 < 1 << 31
            and _c_api() is not None and _openssl("EVP_EncodeBlock") is not None)


def b64encode_unlocked(data: bytes) -> Optional[str]:
    """base64.b64encode(data).decode("ascii") of large data, encoded by
    OpenSSL's EVP_EncodeBlock while other threads run; None when this
    cannot be done here (then the caller encodes it itself)."""
    size = len(data)
    out_size = (size + 2) // 3 * 4
    if not b64encode_unlocked_applies(size):
        return None
    api, encode = _c_api(), _openssl("EVP_EncodeBlock")
    source = api[0].PyBytes_AsString(data)
    out = api[0].PyUnicode_New(out_size, 127)
    target = api[0].PyUnicode_AsUTF8AndSize(out, None)
    # (EVP_EncodeBlock ends the text with a NUL: where a str has its own)
    if not source or not target or encode(target, source, size) != out_size:
        return None
    tail = size - (size % 3 or 3)
    if not _same_ends(out, base64.b64encode(data[:48]).decode("ascii"),
                      base64.b64encode(data[tail:]).decode("ascii")):
        return None
    return out


# ---------------------------------------------------------------------------
# Requests


def loads(body: bytes) -> Any:
    """json.loads(body.decode("utf-8-sig")): the same value, or the same error."""
    if len(body) >= LARGE_BODY:
        try:
            with share_interpreter():
                value = _loads_with_long_strings(body)
        except Exception:  # anything unexpected: the json module decides
            value = None
        if value is not None:
            return value[0]
    return json.loads(body.decode("utf-8-sig"))


def _loads_with_long_strings(body: bytes) -> Optional[Tuple[Any]]:
    """(value,) parsed with long strings cut out of the JSON text, or None
    when there are none or the body needs the json module's judgement."""
    start = len(codecs.BOM_UTF8) if body.startswith(codecs.BOM_UTF8) else 0
    spans = _long_strings(body, start)
    if not spans:
        return None
    nonce = os.urandom(8).hex()
    view = memoryview(body)
    parts: List[bytes] = []
    strings: Dict[str, str] = {}
    at = start
    for i, (open_quote, close_quote) in enumerate(spans):
        text = _string_at(body, view, open_quote + 1, close_quote)
        if text is None:
            return None
        # the placeholder starts with an escape, so a body whose quotes were
        # misjudged does not parse (and the json module takes over)
        key = f"\x00{nonce}:{i}"
        strings[key] = text
        parts += [body[at:open_quote], b'"\\u0000' + f"{nonce}:{i}".encode() + b'"']
        at = close_quote + 1
    parts.append(body[at:])
    skeleton = b"".join(parts).decode("utf-8")
    del parts
    value = json.loads(skeleton)
    return (_put_back(value, strings),)


def _long_strings(body: bytes, start: int) -> List[Tuple[int, int]]:
    """(opening quote, closing quote) of the long strings without escapes."""
    spans = []
    pos, n = start, len(body)
    while pos + LONG_STRING <= n:
        if body.find(b'"', pos, pos + LONG_STRING) >= 0:
            pos += LONG_STRING
            continue
        # a stretch without quotes: inside a string, or a long array of numbers
        open_quote = body.rfind(b'"', start, pos)
        close_quote = find_byte(body, b'"', pos, n)
        if open_quote < 0 or close_quote < 0:
            break
        if (find_byte(body, b"\\", open_quote, close_quote) < 0
                and _delimiters_before(body, start, open_quote) % 2 == 0):
            spans.append((open_quote, close_quote))
        pos = close_quote + 1
    return spans


def find_byte(body: bytes, byte: bytes, begin: int = 0, end: Optional[int] = None) -> int:
    """body.find(byte, begin, end) for 0 <= begin <= end <= len(body): in a
    large body by the C library's memchr, which lets other threads run
    meanwhile, else a slice at a time (a single find in a large body would
    hold the interpreter lock for milliseconds)."""
    end = len(body) if end is None else end
    api = _c_api() if end - begin >= _LARGE_COPY and type(body) is bytes else None
    address = api[0].PyBytes_AsString(body) if api else None
    if address:
        found = _memchr(address + begin, byte[0], end - begin)
        if found is not None:
            return found if found < 0 else begin + found
    for at in range(begin, end, 8 * SLICE):
        found = body.find(byte, at, min(end, at + 8 * SLICE))
        if found >= 0:
            return found
    return -1


def _delimiters_before(body: bytes, start: int, end: int) -> int:
    """How many quotes in body[start:end] delimit strings (are not escaped)."""
    quotes = body.count(b'"', start, end)
    if body.find(b"\\", start, end) < 0:
        return quotes
    # a quote after an odd number of backslashes is escaped:
    # escaped = count(\") - count(\\") + count(\\\") - ...
    escaped, k, sign = 0, 1, 1
    while True:
        found = body.count(b"\\" * k + b'"', start, end)
        if not found:
            return quotes - escaped
        escaped += sign * found
        k, sign = k + 1, -sign


def _string_at(body: bytes, view: memoryview, begin: int, end: int) -> Optional[str]:
    """The text of a string without escapes, or None if JSON forbids it
    (control characters, not UTF-8)."""
    if _plain_ascii(body, begin, end):
        return ascii_text(body, begin, end)
    ascii_only = True
    for at in range(begin, end, SLICE):
        piece = body[at:min(end, at + SLICE)]
        if len(piece.translate(None, _CONTROL)) != len(piece):
            return None
        ascii_only = ascii_only and piece.isascii()
    if ascii_only:
        return ascii_text(body, begin, end)
    try:
        return str(view[begin:end], "utf-8")
    except UnicodeDecodeError:
        return None


#: what a plain ASCII JSON string cannot hold: a quote, control characters
#: and non-ASCII bytes (and NUL, which ends strcspn's scan anyway)
_NOT_PLAIN = b'"' + bytes(range(1, 32)) + bytes(range(128, 256))
_libc: Dict[str, Any] = {}


def _c_function(name: str) -> Any:
    """The C library's strcspn, memchr, mallopt or malloc_trim through
    ctypes (which lets other threads run during the call), or None where
    the C library has no such function (or ctypes cannot reach it)."""
    if name not in _libc:
        _libc[name] = None
        try:
            import ctypes as c

            restype, argtypes = {
                "strcspn": (c.c_size_t, [c.c_void_p, c.c_char_p]),
                "memchr": (c.c_void_p, [c.c_void_p, c.c_int, c.c_size_t]),
                "mallopt": (c.c_int, [c.c_int, c.c_int]),
                "malloc_trim": (c.c_int, [c.c_size_t]),
            }[name]
            function = getattr(c.CDLL(None), name)
            function.restype, function.argtypes = restype, argtypes
            _libc[name] = function
        except Exception:
            pass
    return _libc[name]


def _memchr(address: int, byte: int, size: int) -> Optional[int]:
    """Offset of the first `byte` in the `size` bytes at `address`, -1 if none;
    None when the C library cannot be reached here."""
    memchr = _c_function("memchr")
    if memchr is None:
        return None
    found = memchr(address, byte, size)
    return -1 if found is None else found - address


def _plain_ascii(body: bytes, begin: int, end: int) -> bool:
    """True if body[begin:end] is ASCII without control characters or
    quotes, found by the C library's strcspn, which lets other threads run
    meanwhile (the long scan of a large body holds no lock).  False when it
    is not, or when that cannot be done here; the caller looks itself."""
    api, strcspn = _c_api(), _c_function("strcspn")
    if strcspn is None or api is None or end - begin < _LARGE_COPY:
        return False
    address = api[0].PyBytes_AsString(body)  # ends with a NUL, as every bytes
    return bool(address) and strcspn(address + begin, _NOT_PLAIN) == end - begin


def _put_back(value: Any, strings: Dict[str, str]) -> Any:
    """`value` with the placeholders replaced by their strings."""
    if isinstance(value, str):
        return strings.get(value, value)
    left = len(strings)
    stack = [value]
    while stack and left:
        item = stack.pop()
        if isinstance(item, dict) and any(k in strings for k in item):
            renamed = {strings.get(k, k): v for k, v in item.items()}
            left -= sum(1 for k in item if k in strings)
            item.clear()
            item.update(renamed)
        # (replacing the value of a key or index does not upset the iteration)
        for key, v in item.items() if isinstance(item, dict) else enumerate(item):
            if isinstance(v, str):
                if v in strings:
                    item[key] = strings[v]
                    left -= 1
            elif isinstance(v, (dict, list)):
                stack.append(v)
    return value


# ---------------------------------------------------------------------------
# Replies


def dumps(reply: Any) -> List[bytes]:
    """json.dumps(reply).encode("ascii"), as pieces; a long string result
    (e.g. retrieveMediaFile's) is encoded a slice at a time."""
    long_text = _long_result(reply)
    if long_text is None:
        return [json.dumps(reply).encode("ascii")]
    marker = "\x00" + os.urandom(8).hex()
    if isinstance(reply, str):
        before, after = "", ""
    else:
        text = json.dumps(dict(reply, result=marker))
        before, _, after = text.partition(json.dumps(marker))
    pieces = [before.encode("ascii") + b'"']
    plain = _plain_ascii_bytes(long_text)
    if plain is not None:
        return pieces + [plain, b'"' + after.encode("ascii")]
    with share_interpreter():
        for at in range(0, len(long_text), SLICE):
            piece = long_text[at:at + SLICE]
            raw = piece.encode("ascii") if piece.isascii() else b""
            if raw and not raw.translate(None, _PLAIN):
                pieces.append(raw)  # nothing to escape
            else:
                pieces.append(json.dumps(piece)[1:-1].encode("ascii"))
    pieces.append(b'"' + after.encode("ascii"))
    return pieces


#: what json.dumps does not write as it is (NUL ends strcspn's scan anyway)
_ESCAPED = bytes(c for c in range(1, 256) if c not in _PLAIN)


def _plain_ascii_bytes(text: str) -> Optional[bytes]:
    """text.encode("ascii") when json.dumps would write `text` as it is (no
    escapes), checked by strcspn and copied by memmove while other threads
    run; None when it would not, or when that cannot be done here."""
    if len(text) < _LARGE_COPY or not text.isascii():
        return None
    api, strcspn = _c_api(), _c_function("strcspn")
    if api is None or strcspn is None:
        return None
    address = api[0].PyUnicode_AsUTF8AndSize(text, None)  # ends with a NUL
    if not address or strcspn(address, _ESCAPED) != len(text):
        return None
    out = _filled(lambda api, n: api.PyBytes_FromStringAndSize(None, n),
                  lambda api, o: api.PyBytes_AsString(o), [(address, len(text), 0)], len(text))
    if out is None or not _same_ends(out, text[:64].encode("ascii"), text[-64:].encode("ascii")):
        return None
    return out


def _long_result(reply: Any) -> Optional[str]:
    if isinstance(reply, str):
        return reply if len(reply) >= LONG_STRING else None
    if isinstance(reply, dict) and isinstance(reply.get("result"), str):
        result = reply["result"]
        return result if len(result) >= LONG_STRING else None
    return None


# ---------------------------------------------------------------------------
# Memory

#: buffers from this size get memory maps of their own from glibc's malloc
MMAP_FROM = 4 << 20
#: free memory an arena may keep at its end before giving it back
ARENA_KEEPS = 8 << 20
#: after handling this much data, release_memory trims malloc's arenas
TRIM_FROM = 4 << 20


def tune_malloc() -> None:
    """Have glibc's malloc give large buffers (media in requests and
    replies) memory maps of their own, which go back to the system when
    the buffer is freed.

    By default glibc raises that threshold each time such a buffer is freed
    (up to 32 MB) and from then on serves large buffers from the arena of
    the thread asking; each HTTP worker thread then keeps tens of MB that
    even malloc_trim does not return (measured: ten 20 MB uploads left Anki
    ~230 MB larger).  Fixed thresholds keep the memory of large requests
    from staying with Anki.  Only on Linux with glibc; elsewhere nothing
    is done."""
    mallopt = _c_function("mallopt") if sys.platform.startswith("linux") else None
    if mallopt is not None:
        mallopt(-3, MMAP_FROM)  # M_MMAP_THRESHOLD
        mallopt(-1, ARENA_KEEPS)  # M_TRIM_THRESHOLD


def release_memory(size: int) -> None:
    """After handling `size` bytes of media on a worker thread, give the
    freed memory back to the system.  Large buffers go back by themselves
    (tune_malloc); this returns what glibc keeps of the smaller ones in the
    thread's arena (~10 MB over ten 20 MB uploads).  (Fresh memory is slow
    to touch, but the copies of large buffers here let other threads run
    meanwhile.)"""
    trim = _c_function("malloc_trim") if sys.platform.startswith("linux") else None
    if size >= TRIM_FROM and trim is not None:
        trim(0)  # (lets other threads run meanwhile)
