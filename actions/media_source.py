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
import ipaddress
import ntpath
import os
import re
import socket
import stat
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Union

from .. import compat
from ..large_data import (
    b64decode_unlocked,
    b64encode_unlocked,
    b64encode_unlocked_applies,
    joined_text,
    release_memory,
    share_interpreter,
)
from ..util import ActionError

SOURCES = ("data", "path", "url")
_CHUNK = 1 << 16
_COMPARE_SLICE = 1 << 20  # bytes of a file compared at a time
#: media files from this size are written without Anki's collection lock
_DIRECT_WRITE_FROM = 1 << 20
#: names every Anki version stores as they are (see _anki_keeps_name)
_KEPT_NAME = re.compile(r"[a-z0-9_][a-z0-9_. ,+=!#$%&'()@~{}-]*\Z")
_B64_SLICE = 1 << 16  # characters (a multiple of 4) decoded at a time (~0.3 ms)


# ---------------------------------------------------------------------------
# Names


#: Characters Anki drops from media file names (all versions since 2.1.66).
_ANKI_DROPS = '[]<>:"/?*^\\|'
#: Names Windows reserves for devices (Anki appends "_" to them).
_WINDOWS_DEVICE = re.compile(r"^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\.|$)", re.I)


def checked_media_name(name: Any, what: str = "filename") -> str:
    """`name` if it names a file directly inside the media folder, else an error.

    Refused: empty names, `.` and `..`, folders (`/`, `\\`), drive prefixes
    and absolute paths, NUL and other control characters, and names Anki
    would store under another name: characters it drops (`[]<>:"?*^|`),
    Windows device names (`con`, `nul.mp3`, ...) and a trailing dot or space.
    Only Unicode composition (NFC), letter case (Anki 25.x+ lowercases new
    names) and the length of very long names may still differ from the name
    Anki stores: the actions answer the stored name.
    """
    if not isinstance(name, str) or not name.strip():
        raise ActionError(f"{what} must be a non-empty file name")
    problem = _name_problem(name)
    if problem:
        raise ActionError(f"{what} {name!r} is not allowed: {problem}")
    return name


def _name_problem(name: str) -> Optional[str]:
    if (name in (".", "..") or "/" in name or "\\" in name
            or ntpath.splitdrive(name)[0] or os.path.isabs(name)):
        return "give a plain file name inside the media folder (no folders, '..' or drive letters)"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "file names cannot contain NUL or other control characters"
    dropped = sorted({c for c in name if c in _ANKI_DROPS})
    if dropped:
        return ("Anki's media file names cannot contain " + " ".join(dropped)
                + " (Anki would store the file under another name)")
    if _WINDOWS_DEVICE.match(name):
        return "Windows reserves this file name for a device (Anki would store the file under another name)"
    if name[-1] in ". ":
        return "a file name cannot end with a dot or a space (Anki would store it under another name)"
    return None


def media_file_path(media_dir: str, name: str) -> Optional[str]:
    """The path of media file `name` if it exists (also under its NFC form).

    A symbolic link in the media folder that points outside of it is refused
    (an error), so no action reads, replaces or removes what it points to.
    """
    name = checked_media_name(name)
    for candidate in (name, unicodedata.normalize("NFC", name)):
        path = os.path.join(media_dir, candidate)
        if os.path.islink(path):
            _check_link_inside(media_dir, path, name)
        if os.path.isfile(path):
            return path
    return None


def _check_link_inside(media_dir: str, path: str, name: str) -> None:
    folder = os.path.realpath(media_dir)
    target = os.path.realpath(path)
    if os.path.dirname(target) != folder:
        raise ActionError(
            f"media file {name!r} is a link to a file outside the media folder; "
            "AnkiConnect does not follow it"
        )


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


def read_source_pieces(kind: str, value: str, config: Dict[str, Any], what: str,
                       private: Optional["PrivateFiles"] = None) -> List[bytes]:
    """read_source, as consecutive pieces of the content: base64 data is
    decoded in pieces that are never joined (store_media takes them)."""
    if kind == "data":
        check_source(kind, value, config, what)
        return decode_base64_pieces(value, what)
    return [read_source(kind, value, config, what, private)]


