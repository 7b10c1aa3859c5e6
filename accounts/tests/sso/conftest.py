import pytest
from django.core.cache import cache

from accounts.tests.sso.dns_harness import TestDns
from accounts.tests.sso.fake_idp import FakeIdP


@pytest.fixture
def dns_server(settings):
    """A DNS server on a free localhost port that Aerodrome's SSO domain checks ask (SSO_DNS_NAMESERVERS)."""
    server = TestDns().start()
    settings.SSO_DNS_NAMESERVERS = [server.nameserver]
    settings.SSO_DNS_TIMEOUT = 2
    yield server
    server.stop()


@pytest.fixture
def fake_idp():
    """A small OpenID Connect provider for crafted ID tokens (accounts/tests/sso/fake_idp.py)."""
    cache.clear()  # cached JWKS and login rate limits of earlier tests
    idp = FakeIdP().start()
    yield idp
    idp.stop()
