"""Local HTTP receivers for notification tests: the shared stub server (aerodrome/tests/http_stub.py) on 127.0.0.1,
recording every request (method, path, headers, body) and answering with the status the test chooses for each path
(a list is answered in turn, its last status repeated)."""

import threading
import time

from aerodrome.tests.http_stub import Answer, Seen, StubServer


class Receiver:
    """`with Receiver() as receiver:` then `receiver.url("/slack")`; `receiver.answer("/pd", 500)` or
    `receiver.answer("/pd", [500, 202])`; `receiver.at("/slack")` lists what arrived there."""

    def __init__(self):
        self._answers: dict[str, list[int]] = {}
        self.delays: dict[str, float] = {}  # path -> seconds to wait before answering (a slow service)
        self.headers: dict[str, dict[str, str]] = {}  # path -> extra headers of its answers (Retry-After...)
        self._lock = threading.Lock()
        self._server = StubServer(self._answer)

    def _answer(self, seen: Seen) -> Answer:
        path = seen.path.split("?", 1)[0]
        with self._lock:
            statuses = self._answers.get(path) or [202]
            status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        time.sleep(self.delays.get(path, 0))
        body = b'{"status":"ok"}' if status < 400 else b'{"error":"nope"}'
        return Answer(status, body, {"Content-Type": "application/json", **self.headers.get(path, {})})

    @property
    def requests(self) -> list[Seen]:
        return self._server.seen

    def url(self, path: str = "/") -> str:
        return self._server.url + path

    def answer(self, path: str, statuses: int | list[int]) -> None:
        self._answers[path] = [statuses] if isinstance(statuses, int) else list(statuses)

    def at(self, prefix: str) -> list[Seen]:
        return [request for request in self.requests if request.path.startswith(prefix)]

    def __enter__(self):
        self._server.__enter__()
        return self

    def __exit__(self, *exc):
        self._server.__exit__(*exc)
