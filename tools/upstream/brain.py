"""The default "brain": a deterministic answer to a ``POST /v1/responses`` body.

Rules, first match wins (stream and non-stream give the same items and usage):

1. the last input item is a ``function_call_output`` → text ``TOOL RESULT WAS: <output>``;
2. the last user text contains ``THINKTOOL``, ``get_magic_number`` is offered and
   ``tool_choice`` is not ``"none"`` → a reasoning item (as in rule 4) followed by the
   ``function_call`` of rule 3 (the reasoning a call was made from, for round-trip tests);
3. the last user text contains ``MAGIC``, a function tool ``get_magic_number`` is offered and
   ``tool_choice`` is not ``"none"`` → one ``function_call`` ``get_magic_number {"seed": 7}``;
4. it contains ``THINK`` → a reasoning item (summary; ``encrypted_content`` ``enc-…`` only when
   ``include`` has ``reasoning.encrypted_content``) followed by the canned text;
5. it contains ``LEAK`` and function tools are offered → the pseudo tool call
   ``assistant to=functions.get_magic_number {"seed": 7}`` as plain text (``BROKENLEAK``:
   :data:`BROKEN_LEAK_TEXT`, a call whose arguments were cut — a key without a value), or a
   real ``function_call`` when ``tool_choice`` is ``"required"`` or an object (the named
   function for ``{"type": "function", "name": …}``);
6. it contains ``DRAW`` and the hosted ``image_generation`` tool is offered → an
   ``image_generation_call`` whose ``result`` is :data:`TINY_PNG` (a 1×1 PNG, base64),
   then the text :data:`DRAW_TEXT`;
7. otherwise ``CANNED REPLY: you said '<last user text, first 200 chars>'``.

A streamed answer is paced like a model's: :data:`TOKEN_GAP` before every delta but the first.

Usage: ``input_tokens`` ≈ request size / 4 (at least 8), ``cached_tokens`` = half of it,
``output_tokens`` ≈ output size / 4 plus ``reasoning_tokens`` (24 with a reasoning item, else 0).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .errors import error_body
from .events import output_stream
from .ids import new_id
from .items import (
    estimate_tokens,
    function_call_item,
    image_generation_item,
    message_item,
    reasoning_item,
    response_object,
    usage_dict,
)
from .script import Action, Events, Script, Sleep, StartStream, Status

MAGIC_TOOL = "get_magic_number"
MAGIC_ARGS: dict[str, Any] = {"seed": 7}
LEAK_TEXT = 'assistant to=functions.get_magic_number {"seed": 7}'
#: a leaked call whose arguments cannot be completed without inventing a value
BROKEN_LEAK_TEXT = 'assistant to=functions.get_magic_number\n{"seed": 7 "mode": '
THINK_SUMMARY = "**Thinking it over**\n\nThe user asked me to think; a short answer will do."
THINKTOOL_SUMMARY = "**Planning a tool call**\n\nThe user wants the magic number; I ask the tool."
THINK_REASONING_TOKENS = 24
ENCRYPTED_INCLUDE = "reasoning.encrypted_content"
#: A valid 1×1 PNG, base64 (the "generated image" of rule 6)
TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
    "AAAABJRU5ErkJggg=="
)
DRAW_TEXT = "Here is your picture."
#: seconds between two deltas of a streamed answer: a model sends its tokens apart, so each
#: usually reaches the client in a network read of its own
TOKEN_GAP = 0.003


def _parts_text(content: Any) -> str:
    """Text of a message ``content`` (string, or the text of its text parts, newline-joined)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text", "") for p in content if isinstance(p, dict) and "text" in p]
        return "\n".join(t for t in texts if isinstance(t, str))
    return ""


def last_user_text(body: dict[str, Any]) -> str:
    """The text of the last user message of ``input`` (a bare string input counts)."""
    items = body.get("input")
    if isinstance(items, str):
        return items
    if isinstance(items, list):
        for item in reversed(items):
            if isinstance(item, dict) and item.get("role") == "user":
                return _parts_text(item.get("content"))
    return ""


def function_tools(body: dict[str, Any]) -> list[str]:
    """Names of the (flat, Responses-style) function tools offered by the request."""
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    return [
        t["name"]
        for t in tools
        if isinstance(t, dict) and t.get("type") == "function" and isinstance(t.get("name"), str)
    ]


def hosted_tools(body: dict[str, Any]) -> list[str]:
    """Types of the hosted (non-function) tools offered by the request."""
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    return [t["type"] for t in tools if isinstance(t, dict) and t.get("type") != "function"]


