"""The one policy for outbound calls to addresses organisations choose: their clusters' API servers, metadata
PostgreSQL and Prometheus, their identity providers (and, as they come, alert webhooks and registries).

A host is resolved, and refused when ANY of its addresses is refused:
- always: Aerodrome's own services (the host:port of its database, broker, result backend, cache and mail server,
  from settings) and this machine's own addresses, and OUTBOUND_DENIED_NETWORKS;
- unless OUTBOUND_ALLOWED_NETWORKS holds it: every address that is not public (loopback, link-local where cloud
  metadata services answer, multicast, unspecified, reserved, private and shared ranges), IPv4 written as IPv6
  (::ffff:127.0.0.1, NAT64, 6to4) included.

Clients then connect to the very addresses that were checked, so a second DNS answer cannot differ from the first
(DNS rebinding): `session()` for HTTP (every redirect is a new connection, checked again), `pin()` for a urllib3
pool manager (the Kubernetes client's), `libpq_target()` for PostgreSQL. Calls for the platform's own resources,
configured by staff, skip all of it.
"""

import contextlib
import functools
import ipaddress
import logging
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443, "postgres": 5432, "postgresql": 5432, "redis": 6379, "rediss": 6379}
NAT64 = ipaddress.ip_network("64:ff9b::/96")
MAX_REDIRECTS = 5

# The resolver. Tests give names addresses through it (the `fake_dns` fixture); nothing else should call it.
getaddrinfo = socket.getaddrinfo

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The policy refuses a host; `reason` is one sentence an organisation's people may read."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------------------------------------------- the policy

CALLS_NOT = "which Aerodrome does not call"
NOT_FOR_TENANTS = "which it does not call for an organisation"


def _not_public(ip: Address) -> tuple[str, str] | None:
    """(what the address is, what follows) when it is not a public one."""
    for test, what in (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address (where cloud metadata services answer)"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_reserved, "a reserved address"),
    ):
        if test:
            return what, CALLS_NOT
    if not ip.is_global:  # RFC 1918, unique-local, shared (CGNAT), documentation ranges...
        return "a private address", f"{CALLS_NOT} unless its administrator allows that network"
    return None


def _forms(ip: Address) -> list[Address]:
    """The address and every IPv4 address it stands for."""
    if ip.version == 4:
        return [ip]
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped]  # only another spelling of the IPv4 address
    embedded = [ip.sixtofour] if ip.sixtofour else []
    if ip in NAT64:
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [ip, *embedded]


def _judge(ip: Address, port: int) -> tuple[Address, str, str, str] | None:
    """(the address refused, how to show it, what it is, what follows) when the policy refuses `ip`."""
    for form in _forms(ip):
        if (form, port) in _platform_services():
            shown = f"[{form}]:{port}" if form.version == 6 else f"{form}:{port}"
            return form, shown, "one of Aerodrome's own services", NOT_FOR_TENANTS
        if form in _own_addresses():
            return form, str(form), "one of Aerodrome's own addresses", NOT_FOR_TENANTS
        if any(form in network for network in settings.OUTBOUND_DENIED_NETWORKS):
            return form, str(form), "in a network this Aerodrome does not call", ""
        if any(form in network for network in settings.OUTBOUND_ALLOWED_NETWORKS):
            continue
        if verdict := _not_public(form):
            return form, str(form), *verdict
    return None


def check_host(host: str, port: int) -> list[tuple[int, tuple]]:
    """The (family, socket address) pairs to connect to for host:port, every one allowed by the policy. Raises
    Refused, or OSError (socket.gaierror) when the name does not resolve."""
    name = (host or "").strip().strip("[]").rstrip(".")
    if not name:
        raise Refused("No host is named.")
    targets = []
    for family, _type, _proto, _canonical, sockaddr in getaddrinfo(name, port, type=socket.SOCK_STREAM):
        verdict = _judge(ipaddress.ip_address(sockaddr[0]), port)
        if verdict:
            reason = _sentence(name, *verdict)
            logger.warning("Outbound call to %s port %s refused: %s", name, port, reason)
            raise Refused(reason)
        if (family, sockaddr) not in targets:
            targets.append((family, sockaddr))
    return targets


