"""FakeUpstream: a loopback OpenAI Responses server on raw asyncio streams.

Routes (when no queued script matches the path): ``POST /v1/responses`` → :mod:`.brain`;
``GET /v1/models`` → two fake models; anything else → 404 OpenAI error JSON. With
``api_keys`` set, every request needs ``Authorization: Bearer <one of them>`` (else 401),
checked before queued scripts are consumed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import json
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

from .brain import brain_script
from .errors import error_body
from .httpio import MAX_HEAD, BadRequest, HttpRequest, read_request
from .ids import new_id
from .recorded import RecordedRequest
from .runner import Connection, close, run_script
from .script import Script, ScriptSource, Status

#: Model ids listed by ``GET /v1/models``.
MODELS = ("fake-model", "fake-reasoner")


def _check_loopback(host: str) -> None:
    """Refuse to listen anywhere but on loopback."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"FakeUpstream listens on loopback only, not {host!r}")


def _parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw``, or None when empty or not JSON."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def models_body() -> dict[str, Any]:
    """The ``GET /v1/models`` list."""
    return {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "fake-upstream"}
            for m in MODELS
        ],
    }


class FakeUpstream:
    """A scriptable Responses upstream on ``127.0.0.1`` (see the package docstring)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: str | None = None,
        api_keys: Iterable[str] | None = None,
    ) -> None:
        _check_loopback(host)
        self.host = host
        self.port = port
        self.log_path = log_path
        self.api_keys = frozenset(api_keys) if api_keys is not None else None
        self.requests: list[RecordedRequest] = []
        self._queues: dict[str, collections.deque[ScriptSource]] = collections.defaultdict(
            collections.deque
        )
        self._server: asyncio.Server | None = None
        self._stopping = asyncio.Event()
        self._handlers: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        """``http://HOST:PORT/v1`` (the real port once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    async def start(self) -> str:
        """Listen and return the api_base ``http://127.0.0.1:PORT/v1``."""
        if self._server is not None:
            return self.api_base
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(
            self._on_connect, self.host, self.port, limit=MAX_HEAD
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.api_base

    async def stop(self) -> None:
        """Stop listening, end every connection and wait for every handler task."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.close()
        await asyncio.sleep(0)  # let just-accepted connections register their handler
        while self._handlers:
            for writer in list(self._handlers.values()):
                writer.transport.abort()
            tasks = list(self._handlers)
            _, pending = await asyncio.wait(tasks, timeout=2)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for task in tasks:
                self._handlers.pop(task, None)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), timeout=2)

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def connections_open(self) -> int:
        """Client connections currently open (0 after :meth:`stop`)."""
        return len(self._handlers)

    # -- scripting ---------------------------------------------------------------------------

    def enqueue(self, script: ScriptSource, *, path: str = "/v1/responses") -> None:
        """Queue ``script`` (or a function ``RecordedRequest → Script``) for the next request
        to ``path``; scripts are consumed first in, first out, one per request."""
        self._queues[path].append(script)

    def pending(self, path: str = "/v1/responses") -> int:
        """Scripts still queued for ``path``."""
        return len(self._queues.get(path, ()))

    # -- connection handling -----------------------------------------------------------------

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve requests on one connection until it is closed or no longer reusable."""
        task = asyncio.current_task()
        assert task is not None
        self._handlers[task] = writer
        try:
            await self._serve(reader, writer)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass  # the client went away mid-request or mid-reply
        except asyncio.CancelledError:
            pass  # stop() or loop shutdown; the task is ours, end it quietly (asyncio logs else)
        finally:
            if self._stopping.is_set():
                writer.transport.abort()
            else:
                await close(writer)
            self._handlers.pop(task, None)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The request loop of one connection."""
        while not self._stopping.is_set():
            try:
                http = await read_request(reader)
            except BadRequest as exc:
                conn = Connection(reader, writer, self._stopping, keep_alive=False)
                await run_script([Status(400, body=error_body(400, str(exc)))], conn)
                return
            if http is None:
                return
            request = self._record(http)
            conn = Connection(
                reader, writer, self._stopping, http.keep_alive, request_id=new_id("req")
            )
            outcome = await run_script(self._script_for(request), conn)
            if not (outcome.reusable and http.keep_alive):
                return

    def _record(self, http: HttpRequest) -> RecordedRequest:
        """Store (and log) one request."""
        request = RecordedRequest(
            method=http.method,
            path=http.path,
            headers=dict(http.headers),
            body=_parse_json(http.body),
            raw_len=len(http.body),
            query=http.query,
            raw=http.body,
        )
        self.requests.append(request)
        if self.log_path:
            self._log(request)
        return request

    def _log(self, request: RecordedRequest) -> None:
        """Append ``request`` as one JSON line (credentials redacted)."""
        headers = {
            k: ("***" if k in ("authorization", "api-key") else v)
            for k, v in request.headers.items()
        }
        line = {
            "time": time.time(),
            "method": request.method,
            "path": request.path,
            "query": request.query,
            "headers": headers,
            "body": request.body,
            "raw_len": request.raw_len,
        }
        with open(self.log_path or "", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")

    def _authorized(self, request: RecordedRequest) -> Script | None:
        """None when the request may proceed, else the 401 script."""
        if self.api_keys is None:
            return None
        auth = request.headers.get("authorization", "")
        if not auth:
            message = "You didn't provide an API key (Authorization: Bearer …)."
            return [Status(401, body=error_body(401, message, code=None))]
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or key.strip() not in self.api_keys:
            return [Status(401, body=error_body(401, "Incorrect API key provided."))]
        return None

    def _script_for(self, request: RecordedRequest) -> Script:
        """Auth check, then the next queued script for the path, then the built-in routes."""
        denied = self._authorized(request)
        if denied is not None:
            return denied
        queue = self._queues.get(request.path)
        if queue:
            source = queue.popleft()
            return list(source(request)) if callable(source) else list(source)
        if request.path == "/v1/responses" and request.method == "POST":
            return brain_script(request.body)
        if request.path == "/v1/models" and request.method == "GET":
            return [Status(200, body=models_body())]
        message = f"Unknown request URL: {request.method} {request.path}."
        return [Status(404, body=error_body(404, message, code="unknown_url"))]
