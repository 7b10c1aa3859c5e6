"""A small OpenID Connect provider in a thread, for the ID tokens the real test IdP (oidc-provider) cannot be made to
send: ES256 keys that rotate, `alg: none`, unknown key ids, keys it does not publish, odd audiences, Entra-shaped
claims, broken answers. It serves discovery, JWKS, the token endpoint and userinfo over real HTTP on localhost;
each test says what the next ID token holds (`next_claims`) and how it is signed (`sign`).
"""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from accounts.tests.sso.oidc_harness import CLIENT_ID


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SigningKey:
    def __init__(self, kid: str):
        self.kid = kid
        self.private = ec.generate_private_key(ec.SECP256R1())

    @property
    def jwk(self) -> dict:
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "alg": "ES256"}


class FakeIdP:
    __test__ = False

    def __init__(self):
        self.keys = [SigningKey("key-1")]  # published at the JWKS URI
        self.signing_key = self.keys[0]
        self.jwks_requests = 0
        self.next_claims: dict = {}
        self.header: dict = {}  # extra or overriding JWT header fields
        self.algorithm = "ES256"  # or "none", or "HS256" (signed with the client secret)
        self.userinfo: object = None  # None: the ID token's claims
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakeIdP":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def rotate(self) -> SigningKey:
        """A new ES256 key replaces the published one and signs from now on."""
        self.signing_key = SigningKey(f"key-{len(self.keys) + 1}")
        self.keys = [self.signing_key]
        return self.signing_key

    def claims_for(self, *, nonce: str, email: str, **extra) -> dict:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": f"fake|{email}",
            "email": email,
            "email_verified": True,
            "name": "Fake Person",
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
            **extra,
        }

    def id_token(self) -> str:
        claims = self.next_claims
        if self.algorithm == "none":
            header = {"alg": "none", "typ": "JWT", **self.header}
            return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
        if self.algorithm == "HS256":
            return jwt.encode(claims, "test-client-secret-0123456789", algorithm="HS256", headers=self.header)
        headers = {"kid": self.signing_key.kid, **self.header}
        return jwt.encode(claims, self.signing_key.private, algorithm="ES256", headers=headers)

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body, status=200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": idp.issuer,
                            "authorization_endpoint": f"{idp.issuer}/authorize",
                            "token_endpoint": f"{idp.issuer}/token",
                            "userinfo_endpoint": f"{idp.issuer}/userinfo",
                            "jwks_uri": f"{idp.issuer}/jwks",
                            "id_token_signing_alg_values_supported": ["ES256"],
                            "token_endpoint_auth_methods_supported": ["client_secret_post"],
                        }
                    )
                elif self.path == "/jwks":
                    idp.jwks_requests += 1
                    self._json({"keys": [key.jwk for key in idp.keys]})
                elif self.path == "/userinfo":
                    info = idp.userinfo
                    if info is None:
                        info = {k: v for k, v in idp.next_claims.items() if k not in ("aud", "iss", "nonce", "exp")}
                    self._json(info)
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/token":
                    self._json({"access_token": "fake-access", "token_type": "Bearer", "id_token": idp.id_token()})
                else:
                    self._json({"error": "not_found"}, 404)

        return Handler
