"""Our ResponsesProvider against third-party Responses servers installed from the registries.

Code nobody here wrote answers the plugin (tools/thirdparty.py installs and runs it, cached
under the gitignored ``.thirdparty/``):

* **llmock 0.2.2** (PyPI): streamed and JSON text, a generic tool round trip
  (``function_call`` → ``function_call_output`` → answer), and faults it injects itself
  (429 + Retry-After, 400, a stream cut before any content, a dropped connection) judged by
  llmock's own resilience verdict (``/_llmock/verdict``).
* **aimock 1.43.0** (npm): text, and the reasoning round trip — a reasoning item with
  ``encrypted_content`` (sent only because ``include`` asked for it) followed by a
  ``function_call``; the next request must replay the reasoning item before that call.

* **mock-ai-api 0.1.1** (PyPI): its canned greeting, streamed with part events that carry no
  ``item_id`` (issue 11: the answer appeared twice), and its HTTP error scenarios.
* **llm-mock-api 0.1.2** (PyPI): text, reasoning + text, and a tool round trip scripted by
  JSON5 rules.

Each test skips only when the package registry cannot be reached (``RegistryUnreachable``);
any other install or start failure fails the test.

Observed deviations from OpenAI (all tolerated by the plugin; none needed a fix):

llmock 0.2.2
  - framing: ``event:`` + ``data:`` lines, ``sequence_number`` on every event, no
    ``data: [DONE]``; ids ``resp_``/``msg_``/``fc_``/``call_`` + 24 hex (OpenAI-like).
  - ``include``, ``reasoning``, ``store``, ``prompt_cache_key`` are accepted and ignored; no
    reasoning items ever; ``output_tokens_details.reasoning_tokens`` 0, ``cached_tokens`` 0;
    usage counts are word estimates (``input_tokens`` ≥ 1).
  - text deltas are word-sized; function-call arguments arrive in 12-character
    ``function_call_arguments.delta`` fragments; arguments are an example of the tool's JSON
    schema (``{"seed": 1}``), not chosen from the prompt.
  - answers in text once the LAST input item is a ``function_call_output``, else calls the
    best-matching offered tool again (a tool-result round with a trailing user message would
    loop).
  - its verdict flags a stream cut after text had been shown and not retried
    ("truncated_stream_accepted"); the plugin deliberately does not retry then (the user
    already saw the text) and ends the answer with its "incomplete" notice instead — see
    :func:`test_llmock_stream_cut_after_text_is_marked_incomplete`.

aimock 1.43.0
  - framing: ``event:`` + ``data:``, no ``[DONE]``, no ``sequence_number``; ids ``resp-…``,
    ``msg-…``, ``rs-…``, ``fc-…`` (dash, 16 chars), ``call_…``.
  - ``response.created`` / ``in_progress`` / ``completed`` carry a minimal response object
    (no ``usage`` until ``completed``, which has ``usage`` all 0 and no ``*_details``).
  - reasoning: ``encrypted_content`` only when ``include`` asks for it (else the item has
    none); summary streamed as ``reasoning_summary_text.delta``; it ignores replayed reasoning
    items in ``input`` (cannot reject a wrong blob like OpenAI's ``invalid_encrypted_content``).
  - an unmatched request answers 404 JSON even for ``stream: true``.

mock-ai-api 0.1.1
  - ignores tools and ``tools``-only turns: text only, chosen by the model name
    (``gpt-4.1`` → "Hello. It's nice to meet you.", ``gpt-4.1:mock-401`` → HTTP 401, …).
  - framing: ``data:`` lines only, no ``sequence_number``, no ``response.in_progress``, no
    ``[DONE]`` on /v1/responses; the ``content_part.*`` / ``output_text.*`` events carry
    ``output_index`` and ``content_index`` but no ``item_id`` (the ``output_item`` events
    name the item).
  - usage without ``*_details``; terminal output items without ``status``.

llm-mock-api 0.1.2
  - framing: ``data:`` lines only, ``sequence_number`` on every event, no ``[DONE]``; ids
    ``msg_msg_…``, ``rs_rs_…``; a function call's item id equals its ``call_id``.
  - reasoning as one ``summary_text`` part streamed in one delta; no ``encrypted_content``.
  - usage ``input_tokens``/``output_tokens`` only (fixed 10/5 unless a rule sets them).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from astrbot.core.agent.message import (
    AssistantMessageSegment,
    ThinkPart,
    ToolCallMessageSegment,
)
from astrbot.core.provider.entities import LLMResponse, ToolCallsResult

from data.plugins.astrbot_plugin_openai_responses.provider.adapter import ResponsesProvider
from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from data.plugins.astrbot_plugin_openai_responses.provider.notices import CUT_NOTICE
from tests.integration.conftest import provider_factory
from tests.integration.test_chat import collect, magic_tools
from tools.thirdparty import (
    RegistryUnreachable,
    ServerProcess,
    aimock_server,
    llm_mock_api_server,
    llmock_server,
    mock_ai_api_server,
)

# The install (first run on a machine: llmock ~20-50 s, aimock ~5 s) happens in the module
# fixtures; the tests themselves take a few seconds.
pytestmark = [pytest.mark.thirdparty, pytest.mark.timeout(300)]

KEY = "sk-thirdparty-SECRET-0123456789abcdef"
MODEL = "gpt-5-mini"
MagicTool = "get_magic_number"
Make = Callable[..., Awaitable[ResponsesProvider]]
#: each test so marked runs streamed and with a JSON answer
stream_or_json = pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])

AIMOCK_FIXTURES: dict[str, Any] = {
    "fixtures": [
        {
            "match": {"userMessage": "REASON", "hasToolResult": False},
            "response": {
                "reasoning": "I need the magic number first.",
                "toolCalls": [{"name": MagicTool, "arguments": {"seed": 7}}],
            },
        },
        {
            "match": {"userMessage": "REASON", "hasToolResult": True},
            "response": {"content": "The magic number is 42."},
        },
        {
            "match": {"userMessage": "hello"},
            "response": {"content": "Hello from aimock, a third-party server."},
        },
    ]
}


#: mock-ai-api's answer to its default ``mock-text`` scenario
MOCK_AI_API_TEXT = "Hello. It's nice to meet you."


def llm_mock_api_rules() -> str:
    """JSON5 rules: text, reasoning + text, and per stream mode a call-then-answer sequence."""
    call = {"tools": [{"name": MagicTool, "args": {"seed": 7}}]}
    rules: list[dict[str, Any]] = [
        {"when": "hello", "reply": "Hello from llm-mock-api, a third-party server."},
        {"when": "REASON", "reply": {"reasoning": "Thinking first.", "text": "Reasoned answer."}},
    ]
    rules += [
        {
            "when": {"message": f"magic {mode}", "tool_name": MagicTool},
            "replies": [{"reply": call}, {"reply": "The magic number is 42."}],
        }
        for mode in ("stream", "json")
    ]
    return json.dumps(rules)


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


#: Each server as its module fixture of the same name runs it: an unstarted process in its
#: own work directory (installed from its registry on first use, then cached), with the
#: scripted answers it serves written there first.
SERVERS: dict[str, Callable[[Path], ServerProcess]] = {
    "llmock": lambda work: llmock_server(work / "llmock.log"),
    "aimock": lambda work: aimock_server(
        _written(work / "fixtures.json", json.dumps(AIMOCK_FIXTURES)), work / "aimock.log"
    ),
    "mock_ai_api": lambda work: mock_ai_api_server(work / "mock-ai-api.log"),
    "llm_mock_api": lambda work: llm_mock_api_server(
        _written(work / "rules.json5", llm_mock_api_rules()), work / "llm-mock-api.log"
    ),
}


def _serving(name: str) -> Callable[[pytest.TempPathFactory], Iterator[ServerProcess]]:
    """The module fixture ``name``: server ``name`` of :data:`SERVERS` installed, started,
    yielded and stopped; skipped only when the package registry is unreachable."""

    @pytest.fixture(scope="module", name=name)
    def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
        try:
            server = SERVERS[name](tmp_path_factory.mktemp(name))
        except RegistryUnreachable as exc:
            pytest.skip(f"package registry unreachable, third-party server not installed: {exc}")
        try:
            server.start()
            print(f"\n{server.name} pid {server.pid} ready in {server.startup_seconds:.1f}s")
            yield server
        finally:
            server.stop()

    return serving


llmock = _serving("llmock")
aimock = _serving("aimock")
mock_ai_api = _serving("mock_ai_api")
llm_mock_api = _serving("llm_mock_api")


@pytest.fixture
async def make() -> AsyncIterator[Make]:
    """Build providers of our type (``make(server, **overrides)``); terminated afterwards."""
    async with provider_factory(key=[KEY], model=MODEL, timeout=10) as build:

        async def make_for(server: ServerProcess, **overrides: Any) -> ResponsesProvider:
            return build(id=f"thirdparty/{server.name}", api_base=server.api_base, **overrides)

        yield make_for


def control(server: ServerProcess, method: str, path: str, payload: Any = None) -> Any:
    """Call a server's control API (``/_llmock/…``, ``/__aimock/…``) and decode the JSON."""
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as client:
        response = client.request(method, path, json=payload)
    response.raise_for_status()
    return response.json()


