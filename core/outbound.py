"""A guarded outbound POST for webhook deliveries.

The host is resolved here, every address is checked, and the socket connects to an address
that passed the check; after connecting, the peer address of the socket itself is checked
again, so neither DNS rebinding nor a second lookup inside the HTTP library can point a
delivery at the internal network. The Host header, TLS SNI and certificate verification
still use the hostname. Redirects are never followed, environment proxies are never used
(urllib3 does not read them), and the whole exchange has one deadline.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import TimeoutError as Urllib3Timeout

DEFAULT_TIMEOUT = 15.0
BODY_LIMIT = 1024
USER_AGENT = "assessment-platform-webhooks/1"

# 64:ff9b::/96 is the NAT64 prefix: its low 32 bits are an IPv4 address that a NAT64
# gateway would connect to, so those bits are what must be checked.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[..., list[tuple[Any, ...]]]


@dataclass(frozen=True)
class PostResult:
    """What one attempt produced. `error` is None only when an HTTP answer was received
    and it was not a redirect; `status` is set whenever an answer was received."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    duration_ms: int = 0
    error: str | None = None
    detail: str | None = None
    address: str | None = None


class AddressRefused(Exception):
    """The destination resolves to (or connected to) an address deliveries may not reach."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def is_public_address(value: str) -> bool:
    """True for an address on the public internet; False for private, loopback,
    link-local, multicast, reserved, unspecified and other non-global ranges."""
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None or address in _NAT64:
            # The packet goes to the embedded IPv4 address; only that one matters.
            return is_public_address(str(_embedded_ipv4(address)))
        inner = _embedded_ipv4(address)
        if inner is not None and not is_public_address(str(inner)):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str) -> str | None:
    """Why `url` cannot be a webhook destination, or None when its form is acceptable.
    (Addresses are checked at delivery time, since DNS answers change.)"""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return "the URL scheme must be http or https"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL are not supported; verify the signature instead"
    if port == 0:
        return "the URL port is not valid"
    if parts.fragment:
        return "the URL may not carry a fragment"
    try:
        parts.hostname.encode("idna")
    except UnicodeError:
        return "the URL host is not a valid hostname"
    return None


def refused_literal(url: str) -> str | None:
    """Why `url` names a destination no delivery may reach whatever DNS says (a private,
    loopback or link-local address literal, or localhost), or None. Names are checked again
    at delivery, since their answers change."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "the URL names this machine"
    address = literal_address(host)
    if address is None:
        return None
    if not is_public_address(address):
        return "the URL names a private, loopback or link-local address"
    return None


_INET_ATON_FORM = re.compile(r"[0-9a-fx.]+")


def literal_address(host: str) -> str | None:
    """The IP address `host` spells, or None for a name. Besides the standard forms this
    reads the ones inet_aton reads (`0x7f000001`, `0177.0.0.1`, `2130706433`, `127.1`):
    getaddrinfo, and so every HTTP client, connects to them without asking DNS."""
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    if not _INET_ATON_FORM.fullmatch(host):
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None


class _PinnedMixin:
    """Connects to pre-validated addresses in turn and checks the peer of the socket."""

    pinned: list[tuple[int, tuple[Any, ...]]]
    allow_private: bool
    timeout: float
    peer: str | None = None

    def _new_conn(self) -> socket.socket:
        last_error: OSError | None = None
        for family, sockaddr in self.pinned:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.connect(sockaddr)
                peer = sock.getpeername()[0]
            except OSError as exc:
                sock.close()
                last_error = exc
                continue
            if not self.allow_private and not is_public_address(peer):
                sock.close()
                # The address itself is not said: delivery logs are read by the organisation,
                # and an internal address is a fact about the platform's network.
                raise AddressRefused("the connected peer is not a public address")
            self.peer = peer
            return sock
        raise last_error or OSError("no address to connect to")


class _PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    pass


def _resolve(
    host: str, port: int, allow_private: bool, resolver: Resolver
) -> list[tuple[int, tuple[Any, ...]]]:
    infos = resolver(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    allowed: list[tuple[int, tuple[Any, ...]]] = []
    refused: list[str] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = str(sockaddr[0])
        if allow_private or is_public_address(address):
            if (family, sockaddr) not in allowed:
                allowed.append((family, sockaddr))
        else:
            refused.append(address)
    if refused and not allow_private:
        # A name that resolves to an internal address anywhere is refused outright: it is
        # either misconfigured or an attempt to reach the internal network.
        # Which internal address it resolved to is not said (the delivery log would be a
        # window on the platform's internal DNS).
        raise AddressRefused(f"{host} resolves to a non-public address")
    if not allowed:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} has no IPv4 or IPv6 address")
    return allowed


