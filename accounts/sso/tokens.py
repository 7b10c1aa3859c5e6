"""Checking an ID token from an organisation's identity provider: its signature against the provider's published
keys (JWKS), and its claims (iss, aud, exp, iat, azp).

OpenID Connect lets a client that receives the ID token straight from the token endpoint over TLS skip the
signature, and allauth does; Aerodrome checks it anyway, so a token signed with `alg: none`, with a key the provider
does not publish, or with an unknown key id is refused. The keys are fetched through the SSO HTTP seam
(accounts/sso/http.py, which follows the outbound policy), cached for SSO_JWKS_CACHE_SECONDS, and fetched again once
when a token names a key id the cache does not hold (the provider rotated its keys).
"""

import hashlib
import json
import logging

import jwt
from django.conf import settings
from django.core.cache import cache

from accounts.sso import http

logger = logging.getLogger(__name__)

# Asymmetric algorithms only: `none` proves nothing, and HS* would make the client secret a signing key.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 60  # clock skew between Aerodrome and the provider
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


class TokenRejected(jwt.PyJWTError):
    """An ID token Aerodrome does not accept; the message says why (for logs)."""


def _cache_key(jwks_uri: str) -> str:
    return "sso:jwks:" + hashlib.sha256(jwks_uri.encode()).hexdigest()


def fetch_keys(jwks_uri: str) -> list[dict]:
    """The provider's published keys, fetched now (and cached)."""
    with http.session() as session:
        response = session.get(jwks_uri, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise TokenRejected("The identity provider's JWKS document holds no keys.")
    keys = [key for key in keys if isinstance(key, dict)]
    cache.set(_cache_key(jwks_uri), keys, settings.SSO_JWKS_CACHE_SECONDS)
    return keys


def _candidates(keys: list[dict], kid: str | None, alg: str) -> list[dict]:
    kty = KEY_TYPES.get(alg[:2])
    usable = [
        key for key in keys if key.get("kty") == kty and key.get("use", "sig") == "sig" and key.get("alg", alg) == alg
    ]
    if kid is not None:
        return [key for key in usable if key.get("kid") == kid]
    return usable  # a provider that publishes one key may leave kid out


def _public_key(jwk: dict, alg: str):
    algorithm = jwt.algorithms.get_default_algorithms()[alg]
    return algorithm.from_jwk(json.dumps(jwk))


def verify_id_token(id_token: str, *, jwks_uri: str, issuer: str, client_id: str) -> dict:
    """The token's claims once its signature and claims check out; TokenRejected (a PyJWTError) otherwise."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as error:
        raise TokenRejected(f"Unreadable ID token: {error}") from error
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:
        raise TokenRejected(f"ID token signed with {alg!r}, which Aerodrome does not accept.")
    if kid is not None and not isinstance(kid, str):
        raise TokenRejected("The ID token's key id is not a string.")

    cached = cache.get(_cache_key(jwks_uri))
    keys = cached if cached is not None else fetch_keys(jwks_uri)
    candidates = _candidates(keys, kid, alg)
    if not candidates and cached is not None:
        candidates = _candidates(fetch_keys(jwks_uri), kid, alg)  # once: the provider may have rotated its keys
    if not candidates:
        raise TokenRejected(f"The ID token was signed with a key the identity provider does not publish ({kid!r}).")

    claims, last_error = None, None
    for jwk in candidates:
        try:
            claims = jwt.decode(
                id_token,
                key=_public_key(jwk, alg),
                algorithms=[alg],
                audience=client_id,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
            break
        except jwt.InvalidSignatureError as error:
            last_error = error
        except (ValueError, TypeError, KeyError) as error:  # a malformed published key
            last_error = jwt.InvalidKeyError(str(error))
    if claims is None:
        raise last_error or TokenRejected("No published key verifies the ID token.")

    audience = claims["aud"]
    several = isinstance(audience, list) and len(audience) > 1
    azp = claims.get("azp")
    if (several or azp is not None) and azp != client_id:
        raise jwt.InvalidAudienceError("The ID token was issued to another party (azp).")
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise TokenRejected("The ID token's subject is not a string of 1 to 255 characters.")
    return claims
