"""A stand-in for a Deployment's Ingress on this machine: terminates TLS for `https://<release>.<domain>` with a
self-signed certificate and forwards every request to the local api-server with the X-Forwarded-* headers an ingress
controller adds (the rendered [fab] enable_proxy_fix trusts them). Chromium reaches it through
`--host-resolver-rules`, so the browser sees the Deployment's real URL and Airflow builds its redirect URI from it."""

import datetime
import http.client
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"}


def _self_signed(host: str, directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "tls.crt", directory / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class TlsIngress:
    def __init__(self, host: str, backend_port: int):
        self.host, self.backend_port = host, backend_port
        self.requests: list[str] = []
        ingress = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers |= {
                    "X-Forwarded-Proto": "https",
                    "X-Forwarded-Host": ingress.host,
                    "X-Forwarded-Port": "443",
                    "X-Forwarded-For": self.client_address[0],
                }
                ingress.requests.append(f"{self.command} {self.path}")
                backend = http.client.HTTPConnection("127.0.0.1", ingress.backend_port, timeout=60)
                try:
                    backend.request(self.command, self.path, body=body, headers=headers)
                    response = backend.getresponse()
                    content = response.read()
                    self.send_response(response.status, response.reason)
                    for name, value in response.getheaders():
                        if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                finally:
                    backend.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

        self._dir = tempfile.TemporaryDirectory(prefix="tls-ingress-")
        cert, key = _self_signed(host, Path(self._dir.name))
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def resolver_rule(self) -> str:
        """Chromium's --host-resolver-rules entry sending the Deployment's host to this ingress."""
        return f"MAP {self.host}:443 127.0.0.1:{self.port}"

    def start(self) -> "TlsIngress":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._dir.cleanup()