def _read_body(response: Any, limit: int = BODY_LIMIT) -> str:
    data = response.read(limit, decode_content=False) or b""
    return bytes(data[:limit]).decode("utf-8", errors="replace")


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    allow_private: bool = False,
    resolver: Resolver = socket.getaddrinfo,
    ssl_context: ssl.SSLContext | None = None,
) -> PostResult:
    """POST `body` to `url` once. Never raises for network or HTTP trouble: the outcome,
    including errors, is in the returned PostResult. `ssl_context` replaces the default
    (system trust store, hostname verification) when a private CA must be trusted."""
    return request(
        "POST",
        url,
        body,
        headers,
        timeout=timeout,
        allow_private=allow_private,
        resolver=resolver,
        ssl_context=ssl_context,
    )


def request(
    method: str,
    url: str,
    body: bytes | None,
    headers: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    allow_private: bool = False,
    resolver: Resolver = socket.getaddrinfo,
    ssl_context: ssl.SSLContext | None = None,
    body_limit: int = BODY_LIMIT,
) -> PostResult:
    """One guarded request (see `post`); protocol clients that read answers (an OAuth
    token, a line item) raise `body_limit`."""
    started = time.monotonic()

    def result(**values: Any) -> PostResult:
        elapsed = int((time.monotonic() - started) * 1000)
        return PostResult(duration_ms=elapsed, **values)

    problem = check_url(url)
    if problem:
        return result(error="invalid_url", detail=problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    try:
        pinned = _resolve(host, port, allow_private, resolver)
    except AddressRefused as exc:
        return result(error="private_address_refused", detail=str(exc))
    except (socket.gaierror, UnicodeError) as exc:
        return result(error="dns_error", detail=f"cannot resolve {host}: {exc}")

    conn: _PinnedHTTPConnection | _PinnedHTTPSConnection
    if parts.scheme == "https":
        conn = _PinnedHTTPSConnection(host, port, timeout=timeout, ssl_context=ssl_context)
    else:
        conn = _PinnedHTTPConnection(host, port, timeout=timeout)
    conn.pinned = pinned
    conn.allow_private = allow_private

    # Socket timeouts bound each read; this bounds the whole exchange, so a receiver that
    # trickles a byte at a time cannot hold a worker thread past the deadline.
    deadline_hit = threading.Event()

    def expire() -> None:
        deadline_hit.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(timeout, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        send_headers = {"User-Agent": USER_AGENT}
        if body is not None:
            send_headers["Content-Type"] = "application/json"
        send_headers.update(headers)
        conn.request(method, target, body=body, headers=send_headers, preload_content=False)
        response = conn.getresponse()
        status = response.status
        received = {key.lower(): value for key, value in response.headers.items()}
        text = _read_body(response, body_limit)
    except AddressRefused as exc:
        return result(error="private_address_refused", detail=str(exc))
    except (TimeoutError, Urllib3Timeout) as exc:
        return result(
            error="timeout", detail=f"no answer within {timeout:g} s ({exc})", address=conn.peer
        )
    except ConnectionRefusedError as exc:
        return result(error="connection_refused", detail=str(exc))
    except (ssl.SSLError, ssl.CertificateError) as exc:
        return result(error="tls_error", detail=str(exc), address=conn.peer)
    except (http.client.HTTPException, Urllib3Error, OSError) as exc:
        if deadline_hit.is_set():
            return result(
                error="timeout",
                detail=f"no complete answer within {timeout:g} s",
                address=conn.peer,
            )
        code = "connection_error" if isinstance(exc, OSError) else "protocol_error"
        return result(error=code, detail=f"{type(exc).__name__}: {exc}", address=conn.peer)
    finally:
        watchdog.cancel()
        conn.close()
    if deadline_hit.is_set():
        # The shutdown can look like a clean end of headers or body to the parser.
        return result(
            error="timeout", detail=f"no complete answer within {timeout:g} s", address=conn.peer
        )

    if 300 <= status < 400:
        location = received.get("location", "")
        return result(
            status=status,
            headers=received,
            body=text,
            address=conn.peer,
            error="redirect_not_followed",
            detail=f"redirects are not followed (Location: {location})",
        )
    return result(status=status, headers=received, body=text, address=conn.peer)
