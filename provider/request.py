"""AstrBot call → Responses API request body (``POST /responses``).

:class:`ChatCall` freezes what AstrBot passes to ``Provider.text_chat`` /
``text_chat_stream`` (``astrbot/core/provider/provider.py``); :func:`build_request` turns it
into a :class:`RequestPlan` whose ``body`` is the JSON request (responses_api.md §2).

History mapping (OpenAI-chat dicts or ``Message`` objects, ``astrbot/core/agent/message.py``
→ Responses input items, responses_api.md §2.1):

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
reasoning item whose following item is gone (responses_api.md §2.1.3, §2.1.6).

Spec: specs/001-redesign-responses-provider/spec.md §"Conversation → request".
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .config import SourceConfig, merge_extra_body
from .errors import ConfigError
from .media import AUDIO_PLACEHOLDER, audio_input_part, image_input_part
from .profiles import Profile
from .redaction import LOG

if TYPE_CHECKING:
    from astrbot.core.agent.message import Message
    from astrbot.core.agent.tool import ToolSet
    from astrbot.core.provider.entities import ToolCallsResult

#: ``type`` of the JSON object stored in ``ThinkPart.encrypted`` by this plugin.
REASONING_SIGNATURE_TYPE = "openai_responses_plugin_reasoning"
#: Version of that object; a different version is never replayed.
REASONING_SIGNATURE_VERSION = 1
#: Longest ``call_id`` the upstream accepts (responses_api.md §2.1.3).
MAX_CALL_ID_CHARS = 64
#: ``parameters`` of a function tool that declares none.
EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}

_CHECKPOINT_ROLE = "_checkpoint"
_HARMONY_TOKEN = re.compile(r"<\|(start|channel|message|call|end|constrain|return)\|>")
_BASE64ISH = re.compile(r"^[A-Za-z0-9+/=_\-\s]+$")
_UNKNOWN_STR_CHARS = 200
_UNKNOWN_TEXT_CHARS = 1000


# -- the call ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class ChatCall:
    """Everything AstrBot passes to ``text_chat`` / ``text_chat_stream``, frozen.

    ``contexts`` holds OpenAI-chat dicts and/or ``Message`` objects exactly as passed (never
    mutated). ``tool_choice`` is ``"auto"``, ``"required"``, ``"none"`` or a Responses
    tool-choice object. ``model`` ``None`` means "the configured model".
    Source: ``astrbot/core/provider/provider.py`` ``Provider.text_chat`` signature.
    """

    prompt: str | None = None
    image_urls: list[str] = field(default_factory=list)
    audio_urls: list[str] = field(default_factory=list)
    contexts: list[dict[str, Any] | Message] = field(default_factory=list)
    system_prompt: str | None = None
    tool_calls_result: ToolCallsResult | list[ToolCallsResult] | None = None
    func_tool: ToolSet | None = None
    tool_choice: str | dict[str, Any] = "auto"
    model: str | None = None
    extra_user_content_parts: list[Any] | None = None
    conversation_id: str | None = None
    session_id: str | None = None

    def __repr__(self) -> str:
        # No message text: AstrBot logs tracebacks with the values of local variables.
        return (
            f"ChatCall(contexts={len(self.contexts)}, prompt={self.prompt is not None}, "
            f"images={len(self.image_urls)}, audio={len(self.audio_urls)}, model={self.model!r})"
        )

    @classmethod
    def from_kwargs(
        cls,
        prompt: str | None = None,
        session_id: str | None = None,
        image_urls: list[str] | None = None,
        audio_urls: list[str] | None = None,
        func_tool: ToolSet | None = None,
        contexts: list[Message] | list[dict[str, Any]] | None = None,
        system_prompt: str | None = None,
        tool_calls_result: ToolCallsResult | list[ToolCallsResult] | None = None,
        model: str | None = None,
        extra_user_content_parts: list[Any] | None = None,
        tool_choice: str | dict[str, Any] | None = "auto",
        conversation_id: str | None = None,
        **kwargs: Any,
    ) -> ChatCall:
        """Build a call from ``text_chat`` keyword arguments; unknown kwargs are ignored.

        (``abort_signal``, ``request_max_retries`` and future AstrBot arguments are read by
        the adapter, not here.) Empty strings for ``model`` become ``None``; a
        ``tool_choice`` that is neither a string nor a dict becomes ``"auto"``.
        """
        return cls(
            prompt=prompt if isinstance(prompt, str) else None,
            image_urls=[u for u in image_urls or [] if isinstance(u, str) and u],
            audio_urls=[u for u in audio_urls or [] if isinstance(u, str) and u],
            contexts=list(contexts or []),
            system_prompt=system_prompt if isinstance(system_prompt, str) else None,
            tool_calls_result=tool_calls_result,
            func_tool=func_tool,
            tool_choice=(
                tool_choice if isinstance(tool_choice, str | dict) and tool_choice else "auto"
            ),
            model=model if isinstance(model, str) and model.strip() else None,
            extra_user_content_parts=(
                list(extra_user_content_parts) if extra_user_content_parts else None
            ),
            conversation_id=None if conversation_id is None else str(conversation_id),
            session_id=None if session_id is None else str(session_id),
        )


@dataclass(frozen=True, slots=True, repr=False)
class RequestPlan:
    """The built request.

    ``body``: the JSON body for ``POST /responses``. ``offered_tools``: function tool name →
    its parameters JSON Schema (``None`` when the tool declared none), for pseudo-call
    detection. ``dropped_extra_keys``: ``custom_extra_body`` keys ignored because the
    adapter owns them (``config.PROTECTED_BODY_KEYS``), for one warning.
    """

    body: dict[str, Any]
    offered_tools: dict[str, dict[str, Any] | None]
    dropped_extra_keys: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # No conversation text: AstrBot logs tracebacks with the values of local variables.
        items = len(self.body.get("input") or ())
        return f"RequestPlan(items={items}, tools={len(self.offered_tools)})"


# -- reasoning signature (the one place that knows its format) -----------------------------


def encode_reasoning_signature(items: list[dict[str, Any]], source: str) -> str:
    """Pack reasoning output items into the string stored in ``ThinkPart.encrypted``.

    Format: ``{"type": REASONING_SIGNATURE_TYPE, "v": 1, "source": <source>, "items":
    [<reasoning items as received>]}`` (compact JSON). ``source`` identifies the issuer
    (endpoint + model); :func:`build_request` replays the items only to the same source
    because ``encrypted_content`` is sealed to it (responses_api.md §2.1.6).
    """
    return json.dumps(
        {
            "type": REASONING_SIGNATURE_TYPE,
            "v": REASONING_SIGNATURE_VERSION,
            "source": source,
            "items": items,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode_reasoning_signature(value: object) -> tuple[str, list[Any]] | None:
    """Unpack a string made by :func:`encode_reasoning_signature`.

    Returns ``(source, items)`` or ``None`` when ``value`` is not our signature (another
    provider's signature, plain text, other version). Items are not validated here.
    """
    if not isinstance(value, str) or not value.startswith("{"):
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != REASONING_SIGNATURE_TYPE:
        return None
    if data.get("v") != REASONING_SIGNATURE_VERSION:
        return None
    source, items = data.get("source"), data.get("items")
    if not isinstance(source, str) or not isinstance(items, list):
        return None
    return source, items


def _replay_item(item: object) -> dict[str, Any] | None:
    """One stored reasoning item → a stateless replay item, or ``None`` if not replayable."""
    if not isinstance(item, Mapping) or item.get("type") != "reasoning":
        return None
    encrypted = item.get("encrypted_content")
    if not isinstance(encrypted, str) or not encrypted:
        return None
    out: dict[str, Any] = {"type": "reasoning"}
    if isinstance(item.get("id"), str) and item["id"]:
        out["id"] = item["id"]
    summary = item.get("summary")
    out["summary"] = [
        {"type": "summary_text", "text": s["text"]}
        for s in (summary if isinstance(summary, list) else [])
        if isinstance(s, Mapping) and isinstance(s.get("text"), str)
    ]
    out["encrypted_content"] = encrypted
    return out


def _reasoning_from_think(parts: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """Replay items from an assistant turn's ``think`` parts (all-or-nothing per part)."""
    out: list[dict[str, Any]] = []
    if not source:
        return out
    for part in parts:
        decoded = decode_reasoning_signature(part.get("encrypted"))
        if decoded is None:
            continue
        issuer, items = decoded
        if issuer != source:
            LOG.debug("reasoning from another source dropped (issuer changed)")
            continue
        replay = [_replay_item(item) for item in items]
        if not replay or any(r is None for r in replay):
            LOG.debug("reasoning without encrypted_content dropped")
            continue
        out.extend(r for r in replay if r is not None)
    return out


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


def _plain_text(content: object) -> str:
    """Text of a system/tool message: text parts joined by newlines, media as placeholders."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return str(content)
    texts: list[str] = []
    for part in content:
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type")
        if kind == "text":
            texts.append(str(part.get("text") or ""))
        elif kind == "image_url":
            texts.append("[Image]")
        elif kind == "audio_url":
            texts.append(AUDIO_PLACEHOLDER)
        elif kind != "think":
            texts.append(_describe_unknown(part))
    return "\n".join(t for t in texts if t)


async def _input_parts(content: object) -> list[dict[str, Any]]:
    """User/developer content → Responses input content parts (responses_api.md §2.1.1)."""
    if content is None:
        return []
    if isinstance(content, str):
        if not content:
            return []
        return [{"type": "input_text", "text": neutralise_control_tokens(content)}]
    if not isinstance(content, list):
        return [{"type": "input_text", "text": neutralise_control_tokens(str(content))}]
    parts: list[dict[str, Any]] = []
    for part in content:
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type")
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


def _function_call(tool_call: object) -> dict[str, Any] | None:
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
) -> list[tuple[int, dict[str, Any]]]:
    """Input items tagged with the index of the message that produced them."""
    entries: list[tuple[int, dict[str, Any]]] = []
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
            for item in _reasoning_from_think(thinks, reasoning_source):
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


def _pair_and_prune(entries: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Drop unpaired function calls/outputs, then reasoning left without a following item.

    A ``function_call_output`` pairs with the earliest earlier unpaired ``function_call``
    with the same ``call_id``.
    """
    keep = [True] * len(entries)
    pending: dict[str, list[int]] = {}
    for index, (_, item) in enumerate(entries):
        kind = item.get("type")
        if kind == "function_call":
            pending.setdefault(item["call_id"], []).append(index)
        elif kind == "function_call_output":
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
    items: list[dict[str, Any]] = []
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


def _tools(func_tool: object) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any] | None]]:
    """``ToolSet`` → flat Responses function tools (responses_api.md §2.2) + offered map.

    Uses ``ToolSet.openai_schema()`` (sorted by name in AstrBot 4.29, which keeps the
    prompt cache stable) and flattens ``{"type": "function", "function": {...}}``.
    """
    schema_of = getattr(func_tool, "openai_schema", None)
    if func_tool is None or not callable(schema_of):
        return [], {}
    tools: list[dict[str, Any]] = []
    offered: dict[str, dict[str, Any] | None] = {}
    for entry in schema_of():
        function = entry.get("function", entry) if isinstance(entry, Mapping) else None
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(name, str) or not name or name in offered:
            continue
        parameters = function.get("parameters")
        tool: dict[str, Any] = {"type": "function", "name": name}
        if function.get("description"):
            tool["description"] = str(function["description"])
        tool["parameters"] = copy.deepcopy(parameters if parameters else EMPTY_PARAMETERS)
        tool["strict"] = False
        tools.append(tool)
        offered[name] = copy.deepcopy(parameters) if isinstance(parameters, dict) else None
    return tools, offered


