"""Output items, usage and full ``Response`` objects as plain dicts
(specs/004-responses-wire-format/spec.md §"Response object").

Everything here is pure data construction (only ids are random unless given), valid against
``openai.types.responses.Response`` and its item classes; :mod:`.events` streams these items
and the non-stream JSON body is :func:`response_object`.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from .ids import new_id

#: Default model name echoed in responses.
DEFAULT_MODEL = "fake-model"

#: ``Response`` fields echoed from the request when present (besides tools / tool_choice).
_ECHOED = (
    "instructions",
    "max_output_tokens",
    "metadata",
    "previous_response_id",
    "prompt_cache_key",
    "reasoning",
    "safety_identifier",
    "service_tier",
    "store",
    "temperature",
    "top_p",
    "truncation",
    "user",
)


def estimate_tokens(text: str) -> int:
    """A crude, deterministic token count (≈ 4 characters per token, at least 1)."""
    return max(1, math.ceil(len(text) / 4))


def usage_dict(
    *,
    input_tokens: int = 32,
    cached_tokens: int = 0,
    output_tokens: int = 8,
    reasoning_tokens: int = 0,
) -> dict[str, Any]:
    """Build a ``ResponseUsage`` dict; ``input_tokens`` includes ``cached_tokens`` and
    ``output_tokens`` includes ``reasoning_tokens`` (raised to keep that true)."""
    input_tokens = max(input_tokens, cached_tokens)
    output_tokens = max(output_tokens, reasoning_tokens)
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached_tokens, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


def default_usage(output: list[dict[str, Any]]) -> dict[str, Any]:
    """Usage estimated from the output items (fixed 32 input tokens, none cached)."""
    out = 0
    reasoning = 0
    for item in output:
        if item.get("type") == "message":
            out += sum(estimate_tokens(p.get("text", "")) for p in item.get("content", []))
        elif item.get("type") == "function_call":
            out += estimate_tokens(item.get("name", "") + item.get("arguments", ""))
        elif item.get("type") == "reasoning":
            reasoning += 16 + sum(estimate_tokens(s["text"]) for s in item.get("summary", []))
    return usage_dict(output_tokens=out + reasoning, reasoning_tokens=reasoning)


def output_text_part(text: str) -> dict[str, Any]:
    """An ``output_text`` content part (no annotations, empty logprobs)."""
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message_item(
    text: str, *, item_id: str | None = None, status: str = "completed"
) -> dict[str, Any]:
    """An assistant ``message`` output item with one ``output_text`` part."""
    return {
        "id": item_id or new_id("msg"),
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": [output_text_part(text)],
    }


def function_call_item(
    name: str,
    arguments: dict[str, Any] | str,
    *,
    call_id: str | None = None,
    item_id: str | None = None,
    status: str = "completed",
) -> dict[str, Any]:
    """A ``function_call`` output item (``id`` ``fc_…``, ``call_id`` ``call_…``).

    ``arguments`` may be a dict (serialised as JSON) or a ready string (sent verbatim).
    """
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {
        "id": item_id or new_id("fc"),
        "type": "function_call",
        "call_id": call_id or new_id("call"),
        "name": name,
        "arguments": args,
        "status": status,
    }


def reasoning_item(
    summary: str | list[str],
    *,
    item_id: str | None = None,
    encrypted: str | None = None,
    content: list[str] | None = None,
) -> dict[str, Any]:
    """A ``reasoning`` output item; ``encrypted`` becomes ``encrypted_content`` and
    ``content`` the raw ``reasoning_text`` parts (vLLM / gpt-oss style) when given."""
    parts = [summary] if isinstance(summary, str) else list(summary)
    item: dict[str, Any] = {
        "id": item_id or new_id("rs"),
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": p} for p in parts],
    }
    if content is not None:
        item["content"] = [{"type": "reasoning_text", "text": t} for t in content]
    if encrypted is not None:
        item["encrypted_content"] = encrypted
    return item


def image_generation_item(
    result: str, *, item_id: str | None = None, status: str = "completed"
) -> dict[str, Any]:
    """An ``image_generation_call`` output item whose ``result`` is the base64 image."""
    return {
        "id": item_id or new_id("ig"),
        "type": "image_generation_call",
        "status": status,
        "result": result,
    }


def _echo_tools(tools: Any) -> list[dict[str, Any]]:
    """Request tools as the ``Response.tools`` echo (function tools normalised)."""
    if not isinstance(tools, list):
        return []
    echoed: list[dict[str, Any]] = []
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        if tool.get("type") == "function" and isinstance(tool.get("name"), str):
            echoed.append(
                {
                    "type": "function",
                    "name": tool["name"],
                    "description": tool.get("description"),
                    "parameters": tool.get("parameters"),
                    "strict": tool.get("strict"),
                }
            )
        elif tool.get("type") != "function":
            echoed.append(tool)
    return echoed


def _echo_tool_choice(choice: Any) -> Any:
    """The request ``tool_choice`` echoed back (``"auto"`` when absent or malformed)."""
    if choice in ("none", "auto", "required") or isinstance(choice, dict):
        return choice
    return "auto"


def response_object(
    output: list[dict[str, Any]] | None = None,
    *,
    text: str | None = None,
    response_id: str | None = None,
    model: str = DEFAULT_MODEL,
    status: str = "completed",
    usage: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    incomplete_reason: str | None = None,
    request: dict[str, Any] | None = None,
    created_at: int | None = None,
    with_usage: bool = True,
) -> dict[str, Any]:
    """A full ``Response`` dict (the non-stream body, also the snapshot inside stream events).

    ``output`` defaults to one message with ``text`` (or no items when ``text`` is None).
    ``usage`` defaults to an estimate when ``with_usage`` (stream snapshots before the
    terminal event pass ``with_usage=False`` → ``usage: null``). ``request`` (the request
    body) supplies echoed fields such as ``tools``, ``tool_choice`` and ``instructions``.
    """
    if output is None:
        output = [message_item(text)] if text is not None else []
    request = request or {}
    body: dict[str, Any] = {
        "id": response_id or new_id("resp"),
        "object": "response",
        "created_at": created_at if created_at is not None else int(time.time()),
        "status": status,
        "model": model,
        "output": output,
        "parallel_tool_calls": bool(request.get("parallel_tool_calls", True)),
        "tool_choice": _echo_tool_choice(request.get("tool_choice")),
        "tools": _echo_tools(request.get("tools")),
        "error": error,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "instructions": None,
        "metadata": {},
        "text": {"format": {"type": "text"}},
        "usage": (usage or default_usage(output)) if with_usage else None,
    }
    for key in _ECHOED:
        if key in request:
            body[key] = request[key]
    if status == "completed":
        body["completed_at"] = body["created_at"]
    return body
