"""The outbound policy for addresses tenants choose: what it refuses after DNS resolution, what a self-hosted
install may open, and an HTTP session that connects only to the addresses it checked, redirects included."""

import ipaddress
import socket

import pytest
import requests

from aerodrome import outbound
from aerodrome.tests.http_stub import Answer, StubServer


def machine_address() -> str:
    """This machine's address on its default route (a UDP 'connection' sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("198.51.100.1", 9))
        return probe.getsockname()[0]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://localhost:8080/", "localhost resolves to"),
        ("http://localhost:8080/", "a loopback address, which Aerodrome does not call"),
        ("https://[::1]:6443", "::1 is a loopback address"),
        ("http://0.0.0.0:9090/", "0.0.0.0 is the unspecified address"),
        ("https://[::ffff:127.0.0.1]:6443", "a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[fe80::1]/", "a link-local address"),
        ("http://224.0.0.251:5353/", "a multicast address"),
        ("https://10.20.30.40:6443", "10.20.30.40 is a private address"),
        ("https://[fd12:3456::1]:6443", "a private address"),
        ("http://metadata.tenant.test/", "metadata.tenant.test resolves to 169.254.169.254, a link-local address"),
        ("https://api.tenant.test:6443", "api.tenant.test resolves to 127.0.0.1, a loopback address"),
    ],
)
def test_names_and_literals_of_addresses_that_are_not_public_are_refused(strict_outbound, fake_dns, url, words):
    fake_dns["metadata.tenant.test"] = ["169.254.169.254"]
    fake_dns["api.tenant.test"] = ["127.0.0.1"]
    with pytest.raises(outbound.Refused) as refused:
        outbound.check_url(url)
    assert words in refused.value.reason


def test_a_name_is_refused_when_any_of_its_addresses_is(strict_outbound, fake_dns):
    fake_dns["mixed.tenant.test"] = ["93.184.215.14", "127.0.0.1"]
    with pytest.raises(outbound.Refused, match="resolves to 127.0.0.1, a loopback address"):
        outbound.check_host("mixed.tenant.test", 443)


def test_public_addresses_are_allowed(strict_outbound, fake_dns):
    fake_dns["api.tenant.test"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    addresses = {sockaddr[0] for _family, sockaddr in outbound.check_url("https://api.tenant.test:6443/")}
    assert addresses == {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"}
    assert outbound.refusal("https://api.tenant.test:6443/") is None


def test_a_name_that_does_not_resolve_is_no_refusal_yet(strict_outbound):
    with pytest.raises(OSError):
        outbound.check_url("https://nowhere.invalid/")
    assert outbound.refusal("https://nowhere.invalid/") is None  # saved, and checked again at every call


def test_allowed_networks_open_private_ranges(strict_outbound, fake_dns):
    fake_dns["k8s.corp.test"] = ["10.20.30.40"]
    with pytest.raises(outbound.Refused, match="unless its administrator allows that network"):
        outbound.check_host("k8s.corp.test", 6443)
    strict_outbound.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert outbound.check_host("k8s.corp.test", 6443)
    with pytest.raises(outbound.Refused, match="a private address"):
        outbound.check_host("192.168.1.10", 6443)


def test_denied_networks_win_over_allowed_ones(strict_outbound):
    strict_outbound.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    strict_outbound.OUTBOUND_DENIED_NETWORKS = [ipaddress.ip_network("10.99.0.0/16")]
    assert outbound.check_host("10.1.0.1", 443)
    with pytest.raises(outbound.Refused, match="10.99.0.5 is in a network this Aerodrome does not call"):
        outbound.check_host("10.99.0.5", 443)


def test_the_platforms_own_services_are_refused_even_inside_allowed_networks(settings):
    # The test settings allow loopback, where the suite's PostgreSQL and Redis listen.
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "localhost", "port": 2525}}}  # fmt: skip
    assert outbound.check_host("127.0.0.1", 5433)
    for port in (int(settings.DATABASES["default"]["PORT"]), 6379, 2525):
        with pytest.raises(outbound.Refused, match=f"127.0.0.1:{port} is one of Aerodrome's own services"):
            outbound.check_host("127.0.0.1", port)
    with pytest.raises(outbound.Refused, match="localhost resolves to 127.0.0.1:6379, one of Aerodrome's own"):
        outbound.check_url("redis://localhost/0")


def test_the_machines_own_addresses_are_refused_even_inside_allowed_networks(strict_outbound):
    own = ipaddress.ip_address(machine_address())
    strict_outbound.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network(f"{own}/24", strict=False)]
    with pytest.raises(outbound.Refused, match=f"{own} is one of Aerodrome's own addresses"):
        outbound.check_host(str(own), 8000)
    neighbour = own + 1 if (own + 1) in strict_outbound.OUTBOUND_ALLOWED_NETWORKS[0] else own - 1
    assert outbound.check_host(str(neighbour), 8000)


# --------------------------------------------------------------------------------------------- the HTTP session


def test_the_session_refuses_before_connecting(strict_outbound):
    with StubServer() as server:
        session = outbound.session(timeout=2)
        with pytest.raises(requests.ConnectionError) as refused:
            session.get(f"http://localhost:{server.port}/.well-known/openid-configuration")
    assert "localhost resolves to" in str(refused.value) and "a loopback address" in str(refused.value)
    assert server.seen == []


def test_the_session_checks_every_redirect(strict_outbound, fake_dns):
    strict_outbound.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    fake_dns["idp.tenant.test"] = ["127.0.0.1"]
    redirect = Answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/iam/"})
    refused = pytest.raises(requests.ConnectionError, match="169.254.169.254 is a link-local address")
    with StubServer(lambda seen: redirect) as server, refused:
        outbound.session(timeout=2).get(f"http://idp.tenant.test:{server.port}/jwks")
    assert [seen.path for seen in server.seen] == ["/jwks"]


def test_the_session_connects_to_the_address_it_checked(strict_outbound, fake_dns):
    strict_outbound.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    fake_dns["idp.tenant.test"] = ["127.0.0.1"]  # a name only the policy knows: a second lookup would fail
    with StubServer(lambda seen: Answer(200, b"{}")) as server:
        response = outbound.session(timeout=2).get(f"http://idp.tenant.test:{server.port}/token")
    assert response.status_code == 200
    assert [seen.host for seen in server.seen] == [f"idp.tenant.test:{server.port}"]
    assert fake_dns.lookups.count("idp.tenant.test") == 1


def test_the_session_ignores_proxies_from_the_environment(strict_outbound, fake_dns, monkeypatch):
    strict_outbound.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    fake_dns["idp.tenant.test"] = ["127.0.0.1"]
    with StubServer(lambda seen: Answer(200)) as proxy, StubServer(lambda seen: Answer(200)) as server:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        outbound.session(timeout=2).get(f"http://idp.tenant.test:{server.port}/")
    assert proxy.seen == [] and len(server.seen) == 1


def test_the_session_gives_every_request_a_timeout(strict_outbound, fake_dns):
    strict_outbound.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with pytest.raises(requests.Timeout):
            outbound.session(timeout=0.5).get(f"http://127.0.0.1:{silent.getsockname()[1]}/")
