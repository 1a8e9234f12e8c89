"""The guarded outbound POST against real sockets on loopback."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core import outbound as webhook_http
from core.outbound import AddressRefused, check_url, is_public_address, post
from tests.loopback import free_port

BODY = b'{"type":"webhook.test","timestamp":"2024-05-01T10:00:00.000+00:00","data":{}}'


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "127.8.9.10",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "100.64.0.1",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1",
        "2001:db8::1",
        "not-an-ip",
    ],
)
def test_non_public_addresses_are_recognised(address: str) -> None:
    # Given an internal, special-purpose or malformed address / Then it is not public
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    # Given an address on the internet (also IPv4-mapped or NAT64) / Then it is public
    assert is_public_address(address)


def test_post_reaches_receiver_and_reports_the_answer(receiver) -> None:
    # Given a receiver answering 202 with a header and a body
    receiver.answer(status=202, headers={"X-Request-Id": "r1"}, body=b"accepted")

    # When the client posts with private networks allowed (tests run on loopback)
    result = post(receiver.url("/in?x=1"), BODY, {"webhook-id": "msg_1"}, allow_private=True)

    # Then the status, headers, body and connected address are reported
    assert result.error is None
    assert result.status == 202
    assert result.headers["x-request-id"] == "r1"
    assert result.body == "accepted"
    assert result.address == "127.0.0.1"
    assert result.duration_ms >= 0
    got = receiver.wait_for(1)[0]
    assert got.path == "/in?x=1"
    assert got.body == BODY
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["webhook-id"] == "msg_1"
    assert got.headers["Host"] == f"127.0.0.1:{receiver.port}"


def test_hostname_is_kept_in_host_header(receiver) -> None:
    # Given a URL naming the receiver by hostname
    url = f"http://localhost:{receiver.port}/hook"

    # When posted / Then the request carries the hostname, not the pinned IP
    assert post(url, BODY, {}, allow_private=True).status == 200
    assert receiver.wait_for(1)[0].headers["Host"] == f"localhost:{receiver.port}"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "127.1", "0.0.0.0"]
)
def test_private_address_refused_when_not_allowed(receiver, host: str) -> None:
    # Given a destination that is loopback under some spelling
    url = f"http://{host}:{receiver.port}/hook"

    # When posted without allowing private networks
    result = post(url, BODY, {}, allow_private=False)

    # Then nothing is sent and the attempt says why
    assert result.error == "private_address_refused"
    assert result.status is None
    assert receiver.requests == []


def test_name_resolving_to_any_private_address_is_refused(receiver) -> None:
    # Given a name whose DNS answer mixes a public and an internal address
    def resolver(host, port, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    # When posted / Then it is refused before any connection
    result = post("http://partner.example/hook", BODY, {}, resolver=resolver)
    assert result.error == "private_address_refused"
    # (without naming the internal address: the delivery log is read by the organisation)
    assert "127.0.0.1" not in (result.detail or "")


def test_connected_peer_is_checked_not_only_the_dns_answer(receiver) -> None:
    # Given a connection pinned to loopback as if a rebinding DNS answer had slipped past
    conn = webhook_http._PinnedHTTPConnection("partner.example", receiver.port, timeout=2)
    conn.pinned = [(socket.AF_INET, ("127.0.0.1", receiver.port))]
    conn.allow_private = False

    # When it connects / Then the socket's own peer address is refused
    with pytest.raises(AddressRefused):
        conn.connect()
    conn.close()


def test_redirect_is_not_followed(receiver) -> None:
    # Given a receiver answering with a redirect to another path
    receiver.answer(status=302, headers={"Location": receiver.url("/elsewhere")})

    # When posted
    result = post(receiver.url(), BODY, {}, allow_private=True)

    # Then the attempt records the 3xx as a failure and nothing follows it
    assert result.status == 302
    assert result.error == "redirect_not_followed"
    assert "/elsewhere" in (result.detail or "")
    time.sleep(0.2)  # give a wrongly followed redirect time to arrive
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_slow_receiver_times_out(receiver) -> None:
    # Given a receiver that answers after 3 s
    receiver.answer(delay=3.0)

    # When posted with a 0.5 s timeout / Then the attempt is a timeout
    result = post(receiver.url(), BODY, {}, allow_private=True, timeout=0.5)
    assert result.error == "timeout"
    assert result.status is None


def test_trickling_receiver_hits_the_overall_deadline() -> None:
    # Given a raw server that sends one header byte every 0.1 s forever
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = server.accept()
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not stop.is_set():
                conn.sendall(b"a")
                time.sleep(0.1)
        except OSError:
            pass
        finally:
            conn.close()

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        # When posted with a 1 s timeout (each byte arrives well within it)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        result = post(url, BODY, {}, allow_private=True, timeout=1.0)
    finally:
        stop.set()
        server.close()

    # Then the whole exchange is cut at the deadline
    assert result.error == "timeout"


def test_connection_refused_is_reported() -> None:
    # Given a port nobody listens on / When posted / Then connection_refused
    result = post(f"http://127.0.0.1:{free_port()}/", BODY, {}, allow_private=True)
    assert result.error == "connection_refused"


def test_unknown_host_is_a_dns_error() -> None:
    # Given a name in the reserved .invalid domain / When posted / Then dns_error
    result = post("http://no-such-host.invalid/hook", BODY, {})
    assert result.error == "dns_error"


def test_only_first_kilobyte_of_the_answer_is_kept(receiver) -> None:
    # Given a receiver answering 5000 bytes
    receiver.answer(status=500, body=b"x" * 5000)

    # When posted / Then only 1 KB of the body is recorded
    result = post(receiver.url(), BODY, {}, allow_private=True)
    assert result.status == 500
    assert result.body == "x" * 1024


def test_environment_proxy_is_ignored(receiver, monkeypatch) -> None:
    # Given proxy variables pointing at a dead port
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("HTTP_PROXY", dead)
    monkeypatch.setenv("http_proxy", dead)

    # When posted / Then the request goes straight to the receiver
    assert post(receiver.url(), BODY, {}, allow_private=True).status == 200


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "http:///path",
        "https://u:p@example.com/",
        "http://example.com:0/",
        "http://example.com:99999/",
        "https://example.com/#frag",
        "not a url",
    ],
)
def test_invalid_urls_are_refused(url: str) -> None:
    # Given a URL a webhook cannot use / Then it is refused with a reason
    assert check_url(url)
    assert post(url, BODY, {}).error == "invalid_url"


def _certificates(tmp: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for `localhost` signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = tmp / "ca.pem", tmp / "cert.pem", tmp / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[int, Path, list[str | None]]]:
    ca_path, cert_path, key_path = _certificates(tmp_path)
    server_names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1], ca_path, server_names
    finally:
        server.shutdown()
        server.server_close()


def test_https_verifies_the_hostname_and_sends_sni(tls_receiver) -> None:
    # Given an HTTPS receiver whose certificate names `localhost`, trusted through a test CA
    port, ca_path, server_names = tls_receiver
    trust = ssl.create_default_context(cafile=str(ca_path))

    # When posted by hostname / Then TLS verifies and SNI carries the hostname
    ok = post(f"https://localhost:{port}/", BODY, {}, allow_private=True, ssl_context=trust)
    assert (ok.status, ok.error) == (200, None)
    assert server_names[-1] == "localhost"

    # When posted by an address the certificate does not name / Then verification fails
    bad = post(f"https://127.0.0.1:{port}/", BODY, {}, allow_private=True, ssl_context=trust)
    assert bad.error == "tls_error"

    # When the CA is not trusted at all / Then verification fails too
    untrusted = post(f"https://localhost:{port}/", BODY, {}, allow_private=True)
    assert untrusted.error == "tls_error"
