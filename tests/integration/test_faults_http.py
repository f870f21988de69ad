"""Fault matrix, HTTP layer: status codes, retry headers, keys, wrong endpoints, odd bodies.

Each fault is scripted on the real loopback upstream (``tools.upstream``) and runs through
both ``text_chat`` and ``text_chat_stream``; the test name states the expected outcome.
Every call must end within its bound and leave no connection or task behind (:class:`Kit`).
"""

from __future__ import annotations

import itertools

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider import transport as transport_mod
from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from tests.integration.faults import ANSWER, BRAIN_ANSWER, MODES, Kit
from tools.upstream import Events, StartStream, Status
from tools.upstream import events as ev
from tools.upstream.items import response_object

BAD_KEY = "sk-test-bad-0123456789abcdef"
GOOD_KEY = "sk-test-good-0123456789abcdef"
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


# -- 429 -------------------------------------------------------------------------------------


@MODES
@pytest.mark.parametrize(
    ("header", "value", "delay"),
    [("retry-after", "1", 1.0), ("retry-after-ms", "300", 0.3)],
    ids=["retry-after", "retry-after-ms"],
)
async def test_429_retry_after_is_honoured_then_succeeds(
    kit: Kit, stream: bool, header: str, value: str, delay: float
) -> None:
    kit.upstream.enqueue([Status(429, headers={header: value})])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=delay + 0.5, request_max_retries=2)
    assert out.text == BRAIN_ANSWER
    assert kit.requests() == 2
    # the backoff (shortened to FAST_BACKOFF here) was replaced by the upstream's delay
    assert delay <= out.elapsed < delay + 0.6


# -- 5xx -------------------------------------------------------------------------------------

SERVER_ERRORS = [500, 502, 503, 504]


@MODES
@pytest.mark.parametrize("code", SERVER_ERRORS)
async def test_5xx_every_attempt_exhausts_retries_with_a_clear_error(
    kit: Kit, stream: bool, code: int
) -> None:
    body = HTML_502 if code in (502, 504) else None  # CDNs answer gateway errors with HTML
    for _ in range(3):
        kit.upstream.enqueue([Status(code, headers={"retry-after-ms": "20"}, body=body)])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5, request_max_retries=3)
    message = out.raised(UpstreamError)
    assert f"HTTP {code}" in message
    assert "server error" in message
    assert kit.upstream.api_base in message
    if body:
        assert "HTML page" in message
        assert "nginx" not in message
    assert kit.requests() == 3


# -- keys ------------------------------------------------------------------------------------


@MODES
@pytest.mark.parametrize("code", [401, 403])
async def test_401_403_with_several_keys_rotates_to_the_next_key_and_succeeds(
    kit: Kit, stream: bool, code: int
) -> None:
    kit.upstream.enqueue([Status(code)])
    provider = await kit.provider(key=[BAD_KEY, GOOD_KEY])
    provider.transport._counter = itertools.count(0)  # this request starts at BAD_KEY
    out = await kit.chat(provider, stream, bound=0.3, request_max_retries=2)
    assert out.text == BRAIN_ANSWER
    auth = [r.headers.get("authorization") for r in kit.upstream.requests]
    assert auth == [f"Bearer {BAD_KEY}", f"Bearer {GOOD_KEY}"]


@MODES
async def test_401_on_every_key_tries_each_once_then_names_the_key_setting(
    kit: Kit, stream: bool
) -> None:
    kit.upstream.enqueue([Status(401)])
    kit.upstream.enqueue([Status(401)])
    provider = await kit.provider(key=[BAD_KEY, GOOD_KEY])
    out = await kit.chat(provider, stream, bound=0.3, request_max_retries=3)
    assert "`key`" in out.raised(UpstreamError)
    auth = {r.headers.get("authorization") for r in kit.upstream.requests}
    assert auth == {f"Bearer {BAD_KEY}", f"Bearer {GOOD_KEY}"}
    assert kit.requests() == 2


# -- wrong request, wrong endpoint -----------------------------------------------------------


@MODES
async def test_404_wrong_api_base_says_check_api_base(kit: Kit, stream: bool) -> None:
    base = kit.upstream.api_base.removesuffix("/v1")  # forgot the /v1
    provider = await kit.provider(api_base=base)
    out = await kit.chat(provider, stream, bound=0.3, request_max_retries=3)
    message = out.raised(UpstreamError)
    assert "HTTP 404" in message
    assert "`api_base`" in message
    assert f"{base}/responses" in message
    assert len(kit.upstream.requests) == 1


@MODES
async def test_200_json_body_is_answered_in_both_modes(kit: Kit, stream: bool) -> None:
    kit.upstream.enqueue([Status(200, body=response_object(text=ANSWER))])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.3)
    assert out.text == ANSWER
    assert kit.upstream.requests[0].body["stream"] is stream
    if stream:
        assert out.chunks == [ANSWER]


@MODES
@pytest.mark.parametrize(
    "script",
    [
        [StartStream(content_type="application/json"), Events(ev.text_stream(ANSWER))],
        [StartStream(content_type="text/plain"), Events(ev.text_stream(ANSWER))],
        [StartStream(content_type="application/octet-stream"), Events(ev.text_stream(ANSWER))],
        [
            Status(
                200,
                headers={"Content-Type": "text/event-stream"},
                body=response_object(text=ANSWER),
            )
        ],
    ],
    ids=["sse-as-json", "sse-as-text-plain", "sse-as-octet-stream", "json-as-sse"],
)
async def test_content_type_lies_are_ignored_and_the_answer_arrives(
    kit: Kit, stream: bool, script: list[object]
) -> None:
    kit.upstream.enqueue(script)  # type: ignore[arg-type]
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.3)
    assert out.text == ANSWER
    assert kit.requests() == 1


# -- error body size -------------------------------------------------------------------------


@MODES
async def test_10_mb_error_body_is_read_only_up_to_the_cap(
    kit: Kit, stream: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[tuple[int, int]] = []
    original = transport_mod.Transport._read_capped

    async def spy(self: transport_mod.Transport, response: object, limit: int) -> bytes:
        data = await original(self, response, limit)  # type: ignore[arg-type]
        read.append((limit, len(data)))
        return data

    monkeypatch.setattr(transport_mod.Transport, "_read_capped", spy)
    kit.upstream.enqueue([Status(400, body=b"E" * (10 * 1024 * 1024))])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5)
    message = out.raised(UpstreamError)
    assert "HTTP 400" in message
    assert len(message) < 800
    assert read == [(transport_mod.MAX_ERROR_BODY, transport_mod.MAX_ERROR_BODY)]
    await kit.connections_closed()  # the unread rest of the body was not drained
