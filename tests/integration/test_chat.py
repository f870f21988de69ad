"""The provider against a real loopback upstream: streamed and non-streamed chat, tools."""

from __future__ import annotations

import asyncio
import copy

import pytest
from astrbot.core.agent.tool import FunctionTool, ToolSet

from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from tests.conftest import USER_MARK
from tests.integration.conftest import KEY, MakeProvider
from tools.upstream import FakeUpstream, Status
from tools.upstream.brain import THINK_SUMMARY
from tools.upstream.server import MODELS

CANNED_THINK = "CANNED REPLY: you said 'THINK about it'"


@pytest.mark.parametrize("apart", [True, False], ids=["apart", "together"])
async def test_deltas_arriving_apart_stream_apart_and_together_as_one_chunk(
    make_provider: MakeProvider, upstream: FakeUpstream, apart: bool
) -> None:
    """A delta is shown as soon as it arrives; deltas that arrive in one network read are
    shown as one chunk (one guard pass, one platform message), never later."""
    from tools.upstream import Events, Sleep, StartStream
    from tools.upstream.events import text_stream

    events = text_stream("one two three four", chunks=4)
    deltas = [i for i, e in enumerate(events) if e["type"] == "response.output_text.delta"]
    script: list = [StartStream(), Events(events[: deltas[0]])]
    if apart:
        for i, j in zip(deltas, [*deltas[1:], len(events)], strict=True):
            script += [Events(events[i:j]), Sleep(0.05)]
    else:
        script.append(Events(events[deltas[0] :]))
    upstream.enqueue(script)
    provider = await make_provider()
    chunks, finals = await collect(provider, prompt="hi")
    texts = [c.completion_text for c in chunks]
    assert "".join(texts) == finals[0].completion_text == "one two three four"
    sent = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert texts == (sent if apart else ["one two three four"])


def magic_tools() -> ToolSet:
    return ToolSet(
        [
            FunctionTool(
                name="get_magic_number",
                description="Return the magic number for a seed.",
                parameters={
                    "type": "object",
                    "properties": {"seed": {"type": "integer"}},
                    "required": ["seed"],
                },
                handler=None,
            )
        ]
    )


async def collect(provider, **kwargs):  # type: ignore[no-untyped-def]
    chunks, finals = [], []
    async for response in provider.text_chat_stream(**kwargs):
        (chunks if response.is_chunk else finals).append(response)
    return chunks, finals


async def test_streamed_answer_yields_chunks_then_exactly_one_final(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider()
    chunks, finals = await collect(provider, prompt=f"hello {USER_MARK}")
    assert chunks
    assert len(finals) == 1
    final = finals[0]
    assert "".join(c.completion_text for c in chunks) == final.completion_text
    assert final.completion_text.startswith("CANNED REPLY")
    assert final.usage is not None
    assert final.usage.output > 0
    body = upstream.requests[-1].body
    assert body["stream"] is True
    assert body["store"] is False
    assert body["model"] == "fake-model"
    assert upstream.requests[-1].headers["authorization"] == f"Bearer {KEY}"


async def test_non_streamed_answer(make_provider: MakeProvider, upstream: FakeUpstream) -> None:
    provider = await make_provider()
    response = await provider.text_chat(prompt="hi there", system_prompt="Be brief.")
    assert response.role == "assistant"
    assert response.completion_text.startswith("CANNED REPLY")
    body = upstream.requests[-1].body
    assert body["stream"] is False
    assert body["instructions"] == "Be brief."


async def test_tool_round_trip_streamed(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider()
    tools = magic_tools()
    contexts = [{"role": "user", "content": "MAGIC please"}]
    snapshot = copy.deepcopy(contexts)
    _, finals = await collect(provider, contexts=contexts, func_tool=tools)
    call = finals[0]
    assert call.role == "tool"
    assert call.tools_call_name == ["get_magic_number"]
    assert call.tools_call_args == [{"seed": 7}]
    call_id = call.tools_call_ids[0]
    assert contexts == snapshot  # the caller's history is never mutated
    contexts += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "type": "function",
                    "id": call_id,
                    "function": {"name": "get_magic_number", "arguments": '{"seed": 7}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": '{"magic": 42}'},
    ]
    _chunks, finals = await collect(provider, contexts=contexts, func_tool=tools)
    assert finals[0].completion_text == 'TOOL RESULT WAS: {"magic": 42}'
    assert upstream.requests[-1].body["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "MAGIC please"}]},
        {
            "type": "function_call",
            "call_id": call_id,
            "name": "get_magic_number",
            "arguments": '{"seed": 7}',
        },
        {"type": "function_call_output", "call_id": call_id, "output": '{"magic": 42}'},
    ]


async def test_tool_call_non_streamed(make_provider: MakeProvider) -> None:
    provider = await make_provider()
    response = await provider.text_chat(prompt="MAGIC please", func_tool=magic_tools())
    assert response.role == "tool"
    assert response.tools_call_args == [{"seed": 7}]


async def test_reasoning_is_separate_from_the_answer(make_provider: MakeProvider) -> None:
    provider = await make_provider(reasoning_effort="low")
    chunks, (final,) = await collect(provider, prompt="THINK about it")
    assert "".join(c.reasoning_content or "" for c in chunks) == THINK_SUMMARY
    assert "".join(c.completion_text or "" for c in chunks) == CANNED_THINK
    assert final.completion_text == CANNED_THINK
    assert final.reasoning_content == THINK_SUMMARY
    plain = await provider.text_chat(prompt="THINK about it")
    assert (plain.completion_text, plain.reasoning_content) == (CANNED_THINK, THINK_SUMMARY)


async def test_get_models_works_without_model_and_settings(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    from data.plugins.astrbot_plugin_openai_responses.provider.adapter import ResponsesProvider

    source_only = {
        "id": "src",
        "type": "openai_responses_plugin",
        "key": [KEY],
        "api_base": upstream.api_base,
    }
    provider = ResponsesProvider(source_only, {})
    try:
        assert await provider.get_models() == list(MODELS)
    finally:
        await provider.terminate()


async def test_provider_test_button(make_provider: MakeProvider, upstream: FakeUpstream) -> None:
    """AstrBot's "test" button: one non-streamed ``REPLY `PONG` ONLY`` call; an error raises."""
    provider = await make_provider()
    assert await provider.test() is None
    (request,) = upstream.requests
    assert (request.method, request.path) == ("POST", "/v1/responses")
    assert request.body["stream"] is False
    assert request.body["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "REPLY `PONG` ONLY"}]}
    ]
    upstream.enqueue([Status(401)])
    with pytest.raises(UpstreamError) as caught:
        await provider.test()
    assert caught.value.status == 401
    assert "Check the API key (`key`)" in caught.value.message


async def test_many_concurrent_streams_do_not_cross_talk(make_provider: MakeProvider) -> None:
    provider = await make_provider()

    async def one(i: int) -> str:
        _, finals = await collect(provider, prompt=f"request number {i}")
        return finals[0].completion_text

    answers = await asyncio.gather(*(one(i) for i in range(100)))
    for i, answer in enumerate(answers):
        assert f"request number {i}'" in answer