# -- the body ------------------------------------------------------------------------------


async def build_request(
    call: ChatCall,
    cfg: SourceConfig,
    *,
    stream: bool,
    tool_choice_override: str | dict[str, Any] | None = None,
    reasoning_source: str = "",
    profile: Profile | None = None,
    disabled: frozenset[str] = frozenset(),
) -> RequestPlan:
    """Build the Responses request body for one AstrBot call.

    Message order: ``contexts``, then the user turn built from ``prompt`` (+ ``image_urls``,
    ``audio_urls``, ``extra_user_content_parts``), then ``tool_calls_result`` messages, as
    ``astrbot/core/provider/sources/openai_source.py`` ``_prepare_chat_payload`` does.

    System prompt: ``system_prompt`` and the *leading* run of ``system`` messages in
    ``contexts`` become ``instructions`` (joined by blank lines). ``instructions`` is the
    documented place for the system prompt; with ``store: false`` it is re-sent every
    turn anyway, and harmony/Codex-style backends expect the system text there rather than
    as input messages (responses_api.md §2, §2.1.2). ``system`` messages later in the
    history keep their position as ``developer`` messages.

    Reasoning replay: an assistant ``think`` part whose ``encrypted`` holds a signature
    from :func:`encode_reasoning_signature` is replayed as ``reasoning`` items only when its
    ``source`` equals ``reasoning_source`` (an empty ``reasoning_source`` replays nothing)
    and every item has ``encrypted_content`` (responses_api.md §2.1.6).

    Tools: function tools from ``func_tool`` plus ``cfg.builtin_tools`` (hosted tools);
    both omitted with ``tool_choice`` when there are none; ``tool_choice_override`` (the
    pseudo-call retry) replaces ``call.tool_choice``.

    Profile (specs/003-beyond-basics/spec.md): with a ``profile``, ``reasoning.effort`` is
    sent only if the profile accepts it, ``include: ["reasoning.encrypted_content"]`` when
    the profile supports encrypted reasoning and ``"include"`` is not in ``disabled`` (the
    instance learned that the upstream rejects it), and ``prompt_cache_key`` (see
    :func:`prompt_cache_key`) when supported and not disabled. Without a profile,
    ``reasoning``/``include`` follow ``cfg.reasoning_effort`` only. ``cfg.custom_extra_body``
    is merged last (protected keys dropped and reported in ``dropped_extra_keys``).

    Raises :class:`~.errors.ConfigError` when neither the call nor the config names a model.
    """
    model = call.model or cfg.model
    if not model:
        raise ConfigError(
            f"Provider {cfg.id or '?'} (OpenAI Responses plugin) has no model: set `model` "
            "in the provider settings (e.g. gpt-5) and try again."
        )

    history: list[object] = list(call.contexts)
    new_turn = _new_user_turn(call)
    if new_turn is not None:
        history.append(new_turn)
    history.extend(_tool_call_messages(call.tool_calls_result))
    messages = _context_dicts(history)

    instructions, rest = _split_instructions(call.system_prompt, messages)
    items = _pair_and_prune(await _entries(rest, reasoning_source))
    tools, offered = _tools(call.func_tool)
    tools.extend(copy.deepcopy(list(cfg.builtin_tools)))

    body: dict[str, Any] = {"model": model}
    if instructions:
        body["instructions"] = neutralise_control_tokens(instructions)
    body["input"] = items
    if tools:
        choice = call.tool_choice if tool_choice_override is None else tool_choice_override
        if not (isinstance(choice, str | dict) and choice):
            choice = "auto"
        body["tools"] = tools
        body["tool_choice"] = copy.deepcopy(choice)
    body["stream"] = stream
    body["store"] = False
    if profile is None:
        if cfg.reasoning_effort:
            body["reasoning"] = {"effort": cfg.reasoning_effort}
            body["include"] = ["reasoning.encrypted_content"]
    else:
        if cfg.reasoning_effort and profile.reasoning_effort:
            body["reasoning"] = {"effort": cfg.reasoning_effort}
        if profile.encrypted_reasoning and "include" not in disabled:
            body["include"] = ["reasoning.encrypted_content"]
        cache_key = prompt_cache_key(call.conversation_id or call.session_id)
        if cache_key and profile.prompt_cache_key and "prompt_cache_key" not in disabled:
            body["prompt_cache_key"] = cache_key
    dropped = merge_extra_body(body, copy.deepcopy(cfg.custom_extra_body))
    return RequestPlan(body=body, offered_tools=offered, dropped_extra_keys=tuple(dropped))


def prompt_cache_key(conversation: str | None) -> str | None:
    """A stable, ASCII, ≤ 64-character cache key for one conversation (None without one).

    The conversation id is hashed, so no user or chat identifier reaches the upstream.
    """
    if not conversation:
        return None
    return "astrbot-" + hashlib.sha256(conversation.encode()).hexdigest()[:40]


__all__ = [
    "EMPTY_PARAMETERS",
    "MAX_CALL_ID_CHARS",
    "REASONING_SIGNATURE_TYPE",
    "REASONING_SIGNATURE_VERSION",
    "ChatCall",
    "RequestPlan",
    "build_request",
    "clamp_call_id",
    "decode_reasoning_signature",
    "encode_reasoning_signature",
    "neutralise_control_tokens",
    "prompt_cache_key",
]
