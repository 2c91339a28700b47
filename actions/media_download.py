# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Media downloads for `url` sources: http(s) only, within the config's
webTimeout and mediaMaxDownloadBytes, never from link-local or cloud
metadata addresses (every address a name resolves to is checked, and only a
checked address is connected to, also after redirects and through proxies).
Runs on the HTTP worker, never on Anki's main thread.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Optional

from ..util import ActionError

#: bytes read from a download at a time
READ_SIZE = 1 << 16


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
                chunk = resp.read(READ_SIZE)
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
