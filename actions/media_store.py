# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Media content: where it comes from, and storing it through Anki.

A client gives media as base64 `data`, a local `path` or an http(s) `url`
(`storeMediaFile`, and the `audio`/`video`/`picture` of a note).  Reading,
downloading and decoding run on the HTTP worker, never on Anki's main
thread.  Files are stored through Anki's media API, which names them and
records them in its media database.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import urllib.parse
from typing import Any, Dict, Optional, Tuple

from ..util import ActionError
from .media_download import download
from .media_names import refuse_links_out
from .media_paths import PrivateFiles, read_path

SOURCES = ("data", "path", "url")


def pick_source(item: Dict[str, Any], what: str) -> Tuple[str, str]:
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


def read_source(kind: str, value: str, config: Dict[str, Any], what: str,
                private: Optional[PrivateFiles] = None) -> bytes:
    """The bytes of a media source (slow for paths and URLs: not on the main thread).

    private: for a path, the collection's own files (`PrivateFiles(col)`,
    taken on the collection's thread), which are never read.
    """
    check_source(kind, value, config, what)
    if kind == "data":
        return decode_base64(value, what)
    if kind == "path":
        if private is None:
            raise ActionError(f"{what}: cannot read a path here")
        return read_path(value, config, private, what)
    return download(value, config, what)


def decode_base64(data: str, what: str) -> bytes:
    """Decode a client's base64 (line breaks and missing padding tolerated)."""
    try:
        decoded = binascii.a2b_base64(data)  # reads an ASCII str in place
    except (binascii.Error, ValueError):
        decoded = None
    if decoded is not None and len(decoded) == _decoded_size(data):
        return decoded  # every character was base64 (a2b_base64 skips others)
    text = "".join(data.split())
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or not ASCII
        raise ActionError(f"{what}: data is not valid base64") from None


def _decoded_size(data: str) -> int:
    """How many bytes base64 `data` holds if all of it is base64 (-1 if it cannot be)."""
    if len(data) % 4:
        return -1
    return len(data) // 4 * 3 - (2 if data.endswith("==") else 1 if data.endswith("=") else 0)


def encode_base64_file(path: str) -> str:
    """The base64 of a file's content."""
    with open(path, "rb") as f:
        return binascii.b2a_base64(f.read(), newline=False).decode("ascii")


def md5_matches(content: bytes, skip_hash: Optional[str]) -> bool:
    """True when `content`'s MD5 is `skip_hash` (the client asked to skip it)."""
    return bool(skip_hash) and hashlib.md5(content).hexdigest() == skip_hash.strip().lower()


def store_media(col: Any, name: str, content: bytes, delete_existing: bool = True) -> str:
    """Store `content` as media file `name` through Anki; the name Anki
    stored it under.

    With `delete_existing`, a file of that name goes to Anki's media trash
    first, so the new content takes the name.  Otherwise Anki keeps both
    and stores the new one under a changed name (same content: same name).
    """
    refuse_links_out(col.media.dir(), name)
    if delete_existing and col.media.have(name):
        col.media.trash_files([name])
    return col.media.write_data(name, content)