def llmock_bodies(server: ServerProcess) -> list[dict[str, Any]]:
    """Bodies of every ``POST /v1/responses`` llmock journaled since the last reset."""
    records = control(server, "GET", "/_llmock/requests")["requests"]
    return [r["body"] for r in records if r["path"] == "/v1/responses"]


def record_bodies(provider: ResponsesProvider) -> list[dict[str, Any]]:
    """Record the JSON body of every request ``provider`` sends (an httpx request hook).

    aimock journals only its chat-completions translation of a Responses request (reasoning
    items dropped), so what we sent is captured on our side.
    """
    bodies: list[dict[str, Any]] = []

    async def hook(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith("/responses"):
            bodies.append(json.loads(request.content))

    provider.transport._client.event_hooks["request"].append(hook)
    return bodies


def aimock_requests(server: ServerProcess) -> list[dict[str, Any]]:
    """aimock's journal entries for ``/v1/responses`` (bodies are its chat translation)."""
    entries = control(server, "GET", "/__aimock/journal")
    return [e for e in entries if e.get("path") == "/v1/responses"]


async def answer(provider: ResponsesProvider, stream: bool, **kwargs: Any) -> LLMResponse:
    """One call; streamed chunks must add up to the final text."""
    if not stream:
        return await provider.text_chat(**kwargs)
    chunks, finals = await collect(provider, **kwargs)
    assert len(finals) == 1, finals
    text = "".join(c.completion_text for c in chunks if c.completion_text)
    assert text == finals[0].completion_text
    return finals[0]


def tool_round_contexts(prompt: str, first: LLMResponse, output: str) -> list[dict[str, Any]]:
    """What AstrBot's tool loop sends after running the call(s) of ``first``.

    Mirrors ``tool_loop_agent_runner.py``: the assistant segment keeps the reasoning as a
    ``ThinkPart`` (``encrypted`` = ``reasoning_signature``) next to the tool calls.
    """
    content = []
    if first.reasoning_content or first.reasoning_signature:
        content.append(
            ThinkPart(think=first.reasoning_content or "", encrypted=first.reasoning_signature)
        )
    result = ToolCallsResult(
        tool_calls_info=AssistantMessageSegment(
            tool_calls=first.to_openai_tool_calls_model(), content=content or None
        ),
        tool_calls_result=[
            ToolCallMessageSegment(content=output, tool_call_id=call_id)
            for call_id in first.tools_call_ids
        ],
    )
    return [{"role": "user", "content": prompt}, *result.to_openai_messages()]


def kinds(body: dict[str, Any]) -> list[str]:
    """``type`` (or ``role``) of each input item of a request body."""
    return [str(i.get("type") or i.get("role")) for i in body["input"]]


# --------------------------------------------------------------------------- llmock


@stream_or_json
@pytest.mark.parametrize("profile", ["relay", "openai"])
async def test_llmock_text(llmock: ServerProcess, make: Make, stream: bool, profile: str) -> None:
    """Scripted text comes back whole; the openai profile's extra fields are accepted."""
    control(llmock, "POST", "/_llmock/reset")
    reply = "Third party says: alpha beta gamma delta."
    control(llmock, "POST", "/_llmock/scenario", {"behaviors": [{"type": "reply", "text": reply}]})
    provider = await make(llmock, compat_profile=profile)
    final = await answer(provider, stream, prompt="Say something", conversation_id="conv-1")
    assert final.completion_text == reply
    assert not final.tools_call_name
    assert final.usage is not None
    assert final.usage.input > 0
    assert final.usage.output > 0
    (body,) = llmock_bodies(llmock)
    assert body["stream"] is stream
    assert body["model"] == MODEL
    assert body["store"] is False
    assert ("include" in body) is (profile == "openai")


@stream_or_json
async def test_llmock_unscripted_answer(llmock: ServerProcess, make: Make, stream: bool) -> None:
    """llmock's own (varied) wording, no script: a non-empty answer."""
    control(llmock, "POST", "/_llmock/reset")
    provider = await make(llmock)
    final = await answer(provider, stream, prompt="Hello, who are you?")
    assert final.completion_text.strip()
    assert final.role == "assistant"


@stream_or_json
async def test_llmock_tool_round_trip(llmock: ServerProcess, make: Make, stream: bool) -> None:
    """function_call → our function_call_output → llmock answers in text."""
    control(llmock, "POST", "/_llmock/reset")
    provider = await make(llmock)
    prompt = "What is the magic number? Use get_magic_number."
    first = await answer(provider, stream, prompt=prompt, func_tool=magic_tools())
    assert first.tools_call_name == [MagicTool], first
    assert isinstance(first.tools_call_args[0].get("seed"), int), first.tools_call_args
    call_id = first.tools_call_ids[0]
    assert call_id.startswith("call_")

    contexts = tool_round_contexts(prompt, first, '{"magic": 42}')
    second = await answer(provider, stream, contexts=contexts, func_tool=magic_tools())
    assert second.completion_text.strip(), second
    assert not second.tools_call_name, second

    bodies = llmock_bodies(llmock)
    assert len(bodies) == 2
    assert kinds(bodies[1]) == ["message", "function_call", "function_call_output"] or kinds(
        bodies[1]
    ) == ["user", "function_call", "function_call_output"]
    call, output = bodies[1]["input"][1:]
    assert call["call_id"] == output["call_id"] == call_id
    assert call["name"] == MagicTool
    assert json.loads(call["arguments"]) == first.tools_call_args[0]
    assert output["output"] == '{"magic": 42}'


async def test_llmock_judges_our_retries(llmock: ServerProcess, make: Make) -> None:
    """llmock injects faults; its verdict on how we reacted must pass.

    429 with Retry-After → wait and retry; a stream cut before any content → retry; a
    dropped connection before content → retry; 400 → no retry, the error reaches the caller.
    """
    control(llmock, "POST", "/_llmock/reset")
    provider = await make(llmock)
    behaviors: list[dict[str, Any]] = [
        {"type": "fail", "status": 429, "retry_after": 0.3},
    ]
    control(llmock, "POST", "/_llmock/scenario", {"behaviors": behaviors})
    assert (await provider.text_chat(prompt="after a 429")).completion_text.strip()

    for kind in ("truncate", "disconnect"):
        fault = {"type": "stream_fault", "kind": kind, "after_chunks": 2}
        control(llmock, "POST", "/_llmock/scenario", {"behaviors": [fault]})
        final = await answer(provider, True, prompt=f"after a {kind}")
        assert final.completion_text.strip()
        assert CUT_NOTICE not in final.completion_text

    control(llmock, "POST", "/_llmock/scenario", {"behaviors": [{"type": "fail", "status": 400}]})
    with pytest.raises(UpstreamError) as caught:
        await provider.text_chat(prompt="bad request")
    assert caught.value.status == 400

    verdict = control(llmock, "GET", "/_llmock/verdict")
    assert verdict["passed"], json.dumps(verdict, indent=1)
    assert not verdict["findings"], json.dumps(verdict, indent=1)
    # 4 faults (the 400 counts); 4 calls; 3 of them retried once, the 400 not retried
    assert (verdict["faults_injected"], verdict["calls"], verdict["attempts"]) == (4, 4, 7)


async def test_llmock_stream_cut_after_text_is_marked_incomplete(
    llmock: ServerProcess, make: Make
) -> None:
    """A stream cut after text was shown: no retry (no duplicate text), a visible notice."""
    control(llmock, "POST", "/_llmock/reset")
    reply = "one two three four five six seven eight nine ten"
    control(
        llmock,
        "POST",
        "/_llmock/scenario",
        {
            "behaviors": [
                {"type": "reply", "text": reply},
                {"type": "stream_fault", "kind": "truncate", "after_chunks": 6},
            ]
        },
    )
    provider = await make(llmock)
    chunks, (final,) = await collect(provider, prompt="count")
    shown = "".join(c.completion_text for c in chunks)
    assert final.completion_text.startswith("one two")
    assert CUT_NOTICE in final.completion_text
    assert shown == final.completion_text  # the chunks, footer included, equal the final
    assert len(llmock_bodies(llmock)) == 1
    verdict = control(llmock, "GET", "/_llmock/verdict")
    assert [f["code"] for f in verdict["findings"]] == ["truncated_stream_accepted"]


# --------------------------------------------------------------------------- aimock


@stream_or_json
async def test_aimock_text(aimock: ServerProcess, make: Make, stream: bool) -> None:
    control(aimock, "POST", "/__aimock/reset/journal")
    provider = await make(aimock, compat_profile="openai")
    sent = record_bodies(provider)
    final = await answer(provider, stream, prompt="hello there")
    assert final.completion_text == "Hello from aimock, a third-party server."
    assert final.usage is not None  # aimock reports 0 tokens
    assert [e["response"]["status"] for e in aimock_requests(aimock)] == [200]
    (body,) = sent
    assert body["stream"] is stream
    assert body["include"] == ["reasoning.encrypted_content"]


@stream_or_json
async def test_aimock_reasoning_round_trip(aimock: ServerProcess, make: Make, stream: bool) -> None:
    """Reasoning (with encrypted_content) + call, then the reasoning is replayed before it."""
    control(aimock, "POST", "/__aimock/reset/journal")
    provider = await make(aimock, compat_profile="openai", reasoning_effort="low")
    sent = record_bodies(provider)
    prompt = "REASON about it, then get the magic number"
    first = await answer(provider, stream, prompt=prompt, func_tool=magic_tools())
    assert first.tools_call_name == [MagicTool]
    assert first.tools_call_args == [{"seed": 7}]
    assert first.reasoning_content == "I need the magic number first."
    assert first.reasoning_signature

    contexts = tool_round_contexts(prompt, first, '{"magic": 42}')
    second = await answer(provider, stream, contexts=contexts, func_tool=magic_tools())
    assert second.completion_text == "The magic number is 42."

    seen = aimock_requests(aimock)
    assert [e["response"]["status"] for e in seen] == [200, 200]
    assert seen[1]["body"]["messages"][-1]["role"] == "tool"  # it parsed our call output
    first_body, second_body = sent
    assert first_body["include"] == ["reasoning.encrypted_content"]
    assert first_body["store"] is False
    assert kinds(second_body)[1:] == ["reasoning", "function_call", "function_call_output"]
    reasoning, call, output = second_body["input"][1:]
    blob = reasoning["encrypted_content"]
    assert isinstance(blob, str)
    assert blob
    assert blob in first.reasoning_signature
    assert reasoning["summary"] == [
        {"type": "summary_text", "text": "I need the magic number first."}
    ]
    assert call["call_id"] == output["call_id"] == first.tools_call_ids[0]


# --------------------------------------------------------------------------- mock-ai-api


@stream_or_json
async def test_mock_ai_api_answer_without_item_ids_is_shown_once(
    mock_ai_api: ServerProcess, make: Make, stream: bool
) -> None:
    """Its part events carry no ``item_id``: the greeting must come once, not twice."""
    provider = await make(mock_ai_api, model="gpt-4.1")
    final = await answer(provider, stream, prompt="Say hello")
    assert final.completion_text == MOCK_AI_API_TEXT
    assert final.usage is not None
    assert final.usage.output == 12


@stream_or_json
async def test_mock_ai_api_error_scenario_is_a_clear_error(
    mock_ai_api: ServerProcess, make: Make, stream: bool
) -> None:
    """Its ``mock-401`` model answers HTTP 401: an error naming the key setting."""
    provider = await make(mock_ai_api, model="gpt-4.1:mock-401")
    with pytest.raises(UpstreamError) as caught:
        await answer(provider, stream, prompt="Say hello")
    assert caught.value.status == 401
    assert "Check the API key (`key`)" in caught.value.message


# --------------------------------------------------------------------------- llm-mock-api


@stream_or_json
async def test_llm_mock_api_text_and_reasoning(
    llm_mock_api: ServerProcess, make: Make, stream: bool
) -> None:
    """Text alone, then reasoning (one summary part) with text, with its fixed usage."""
    provider = await make(llm_mock_api, reasoning_effort="low")
    final = await answer(provider, stream, prompt="hello there")
    assert final.completion_text == "Hello from llm-mock-api, a third-party server."
    assert final.reasoning_content is None
    final = await answer(provider, stream, prompt="REASON about it")
    assert final.completion_text == "Reasoned answer."
    assert final.reasoning_content == "Thinking first."
    assert final.usage is not None
    assert (final.usage.input, final.usage.output) == (10, 5)


@stream_or_json
async def test_llm_mock_api_tool_round_trip(
    llm_mock_api: ServerProcess, make: Make, stream: bool
) -> None:
    provider = await make(llm_mock_api)
    sent = record_bodies(provider)
    prompt = f"magic {'stream' if stream else 'json'}: call the tool"
    first = await answer(provider, stream, prompt=prompt, func_tool=magic_tools())
    assert (first.tools_call_name, first.tools_call_args) == ([MagicTool], [{"seed": 7}])
    call_id = first.tools_call_ids[0]
    contexts = tool_round_contexts(prompt, first, '{"magic": 42}')
    second = await answer(provider, stream, contexts=contexts, func_tool=magic_tools())
    assert second.completion_text == "The magic number is 42."
    assert not second.tools_call_name
    assert sent[1]["input"][1:] == [
        {
            "type": "function_call",
            "call_id": call_id,
            "name": MagicTool,
            "arguments": '{"seed": 7}',
        },
        {"type": "function_call_output", "call_id": call_id, "output": '{"magic": 42}'},
    ]
