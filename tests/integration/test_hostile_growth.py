"""Hostile relay, growth: nothing the upstream sends grows without a bound (issue 14, item 3).

Each test scripts an answer built to grow memory or work without limit on the loopback
upstream and checks the bound spec 001 §"SSE and accumulation" and §"Transport and retries"
give it, through ``text_chat`` and ``text_chat_stream``, with an event-loop-lag probe and,
where memory is the point, the traced peak (``tracemalloc``) of the call.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.accumulator import (
    MAX_SOURCE_TITLE,
    MAX_SOURCES,
    MAX_TOOL_CALLS,
)
from data.plugins.astrbot_plugin_openai_responses.provider.errors import (
    ModelListError,
    UpstreamError,
)
from data.plugins.astrbot_plugin_openai_responses.provider.reasoning_replay import (
    decode_reasoning_signature,
)
from tests.integration.faults import ANSWER, MODES, Kit, Outcome
from tests.integration.test_chat import magic_tools
from tools.probes import STALL, LoopLag, TracedPeak
from tools.upstream import Close, Events, Send, StartStream, Status
from tools.upstream import events as ev
from tools.upstream.items import function_call_item, message_item, reasoning_item, response_object

#: ``max_output_chars`` of the providers whose memory is measured.
MAX_OUTPUT = 100_000
#: The memory bound of one chat: 2 × ``max_output_chars`` + 10 MB (issue 14).
MEMORY_BOUND = 2 * MAX_OUTPUT + 10 * 1024 * 1024


async def probed_chat(
    kit: Kit, stream: bool, *, memory: bool = False, **overrides: Any
) -> tuple[Outcome, int]:
    """One call (``request_max_retries`` 1, ``timeout`` 5 s, ``max_output_chars``
    :data:`MAX_OUTPUT` unless overridden; ``func_tool`` goes to the call) while the event
    loop is probed: it must never stall. With ``memory`` (the test enqueued its script
    twice), a second call runs under ``tracemalloc`` (which slows allocations several times,
    so it is not probed) and its traced peak (bytes) is returned with it; else 0."""
    tools = overrides.pop("func_tool", None)
    provider = await kit.provider(**{"timeout": 5, "max_output_chars": MAX_OUTPUT, **overrides})
    async with LoopLag() as lag:
        out = await kit.chat(provider, stream, bound=5, request_max_retries=1, func_tool=tools)
    assert lag.max_busy < STALL, f"event loop blocked {lag.max_busy * 1000:.0f} ms"
    if not memory:
        return out, 0
    with TracedPeak() as traced:
        again = await kit.chat(provider, stream, bound=5, request_max_retries=1, func_tool=tools)
    assert (again.error is None) == (out.error is None)
    return again, traced.peak


def opening_and_text(text: str = ANSWER) -> list[dict[str, Any]]:
    """A stream up to the end of ``text`` (no ``.done`` events, no terminal event)."""
    events = ev.text_stream(text)
    return [e for e in events if e["type"] in ev_opening_types or e["type"].endswith("delta")]


ev_opening_types = {
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
}


def completed(output: list[dict[str, Any]]) -> dict[str, Any]:
    """The terminal event with ``output``."""
    return {"type": "response.completed", "response": response_object(output)}


# -- url_citation sources ----------------------------------------------------------------------

CITATIONS = 8000


def citation(i: int) -> dict[str, Any]:
    """A ``url_citation`` with a distinct URL and a long title."""
    title = f"Source {i} " + "t" * 150
    return {"type": "url_citation", "url": f"https://s.example/{i}", "title": title}


@MODES
async def test_url_citations_are_capped_and_the_footer_counts_against_max_output_chars(
    kit: Kit, stream: bool
) -> None:
    added = [
        {
            "type": "response.output_text.annotation.added",
            "output_index": 0,
            "content_index": 0,
            "annotation_index": i,
            "annotation": {**citation(i), "start_index": 0, "end_index": 1},
        }
        for i in range(CITATIONS)
    ]
    msg = message_item(ANSWER)
    msg["content"][0]["annotations"] = [citation(i % 100) for i in range(CITATIONS)]
    kit.upstream.enqueue([Events([*opening_and_text(), *added, completed([msg])])])
    out, _ = await probed_chat(kit, stream, max_output_chars=1000)
    text = out.text
    assert text.startswith(f"{ANSWER}\n\nSources:\n[1] Source 0 ")
    assert len(text) <= 1000
    lines = text.split("Sources:\n", 1)[1].splitlines()
    assert 1 <= len(lines) <= MAX_SOURCES
    assert all(
        len(line) <= 5 + MAX_SOURCE_TITLE + 3 + len("https://s.example/00") for line in lines
    )
    assert len({line.rsplit(" — ", 1)[1] for line in lines}) == len(lines)  # distinct URLs


# -- reasoning kept for replay -----------------------------------------------------------------


@MODES
async def test_reasoning_kept_for_replay_is_capped_at_max_output_chars(
    kit: Kit, stream: bool
) -> None:
    items = [
        reasoning_item(f"thought {i}", encrypted="e" * 1_000_000, item_id=f"rs_{i}")
        for i in range(30)
    ]
    done = [
        {"type": "response.output_item.done", "output_index": i, "item": item}
        for i, item in enumerate(items)
    ]
    script = [Events([*done, *opening_and_text(), completed([message_item(ANSWER)])])]
    kit.upstream.enqueue(script)
    kit.upstream.enqueue(script)
    out, peak = await probed_chat(kit, stream, memory=True)
    assert out.text == ANSWER
    signature = out.final.reasoning_signature if out.final else None
    assert len(signature or "") <= MAX_OUTPUT + 1000
    assert peak < MEMORY_BOUND, f"peak {peak / 1e6:.1f} MB"


@MODES
async def test_reasoning_items_within_the_cap_are_all_kept(kit: Kit, stream: bool) -> None:
    items = [reasoning_item(f"t{i}", encrypted="e" * 1000, item_id=f"rs_{i}") for i in range(5)]
    kit.upstream.enqueue([Events(ev.output_stream([*items, message_item(ANSWER)]))])
    out, _ = await probed_chat(kit, stream)
    decoded = decode_reasoning_signature(out.final.reasoning_signature if out.final else None)
    assert decoded is not None
    assert [i["id"] for i in decoded[1]] == [f"rs_{i}" for i in range(5)]


# -- tool calls per response -------------------------------------------------------------------


def empty_calls(n: int) -> list[dict[str, Any]]:
    """``n`` function calls without arguments."""
    return [function_call_item("get_magic_number", "", item_id=f"fc_{i}") for i in range(n)]


TOO_MANY_CALLS = {
    "stream-events": lambda: [
        Events(
            [
                {"type": "response.output_item.added", "output_index": i, "item": item}
                for i, item in enumerate(empty_calls(20_000))
            ]
        ),
        Close(),
    ],
    "json-body": lambda: [Status(200, body=response_object(empty_calls(2000)))],
}


@MODES
@pytest.mark.parametrize("shape", TOO_MANY_CALLS)
async def test_more_tool_calls_than_the_cap_is_a_clear_error(
    kit: Kit, stream: bool, shape: str
) -> None:
    kit.upstream.enqueue(TOO_MANY_CALLS[shape]())
    out, _ = await probed_chat(kit, stream, func_tool=magic_tools())
    assert f"more than {MAX_TOOL_CALLS} tool calls" in out.raised(UpstreamError)


@MODES
async def test_tool_calls_up_to_the_cap_are_all_run(kit: Kit, stream: bool) -> None:
    calls = [function_call_item("get_magic_number", {"seed": i}) for i in range(MAX_TOOL_CALLS)]
    kit.upstream.enqueue([Events(ev.output_stream(calls))])
    out, _ = await probed_chat(kit, stream, func_tool=magic_tools())
    assert out.final is not None
    assert out.final.tools_call_args == [{"seed": i} for i in range(MAX_TOOL_CALLS)]


# -- unknown event types -----------------------------------------------------------------------


@MODES
async def test_distinct_unknown_event_types_are_not_stored(kit: Kit, stream: bool) -> None:
    unknown = [{"type": f"response.x{i}." + "y" * 2000} for i in range(6000)]  # 12 MB of types
    events = opening_and_text()
    script = [Events([*events, *unknown, completed([message_item(ANSWER)])])]
    kit.upstream.enqueue(script)
    kit.upstream.enqueue(script)
    out, peak = await probed_chat(kit, stream, memory=True)
    assert out.text == ANSWER
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# -- Content-Encoding --------------------------------------------------------------------------


def bomb(head: bytes, size: int = 100 * 1024 * 1024, coding: str = "gzip") -> bytes:
    """``head`` then ``size`` bytes of ``x``, compressed (about 1000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31 if coding == "gzip" else 15)
    block = b"x" * (1024 * 1024)
    parts = [packer.compress(head)]
    parts += [packer.compress(block) for _ in range(size // len(block))]
    return b"".join([*parts, packer.flush()])


@pytest.fixture(scope="module")
def bombs() -> dict[str, list[Any]]:
    """row id → the script of a compression bomb."""
    return {
        "sse-gzip": [
            StartStream(headers={"Content-Encoding": "gzip"}),
            Send(bomb(b"data: ")),
            Close(),
        ],
        "json-gzip": [
            Status(
                200,
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
                body=bomb(b'{"output": "'),
            )
        ],
        "json-deflate": [
            Status(
                200,
                headers={"Content-Type": "application/json", "Content-Encoding": "deflate"},
                body=bomb(b'{"output": "', coding="deflate"),
            )
        ],
        "error-body-gzip": [
            Status(
                500,
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
                body=bomb(b'{"error": {"message": "'),
            )
        ],
    }


@MODES
@pytest.mark.parametrize("row", ["sse-gzip", "json-gzip", "json-deflate", "error-body-gzip"])
async def test_compressed_bodies_are_capped_as_they_inflate(
    kit: Kit, stream: bool, row: str, bombs: dict[str, list[Any]]
) -> None:
    kit.upstream.enqueue(bombs[row])
    kit.upstream.enqueue(bombs[row])
    out, peak = await probed_chat(kit, stream, memory=True)
    message = out.raised(UpstreamError)
    assert "longer than" in message or "larger than" in message or "HTTP 500" in message
    assert peak < MEMORY_BOUND, f"peak {peak / 1e6:.1f} MB"


@MODES
@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_compressed_answer_is_read(kit: Kit, stream: bool, coding: str) -> None:
    frames = b"".join(
        f"data: {json.dumps(e)}\n\n".encode() for e in ev.text_stream(ANSWER, chunks=40)
    )
    packer = zlib.compressobj(6, zlib.DEFLATED, 31 if coding == "gzip" else 15)
    body = packer.compress(frames) + packer.flush()
    kit.upstream.enqueue([StartStream(headers={"Content-Encoding": coding}), Send(body)])
    out, _ = await probed_chat(kit, stream)
    assert out.text == ANSWER
    assert kit.upstream.requests[-1].headers["accept-encoding"] == "gzip, deflate"


# -- deeply nested JSON ------------------------------------------------------------------------

DEEP = "[" * 200_000
NESTED = {
    "json-body": (
        [Status(200, headers={"Content-Type": "application/json"}, body=DEEP)],
        "invalid JSON",
    ),
    "sse-event": (
        [StartStream(), Send(f"data: {DEEP}\n\n"), Close()],
        "1 malformed events skipped",
    ),
    "error-body": (
        [Status(500, headers={"Content-Type": "application/json"}, body=DEEP)],
        "HTTP 500",
    ),
}


@MODES
@pytest.mark.parametrize("row", NESTED)
async def test_deeply_nested_json_is_a_clear_error(kit: Kit, stream: bool, row: str) -> None:
    script, words = NESTED[row]
    kit.upstream.enqueue(script)
    out, _ = await probed_chat(kit, stream)
    assert words in out.raised(UpstreamError)


@MODES
async def test_deeply_nested_tool_arguments_drop_the_call(kit: Kit, stream: bool) -> None:
    call = function_call_item("get_magic_number", '{"seed": ' + DEEP)
    kit.upstream.enqueue([Events(ev.output_stream([message_item(ANSWER), call]))])
    out, _ = await probed_chat(kit, stream, func_tool=magic_tools())
    assert out.text.startswith(ANSWER)
    assert "1 tool call(s) from the model had missing or malformed arguments" in out.text


async def test_deeply_nested_model_list_is_a_clear_error(kit: Kit) -> None:
    kit.upstream.enqueue(
        [Status(200, headers={"Content-Type": "application/json"}, body=DEEP)], path="/v1/models"
    )
    provider = await kit.provider()
    with pytest.raises(ModelListError, match="did not return JSON"):
        await provider.get_models()


# -- redirects ---------------------------------------------------------------------------------

SECRET_LOCATION = "https://admin:pw-SECRET@evil.example:8443/v1/responses?key=sk-SECRET0123456789"


@MODES
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_an_error_naming_its_host_and_api_base(
    kit: Kit, stream: bool, status: int
) -> None:
    hijack = response_object(text="HIJACKED")
    kit.upstream.enqueue([Status(status, headers={"Location": SECRET_LOCATION}, body=hijack)])
    out, _ = await probed_chat(kit, stream)
    message = out.raised(UpstreamError)
    assert f"HTTP {status} from {kit.upstream.api_base}/responses" in message
    assert "redirects to https://evil.example:8443" in message
    assert "`api_base`" in message
    assert "SECRET" not in message  # kit.chat checks the traceback too
    assert kit.requests() == 1


@MODES
async def test_a_redirect_on_the_same_server_is_an_error(kit: Kit, stream: bool) -> None:
    kit.upstream.enqueue([Status(302, headers={"Location": "/login"}, body="")])
    out, _ = await probed_chat(kit, stream)
    assert "redirects elsewhere on the same server" in out.raised(UpstreamError)


async def test_a_redirected_model_list_is_an_error(kit: Kit) -> None:
    kit.upstream.enqueue([Status(302, headers={"Location": SECRET_LOCATION})], path="/v1/models")
    provider = await kit.provider()
    with pytest.raises(ModelListError, match=r"redirects to https://evil\.example:8443"):
        await provider.get_models()
