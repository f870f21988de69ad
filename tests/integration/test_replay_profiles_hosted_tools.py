"""Reasoning round trip, hosted tools with citations and images, profiles, prompt_cache_key."""

from __future__ import annotations

import base64
import json
from typing import Any

import astrbot.core.message.components as Comp
from astrbot.core.agent.message import (
    AssistantMessageSegment,
    ThinkPart,
    ToolCallMessageSegment,
)
from astrbot.core.provider.entities import ToolCallsResult

from data.plugins.astrbot_plugin_openai_responses.provider.profiles import (
    PROFILES,
    detect_profile,
)
from tests.integration.conftest import KEY, MakeProvider
from tests.integration.test_chat import collect, magic_tools
from tools.upstream import Events, FakeUpstream, StartStream, Status
from tools.upstream.events import output_stream
from tools.upstream.items import function_call_item, message_item, reasoning_item, response_object

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()


def posts(upstream: FakeUpstream) -> list[dict]:
    return [r.body for r in upstream.requests if r.method == "POST"]


async def test_reasoning_items_round_trip_in_order(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    """Turn 1 returns reasoning + a call; turn 2 must replay the reasoning before the call."""
    provider = await make_provider(compat_profile="openai", reasoning_effort="low")
    rs = reasoning_item("need the magic number", item_id="rs_1", encrypted="enc-BLOB-1")
    call = function_call_item("get_magic_number", {"seed": 7}, call_id="call_r1")
    upstream.enqueue([StartStream(), Events(output_stream([rs, call]))])
    _, finals = await collect(provider, prompt="MAGIC please", func_tool=magic_tools())
    first = finals[0]
    assert posts(upstream)[0]["include"] == ["reasoning.encrypted_content"]
    assert first.reasoning_signature
    assert "enc-BLOB-1" in first.reasoning_signature

    # what AstrBot's runner stores for this turn (tool_loop_agent_runner.py ThinkPart)
    result = ToolCallsResult(
        tool_calls_info=AssistantMessageSegment(
            tool_calls=first.to_openai_tool_calls_model(),
            content=[
                ThinkPart(think=first.reasoning_content or "", encrypted=first.reasoning_signature)
            ],
        ),
        tool_calls_result=[ToolCallMessageSegment(content='{"magic": 42}', tool_call_id="call_r1")],
    )
    contexts = [{"role": "user", "content": "MAGIC please"}, *result.to_openai_messages()]
    _, finals = await collect(provider, contexts=contexts, func_tool=magic_tools())
    assert "TOOL RESULT WAS" in finals[0].completion_text
    kinds = [(i.get("type"), i.get("role")) for i in posts(upstream)[1]["input"]]
    assert kinds == [
        (None, "user"),
        ("reasoning", None),
        ("function_call", None),
        ("function_call_output", None),
    ] or kinds == [
        ("message", "user"),
        ("reasoning", None),
        ("function_call", None),
        ("function_call_output", None),
    ]
    replayed = posts(upstream)[1]["input"][1]
    assert replayed["encrypted_content"] == "enc-BLOB-1"


async def test_reasoning_from_another_provider_is_not_replayed(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider(compat_profile="openai")
    other = await make_provider(compat_profile="openai", model="other-model")
    rs = reasoning_item("x", item_id="rs_9", encrypted="enc-OTHER")
    upstream.enqueue([Status(200, body=response_object([rs, message_item("hi")]))])
    first = await other.text_chat(prompt="hello")
    contexts = [
        {"role": "user", "content": "hello"},
        {
            "role": "assistant",
            "content": [
                {"type": "think", "think": "x", "encrypted": first.reasoning_signature},
                {"type": "text", "text": "hi"},
            ],
        },
        {"role": "user", "content": "again"},
    ]
    await provider.text_chat(contexts=contexts)
    assert all(i.get("type") != "reasoning" for i in posts(upstream)[-1]["input"])


async def test_rejected_include_is_dropped_once_and_remembered(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider(compat_profile="openai")
    upstream.enqueue(
        [
            Status(
                400,
                body={
                    "error": {
                        "message": "Encrypted content is not supported with this model.",
                        "type": "invalid_request_error",
                        "param": "include",
                        "code": None,
                    }
                },
            )
        ]
    )
    response = await provider.text_chat(prompt="hi")
    assert response.completion_text.startswith("CANNED REPLY")
    await provider.text_chat(prompt="hi again")
    bodies = posts(upstream)
    assert "include" in bodies[0]
    assert "include" not in bodies[1]
    assert "include" not in bodies[2]


async def test_prompt_cache_key_is_stable_ascii_and_dropped_when_rejected(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider(compat_profile="openai")
    await provider.text_chat(prompt="a", conversation_id="conv-42")
    await provider.text_chat(prompt="b", conversation_id="conv-42")
    key1, key2 = (b["prompt_cache_key"] for b in posts(upstream))
    assert key1 == key2
    assert key1.isascii()
    assert len(key1) <= 64
    assert "conv-42" not in key1
    upstream.enqueue(
        [
            Status(
                400,
                body={
                    "error": {
                        "message": "Unknown parameter: 'prompt_cache_key'.",
                        "type": "invalid_request_error",
                        "param": "prompt_cache_key",
                        "code": "unknown_parameter",
                    }
                },
            )
        ]
    )
    response = await provider.text_chat(prompt="c", conversation_id="conv-42")
    assert response.completion_text.startswith("CANNED REPLY")
    assert "prompt_cache_key" not in posts(upstream)[-1]


async def test_relay_profile_sends_no_optional_fields(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider()  # 127.0.0.1:<random port> → generic relay
    await provider.text_chat(prompt="x", conversation_id="c1")
    body = posts(upstream)[0]
    assert "include" not in body
    assert "prompt_cache_key" not in body


def cited_message(text: str, url: str, title: str) -> dict[str, Any]:
    """A message output item whose text carries one ``url_citation`` annotation."""
    msg = message_item(text)
    citation = {"type": "url_citation", "url": url, "title": title}
    msg["content"][0]["annotations"] = [{**citation, "start_index": 0, "end_index": 1}]
    return msg


async def test_hosted_tools_are_sent_and_citations_become_sources(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider(builtin_tools=["web_search", "file_search:vs_1,vs_2"])
    search = {
        "type": "web_search_call",
        "id": "ws_1",
        "status": "completed",
        "action": {"type": "search", "query": "paris weather"},
    }
    msg = cited_message("It is sunny in Paris.", "https://weather.example/paris", "Paris weather")
    events = output_stream([search, msg])
    upstream.enqueue([StartStream(), Events(events)])
    chunks, finals = await collect(provider, prompt="weather?", func_tool=magic_tools())
    tools = posts(upstream)[0]["tools"]
    assert {"type": "web_search"} in tools
    assert {"type": "file_search", "vector_store_ids": ["vs_1", "vs_2"]} in tools
    text = finals[0].completion_text
    assert text.startswith("It is sunny in Paris.")
    assert "Sources:\n[1] Paris weather — https://weather.example/paris" in text
    assert "".join(c.completion_text for c in chunks) == text


async def test_citations_off(make_provider: MakeProvider, upstream: FakeUpstream) -> None:
    provider = await make_provider(citations="off")
    msg = cited_message("Sunny.", "https://w.example", "W")
    upstream.enqueue([Status(200, body=response_object([msg]))])
    assert (await provider.text_chat(prompt="w")).completion_text == "Sunny."


async def test_generated_image_becomes_an_image_component(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider(builtin_tools=["image_generation"])
    image = {"type": "image_generation_call", "id": "ig_1", "status": "completed", "result": PNG}
    upstream.enqueue([Status(200, body=response_object([image, message_item("Here you go.")]))])
    response = await provider.text_chat(prompt="draw a cat")
    assert response.result_chain is not None
    kinds = [type(c) for c in response.result_chain.chain]
    assert Comp.Image in kinds
    assert Comp.Plain in kinds
    assert response.completion_text == "Here you go."


async def test_azure_profile_uses_api_key_header_and_keeps_api_version(
    make_provider: MakeProvider, upstream: FakeUpstream
) -> None:
    provider = await make_provider(
        compat_profile="azure", api_base=f"{upstream.api_base}?api-version=2025-04-01-preview"
    )
    await provider.text_chat(prompt="hi")
    request = upstream.requests[-1]
    assert request.headers.get("api-key") == KEY
    assert "authorization" not in request.headers
    assert "api-version=2025-04-01-preview" in json.dumps(request.query)


def test_profile_detection() -> None:
    cases = {
        "https://api.openai.com/v1": "openai",
        "https://myres.openai.azure.com/openai/v1": "azure",
        "https://openrouter.ai/api/v1": "openrouter",
        "http://localhost:11434/v1": "ollama",
        "http://127.0.0.1:1234/v1": "lmstudio",
        "http://gpu-box:8000/v1": "vllm",
        "http://127.0.0.1:4000/v1": "litellm",
        "https://relay.example.cn/v1": "relay",
    }
    for base, name in cases.items():
        assert detect_profile(base).name == name, base
    assert detect_profile("https://relay.example.cn/v1", "openai").name == "openai"
    assert set(PROFILES) == set(cases.values())
