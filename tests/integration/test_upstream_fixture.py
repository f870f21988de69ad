"""The embedded fake Responses upstream (``tools/upstream``): builders, brain, faults, lifecycle.

Everything runs on loopback with a raw httpx client (no plugin code), so these tests pin the
behaviour the plugin's integration, fault-matrix and benchmark tests rely on.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tools.upstream import (
    Close,
    Done,
    Events,
    FakeUpstream,
    Hang,
    Reset,
    Send,
    Sleep,
    StartStream,
    Status,
    brain_script,
)
from tools.upstream import events as ev
from tools.upstream.brain import TINY_PNG
from tools.upstream.items import (
    function_call_item,
    image_generation_item,
    message_item,
    reasoning_item,
    response_object,
)
from tools.upstream.oracle import check_event, check_request, check_response
from tools.upstream.sse import parse_sse, parse_sse_json

REPO = Path(__file__).resolve().parents[2]
MAGIC_TOOL = {
    "type": "function",
    "name": "get_magic_number",
    "description": "Return the magic number for a seed.",
    "parameters": {"type": "object", "properties": {"seed": {"type": "integer"}}},
    "strict": False,
}
LEAK_TEXT = 'assistant to=functions.get_magic_number {"seed": 7}'
TERMINAL = {"response.completed", "response.incomplete", "response.failed", "error"}


def make_client(base_url: str = "", timeout: float = 5) -> httpx.AsyncClient:
    """An httpx client for plain-HTTP loopback (no CA bundle load: ~40 ms saved per client)."""
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, verify=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeUpstream]:
    """A started upstream; stopped afterwards with no connection left open."""
    async with FakeUpstream() as upstream:
        yield upstream
    assert upstream.connections_open == 0


@pytest.fixture
async def client(fake: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the upstream's api_base."""
    async with make_client(fake.api_base) as c:
        yield c


def body_for(text: str, *, stream: bool = True, **extra: Any) -> dict[str, Any]:
    """A valid request body with one user message and the magic tool."""
    body = {
        "model": "fake-model",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": text}]}],
        "tools": [MAGIC_TOOL],
        "stream": stream,
        "store": False,
        **extra,
    }
    check_request(body)
    return body


