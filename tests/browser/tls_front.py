"""An HTTPS front for the local stack, as API Gateway or CloudFront is in a deployment.

Public Conduit frontends are built to call an https:// API (api.realworld.io and the like). The
test's Chromium resolves that name to this front, which ends TLS with a certificate made for the
occasion and passes every request on to the stack unchanged: method, path, headers (Origin too) and
body; and every answer back unchanged. So a preflight is the stack's own, and so is every CORS header
that Chromium checks.
"""

from __future__ import annotations

import datetime
import http.client
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Hop-by-hop headers belong to one connection, not to the request or the answer it carries.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def _certificate(folder: Path, names: list[str]) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    hour = datetime.timedelta(hours=1)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - hour).not_valid_after(now + 24 * hour)
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "front.crt", folder / "front.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _handler(stack_url: str) -> type[BaseHTTPRequestHandler]:
    stack = urlsplit(stack_url)

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
            connection = http.client.HTTPConnection(stack.hostname or "127.0.0.1", stack.port, timeout=60)
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                answer = connection.getresponse()
                content = answer.read()
            finally:
                connection.close()
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _forward

        def log_message(self, format: str, *args: object) -> None:  # quiet: the test output is not a server log
            pass

    return Forward


@contextmanager
def serve(stack_url: str, names: list[str]) -> Iterator[int]:
    """The front's loopback port, answering HTTPS for ``names`` in front of the stack at ``stack_url``."""
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = _certificate(Path(folder), names)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stack_url))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            server.server_close()