def _tool_result(body: dict[str, Any]) -> str | None:
    """The output of a trailing ``function_call_output`` input item, else None."""
    items = body.get("input")
    if not isinstance(items, list) or not items:
        return None
    last = items[-1]
    if not isinstance(last, dict) or last.get("type") != "function_call_output":
        return None
    output = last.get("output")
    return output if isinstance(output, str) else _parts_text(output)


def _forced_call(body: dict[str, Any], tools: list[str]) -> dict[str, Any] | None:
    """The function call ``tool_choice`` forces (``"required"`` or an object), else None."""
    choice = body.get("tool_choice")
    if choice == "required" or isinstance(choice, dict):
        named = choice.get("name") if isinstance(choice, dict) else None
        if not isinstance(named, str):
            named = MAGIC_TOOL if MAGIC_TOOL in tools else tools[0]
        return function_call_item(named, MAGIC_ARGS)
    return None


def _encrypted(body: dict[str, Any]) -> str | None:
    """An opaque ``enc-…`` blob when the request asked for encrypted reasoning."""
    include = body.get("include")
    if isinstance(include, list) and ENCRYPTED_INCLUDE in include:
        return "enc-" + base64.urlsafe_b64encode(new_id("rs").encode()).decode()
    return None


def brain_output(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The output items the brain answers ``body`` with (see the module rules)."""
    result = _tool_result(body)
    if result is not None:
        return [message_item(f"TOOL RESULT WAS: {result}")]
    text = last_user_text(body)
    tools = function_tools(body)
    canned = f"CANNED REPLY: you said '{text[:200]}'"
    may_call = MAGIC_TOOL in tools and body.get("tool_choice") != "none"
    if "THINKTOOL" in text and may_call:
        return [
            reasoning_item(THINKTOOL_SUMMARY, encrypted=_encrypted(body)),
            function_call_item(MAGIC_TOOL, MAGIC_ARGS),
        ]
    if "MAGIC" in text and may_call:
        return [function_call_item(MAGIC_TOOL, MAGIC_ARGS)]
    if "THINK" in text:
        return [reasoning_item(THINK_SUMMARY, encrypted=_encrypted(body)), message_item(canned)]
    if "LEAK" in text and tools:
        forced = _forced_call(body, tools)
        if forced is not None:
            return [forced]
        name = MAGIC_TOOL if MAGIC_TOOL in tools else tools[0]
        leak = BROKEN_LEAK_TEXT if "BROKENLEAK" in text else LEAK_TEXT
        return [message_item(leak.replace(MAGIC_TOOL, name))]
    if "DRAW" in text and "image_generation" in hosted_tools(body):
        return [image_generation_item(TINY_PNG), message_item(DRAW_TEXT)]
    return [message_item(canned)]


def brain_usage(body: dict[str, Any], output: list[dict[str, Any]]) -> dict[str, Any]:
    """Deterministic usage for ``body`` answered with ``output``."""
    sent = json.dumps([body.get("instructions"), body.get("input"), body.get("tools")])
    input_tokens = max(8, estimate_tokens(sent))
    reasoning = THINK_REASONING_TOKENS if any(i["type"] == "reasoning" for i in output) else 0
    visible = sum(
        estimate_tokens(json.dumps(i.get("content") or i.get("arguments") or ""))
        for i in output
        if i["type"] != "reasoning"
    )
    return usage_dict(
        input_tokens=input_tokens,
        cached_tokens=input_tokens // 2,
        output_tokens=visible + reasoning,
        reasoning_tokens=reasoning,
    )


def paced(events: list[dict[str, Any]], gap: float = TOKEN_GAP) -> list[Action]:
    """``events`` written as a model streams them: a pause of ``gap`` seconds before every
    delta event but the first (the opening events go out with the first delta)."""
    steps: list[Action] = []
    run: list[dict[str, Any]] = []
    seen_delta = False
    for event in events:
        if str(event.get("type", "")).endswith(".delta"):
            if seen_delta:
                steps += [Events(run), Sleep(gap)]
                run = []
            seen_delta = True
        run.append(event)
    steps.append(Events(run))
    return steps


def brain_script(body: Any) -> Script:
    """The default script for a ``POST /v1/responses`` body (stream or JSON by ``stream``)."""
    if not isinstance(body, dict):
        return [
            Status(
                400, body=error_body(400, "We could not parse the JSON body.", code="invalid_json")
            )
        ]
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return [
            Status(
                400,
                body=error_body(
                    400,
                    "Missing required parameter: 'model'.",
                    code="missing_required_parameter",
                    param="model",
                ),
            )
        ]
    output = brain_output(body)
    usage = brain_usage(body, output)
    if body.get("stream") is True:
        events = output_stream(output, model=model, usage=usage, request=body)
        return [StartStream(), *paced(events)]
    return [Status(200, body=response_object(output, model=model, usage=usage, request=body))]