def _sentence(name: str, refused: Address, shown: str, what: str, follows: str) -> str:
    """E.g. 'cluster.example resolves to 127.0.0.1, a loopback address, which Aerodrome does not call.'"""
    try:
        literal = ipaddress.ip_address(name)
    except ValueError:
        literal = None
    if literal is None:
        subject = f"{name} resolves to {shown}, {what}"
    elif literal == refused:
        subject = f"{shown} is {what}"
    else:
        subject = f"{name} stands for {shown}, {what}"  # ::ffff:127.0.0.1, say
    return f"{subject}, {follows}." if follows else f"{subject}."


def check_url(url: str) -> list[tuple[int, tuple]]:
    """check_host for a URL's host and port (the scheme's default port when it names none)."""
    parts = urlsplit(url)
    return check_host(parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 443))


def refusal(url: str) -> str | None:
    """Why the policy refuses the URL, for checks when it is saved; None when it is allowed, or when its name does
    not resolve from here right now (every call checks again)."""
    try:
        check_url(url)
    except Refused as refused:
        return refused.reason
    except (OSError, ValueError, UnicodeError):
        return None
    return None


# ------------------------------------------------------------------------------------- Aerodrome's own addresses


def _service_endpoints() -> tuple[tuple[str, int], ...]:
    """host:port of the services Aerodrome itself uses, from settings."""
    endpoints = []
    for database in settings.DATABASES.values():
        host = database.get("HOST") or ""
        if host and not host.startswith("/"):
            endpoints.append((host, int(database.get("PORT") or 5432)))
    urls = [settings.CELERY_BROKER_URL, getattr(settings, "CELERY_RESULT_BACKEND", "") or ""]
    for cache in settings.CACHES.values():
        location = cache.get("LOCATION") or ""
        urls += location if isinstance(location, list | tuple) else [location]
    for url in (u for value in urls for u in str(value).split(";")):  # a broker URL may list several
        parts = urlsplit(url.strip())
        try:
            port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        except ValueError:
            continue
        if parts.hostname and port:
            endpoints.append((parts.hostname, port))
    mail = (getattr(settings, "MAILERS", {}).get("default") or {}).get("OPTIONS") or {}
    if mail.get("host"):
        endpoints.append((mail["host"], int(mail.get("port") or 25)))
    return tuple(endpoints)


def _platform_services() -> frozenset[tuple[Address, int]]:
    return _resolve_endpoints(_service_endpoints())


@functools.lru_cache(maxsize=8)
def _resolve_endpoints(endpoints: tuple[tuple[str, int], ...]) -> frozenset[tuple[Address, int]]:
    """Resolved once per configuration (settings change only in tests)."""
    resolved = set()
    for host, port in endpoints:
        try:
            infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            logger.warning("Cannot resolve %s, one of Aerodrome's own services; it is not protected by address", host)
            continue
        for *_, sockaddr in infos:
            ip = ipaddress.ip_address(sockaddr[0])
            resolved.update((form, port) for form in _forms(ip))
    return frozenset(resolved)


@functools.cache
def _own_addresses() -> frozenset[Address]:
    """This machine's addresses, loopback aside (refused as such, unless a development install allows it)."""
    found: set[str] = set(_interface_ipv4_addresses())
    with contextlib.suppress(OSError):
        found.update(info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None))
    with contextlib.suppress(OSError), open("/proc/net/if_inet6") as lines:  # Linux: every interface's IPv6
        found.update(str(ipaddress.IPv6Address(bytes.fromhex(line.split()[0]))) for line in lines)
    addresses = {ipaddress.ip_address(address.split("%")[0]) for address in found}
    return frozenset(address for address in addresses if not address.is_loopback)


