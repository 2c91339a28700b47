# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Media files: where their bytes come from, and which names are allowed.

A client gives media as base64 `data`, a local `path` or an http(s) `url`
(`storeMediaFile`, and the `audio`/`video`/`picture` of a note).  Reading a
path or downloading runs on the HTTP worker thread, never on Anki's main
thread; only storing the bytes in the collection's media folder needs the
collection (`store_media`).

`checked_media_name` is the one place a client's media file name is judged:
every action that names a media file goes through it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import http.client
import ntpath
import os
import socket
import sys
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

from ..util import ActionError

SOURCES = ("data", "path", "url")
_CHUNK = 1 << 16
_TRIM_ABOVE = 4 << 20
_B64_SLICE = 1 << 19  # characters (a multiple of 4) decoded at a time


# ---------------------------------------------------------------------------
# Names


def checked_media_name(name: Any, what: str = "filename") -> str:
    """`name` if it names a file directly inside the media folder, else an error.

    Refused: empty names, `.` and `..`, path separators (`/`, `\\`), drive
    prefixes, NUL and other control characters.
    """
    if not isinstance(name, str) or not name.strip():
        raise ActionError(f"{what} must be a non-empty file name")
    bad = (
        name in (".", "..")
        or "/" in name
        or "\\" in name
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
        or ntpath.splitdrive(name)[0]
        or os.path.isabs(name)
    )
    if bad:
        raise ActionError(
            f"{what} {name!r} is not allowed: give a plain file name inside the "
            "media folder (no folders, '..', drive letters or control characters)"
        )
    return name


def media_file_path(media_dir: str, name: str) -> Optional[str]:
    """The path of media file `name` if it exists (also under its NFC form)."""
    name = checked_media_name(name)
    for candidate in (name, unicodedata.normalize("NFC", name)):
        path = os.path.join(media_dir, candidate)
        if os.path.isfile(path):
            return path
    return None


# ---------------------------------------------------------------------------
# Sources


def pick_source(item: Dict[str, Any], what: str) -> tuple:
    """The (kind, value) of the one source in `item`: data, path or url."""
    given = [(k, item.get(k)) for k in SOURCES if item.get(k) is not None]
    if not given:
        raise ActionError(f"{what}: give one of data (base64), path or url")
    if len(given) > 1:
        names = " and ".join(k for k, _ in given)
        raise ActionError(f"{what}: give only one of data, path or url, not {names}")
    kind, value = given[0]
    if not isinstance(value, str):
        raise ActionError(f"{what}: {kind} must be a string")
    return kind, value


def check_source(kind: str, value: str, config: Dict[str, Any], what: str) -> None:
    """Refuse what can be refused without reading anything (no side effect)."""
    if kind == "path" and not config.get("mediaFromPath", True):
        raise ActionError(
            f"{what}: reading media from a path is turned off "
            "(mediaFromPath is false in the AnkiConnect config)"
        )
    if kind == "url":
        scheme = urllib.parse.urlsplit(value.strip()).scheme.lower()
        if scheme not in ("http", "https"):
            raise ActionError(f"{what}: only http and https URLs can be downloaded, not {value!r}")


def read_source(kind: str, value: str, config: Dict[str, Any], what: str) -> bytes:
    """The bytes of a media source (slow for paths and URLs: not on the main thread)."""
    check_source(kind, value, config, what)
    if kind == "data":
        return decode_base64(value, what)
    if kind == "path":
        try:
            with open(value, "rb") as f:
                return f.read()
        except OSError as e:
            raise ActionError(f"{what}: could not read {value}: {e.strerror or e}") from None
    return download(value, config, what)


def decode_base64(data: str, what: str) -> bytes:
    """Decode a client's base64 (line breaks and missing padding tolerated).

    Large data is decoded in slices, so other threads (Anki's main thread
    among them) get the interpreter in between rather than waiting for the
    whole file.
    """
    try:
        return _decode_in_slices(data)
    except (binascii.Error, ValueError):
        pass
    text = "".join(data.split())
    text += "=" * (-len(text) % 4)
    try:
        return _decode_in_slices(text)
    except (binascii.Error, ValueError):
        raise ActionError(f"{what}: data is not valid base64") from None


