"""Script actions: what the fake upstream does, step by step, for one request.

A :data:`Script` is a list of actions run in order on the request's connection by
:mod:`.runner`. Pure data; nothing here touches a socket.

Connection after the script: kept alive (HTTP/1.1) when only :class:`Status` responses were
written; closed when a stream was started, nothing was written, or the script ended it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any

from .recorded import RecordedRequest


@dataclass(slots=True)
class Status:
    """Write a complete non-stream HTTP response.

    ``body``: dict → JSON (``application/json``); str/bytes → sent as is (``text/plain``
    unless ``headers`` set a content-type); None → an OpenAI error body for codes ≥ 400,
    empty otherwise. ``headers`` override the defaults (a ``Content-Length`` given here is
    sent verbatim, even if wrong).
    """

    code: int
    headers: dict[str, str] | None = None
    body: bytes | str | dict[str, Any] | None = None


@dataclass(slots=True)
class StartStream:
    """Write status + headers of a close-delimited stream (``Connection: close``, no length)."""

    headers: dict[str, str] | None = None
    content_type: str = "text/event-stream"
    status: int = 200


@dataclass(slots=True)
class Send:
    """Write raw bytes (str → UTF-8) as they are; does not start a stream by itself."""

    data: bytes | str


@dataclass(slots=True)
class Events:
    """Write SSE frames, one per event (starts the stream first if needed).

    ``event_lines``: add ``event: <type>`` lines; ``crlf``: CRLF line ends; ``split``: TCP
    writes per frame, drained with a short pause between, so frames arrive in pieces.
    """

    events: list[dict[str, Any]]
    _: KW_ONLY
    event_lines: bool = True
    crlf: bool = False
    split: int = 1


@dataclass(slots=True)
class Done:
    """Write ``data: [DONE]`` (starts the stream first if needed)."""


@dataclass(slots=True)
class Sleep:
    """Pause for ``seconds`` (cut short when the server stops)."""

    seconds: float


@dataclass(slots=True)
class Reset:
    """Abort the TCP connection with RST (``SO_LINGER`` 0, then close); ends the script."""


@dataclass(slots=True)
class Hang:
    """Send nothing and keep the connection open until the server stops or the client leaves."""


@dataclass(slots=True)
class Close:
    """Close the connection cleanly (FIN); ends the script."""


Action = Status | StartStream | Send | Events | Done | Sleep | Reset | Hang | Close

#: One request's behaviour.
Script = list[Action]

#: What :meth:`FakeUpstream.enqueue` accepts: a script, or a function of the request.
ScriptSource = Script | Callable[[RecordedRequest], Script]