def _interface_ipv4_addresses() -> list[str]:
    """The IPv4 address of each network interface (Linux's SIOCGIFADDR; elsewhere none)."""
    import fcntl
    import struct

    found = []
    for _index, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                answer = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue  # no IPv4 address, or not Linux
            found.append(socket.inet_ntoa(answer[20:24]))
    return found


# --------------------------------------------------------------------------------- clients that obey the policy


def _connect_checked(self) -> socket.socket:
    """urllib3's HTTPConnection._new_conn, connecting only to the addresses the policy checked for the host (the
    proxy, when there is one). Refused goes through urllib3 untouched; the rest fails as urllib3's own would."""
    try:
        return _connect_first(check_host(self._dns_host, self.port), self)
    except socket.gaierror as error:
        raise NameResolutionError(self.host, self, error) from error
    except TimeoutError as error:
        message = f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
        raise ConnectTimeoutError(self, message) from error
    except OSError as error:
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error


def _connect_first(targets: list[tuple[int, tuple]], connection: HTTPConnection) -> socket.socket:
    """A socket to the first checked address that answers (each a literal: nothing is resolved again)."""
    failure = OSError(f"No address to connect to for {connection.host}")
    for _family, sockaddr in targets:
        address = f"{sockaddr[0]}%{sockaddr[3]}" if len(sockaddr) == 4 and sockaddr[3] else sockaddr[0]
        try:
            return urllib3_connection.create_connection(
                (address, connection.port), connection.timeout, connection.source_address, connection.socket_options
            )
        except OSError as error:
            failure = error
    raise failure


class _CheckedHTTPConnection(HTTPConnection):
    _new_conn = _connect_checked


class _CheckedHTTPSConnection(HTTPSConnection):
    _new_conn = _connect_checked


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


def pin(pool_manager) -> None:
    """Makes every connection a urllib3 PoolManager (or ProxyManager) opens obey the policy, to checked addresses."""
    pool_manager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


class RefusedRequest(requests.ConnectionError):
    """A request the policy refused before connecting; its text is the reason."""


class _CheckedAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, timeout: float):
        self.timeout = timeout
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        pin(self.poolmanager)

    def send(self, request, timeout=None, **kwargs):
        try:
            return super().send(request, timeout=self.timeout if timeout is None else timeout, **kwargs)
        except Refused as refused:
            raise RefusedRequest(refused.reason, request=request) from None


def session(*, timeout: float) -> requests.Session:
    """A requests Session for addresses organisations choose: each connection (each redirect too) goes to checked
    addresses, every request has `timeout` unless it says otherwise, and nothing comes from the environment (a
    proxy there would be checked instead of the host, and could receive the proxy's credentials on a redirect)."""
    checked = requests.Session()
    checked.trust_env = False
    checked.max_redirects = MAX_REDIRECTS
    adapter = _CheckedAdapter(timeout)
    checked.mount("http://", adapter)
    checked.mount("https://", adapter)
    return checked


def libpq_target(params: dict) -> dict[str, str]:
    """`host`, `hostaddr` and `port` for libpq from a parsed connection string: each host checked, one attempt per
    checked address, so libpq connects only to those and never resolves a name itself. A local socket (no host, or
    a path) is refused."""
    hosts = (params.get("host") or "").split(",")
    if any(not host or host.startswith(("/", "@")) for host in hosts):
        raise Refused("The URL names no server host (a local socket), which Aerodrome does not connect to.")
    ports = (params.get("port") or "").split(",")
    ports = ports * len(hosts) if len(ports) == 1 else ports
    if len(ports) != len(hosts):
        raise Refused("The URL names a different number of hosts and ports.")
    attempts = [
        (host, sockaddr[0], port or "5432")
        for host, port in zip(hosts, ports, strict=True)
        for _family, sockaddr in check_host(host, int(port or 5432))
    ]
    return {
        key: ",".join(attempt[index] for attempt in attempts) for index, key in enumerate(("host", "hostaddr", "port"))
    }
