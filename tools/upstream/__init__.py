"""Embedded local OpenAI Responses upstream for the demo, integration/fault tests and benchmarks.

Quick use::

    async with FakeUpstream() as up:           # 127.0.0.1, ephemeral port
        base = up.api_base                      # http://127.0.0.1:PORT/v1
        up.enqueue([StartStream(), Events(text_stream("hi")[:5]), Reset()])
        ...                                     # next POST /v1/responses gets the fault
        assert up.requests[-1].body["model"] == "fake-model"

Modules: :mod:`.server` (FakeUpstream), :mod:`.recorded` (RecordedRequest), :mod:`.script`
(actions), :mod:`.runner` (runs actions on a socket), :mod:`.brain` (default answers),
:mod:`.events` (stream builders), :mod:`.items` (items, usage, Response objects), :mod:`.sse`
(framing), :mod:`.httpio` (HTTP/1.1), :mod:`.errors` (OpenAI error bodies), :mod:`.oracle`
(schema checks with openai-python types; import it explicitly, it is slow to import).
CLI: ``python -m tools.upstream --port 18080``.
"""

from .brain import brain_script
from .errors import error_body
from .recorded import RecordedRequest
from .script import (
    Action,
    Close,
    Done,
    Events,
    Hang,
    Reset,
    Script,
    ScriptSource,
    Send,
    Sleep,
    StartStream,
    Status,
)
from .server import FakeUpstream

__all__ = [
    "Action",
    "Close",
    "Done",
    "Events",
    "FakeUpstream",
    "Hang",
    "RecordedRequest",
    "Reset",
    "Script",
    "ScriptSource",
    "Send",
    "Sleep",
    "StartStream",
    "Status",
    "brain_script",
    "error_body",
]