def summarize(output: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Id-free view of output items, to compare stream and JSON answers."""
    view: list[tuple[Any, ...]] = []
    for item in output:
        if item["type"] == "message":
            view.append(("message", "".join(p["text"] for p in item["content"])))
        elif item["type"] == "function_call":
            view.append(("function_call", item["name"], json.loads(item["arguments"])))
        else:
            view.append(("reasoning", item["summary"][0]["text"], "encrypted_content" in item))
    return view


def assert_valid_stream(events: list[dict[str, Any]]) -> None:
    """Each event validates, numbering is 0…n-1, the last event is terminal."""
    for event in events:
        check_event(event)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[-1]["type"] in TERMINAL
    if "response" in events[-1]:
        check_response(events[-1]["response"])


# -- builders and oracle --------------------------------------------------------------------

BUILDERS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "text": lambda: ev.text_stream("Hello, wörld — streamed!", chunks=4),
    "function_call": lambda: ev.function_call_stream("get_magic_number", {"seed": 7}),
    "reasoning": lambda: ev.reasoning_then_text_stream("Pondering.", "Answer.", encrypted="enc-1"),
    "reasoning_plain": lambda: ev.reasoning_then_text_stream("Pondering.", "Answer."),
    "parallel": lambda: ev.parallel_calls_interleaved(),
    "incomplete_max": lambda: ev.incomplete_stream("Partial", "max_output_tokens"),
    "incomplete_filter": lambda: ev.incomplete_stream("Part", "content_filter"),
    "error": lambda: ev.error_event("Too many requests", "rate_limit_exceeded"),
    "failed": lambda: ev.failed_event("boom", "server_error"),
    "image": lambda: ev.output_stream([image_generation_item(TINY_PNG), message_item("Drawn.")]),
    "reasoning_text": lambda: ev.output_stream(
        [reasoning_item([], content=["raw a", "raw b"]), message_item("Answer.")]
    ),
}


def test_without_fields_and_without_events() -> None:
    events = ev.text_stream("Hello", chunks=2)
    stripped = ev.without_fields(
        events, ["item_id", "sequence_number"], types=["response.output_text.delta"]
    )
    deltas = [e for e in stripped if e["type"] == "response.output_text.delta"]
    assert deltas == [
        {
            "type": "response.output_text.delta",
            "output_index": 0,
            "content_index": 0,
            "delta": d,
            "logprobs": [],
        }
        for d in ("Hel", "lo")
    ]
    assert stripped[0] == events[0]  # other events untouched, the input not mutated
    assert "item_id" in events[4]
    kept = ev.without_events(events, ["response.output_text.delta"])
    assert [e["type"] for e in kept] == [
        e["type"] for e in events if e["type"] != "response.output_text.delta"
    ]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builder_events_validate(name: str) -> None:
    assert_valid_stream(BUILDERS[name]())


def test_builder_shapes() -> None:
    text = ev.text_stream("abcdefgh", chunks=4)
    assert [e["type"] for e in text[:4]] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    deltas = [e["delta"] for e in text if e["type"] == "response.output_text.delta"]
    assert deltas == ["ab", "cd", "ef", "gh"]
    assert text[0]["response"]["usage"] is None
    assert text[-1]["response"]["usage"]

    call = ev.function_call_stream("f", {"a": 1}, call_id="call_x")
    done = next(e for e in call if e["type"] == "response.output_item.done")["item"]
    assert done["call_id"] == "call_x"
    assert done["id"].startswith("fc_")
    assert call[2]["item"]["arguments"] == ""
    assert json.loads(done["arguments"]) == {"a": 1}

    par = ev.parallel_calls_interleaved(chunks=3)
    lanes = [e["output_index"] for e in par if e["type"].endswith("arguments.delta")]
    assert lanes == [0, 1, 0, 1, 0, 1]
    assert len(par[-1]["response"]["output"]) == 2

    rs = ev.reasoning_then_text_stream("S", "T", encrypted="enc-9")
    with_blob = [e["type"] for e in rs if "enc-9" in json.dumps(e)]
    assert with_blob == ["response.output_item.done", "response.completed"]

    inc = ev.incomplete_stream("cut", "content_filter")
    assert inc[-1]["type"] == "response.incomplete"
    assert inc[-1]["response"]["incomplete_details"] == {"reason": "content_filter"}

    joined = ev.renumber(text[:3] + ev.error_event("x", "server_error"))
    assert [e["sequence_number"] for e in joined] == [0, 1, 2, 3]


def test_nested_error_event_is_the_production_shape() -> None:
    (nested,) = ev.error_event("Too Many Requests", "too_many_requests", nested=True)
    assert nested["error"]["message"] == "Too Many Requests"
    assert "message" not in nested
    with pytest.raises(AssertionError, match="message"):
        check_event(nested)  # the SDK model describes only the flat form (§7 caveat 5)


def test_oracle_rejects_bad_events() -> None:
    with pytest.raises(AssertionError, match="unknown event type"):
        check_event({"type": "response.bogus", "sequence_number": 0})
    with pytest.raises(AssertionError, match="item_id"):
        check_event({"type": "response.output_text.delta", "delta": "x", "sequence_number": 1})
    with pytest.raises(AssertionError):
        check_response({"id": "resp_1", "object": "response"})


def test_response_object_validates() -> None:
    request = body_for("hi", stream=False, tool_choice="required", instructions="Be brief.")
    output = [
        reasoning_item("why", encrypted="enc-x"),
        message_item("before the call"),
        function_call_item("get_magic_number", {"seed": 7}),
    ]
    full = response_object(output, request=request)
    check_response(full)
    assert full["tools"][0]["name"] == "get_magic_number"
    assert full["tool_choice"] == "required"
    check_response(response_object(text="hi"))
    check_response(
        response_object(text="cut", status="incomplete", incomplete_reason="max_output_tokens")
    )
    check_response(
        response_object([], status="failed", error={"code": "server_error", "message": "boom"})
    )


def test_check_request_accepts_valid_bodies() -> None:
    check_request({**body_for("hi"), "stream": False})
    check_request({"model": "m", "input": "plain string"})


GOOD = {"model": "m", "input": [{"role": "user", "content": "hi"}], "stream": True}
BAD_REQUESTS: dict[str, dict[str, Any]] = {
    "unknown_key": {**GOOD, "max_tokens": 5},
    "chat_tool": {**GOOD, "tools": [{"type": "function", "function": {"name": "f"}}]},
    "chat_role": {**GOOD, "input": [{"role": "tool", "content": "x"}]},
    "no_model": {"input": "x"},
    "no_input": {"model": "m"},
    "string_stream": {**GOOD, "stream": "true"},
    "string_temperature": {**GOOD, "temperature": "1"},
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_check_request_rejects(case: str) -> None:
    with pytest.raises(AssertionError):
        check_request(BAD_REQUESTS[case])


# -- the default brain over HTTP ------------------------------------------------------------

BRAIN_CASES: dict[str, tuple[dict[str, Any], list[tuple[Any, ...]]]] = {
    "text": (body_for("hello there"), [("message", "CANNED REPLY: you said 'hello there'")]),
    "magic": (
        body_for("what is the MAGIC number?"),
        [("function_call", "get_magic_number", {"seed": 7})],
    ),
    "think": (
        body_for("THINK first", include=["reasoning.encrypted_content"]),
        [
            (
                "reasoning",
                "**Thinking it over**\n\nThe user asked me to think; a short answer will do.",
                True,
            ),
            ("message", "CANNED REPLY: you said 'THINK first'"),
        ],
    ),
    "thinktool": (
        body_for("THINKTOOL then the MAGIC number", include=["reasoning.encrypted_content"]),
        [
            (
                "reasoning",
                "**Planning a tool call**\n\nThe user wants the magic number; I ask the tool.",
                True,
            ),
            ("function_call", "get_magic_number", {"seed": 7}),
        ],
    ),
    "leak": (body_for("please LEAK"), [("message", LEAK_TEXT)]),
    "leak_required": (
        body_for("please LEAK", tool_choice="required"),
        [("function_call", "get_magic_number", {"seed": 7})],
    ),
    "leak_object": (
        body_for("LEAK", tool_choice={"type": "function", "name": "get_magic_number"}),
        [("function_call", "get_magic_number", {"seed": 7})],
    ),
    "tool_result": (
        body_for("MAGIC")
        | {
            "input": [
                {"role": "user", "content": "MAGIC"},
                {
                    "type": "function_call",
                    "call_id": "call_1",
                    "name": "get_magic_number",
                    "arguments": '{"seed": 7}',
                },
                {"type": "function_call_output", "call_id": "call_1", "output": "42"},
            ]
        },
        [("message", "TOOL RESULT WAS: 42")],
    ),
}


async def stream_events(client: httpx.AsyncClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    """POST a streaming body; check the SSE framing; return the JSON events."""
    response = await client.post("/responses", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [(n, d) for n, d in parse_sse(response.content) if d != "[DONE]"]
    for name, data in frames:
        assert name == json.loads(data)["type"]  # event: line repeats the JSON type
    return [json.loads(data) for _, data in frames]


@pytest.mark.parametrize("case", sorted(BRAIN_CASES))
async def test_brain_stream_and_json_agree(client: httpx.AsyncClient, case: str) -> None:
    body, expected = BRAIN_CASES[case]
    events = await stream_events(client, body)
    assert_valid_stream(events)
    assert events[-1]["type"] == "response.completed"
    streamed = events[-1]["response"]["output"]
    assert summarize(streamed) == expected
    done_items = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert summarize(done_items) == expected
    for kind in ("output_text", "reasoning_summary_text", "function_call_arguments"):
        deltas = [e for e in events if e["type"] == f"response.{kind}.delta"]
        assert len(deltas) != 1, kind  # what is streamed comes in several pieces

    reply = await client.post("/responses", json={**body, "stream": False})
    assert reply.status_code == 200
    data = reply.json()
    check_response(data)
    assert summarize(data["output"]) == expected
    usage = data["usage"]
    assert usage["input_tokens"] >= usage["input_tokens_details"]["cached_tokens"] > 0
    assert usage["output_tokens"] >= usage["output_tokens_details"]["reasoning_tokens"]
    thinks = case in ("think", "thinktool")
    assert (usage["output_tokens_details"]["reasoning_tokens"] > 0) == thinks


async def test_brain_ids_and_encrypted_reasoning(client: httpx.AsyncClient) -> None:
    events = await stream_events(client, body_for("MAGIC"))
    call = events[-1]["response"]["output"][0]
    assert call["call_id"].startswith("call_")
    assert call["id"].startswith("fc_")

    events = await stream_events(client, body_for("THINK", include=["reasoning.encrypted_content"]))
    blobs = [
        e["type"]
        for e in events
        if '"encrypted_content":"enc-' in json.dumps(e, separators=(",", ":"))
    ]
    assert blobs == ["response.output_item.done", "response.completed"]
    summary = [e["delta"] for e in events if e["type"] == "response.reasoning_summary_text.delta"]
    assert len(summary) >= 2

    plain = await stream_events(client, body_for("THINK"))
    assert "encrypted_content" not in json.dumps(plain)


async def test_brain_thinktool_needs_the_tool(client: httpx.AsyncClient) -> None:
    """THINKTOOL: reasoning + call only when the magic tool may be called; blob only if asked."""
    events = await stream_events(client, body_for("THINKTOOL"))
    output = events[-1]["response"]["output"]
    assert [i["type"] for i in output] == ["reasoning", "function_call"]
    assert "encrypted_content" not in output[0]
    for body in (body_for("THINKTOOL", tools=[]), body_for("THINKTOOL", tool_choice="none")):
        events = await stream_events(client, body)
        kinds = [i["type"] for i in events[-1]["response"]["output"]]
        assert kinds == ["reasoning", "message"]  # rule 4 (THINK) instead


async def test_models_404_bad_json(client: httpx.AsyncClient) -> None:
    models = (await client.get("/models")).json()
    assert [m["id"] for m in models["data"]] == ["fake-model", "fake-reasoner"]
    assert models["object"] == "list"
    missing = await client.get("/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"]
    broken = await client.post("/responses", content=b"{not json")
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "invalid_json"


async def test_api_keys() -> None:
    async with (
        FakeUpstream(api_keys={"sk-good"}) as up,
        make_client(up.api_base) as client,
    ):
        body = body_for("hi", stream=False)
        missing = await client.post("/responses", json=body)
        wrong = await client.post("/responses", json=body, headers={"Authorization": "Bearer x"})
        right = await client.post(
            "/responses", json=body, headers={"Authorization": "Bearer sk-good"}
        )
        assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
        assert wrong.json()["error"]["code"] == "invalid_api_key"


# -- scripts and faults ---------------------------------------------------------------------


async def test_enqueue_fifo_per_path_then_brain(
    fake: FakeUpstream, client: httpx.AsyncClient
) -> None:
    fake.enqueue([Status(429, headers={"retry-after": "1"})])
    fake.enqueue(
        [
            Status(
                500,
                body={
                    "error": {
                        "message": "custom",
                        "type": "server_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
        ]
    )
    fake.enqueue([Status(503)], path="/v1/models")
    fake.enqueue(lambda req: [Status(200, body={"echo": req.body["input"]})])
    body = body_for("hi", stream=False)

    first = await client.post("/responses", json=body)
    assert first.status_code == 429
    assert first.headers["retry-after"] == "1"
    assert first.json()["error"]["code"] == "rate_limit_exceeded"
    assert (await client.post("/responses", json=body)).json()["error"]["message"] == "custom"
    assert (await client.get("/models")).status_code == 503
    assert (await client.get("/models")).status_code == 200
    assert (await client.post("/responses", json=body)).json() == {"echo": body["input"]}
    assert (await client.post("/responses", json=body)).json()["object"] == "response"
    assert fake.pending() == 0

    rec = fake.requests[0]
    assert (rec.method, rec.path, rec.body) == ("POST", "/v1/responses", body)
    assert rec.headers["content-type"] == "application/json"
    assert rec.raw_len == len(rec.raw) > 0
    assert json.loads(rec.raw) == body
    assert len(fake.requests) == 6


async def test_partial_stream_then_reset(fake: FakeUpstream, client: httpx.AsyncClient) -> None:
    events = ev.text_stream("hello world")
    fake.enqueue([StartStream(), Events(events[:4]), Sleep(0.01), Reset()])
    received: list[bytes] = []

    async def read() -> None:
        async with client.stream("POST", "/responses", json=body_for("x")) as response:
            async for chunk in response.aiter_bytes():
                received.append(chunk)

    with pytest.raises(httpx.ReadError):
        await read()
    assert parse_sse_json(b"".join(received)) == events[:4]


async def test_close_midstream_and_raw_send(fake: FakeUpstream, client: httpx.AsyncClient) -> None:
    fake.enqueue([StartStream(), Send(": keep-alive\n\n"), Send('data: {"type":"resp'), Close()])
    response = await client.post("/responses", json=body_for("x"))
    assert response.text == ': keep-alive\n\ndata: {"type":"resp'
    fake.enqueue([Close()])
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("/responses", json=body_for("x"))


async def test_hang_until_client_gives_up(fake: FakeUpstream) -> None:
    fake.enqueue([StartStream(), Hang()])
    fake.enqueue([Hang()])
    async with make_client(fake.api_base, timeout=0.1) as client:
        async with client.stream("POST", "/responses", json=body_for("x")) as response:
            assert response.status_code == 200  # headers arrived, then silence
            with pytest.raises(httpx.ReadTimeout):
                await response.aread()
        with pytest.raises(httpx.ReadTimeout):
            await client.post("/responses", json=body_for("x"))
    for _ in range(100):  # the server notices the client's close
        if fake.connections_open == 0:
            break
        await asyncio.sleep(0.01)
    assert fake.connections_open == 0


async def test_sleep_delays_the_answer(fake: FakeUpstream, client: httpx.AsyncClient) -> None:
    fake.enqueue([Sleep(0.1), Status(200, body={"ok": True})])
    start = time.monotonic()
    assert (await client.post("/responses", json=body_for("x"))).json() == {"ok": True}
    assert time.monotonic() - start >= 0.1


async def _raw_exchange(fake: FakeUpstream, body: dict[str, Any]) -> list[bytes]:
    """Send one request on a raw socket; return every read until EOF (head included)."""
    reader, writer = await asyncio.open_connection(fake.host, fake.port)
    payload = json.dumps(body).encode()
    writer.write(
        b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    await writer.drain()
    chunks = []
    while chunk := await reader.read(65536):
        chunks.append(chunk)
    writer.close()
    await writer.wait_closed()
    return chunks


async def test_split_frames_arrive_in_pieces(fake: FakeUpstream) -> None:
    events = ev.text_stream("añb")[:2]
    fake.enqueue([StartStream(), Events(events, split=3), Close()])
    chunks = await _raw_exchange(fake, body_for("x"))
    raw = b"".join(chunks)
    head, _, sse = raw.partition(b"\r\n\r\n")
    assert b"Connection: close" in head
    assert b"Content-Length" not in head
    assert len(chunks) >= 5  # 6 pieces written with pauses; reads see them separately
    assert parse_sse_json(sse) == events


async def test_framing_options(fake: FakeUpstream) -> None:
    events = ev.text_stream("hi", chunks=1)
    fake.enqueue([Events(events, event_lines=False, crlf=True), Done()])
    raw = b"".join(await _raw_exchange(fake, body_for("x")))
    head, _, sse = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"text/event-stream" in head
    assert b"event:" not in sse
    assert sse.count(b"\r\n\r\n") == len(events)
    assert sse.endswith(b"data: [DONE]\n\n")
    assert parse_sse_json(sse) == events


async def test_brain_script_can_be_edited(fake: FakeUpstream, client: httpx.AsyncClient) -> None:
    script = brain_script(body_for("hello"))
    assert isinstance(script[0], StartStream)
    assert isinstance(script[1], Events)
    events = script[1].events
    fake.enqueue([script[0], Events(events[:-1], split=2), Done()])  # no terminal event
    got = await stream_events(client, body_for("hello"))
    assert [e["type"] for e in got] == [e["type"] for e in events[:-1]]


# -- lifecycle ------------------------------------------------------------------------------


async def test_stop_closes_everything() -> None:
    before = asyncio.all_tasks()
    up = FakeUpstream()
    base = await up.start()
    assert base == f"http://127.0.0.1:{up.port}/v1"
    assert up.port > 0
    up.enqueue([StartStream(), Hang()])
    up.enqueue([Sleep(30), Status(200)])
    async with (
        make_client(base) as idle,
        make_client(base) as client,
    ):
        assert (await idle.get("/models")).status_code == 200  # stays as a keep-alive conn
        hung = asyncio.create_task(client.post("/responses", json=body_for("x")))
        sleeping = asyncio.create_task(client.post("/responses", json=body_for("y")))
        for _ in range(200):
            if up.connections_open == 3 and len(up.requests) == 3:
                break
            await asyncio.sleep(0.01)
        assert (up.connections_open, len(up.requests)) == (3, 3)
        start = time.monotonic()
        await up.stop()
        assert time.monotonic() - start < 1
        assert up.connections_open == 0
        hung_result, sleep_result = await asyncio.gather(hung, sleeping, return_exceptions=True)
        assert isinstance(sleep_result, httpx.RemoteProtocolError)  # no response at all
        # a close-delimited stream that was cut by stop(): empty body or a transport error
        assert isinstance(hung_result, httpx.TransportError) or hung_result.content == b""
    await up.stop()  # idempotent
    assert asyncio.all_tasks() <= before  # no handler task left behind
    with pytest.raises(httpx.ConnectError):
        async with make_client() as client:
            await client.get(f"{base}/models")


def test_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FakeUpstream(host="0.0.0.0")


async def test_request_log(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    async with (
        FakeUpstream(log_path=str(log)) as up,
        make_client(up.api_base) as client,
    ):
        body = body_for("hi", stream=False)
        await client.post("/responses", json=body, headers={"Authorization": "Bearer sk-secret"})
    (line,) = log.read_text().splitlines()
    entry = json.loads(line)
    assert entry["body"] == body
    assert entry["path"] == "/v1/responses"
    assert entry["headers"]["authorization"] == "***"
    assert "sk-secret" not in line


def test_cli_runs_until_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.upstream",
            "--port",
            "0",
            "--api-key",
            "k1",
            "--log",
            str(tmp_path / "log.jsonl"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("upstream ready http://127.0.0.1:")
        assert line.endswith("/v1")
        base = line.split()[-1]
        assert (
            httpx.get(f"{base}/models", headers={"Authorization": "Bearer k1"}).status_code == 200
        )
        assert httpx.get(f"{base}/models").status_code == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
