"""A DNS server on a free localhost port (dnslib) for the SSO domain verification tests: TXT records are set per
name at runtime, and names can be made slow (answering after `delay` seconds, as a DNS outage looks)."""

import threading
import time

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSServer


class _Resolver(BaseResolver):
    def __init__(self, zone: "TestDns"):
        self.zone = zone

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        self.zone.queries.append(name)
        if name in self.zone.slow:
            time.sleep(self.zone.slow[name])
        if request.q.qtype == QTYPE.TXT and name in self.zone.txt:
            for value in self.zone.txt[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
        elif not any(known == name or known.endswith("." + name) for known in self.zone.txt):
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class TestDns:
    __test__ = False

    def __init__(self):
        self.txt: dict[str, list[str]] = {}
        self.slow: dict[str, float] = {}
        self.queries: list[str] = []
        self._lock = threading.Lock()
        self.server = DNSServer(_Resolver(self), port=0, address="127.0.0.1")
        self.port = self.server.server.server_address[1]

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def publish(self, name: str, value: str) -> None:
        self.txt.setdefault(name.lower(), []).append(value)

    def unpublish(self, name: str) -> None:
        self.txt.pop(name.lower(), None)

    def start(self) -> "TestDns":
        self.server.start_thread()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.server.server.server_close()