def _decode_in_slices(text: str) -> bytes:
    if len(text) <= _B64_SLICE:
        return base64.b64decode(text, validate=True)
    if len(text) % 4:
        raise binascii.Error("incomplete base64")
    parts = []
    for start in range(0, len(text), _B64_SLICE):
        part = text[start:start + _B64_SLICE]
        if "=" in part and start + _B64_SLICE < len(text):
            raise binascii.Error("padding inside the data")
        parts.append(base64.b64decode(part, validate=True))
    return b"".join(parts)


def md5_matches(content: bytes, skip_hash: Optional[str]) -> bool:
    """True when `content`'s MD5 is `skip_hash` (the client asked to skip it)."""
    return bool(skip_hash) and hashlib.md5(content).hexdigest() == skip_hash.strip().lower()


# ---------------------------------------------------------------------------
# Downloads


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.URLError(f"redirect to {newurl} refused (http and https only)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    # Only http(s): no file:, ftp: or data: handlers, unlike build_opener().
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _HttpOnlyRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _ascii_url(url: str) -> str:
    """Percent-encode non-ASCII characters (clients send e.g. kanji in queries)."""
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.netloc
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        userinfo, at, hostport = host.rpartition("@")
        name, colon, port = hostport.partition(":")
        host = userinfo + at + name.encode("idna").decode("ascii") + colon + port
    safe = "/%:@!$&'()*+,;=~-._?#[]"
    return urllib.parse.urlunsplit((
        parts.scheme, host,
        urllib.parse.quote(parts.path, safe=safe),
        urllib.parse.quote(parts.query, safe=safe),
        urllib.parse.quote(parts.fragment, safe=safe),
    ))


def download(url: str, config: Dict[str, Any], what: str = "download") -> bytes:
    """GET an http(s) URL, within the config's webTimeout and mediaMaxDownloadBytes."""
    timeout = max(float(config.get("webTimeout") or 10000) / 1000.0, 0.001)
    limit = int(config.get("mediaMaxDownloadBytes") or 0) or None
    request = urllib.request.Request(_ascii_url(url), headers={"User-Agent": "AnkiConnect"})
    failed = f"{what}: could not download {url}"
    try:
        with _opener().open(request, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            if limit and length and length.isdigit() and int(length) > limit:
                raise ActionError(f"{failed}: it is larger than mediaMaxDownloadBytes ({limit} bytes)")
            chunks, size = [], 0
            while True:
                chunk = resp.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if limit and size > limit:
                    raise ActionError(
                        f"{failed}: it is larger than mediaMaxDownloadBytes ({limit} bytes)")
                chunks.append(chunk)
            return b"".join(chunks)
    except urllib.error.HTTPError as e:
        raise ActionError(f"{failed}: HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            reason = f"no answer within webTimeout ({int(timeout * 1000)} ms)"
        raise ActionError(f"{failed}: {reason}") from None
    except (socket.timeout, TimeoutError):
        raise ActionError(
            f"{failed}: no answer within webTimeout ({int(timeout * 1000)} ms)") from None
    except (OSError, ValueError, http.client.HTTPException) as e:
        raise ActionError(f"{failed}: {e}") from None


# ---------------------------------------------------------------------------
# Storing (main thread: uses the collection)


def store_media(col: Any, name: str, content: bytes, delete_existing: bool = True) -> str:
    """Write `content` as media file `name`; returns the name Anki stored it under.

    With `delete_existing`, a different file of the same name goes to Anki's
    media trash first, so the new content keeps the name.  Otherwise Anki
    keeps both and gives the new one a changed name (same content: same name).
    """
    name = checked_media_name(name)
    if delete_existing:
        existing = media_file_path(col.media.dir(), name)
        if existing is not None and not _same_content(existing, content):
            col.media.trash_files([os.path.basename(existing)])
    return col.media.write_data(name, content)


def release_memory(size: int) -> None:
    """After handling `size` bytes of media on a worker thread, give the
    freed memory back to the system.  glibc keeps what a thread freed in that
    thread's own arena, so without this every HTTP worker thread that once
    stored a 20 MB file would hold on to ~100 MB."""
    if size < _TRIM_ABOVE or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _same_content(path: str, content: bytes) -> bool:
    try:
        if os.path.getsize(path) != len(content):
            return False
        with open(path, "rb") as f:
            return f.read() == content
    except OSError:
        return False
