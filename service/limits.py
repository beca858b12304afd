"""One request-size limit for every route, chunked or not: a WSGI middleware that counts the bytes read.

A body announced larger than the limit (``Content-Length``) is refused before the app runs; a body
without a length (``Transfer-Encoding: chunked``) is refused as soon as the app has read one byte past
the limit, wherever it reads it (JSON, form, raw). Both answers are a 413 from the app's own error
handler, so they are problem+json (an OperationOutcome under ``/fhir``), with ``Connection: close``:
the rest of the body is never read.

The limit is ``SNOMAP_MAX_BODY_BYTES`` for every route, ``SNOMAP_FHIR_MAX_BODY_BYTES`` under ``/fhir``
(Parameters and ValueSet resources can be large).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge

__all__ = ["BodyLimit", "BodyTooLarge", "CountingInput"]

_LIMIT_KEY = "snomap.max_body_bytes"


class BodyTooLarge(RequestEntityTooLarge):
    """The request body is larger than the route's limit (413)."""

    def __init__(self, limit: int):
        super().__init__(f"The request body is larger than {limit:,} bytes, the most this route accepts.")
        self.limit = limit

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        # Close the connection: the server must not read (or wait for) the rest of the body.
        return [*super().get_headers(environ, scope), ("Connection", "close")]


class CountingInput:
    """``wsgi.input`` that raises `BodyTooLarge` once more than `limit` bytes have been read."""

    def __init__(self, stream: Any, limit: int):
        self._stream = stream
        self._limit = limit
        self._read = 0

    def _count(self, data: bytes) -> bytes:
        self._read += len(data)
        if self._read > self._limit:
            raise BodyTooLarge(self._limit)
        return data

    def _size(self, size: int | None) -> int:
        # Never ask the server for more than one byte past the limit at once: a read of "everything"
        # must not buffer a 50 MB body before it is counted.
        room = self._limit + 1 - self._read
        if size is None or size < 0 or size > room:
            return max(room, 1)
        return size

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while True:
                chunk = self._count(self._stream.read(self._size(None)))
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        return self._count(self._stream.read(self._size(size)))

    def readline(self, size: int | None = -1) -> bytes:
        return self._count(self._stream.readline(self._size(size)))

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines = []
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)

    def __iter__(self) -> CountingInput:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class BodyLimit:
    """WSGI middleware: refuse bodies over the route's limit, announced or chunked, with the app's own 413."""

    def __init__(self, app: Any, default: int, by_prefix: dict[str, int] | None = None):
        self.app = app
        self.default = default
        # Longest prefix first, so "/fhir" wins over "/".
        self.by_prefix = sorted((by_prefix or {}).items(), key=lambda kv: -len(kv[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.by_prefix:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.default

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        limit = self.limit_for(environ.get("PATH_INFO") or "/")
        environ[_LIMIT_KEY] = limit
        announced = environ.get("CONTENT_LENGTH") or ""
        try:
            length = int(announced) if announced.strip() else None
        except ValueError:
            length = None
        if length is not None and length > limit:
            return self._refuse(environ, start_response, limit)
        environ["wsgi.input"] = CountingInput(environ["wsgi.input"], limit)
        return self.app(environ, start_response)

    def _refuse(self, environ: dict[str, Any], start_response: Callable[..., Any], limit: int) -> Iterable[bytes]:
        """The app's error handler answers (problem+json or OperationOutcome), without reading the body."""
        environ = dict(environ)
        environ["CONTENT_LENGTH"] = "0"
        environ["wsgi.input"] = _Empty()
        environ["snomap.body_too_large"] = limit
        return self.app(environ, start_response)


class _Empty:
    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self, size: int = -1) -> bytes:
        return b""


def raise_if_refused(environ: dict[str, Any]) -> None:
    """Called before the request is dispatched: turns the middleware's refusal into the app's 413."""
    limit = environ.get("snomap.body_too_large")
    if limit is not None:
        raise BodyTooLarge(int(limit))


def init_app(app: Any) -> None:
    """Wrap the app in `BodyLimit` with the configured limits (``SNOMAP_MAX_BODY_BYTES``, ``SNOMAP_FHIR_MAX_BODY_BYTES``)."""
    app.wsgi_app = BodyLimit(
        app.wsgi_app, app.config["SNOMAP_MAX_BODY_BYTES"], {"/fhir": app.config["SNOMAP_FHIR_MAX_BODY_BYTES"]}
    )

    @app.before_request
    def _refused() -> None:
        from flask import request

        raise_if_refused(request.environ)
