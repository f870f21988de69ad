"""AstrBot conversation → Responses ``instructions`` and ``input`` items.

:func:`conversation_input` is the input converter of :func:`.request.build_request`.

History mapping (OpenAI-chat dicts or ``Message`` objects, ``astrbot/core/agent/message.py``
→ Responses input items, specs/004-responses-wire-format/spec.md §"Input items"):

=====================================  ===================================================
AstrBot                                Responses ``input``
=====================================  ===================================================
leading ``system`` messages            ``instructions`` (with ``system_prompt``)
later ``system`` message               ``{"role": "developer", "content": [input parts]}``
``user`` text / parts                  ``{"role": "user", "content": [input parts]}``
``image_url`` / ``audio_url`` part     :mod:`.media` (``input_image`` / text placeholder)
``think`` part (user)                  dropped
assistant text                         ``{"role": "assistant", "content": "<text>"}``
assistant ``think`` with our signature ``reasoning`` items, before that turn's other items
assistant ``tool_calls``               one ``function_call`` each (after the text)
``tool`` message                       ``function_call_output`` (``output`` is a string)
``_checkpoint`` message                dropped; ``_no_save`` keys stripped
=====================================  ===================================================

Nothing the caller passed is mutated: messages are copied (``Message.model_dump()`` or a
deep copy) before they are touched. Unpaired tool items are dropped (a lone
``function_call`` or ``function_call_output`` makes the upstream answer 400), and so is a
reasoning item whose following item is gone (spec 004 §"Input items").

Spec: specs/001-redesign-responses-provider/spec.md §"Conversation → request".
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from .call import ChatCall
from .media import AUDIO_PLACEHOLDER, audio_input_part, image_input_part
from .reasoning_replay import reasoning_from_think
from .redaction import LOG
from .wire import FunctionCallInput, InputContent, InputItem

#: Longest ``call_id`` the upstream accepts (spec 004 §"Input items").
MAX_CALL_ID_CHARS = 64

_CHECKPOINT_ROLE = "_checkpoint"
_HARMONY_TOKEN = re.compile(r"<\|(start|channel|message|call|end|constrain|return)\|>")
_BASE64ISH = re.compile(r"^[A-Za-z0-9+/=_\-\s]+$")
_UNKNOWN_STR_CHARS = 200
_UNKNOWN_TEXT_CHARS = 1000


async def conversation_input(call: ChatCall, reasoning_source: str) -> tuple[str, list[InputItem]]:
    """``(instructions, input items)`` for one call.

    Message order: ``contexts``, then the user turn built from ``prompt`` (+ ``image_urls``,
    ``audio_urls``, ``extra_user_content_parts``), then ``tool_calls_result`` messages, as
    ``astrbot/core/provider/sources/openai_source.py`` ``_prepare_chat_payload`` does.
    ``system_prompt`` and the *leading* run of ``system`` messages become the instructions
    (joined by blank lines; "" when none). Reasoning is replayed only to
    ``reasoning_source`` (see :func:`.reasoning_replay.reasoning_from_think`).
    """
    history: list[object] = list(call.contexts)
    new_turn = _new_user_turn(call)
    if new_turn is not None:
        history.append(new_turn)
    history.extend(_tool_call_messages(call.tool_calls_result))
    messages = _context_dicts(history)
    instructions, rest = _split_instructions(call.system_prompt, messages)
    return instructions, _pair_and_prune(await _entries(rest, reasoning_source))


# -- small helpers -------------------------------------------------------------------------


def neutralise_control_tokens(text: str) -> str:
    """Break literal harmony control tokens (``<|start|>``, ``<|channel|>``, …) in ``text``.

    OpenAI/Codex backends answer 400 when history text contains them; a zero-width space
    after ``<`` keeps the text readable and harmless.
    """
    if "<|" not in text:
        return text
    return _HARMONY_TOKEN.sub("<\u200b|\\1|>", text)


def clamp_call_id(call_id: str) -> str:
    """Fit a tool-call id into :data:`MAX_CALL_ID_CHARS`, deterministically.

    Longer ids keep a prefix plus a hash of the whole id, so two long ids sharing a prefix
    stay distinct and the same id always maps to the same value (used for both
    ``function_call`` and ``function_call_output``).
    """
    if len(call_id) <= MAX_CALL_ID_CHARS:
        return call_id
    digest = hashlib.sha256(call_id.encode()).hexdigest()[:16]
    return f"{call_id[: MAX_CALL_ID_CHARS - 17]}_{digest}"


def _as_dict(value: object) -> dict[str, Any] | None:
    """A pydantic model or mapping as a fresh dict (other values: ``None``)."""
    if isinstance(value, BaseModel):
        dump = getattr(value, "model_dump_for_context", None) or value.model_dump
        return dict(dump())
    if isinstance(value, Mapping):
        return copy.deepcopy(dict(value))
    return None


def _part_dict(part: object) -> dict[str, Any] | None:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    data = _as_dict(part)
    if data is not None:
        data.pop("_no_save", None)
    return data


def _context_dicts(messages: Iterable[object]) -> list[dict[str, Any]]:
    """Copies of the history as OpenAI-chat dicts, without checkpoints and ``_no_save``.

    Mirrors ``Provider._ensure_message_to_dicts`` (``astrbot/core/provider/provider.py``)
    plus the ``_no_save`` stripping of ``sources/openai_source.py``.
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, BaseModel):
            if getattr(message, "role", None) == _CHECKPOINT_ROLE:
                continue
            data: dict[str, Any] | None = message.model_dump()
        else:
            data = _as_dict(message)
        if data is None:
            LOG.debug("context entry of type %s ignored", type(message).__name__)
            continue
        if data.get("role") == _CHECKPOINT_ROLE:
            continue
        data.pop("_no_save", None)
        content = data.get("content")
        if isinstance(content, list):
            data["content"] = [p for p in map(_part_dict, content) if p is not None]
        out.append(data)
    return out


