"""A minimal OpenID Connect provider on this machine, for the sign-in tests: discovery, an authorization
endpoint that signs in a fixed e-mail at once, a token endpoint issuing RS256 ID tokens, and its keys.
Nothing outside the machine is involved."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from authlib.jose import JsonWebKey, jwt

CLIENT_ID, CLIENT_SECRET = "meridian", "provider-test-secret"


class Provider:
    def __init__(self, email: str) -> None:
        self.email = email
        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "test-key"})
        self.codes: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/.well-known/openid-configuration"

    def _id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.base, "sub": self.email, "aud": CLIENT_ID, "iat": now, "exp": now + 600,
                  "email": self.email, "email_verified": True, "name": self.email.split("@")[0]}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key).decode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                return

            def _json(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self._json({"issuer": provider.base, "authorization_endpoint": f"{provider.base}/authorize",
                                "token_endpoint": f"{provider.base}/token", "jwks_uri": f"{provider.base}/jwks",
                                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                                "id_token_signing_alg_values_supported": ["RS256"],
                                "scopes_supported": ["openid", "email", "profile"],
                                "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                                          "client_secret_post"]})
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(is_private=False)]})
                elif url.path == "/authorize":
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {"nonce": query.get("nonce")}
                    target = query["redirect_uri"] + "?" + urllib.parse.urlencode(
                        {"code": code, "state": query.get("state", "")})
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                grant = provider.codes.pop(form.get("code", ""), None)
                if self.path != "/token" or grant is None:
                    self.send_error(400)
                    return
                self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 600,
                            "id_token": provider._id_token(grant["nonce"])})

        return Handler