def read_source(kind: str, value: str, config: Dict[str, Any], what: str,
                private: Optional["PrivateFiles"] = None) -> bytes:
    """The bytes of a media source (slow for paths and URLs: not on the main thread).

    private: for a path, the collection's own files (`private_files(col)`,
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


# ---------------------------------------------------------------------------
# Paths


class PrivateFiles:
    """What a `path` must never name: Anki's own files.

    In Anki that is its whole data folder (the one with prefs21.db: every
    profile's collection, backups, add-ons and their config) except this
    collection's media folder; for a headless server, the collection's
    folder except its media folder.  Also the collection (and its -wal,
    -shm, -journal files) and prefs21.db themselves, by file identity, so a
    hard link elsewhere does not reach them, and the system's pseudo-files
    (/proc, /sys, /dev).
    """

    def __init__(self, col: Any) -> None:
        col_path = os.path.realpath(col.path)
        folder = os.path.dirname(col_path)
        base = os.path.dirname(folder)
        prefs = [os.path.join(base, n) for n in ("prefs21.db", "prefs.db")]
        anki_base = any(os.path.exists(p) for p in prefs)
        self.roots = [base if anki_base else folder]
        self.system = ["/proc", "/sys", "/dev"] if os.name == "posix" else []
        self.media = os.path.realpath(col.media.dir())
        self.identities = set()
        for path in [col_path + s for s in ("", "-wal", "-shm", "-journal")] + prefs:
            try:
                st = os.stat(path)
            except OSError:
                continue
            self.identities.add((st.st_dev, st.st_ino))

    def refuses(self, real: str) -> Optional[str]:
        """Why the resolved path `real` must not be read, if it must not."""
        if any(_inside(real, root) for root in self.system):
            return "it is a system file, not a media file"
        if _inside(real, self.media):
            return None
        if any(_inside(real, root) for root in self.roots):
            return ("it is one of Anki's own files (Anki's data folder and the "
                    "profile folder are off limits)")
        return None


def private_files(col: Any) -> PrivateFiles:
    """Anki's own files for this collection (on the collection's thread)."""
    return PrivateFiles(col)


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.normcase(path), os.path.normcase(folder).rstrip(os.sep)
    return path == folder or path.startswith(folder + os.sep)


_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))


def read_path(path: str, config: Dict[str, Any], private: PrivateFiles, what: str) -> bytes:
    """The content of a regular file on this computer that is not one of
    Anki's own files, up to mediaMaxDownloadBytes."""
    refused = f"{what}: {path!r} cannot be read"
    if "\x00" in path:
        raise ActionError(f"{refused}: a path cannot contain NUL")
    real = os.path.realpath(os.path.expanduser(path))
    why = private.refuses(real)
    if why:
        raise ActionError(f"{refused}: {why}")
    limit = int(config.get("mediaMaxDownloadBytes") or 0) or None
    try:
        # Non-blocking, so a FIFO or device cannot hang the request; the
        # resolved path without following a link swapped in meanwhile.
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as e:
        raise ActionError(f"{what}: could not read {path}: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ActionError(f"{refused}: it is not a regular file")
        if (st.st_dev, st.st_ino) in private.identities:
            raise ActionError(f"{refused}: it is one of Anki's own files")
        if limit and st.st_size > limit:
            raise ActionError(f"{refused}: it is larger than mediaMaxDownloadBytes ({limit} bytes)")
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        try:
            content = f.read(limit + 1 if limit else -1)
        except OSError as e:
            raise ActionError(f"{what}: could not read {path}: {e.strerror or e}") from None
    if limit and len(content) > limit:
        raise ActionError(f"{refused}: it is larger than mediaMaxDownloadBytes ({limit} bytes)")
    return content


def decode_base64(data: str, what: str) -> bytes:
    """Decode a client's base64 (line breaks and missing padding tolerated)."""
    return b"".join(decode_base64_pieces(data, what))


def decode_base64_pieces(data: str, what: str) -> List[bytes]:
    """decode_base64, as consecutive pieces of the content.

    Large plain base64 is decoded while other threads run
    (large_data.b64decode_unlocked); anything else a slice at a time, so
    other threads (Anki's main thread among them) get the interpreter in
    between rather than waiting for the whole file.  The pieces need not be
    joined (store_media takes them).
    """
    decoded = b64decode_unlocked(data)
    if decoded is not None:
        return decoded
    with share_interpreter():
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


def _decode_in_slices(text: str) -> List[bytes]:
    if len(text) <= _B64_SLICE:
        return [base64.b64decode(text, validate=True)]
    if len(text) % 4:
        raise binascii.Error("incomplete base64")
    parts = []
    for start in range(0, len(text), _B64_SLICE):
        part = text[start:start + _B64_SLICE]
        if "=" in part and start + _B64_SLICE < len(text):
            raise binascii.Error("padding inside the data")
        parts.append(base64.b64decode(part, validate=True))
    return parts


def encode_base64_file(path: str) -> str:
    """The base64 of a file's content: of a large file, encoded by OpenSSL
    while other threads run; otherwise read and encoded a slice at a time
    (the whole content is never in memory next to its base64)."""
    if b64encode_unlocked_applies(os.path.getsize(path)):
        with open(path, "rb") as f:
            content = f.read()
        encoded = b64encode_unlocked(content)  # while other threads run
        if encoded is not None:
            return encoded
    pieces = []
    with open(path, "rb") as f, share_interpreter():
        while True:
            chunk = f.read(_B64_SLICE // 4 * 3)  # whole groups of 3 bytes
            if not chunk:
                break
            pieces.append(binascii.b2a_base64(chunk, newline=False).decode("ascii"))
    return joined_text(pieces)


def md5_matches(content: Union[bytes, List[bytes]], skip_hash: Optional[str]) -> bool:
    """True when `content`'s MD5 is `skip_hash` (the client asked to skip it)."""
    if not skip_hash:
        return False
    md5 = hashlib.md5()
    for piece in [content] if isinstance(content, bytes) else content:
        md5.update(piece)
    return md5.hexdigest() == skip_hash.strip().lower()


# ---------------------------------------------------------------------------
# Downloads


#: Host names of cloud metadata services (they also resolve to link-local
#: addresses, refused below; the names are refused too, for proxies).
_METADATA_NAMES = {"metadata", "metadata.google.internal", "metadata.goog",
                   "instance-data", "instance-data.ec2.internal"}
#: Cloud metadata addresses outside the link-local ranges (AWS over IPv6, Alibaba).
_METADATA_ADDRESSES = {ipaddress.ip_address("fd00:ec2::254"),
                       ipaddress.ip_address("100.100.100.200")}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedAddress(OSError):
    """A download that would reach a link-local or cloud metadata address."""


def _refused_ip(text: str) -> bool:
    """Whether an IP address is link-local (169.254.0.0/16, fe80::/10) or a
    cloud metadata address, also written as an IPv4-mapped, 6to4 or NAT64
    IPv6 address."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    candidates = [ip]
    if ip.version == 6:
        if ip.ipv4_mapped:
            candidates.append(ip.ipv4_mapped)
        if ip.sixtofour:
            candidates.append(ip.sixtofour)
        if ip in _NAT64:
            candidates.append(ipaddress.ip_address(int(ip) & 0xFFFFFFFF))
    return any(c.is_link_local or c in _METADATA_ADDRESSES for c in candidates)


def check_url_host(url: str) -> None:
    """Refuse a URL whose host is a metadata service's name or a refused
    address written literally (before anything is sent)."""
    host = (urllib.parse.urlsplit(url).hostname or "").rstrip(".").lower()
    if host in _METADATA_NAMES or _refused_ip(host):
        raise RefusedAddress(f"{host} is a link-local or cloud metadata address; refused")


def _resolve_checked(host: str, port: Any) -> list:
    """getaddrinfo, refusing the host if any of its addresses is refused."""
    name = str(host).rstrip(".").lower()
    if name in _METADATA_NAMES:
        raise RefusedAddress(f"{host} is a cloud metadata service; refused")
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    for info in infos:
        address = info[4][0]
        if _refused_ip(address):
            raise RefusedAddress(
                f"{host} resolves to {address}, a link-local or cloud metadata address; refused")
    return infos


def _checked_connection(address: tuple, timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,
                        source_address: Any = None, **_: Any) -> socket.socket:
    """socket.create_connection that resolves the host once, checks every
    address it resolves to, and connects only to those checked addresses
    (so a name cannot resolve to another address for the connection)."""
    host, port = address[0], address[1]
    error: Optional[OSError] = None
    for family, kind, proto, _name, sockaddr in _resolve_checked(host, port):
        sock = None
        try:
            sock = socket.socket(family, kind, proto)
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as e:
            error = e
            if sock is not None:
                sock.close()
    raise error or OSError(f"cannot resolve {host}")


def _checked(connection_class: Any) -> Callable[..., Any]:
    def make(host: str, **kwargs: Any) -> Any:
        connection = connection_class(host, **kwargs)
        connection._create_connection = _checked_connection
        return connection
    return make


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def do_open(self, http_class, req, **kwargs):  # type: ignore[override]
        return super().do_open(_checked(http_class), req, **kwargs)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def do_open(self, http_class, req, **kwargs):  # type: ignore[override]
        return super().do_open(_checked(http_class), req, **kwargs)


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.URLError(f"redirect to {newurl} refused (http and https only)")
        try:
            _check_through_proxy(newurl)
        except OSError as e:
            raise urllib.error.URLError(f"redirect to {newurl} refused: {e}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_through_proxy(url: str) -> None:
    """Check a URL's host before it is requested.  Through a proxy (the
    system's proxy settings) the proxy resolves the name, so it is resolved
    and checked here too; without one the connection itself checks."""
    check_url_host(url)
    parts = urllib.parse.urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(host):
        try:
            _resolve_checked(host, parts.port or (443 if scheme == "https" else 80))
        except socket.gaierror:
            pass  # only the proxy can resolve it


def _opener() -> urllib.request.OpenerDirector:
    # Only http(s): no file:, ftp: or data: handlers, unlike build_opener();
    # every connection checks the addresses it goes to.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        _CheckedHTTPHandler(),
        _CheckedHTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _CheckedRedirects(),
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
        _check_through_proxy(request.full_url)
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


def store_target(media_dir: str, name: str) -> Optional[str]:
    """Check that media file `name` may be written (an ActionError if not:
    a bad name, or a link out of the media folder where Anki would write);
    returns the path of the file of that name that exists, if one does."""
    name = checked_media_name(name)
    existing = media_file_path(media_dir, name)  # refuses links to outside
    lower = os.path.join(media_dir, unicodedata.normalize("NFC", name).lower())
    if os.path.islink(lower):  # the name Anki 25.x+ writes to
        _check_link_inside(media_dir, lower, name)
    return existing


def store_media(col: Any, name: str, content: Union[bytes, List[bytes]],
                delete_existing: bool = True) -> str:
    """Write `content` (bytes, or consecutive pieces) as media file `name`;
    returns the name Anki stored it under.

    With `delete_existing`, a different file of the same name goes to Anki's
    media trash first, so the new content keeps the name.  Otherwise Anki
    keeps both and gives the new one a changed name (same content: same name).
    """
    media_dir = col.media.dir()
    existing = store_target(media_dir, name)
    pieces = [content] if isinstance(content, bytes) else content
    size = sum(len(p) for p in pieces)
    same = existing is not None and _same_content(existing, pieces)
    if delete_existing and existing is not None and not same:
        trash_media_file(col, existing)
        existing = None
    if size >= _DIRECT_WRITE_FROM and _anki_keeps_name(name):
        if same:
            return name  # as Anki answers for a file it already has
        if existing is None and _write_new_file(os.path.join(media_dir, name), name, pieces):
            return name
    # the pieces' memory goes back before Anki makes its own copy of the file
    return compat.add_media_file(col, name, pieces, copied=lambda: release_memory(size))


def trash_media_file(col: Any, path: str) -> None:
    """Move the media file at `path` to Anki's media trash.

    A file of that name already in the trash is replaced (by every Anki
    version); it is deleted here first, outside Anki's collection lock, since
    deleting a large file can keep the file system busy for tens of ms, and
    other requests would wait for the lock meanwhile."""
    name = os.path.basename(path)
    old_copy = os.path.join(os.path.dirname(col.media.dir()), "media.trash", name)
    try:
        if os.path.isfile(old_copy) and not os.path.islink(old_copy):
            os.remove(old_copy)
    except OSError:
        pass  # Anki replaces it then
    col.media.trash_files([name])


def _anki_keeps_name(name: str) -> bool:
    """True if every Anki stores a new file under exactly this name: short
    lowercase ASCII (Anki 25.x+ lowercases names, older ones keep the case;
    checked_media_name has refused what Anki would drop or change)."""
    return len(name) <= 100 and bool(_KEPT_NAME.match(name)) and name != "thumbs.db"


def _write_new_file(path: str, name: str, pieces: List[bytes]) -> bool:
    """Write a large media file that does not exist yet into the media folder
    directly, as Anki itself would, but without Anki's collection lock: Anki
    holds that lock while it hashes and writes a file (~40 ms for 20 MB),
    and every other request that reads the collection meanwhile waits.  The
    media database notes the file at the next media sync or Check Media, as
    it does for files put into the folder by other means.  False if a file
    of that name appeared meanwhile (Anki then decides)."""
    try:
        f = open(path, "xb")  # never replaces a file
    except FileExistsError:
        return False
    except OSError as e:
        raise ActionError(f"cannot write media file {name!r}: {e.strerror or e}") from None
    try:
        with f:
            for piece in pieces:
                f.write(piece)  # (lets other threads run meanwhile)
    except BaseException as e:
        try:
            os.remove(path)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise ActionError(f"cannot write media file {name!r}: {e.strerror or e}") from None
        raise
    return True


def _same_content(path: str, pieces: List[bytes]) -> bool:
    try:
        if os.path.getsize(path) != sum(len(p) for p in pieces):
            return False
        with open(path, "rb") as f:
            # compared a slice at a time: one comparison of a large file
            # would hold the interpreter lock for milliseconds
            for piece in pieces:
                for at in range(0, len(piece), _COMPARE_SLICE):
                    part = piece[at:at + _COMPARE_SLICE]
                    if f.read(len(part)) != part:
                        return False
            return True
    except OSError:
        return False