def _scrub(value: Any) -> Any:
    """Shorten long strings and hide inline data for a text description."""
    if isinstance(value, str):
        if value[:5].lower() == "data:" or value.startswith("base64://"):
            return "<inline data omitted>"
        if len(value) > _UNKNOWN_STR_CHARS:
            if _BASE64ISH.match(value):
                return f"<{len(value)} characters of data omitted>"
            return value[:_UNKNOWN_STR_CHARS] + "…"
        return value
    if isinstance(value, Mapping):
        return {str(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def _describe_unknown(part: Mapping[str, Any]) -> str:
    try:
        shown = json.dumps(_scrub(dict(part)), ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        shown = str(part.get("type", "?"))
    text = f"[Unsupported content part: {shown}]"
    if len(text) > _UNKNOWN_TEXT_CHARS:
        text = text[: _UNKNOWN_TEXT_CHARS - 2] + "…]"
    return neutralise_control_tokens(text)


def _media_url(part: Mapping[str, Any], key: str) -> str:
    value = part.get(key)
    if isinstance(value, Mapping):
        value = value.get("url")
    return value if isinstance(value, str) else ""


def _typed_parts(content: list[object]) -> Iterator[tuple[object, Mapping[str, Any]]]:
    """``(type, part)`` for each part of a content list that is a mapping (others: skipped)."""
    for part in content:
        if isinstance(part, Mapping):
            yield part.get("type"), part


def _plain_text(content: object) -> str:
    """Text of a system/tool message: text parts joined by newlines, media as placeholders."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return str(content)
    texts: list[str] = []
    for kind, part in _typed_parts(content):
        if kind == "text":
            texts.append(str(part.get("text") or ""))
        elif kind == "image_url":
            texts.append("[Image]")
        elif kind == "audio_url":
            texts.append(AUDIO_PLACEHOLDER)
        elif kind != "think":
            texts.append(_describe_unknown(part))
    return "\n".join(t for t in texts if t)


async def _input_parts(content: object) -> list[InputContent]:
    """User/developer content → Responses input content parts (spec 004 §"Input items")."""
    if content is None:
        return []
    if isinstance(content, str):
        if not content:
            return []
        return [{"type": "input_text", "text": neutralise_control_tokens(content)}]
    if not isinstance(content, list):
        return [{"type": "input_text", "text": neutralise_control_tokens(str(content))}]
    parts: list[InputContent] = []
    for kind, part in _typed_parts(content):
        if kind == "text":
            text = str(part.get("text") or "")
            if text:
                parts.append({"type": "input_text", "text": neutralise_control_tokens(text)})
        elif kind == "image_url":
            parts.append(await image_input_part(_media_url(part, "image_url")))
        elif kind == "audio_url":
            parts.append(await audio_input_part(_media_url(part, "audio_url")))
        elif kind == "think":
            continue
        else:
            parts.append({"type": "input_text", "text": _describe_unknown(part)})
    return parts


def _arguments_string(arguments: object) -> str:
    if arguments is None or arguments == "":
        return "{}"
    if isinstance(arguments, str):
        return neutralise_control_tokens(arguments)
    try:
        return neutralise_control_tokens(json.dumps(arguments, ensure_ascii=False))
    except (TypeError, ValueError):
        return neutralise_control_tokens(str(arguments))


def _function_call(tool_call: object) -> FunctionCallInput | None:
    data = _as_dict(tool_call)
    if data is None:
        return None
    function = data.get("function")
    function = function if isinstance(function, Mapping) else data
    name = function.get("name")
    call_id = data.get("id") or data.get("call_id")
    if not isinstance(name, str) or not name or not isinstance(call_id, str) or not call_id:
        LOG.debug("assistant tool call without a name or id dropped")
        return None
    return {
        "type": "function_call",
        "call_id": clamp_call_id(call_id),
        "name": name,
        "arguments": _arguments_string(function.get("arguments")),
    }


# -- conversation → input items ------------------------------------------------------------


def _split_instructions(
    system_prompt: str | None, messages: list[dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """``system_prompt`` + the leading run of ``system`` messages → instructions text."""
    texts = [system_prompt] if system_prompt and system_prompt.strip() else []
    start = 0
    while start < len(messages) and messages[start].get("role") == "system":
        text = _plain_text(messages[start].get("content"))
        if text.strip():
            texts.append(text)
        start += 1
    return "\n\n".join(texts), messages[start:]


async def _entries(
    messages: list[dict[str, Any]], reasoning_source: str
) -> list[tuple[int, InputItem]]:
    """Input items tagged with the index of the message that produced them."""
    entries: list[tuple[int, InputItem]] = []
    for turn, message in enumerate(messages):
        role = message.get("role")
        content = message.get("content")
        if role in ("user", "system"):
            parts = await _input_parts(content)
            if parts:
                entries.append(
                    (turn, {"role": "user" if role == "user" else "developer", "content": parts})
                )
            else:
                LOG.debug("empty %s message dropped", role)
        elif role == "assistant":
            texts: list[str] = []
            thinks: list[dict[str, Any]] = []
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                for part in content:
                    kind = part.get("type") if isinstance(part, Mapping) else None
                    if kind == "text":
                        texts.append(str(part.get("text") or ""))
                    elif kind == "think":
                        thinks.append(part)
                    else:
                        LOG.debug("assistant content part %r not replayable; dropped", kind)
            for item in reasoning_from_think(thinks, reasoning_source):
                entries.append((turn, item))
            text = "\n".join(t for t in texts if t)
            if text.strip():
                entries.append(
                    (turn, {"role": "assistant", "content": neutralise_control_tokens(text)})
                )
            for tool_call in message.get("tool_calls") or []:
                call = _function_call(tool_call)
                if call is not None:
                    entries.append((turn, call))
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or not call_id:
                LOG.debug("tool message without tool_call_id dropped")
                continue
            output = neutralise_control_tokens(_plain_text(content))
            entries.append(
                (
                    turn,
                    {
                        "type": "function_call_output",
                        "call_id": clamp_call_id(call_id),
                        "output": output,
                    },
                )
            )
        else:
            LOG.debug("message with role %r ignored", role)
    return entries


def _pair_and_prune(entries: list[tuple[int, InputItem]]) -> list[InputItem]:
    """Drop unpaired function calls/outputs, then reasoning left without a following item.

    A ``function_call_output`` pairs with the earliest earlier unpaired ``function_call``
    with the same ``call_id``.
    """
    keep = [True] * len(entries)
    pending: dict[str, list[int]] = {}
    for index, (_, item) in enumerate(entries):
        if "call_id" not in item:  # a message or a reasoning item
            continue
        if item["type"] == "function_call":
            pending.setdefault(item["call_id"], []).append(index)
        else:
            waiting = pending.get(item["call_id"])
            if waiting:
                waiting.pop(0)
            else:
                keep[index] = False
                LOG.debug("function_call_output %s has no call; dropped", item["call_id"])
    for call_id, waiting in pending.items():
        for index in waiting:
            keep[index] = False
            LOG.debug("function_call %s has no output; dropped", call_id)
    followed = {
        turn
        for index, (turn, item) in enumerate(entries)
        if keep[index] and item.get("type") != "reasoning"
    }
    items: list[InputItem] = []
    for index, (turn, item) in enumerate(entries):
        if not keep[index]:
            continue
        if item.get("type") == "reasoning" and turn not in followed:
            LOG.debug("reasoning item without its following item dropped")
            continue
        items.append(item)
    return items


def _new_user_turn(call: ChatCall) -> dict[str, Any] | None:
    """The user turn built from ``prompt`` (+ media and extra parts), AstrBot-style.

    Mirrors ``ProviderRequest.assemble_context`` order (``astrbot/core/provider/
    entities.py``): prompt text, ``extra_user_content_parts``, images, audio. Only built
    when the caller passed ``prompt`` or media; the agent runner passes neither and has
    already merged the extra parts into ``contexts``.
    """
    if call.prompt is None and not call.image_urls and not call.audio_urls:
        return None
    parts: list[dict[str, Any]] = []
    if call.prompt:
        parts.append({"type": "text", "text": call.prompt})
    for extra in call.extra_user_content_parts or []:
        part = _part_dict(extra)
        if part is not None:
            parts.append(part)
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in call.image_urls]
    parts += [{"type": "audio_url", "audio_url": {"url": url}} for url in call.audio_urls]
    return {"role": "user", "content": parts}


def _tool_call_messages(result: object) -> list[object]:
    if result is None:
        return []
    results = result if isinstance(result, list | tuple) else [result]
    messages: list[object] = []
    for one in results:
        to_messages = getattr(one, "to_openai_messages", None)
        if callable(to_messages):
            messages.extend(to_messages())
        else:
            LOG.debug("tool_calls_result entry of type %s ignored", type(one).__name__)
    return messages


__all__ = [
    "MAX_CALL_ID_CHARS",
    "clamp_call_id",
    "conversation_input",
    "neutralise_control_tokens",
]
