"""The one way the CLI talks to Aerodrome: its public REST API under `/api/v1/`, with an API token.

Every failure becomes a `CLIError` with one readable line: the API's own error message (its one format), or what
went wrong on the way (unreachable, timed out, not Aerodrome).
"""

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

from aerodrome_cli import __version__
from aerodrome_cli.config import Context
from aerodrome_cli.errors import ApiError, CLIError

API_PREFIX = "/api/v1"
TIMEOUT = (10, 60)  # connect, read (seconds)
UPLOAD_CHUNK = 64 * 1024


class Client:
    def __init__(self, context: Context):
        self.context = context
        self.session = requests.Session()
        self.session.trust_env = True  # HTTPS_PROXY and REQUESTS_CA_BUNDLE work as usual
        self.session.headers.update(
            {
                "Authorization": f"Bearer {context.token}",
                "Accept": "application/json",
                "User-Agent": f"aerodrome-cli/{__version__}",
            }
        )

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.context.url}{API_PREFIX}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, expect_json: bool = True, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        try:
            response = self.session.request(method, self.url(path), **kwargs)
        except requests.exceptions.SSLError as error:
            raise CLIError(f"TLS failed talking to {self.context.url}: {_reason(error)}") from None
        except requests.exceptions.ConnectionError:
            raise CLIError(f"Cannot reach {self.context.url}: is the address right and the server up?") from None
        except requests.exceptions.Timeout:
            raise CLIError(f"{self.context.url} did not answer in time; try again.") from None
        if response.status_code >= 400:
            raise _api_error(response, self.context)
        if response.status_code == 204 or not expect_json:
            return response
        try:
            return response.json()
        except ValueError:
            raise CLIError(
                f"{self.context.url} answered {response.status_code} without JSON: is it an Aerodrome server?"
            ) from None

    def get(self, path: str, **params):
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, json=None):
        return self.request("POST", path, json=json if json is not None else {})

    def patch(self, path: str, json):
        return self.request("PATCH", path, json=json)

    def delete(self, path: str, **params):
        return self.request("DELETE", path, params=params or None)

    def paginate(self, path: str, **params) -> Iterator[dict]:
        """Every item of a cursor-paginated list, following `next`."""
        page = self.get(path, page_size=200, **params)
        while True:
            yield from page.get("results", [])
            if not page.get("next"):
                return
            page = self.request("GET", page["next"])

    def upload(
        self,
        path: str,
        *,
        fields: dict[str, str],
        file_field: str,
        file_path: Path,
        progress: Callable[[int], None] | None = None,
    ):
        """POST a multipart form with one file, streamed from disk, reporting bytes sent to `progress`."""
        body = MultipartBody(fields, file_field, file_path, progress)
        headers = {"Content-Type": body.content_type, "Content-Length": str(len(body))}
        # Uploads may be large and slow: no read timeout while sending, a generous one for the answer.
        return self.request("POST", path, data=body, headers=headers, timeout=(10, 300))


class MultipartBody:
    """A multipart/form-data body read in chunks (requests streams any object with `read`), so the archive is
    never held in memory and each chunk sent moves the progress bar."""

    def __init__(self, fields: dict[str, str], file_field: str, file_path: Path, progress=None):
        boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={boundary}"
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + str(value).encode()
            + b"\r\n"
            for name, value in fields.items()
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_path.name}"\r\n'
            "Content-Type: application/gzip\r\n\r\n"
        ).encode()
        self._parts = [head, file_path, f"\r\n--{boundary}--\r\n".encode()]
        self._length = len(head) + file_path.stat().st_size + len(self._parts[2])
        self._progress = progress
        self._index, self._offset, self._file = 0, 0, None

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        size = UPLOAD_CHUNK if size is None or size < 0 else size
        while self._index < len(self._parts):
            part = self._parts[self._index]
            if isinstance(part, Path):
                if self._file is None:
                    self._file = part.open("rb")
                chunk = self._file.read(size)
                if not chunk:
                    self._file.close()
                    self._index += 1
                    continue
            else:
                chunk = part[self._offset : self._offset + size]
                self._offset += len(chunk)
                if self._offset >= len(part):
                    self._index, self._offset = self._index + 1, 0
                if not chunk:
                    continue
            if self._progress:
                self._progress(len(chunk))
            return chunk
        return b""


def _reason(error: Exception) -> str:
    text = str(error.args[0] if error.args else error)
    return text.rsplit(":", 1)[-1].strip(" ')\"") or "see --help"


def _api_error(response: requests.Response, context: Context) -> ApiError:
    try:
        body = response.json().get("error", {})
    except (ValueError, AttributeError):
        body = {}
    if not isinstance(body, dict) or not body.get("message"):
        return ApiError(response.status_code, f"{context.url} answered {response.status_code} {response.reason}.")
    message = body["message"]
    if response.status_code == 401:
        hint = "AERODROME_TOKEN" if os.environ.get("AERODROME_TOKEN") else f"aerodrome login {context.url}"
        message = f"{message} Check the token ({hint})."
    return ApiError(response.status_code, message, code=body.get("code", ""), fields=body.get("fields") or {})
