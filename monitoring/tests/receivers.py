"""Local HTTP receivers for notification tests: a real server on 127.0.0.1 that records every request (method,
path, headers, body) and answers with the status the test chooses for each path (a list is answered in turn, its
last status repeated)."""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


class Receiver:
    """`with Receiver() as receiver:` then `receiver.url("/slack")`; `receiver.answer("/pd", 500)` or
    `receiver.answer("/pd", [500, 202])`; `receiver.at("/slack")` lists what arrived there."""

    def __init__(self):
        self.requests: list[Received] = []
        self._answers: dict[str, list[int]] = {}
        self.delays: dict[str, float] = {}  # path -> seconds to wait before answering (a slow service)
        self.headers: dict[str, dict[str, str]] = {}  # path -> extra headers of its answers (Retry-After...)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                with receiver._lock:
                    receiver.requests.append(Received(self.command, self.path, dict(self.headers.items()), body))
                    statuses = receiver._answers.get(path) or [202]
                    status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                time.sleep(receiver.delays.get(path, 0))
                answer = b'{"status":"ok"}' if status < 400 else b'{"error":"nope"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in receiver.headers.get(path, {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="receiver", daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def answer(self, path: str, statuses: int | list[int]) -> None:
        self._answers[path] = [statuses] if isinstance(statuses, int) else list(statuses)

    def at(self, prefix: str) -> list[Received]:
        return [request for request in self.requests if request.path.startswith(prefix)]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
