"""Pseudo tool calls end to end: the mode matrix, counted upstream requests, no leaks."""

from __future__ import annotations

import pytest

from tests.integration.conftest import MakeProvider
from tests.integration.test_chat import collect, magic_tools
from tools.upstream import Events, FakeUpstream, StartStream
from tools.upstream.events import text_stream

UNKNOWN_LEAK = 'Checking.\nassistant to=functions.launch_rockets {"count": 3}'


def responses_posts(upstream: FakeUpstream) -> list[dict]:
    return [r.body for r in upstream.requests if r.method == "POST"]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "nonstream"])
@pytest.mark.parametrize(
    ("mode", "requests", "forced"),
    [("parse_then_retry", 1, False), ("parse_only", 1, False), ("retry_only", 2, True)],
)
async def test_recoverable_leak_runs_the_tool(
    make_provider: MakeProvider,
    upstream: FakeUpstream,
    stream: bool,
    mode: str,
    requests: int,
    forced: bool,
) -> None:
    provider = await make_provider(tool_fallback_mode=mode)
    kwargs = {"prompt": "LEAK please", "func_tool": magic_tools()}
    if stream:
        chunks, finals = await collect(provider, **kwargs)
        assert not any("to=functions" in (c.completion_text or "") for c in chunks)
        final = finals[0]
    else:
        final = await provider.text_chat(**kwargs)
    assert final.role == "tool"
    assert final.tools_call_name == ["get_magic_number"]
    assert final.tools_call_args == [{"seed": 7}]
    assert "to=functions" not in (final.completion_text or "")
    bodies = responses_posts(upstream)
    assert len(bodies) == requests
    assert bodies[0]["tool_choice"] == "auto"
    if forced:
        assert bodies[-1]["tool_choice"] == "required"


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "nonstream"])
async def test_unrecoverable_leak_is_retried_with_forced_tool_choice(
    make_provider: MakeProvider, upstream: FakeUpstream, stream: bool
) -> None:
    upstream.enqueue(
        [StartStream(), Events(text_stream(UNKNOWN_LEAK))] if stream else _json(UNKNOWN_LEAK)
    )
    provider = await make_provider(tool_fallback_retry_attempts=1)
    kwargs = {"prompt": "LEAK please", "func_tool": magic_tools()}
    if stream:
        chunks, finals = await collect(provider, **kwargs)
        assert not any("launch_rockets" in (c.completion_text or "") for c in chunks)
        final = finals[0]
    else:
        final = await provider.text_chat(**kwargs)
    bodies = responses_posts(upstream)
    assert [b["tool_choice"] for b in bodies] == ["auto", "required"]
    assert final.tools_call_name == ["get_magic_number"]  # the forced re-ask produced a call


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "nonstream"])
async def test_unrecoverable_without_retries_shows_a_notice_not_the_leak(
    make_provider: MakeProvider, upstream: FakeUpstream, stream: bool
) -> None:
    upstream.enqueue(
        [StartStream(), Events(text_stream(UNKNOWN_LEAK))] if stream else _json(UNKNOWN_LEAK)
    )
    provider = await make_provider(tool_fallback_mode="parse_only")
    kwargs = {"prompt": "LEAK please", "func_tool": magic_tools()}
    if stream:
        chunks, finals = await collect(provider, **kwargs)
        shown = "".join(c.completion_text or "" for c in chunks)
        assert "launch_rockets" not in shown
        assert "to=functions" not in shown
        final = finals[0]
    else:
        final = await provider.text_chat(**kwargs)
    assert len(responses_posts(upstream)) == 1
    assert "launch_rockets" not in final.completion_text
    assert "invalid format" in final.completion_text
    assert final.completion_text.startswith("Checking.")
    assert not final.tools_call_name


async def test_fallback_disabled_passes_text_untouched(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider(tool_fallback_enabled=False)
    chunks, finals = await collect(provider, prompt="LEAK please", func_tool=magic_tools())
    assert "to=functions.get_magic_number" in finals[0].completion_text
    assert "".join(c.completion_text for c in chunks) == finals[0].completion_text
    assert len(responses_posts(upstream)) == 1


async def test_normal_answer_with_tools_streams_unchanged(
    make_provider: MakeProvider,
) -> None:
    provider = await make_provider()
    chunks, finals = await collect(provider, prompt="just chat", func_tool=magic_tools())
    assert chunks
    assert "".join(c.completion_text for c in chunks) == finals[0].completion_text


def _json(text: str) -> list:
    from tools.upstream import Status
    from tools.upstream.items import message_item, response_object

    return [Status(200, body=response_object([message_item(text)]))]
