"""The container registry's HTTP API v2 (the distribution spec): every registry call Aerodrome makes is here.

`resolve(reference, credentials)` turns `host[:port]/repository:tag` (or `...@sha256:...`) into the digest the
registry serves for it now, so pods run `repository@sha256:...` and a rollback is exact. It asks for the manifest
with HEAD (falling back to GET and hashing the body when the registry sends no `Docker-Content-Digest`),
accepting image indexes and manifests in both the OCI and Docker media types, and answers the registry's
authentication challenge: Basic with the stored credentials, or Bearer with a token fetched from the realm it
names (anonymously when there are no credentials, as public repositories allow). Calls go through the outbound
policy (`aerodrome.outbound`) like every call to an address a tenant chooses.
"""

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from django.conf import settings

from aerodrome import outbound

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
ACCEPT = ", ".join(MANIFEST_TYPES)
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REPOSITORY = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
HOST = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$")
CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """Something the person deploying can act on: a bad reference, an unknown repository or tag, refused
    credentials, an unreachable registry. The message says which."""


@dataclass(frozen=True)
class Reference:
    registry: str  # host[:port] as written (docker.io for Docker Hub)
    repository: str  # path inside the registry (library/x for Docker Hub's official images)
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        """The repository as pods name it (no registry for Docker Hub, as people write it)."""
        if self.registry == DOCKER_HUB:
            return self.repository.removeprefix("library/")
        return f"{self.registry}/{self.repository}"

    def pinned(self, digest: str) -> str:
        return f"{self.name}@{digest}"

    def __str__(self):
        return f"{self.name}@{self.digest}" if self.digest else f"{self.name}:{self.tag}"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def parse(reference: str) -> Reference:
    """`[host[:port]/]repository[:tag][@sha256:...]`; no tag means `latest`, as docker does."""
    text = (reference or "").strip()
    if not text or len(text) > 512 or any(ch.isspace() for ch in text):
        raise RegistryError("Name an image as registry/repository:tag or registry/repository@sha256:<digest>.")
    digest = ""
    if "@" in text:
        text, digest = text.split("@", 1)
        if not DIGEST.match(digest):
            raise RegistryError(f"“{digest}” is not a digest: expected sha256: and 64 lowercase hex digits.")
    tag = ""
    last = text.rsplit("/", 1)[-1]
    if ":" in last:
        text, tag = text.rsplit(":", 1)
        if not TAG.match(tag):
            raise RegistryError(f"“{tag}” is not a valid tag (letters, digits, _ . -; at most 128).")
    first, _, rest = text.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        registry, repository = first, rest
        if not HOST.match(registry):
            raise RegistryError(f"“{registry}” is not a registry host.")
    else:
        registry, repository = DOCKER_HUB, text
        if "/" not in repository:
            repository = f"library/{repository}"
    if not REPOSITORY.match(repository):
        raise RegistryError(f"“{repository}” is not a repository name (lowercase letters, digits, separators).")
    if not digest and not tag:
        tag = "latest"
    return Reference(registry=registry, repository=repository, tag=tag, digest=digest)


def _base_url(registry: str) -> str:
    host = DOCKER_HUB_API if registry == DOCKER_HUB else registry
    scheme = "http" if registry in settings.DEPLOY_INSECURE_REGISTRIES else "https"
    return f"{scheme}://{host}"


def resolve(reference: str | Reference, credentials: Credentials | None = None) -> tuple[Reference, str]:
    """The parsed reference and the digest its manifest has in the registry now. Raises RegistryError."""
    ref = reference if isinstance(reference, Reference) else parse(reference)
    wanted = ref.digest or ref.tag
    url = f"{_base_url(ref.registry)}/v2/{ref.repository}/manifests/{wanted}"
    with outbound.session(timeout=settings.DEPLOY_REGISTRY_TIMEOUT) as http:
        response = _call(http, "HEAD", url, ref, credentials)
        digest = response.headers.get("Docker-Content-Digest", "")
        if not DIGEST.match(digest):
            response = _call(http, "GET", url, ref, credentials)
            digest = "sha256:" + hashlib.sha256(response.content).hexdigest()
    if ref.digest and digest != ref.digest:
        raise RegistryError(f"The registry answered {digest} for {ref}: it does not hold that digest.")
    return ref, digest


def _call(http, method: str, url: str, ref: Reference, credentials, headers=None) -> requests.Response:
    headers = {"Accept": ACCEPT, **(headers or {})}
    response = _send(http, method, url, ref, headers)
    if response.status_code == 401:
        authorization = _authorize(http, response.headers.get("WWW-Authenticate", ""), ref, credentials)
        if authorization:
            response = _send(http, method, url, ref, {**headers, "Authorization": authorization})
    if response.status_code == 404:
        raise RegistryError(f"{ref} was not found in {ref.registry}: check the repository and the tag.")
    if response.status_code in (401, 403):
        hint = "the credentials were refused" if credentials else "it needs credentials (none are set for it)"
        raise RegistryError(f"{ref.registry} would not show {ref}: {hint}.")
    if response.status_code >= 400:
        raise RegistryError(f"{ref.registry} answered {response.status_code} for {ref}.")
    return response


def _send(http, method, url, ref: Reference, headers) -> requests.Response:
    try:
        return http.request(method, url, headers=headers, allow_redirects=True)
    except outbound.RefusedRequest as refused:
        raise RegistryError(f"Aerodrome may not call {ref.registry}: {refused}") from None
    except requests.RequestException as error:
        raise RegistryError(f"Could not reach the registry {ref.registry}: {type(error).__name__}.") from None


def _authorize(http, challenge: str, ref: Reference, credentials) -> str | None:
    """The Authorization header answering a 401's challenge, or None when there is nothing to try."""
    scheme, _, params = challenge.partition(" ")
    if scheme.lower() == "basic":
        if credentials is None:
            return None
        return requests.auth._basic_auth_str(credentials.username, credentials.password)
    if scheme.lower() != "bearer":
        return None
    fields = dict(CHALLENGE_PARAM.findall(params))
    realm = fields.get("realm")
    if not realm:
        return None
    query = {"scope": fields.get("scope") or f"repository:{ref.repository}:pull"}
    if fields.get("service"):
        query["service"] = fields["service"]
    auth = (credentials.username, credentials.password) if credentials else None
    try:
        response = http.get(f"{realm}?{urlencode(query)}", auth=auth)
    except outbound.RefusedRequest as refused:
        raise RegistryError(f"Aerodrome may not call {ref.registry}'s token service: {refused}") from None
    except requests.RequestException as error:
        raise RegistryError(f"Could not reach {ref.registry}'s token service: {type(error).__name__}.") from None
    if response.status_code in (401, 403):
        raise RegistryError(f"{ref.registry} refused the credentials for {ref.repository}.")
    try:
        body = response.json()
    except ValueError:
        body = {}
    token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    if response.status_code >= 400 or not token:
        raise RegistryError(f"{ref.registry}'s token service answered {response.status_code} without a token.")
    return f"Bearer {token}"
