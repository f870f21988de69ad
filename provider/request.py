"""AstrBot call → Responses API request body (``POST /responses``).

:func:`build_request` turns a :class:`~.call.ChatCall` into a :class:`RequestPlan` whose
``body`` is the JSON request (specs/004-responses-wire-format/spec.md §"Request body"):
the input converter (:mod:`.input_items`), tool preparation (:mod:`.tool_schema`), then
the request options (reasoning, ``include``, ``prompt_cache_key`` by profile) and
``custom_extra_body``.

Spec: specs/001-redesign-responses-provider/spec.md §"Conversation → request".
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from .call import ChatCall
from .config import SourceConfig
from .errors import ConfigError
from .input_items import conversation_input, neutralise_control_tokens
from .profiles import Profile
from .tool_schema import function_tools

#: Request-body keys that ``custom_extra_body`` may not override: the adapter owns them
#: (the conversation, streaming, tools, stateless replay). They are dropped with a warning.
PROTECTED_BODY_KEYS: frozenset[str] = frozenset(
    {
        "model",
        "input",
        "instructions",
        "stream",
        "tools",
        "tool_choice",
        "store",
        "previous_response_id",
        "conversation",
        "background",
        "prompt",
    }
)


@dataclass(frozen=True, slots=True, repr=False)
class RequestPlan:
    """The built request.

    ``body``: the JSON body for ``POST /responses``. ``offered_tools``: function tool name →
    its parameters JSON Schema (``None`` when the tool declared none), for pseudo-call
    detection. ``dropped_extra_keys``: ``custom_extra_body`` keys ignored because the
    adapter owns them (:data:`PROTECTED_BODY_KEYS`), for one warning.
    """

    body: dict[str, Any]
    offered_tools: dict[str, dict[str, Any] | None]
    dropped_extra_keys: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # No conversation text: AstrBot logs tracebacks with the values of local variables.
        items = len(self.body.get("input") or ())
        return f"RequestPlan(items={items}, tools={len(self.offered_tools)})"


async def build_request(
    call: ChatCall,
    cfg: SourceConfig,
    *,
    stream: bool,
    tool_choice_override: str | dict[str, Any] | None = None,
    profile: Profile,
    reasoning_source: str = "",
    disabled: frozenset[str] = frozenset(),
) -> RequestPlan:
    """Build the Responses request body for one AstrBot call.

    Input: :func:`.input_items.conversation_input` (message order and mapping there).

    System prompt: ``system_prompt`` and the *leading* run of ``system`` messages in
    ``contexts`` become ``instructions`` (joined by blank lines). ``instructions`` is the
    documented place for the system prompt; with ``store: false`` it is re-sent every
    turn anyway, and harmony/Codex-style backends expect the system text there rather than
    as input messages (spec 004 §"Request body"). ``system`` messages later in the
    history keep their position as ``developer`` messages.

    Reasoning replay: an assistant ``think`` part whose ``encrypted`` holds a signature
    from :func:`.reasoning_replay.encode_reasoning_signature` is replayed as ``reasoning``
    items only when its ``source`` equals ``reasoning_source`` (an empty
    ``reasoning_source`` replays nothing), the profile supports encrypted reasoning, the
    instance has not learned that the upstream rejects ``include`` (``disabled``) and every
    item has ``encrypted_content`` (spec 004 §"Input items").

    Tools: function tools from ``func_tool`` plus ``cfg.builtin_tools`` (hosted tools);
    both omitted with ``tool_choice`` when there are none; ``tool_choice_override`` (the
    pseudo-call retry) replaces ``call.tool_choice``.

    Profile (resolved once by the adapter; specs/003-beyond-basics/spec.md
    §"Compatibility profiles"):
    ``reasoning.effort`` is sent only if the profile accepts it,
    ``include: ["reasoning.encrypted_content"]`` under the same conditions as the replay,
    and ``prompt_cache_key`` (see :func:`prompt_cache_key`) when supported and not in
    ``disabled``. ``cfg.custom_extra_body`` is merged last (protected keys dropped and
    reported in ``dropped_extra_keys``).

    Raises :class:`~.errors.ConfigError` when neither the call nor the config names a model.
    """
    model = call.model or cfg.model
    if not model:
        raise ConfigError(
            f"Provider {cfg.id or '?'} (OpenAI Responses plugin) has no model: set `model` "
            "in the provider settings (e.g. gpt-5) and try again."
        )

    replay = profile.encrypted_reasoning and "include" not in disabled
    instructions, items = await conversation_input(call, reasoning_source if replay else "")
    tools, offered = function_tools(call.func_tool)
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
    if cfg.reasoning_effort and profile.reasoning_effort:
        body["reasoning"] = {"effort": cfg.reasoning_effort}
    if replay:
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


#: Chat Completions body keys admins carry over from other providers → Responses keys
CHAT_COMPLETIONS_BODY_KEYS: dict[str, str] = {
    "max_tokens": "max_output_tokens",
    "max_completion_tokens": "max_output_tokens",
}


def merge_extra_body(body: dict[str, Any], extra: dict[str, Any]) -> list[str]:
    """Merge ``custom_extra_body`` into ``body`` in place; return the dropped protected keys.

    ``reasoning`` and ``text`` objects are merged key by key; ``include`` lists are united.
    Chat Completions spellings are translated: ``max_tokens`` / ``max_completion_tokens``
    → ``max_output_tokens``, ``reasoning_effort`` → ``reasoning.effort``.
    """
    dropped: list[str] = []
    for name, value in extra.items():
        name = CHAT_COMPLETIONS_BODY_KEYS.get(name, name)
        if name == "reasoning_effort":
            name, value = "reasoning", {"effort": value}
        if name in PROTECTED_BODY_KEYS:
            dropped.append(name)
        elif name in ("reasoning", "text") and isinstance(value, dict):
            body[name] = {**body.get(name, {}), **value}
        elif name == "include" and isinstance(value, list):
            body["include"] = list(dict.fromkeys([*body.get("include", []), *value]))
        else:
            body[name] = value
    return dropped


__all__ = [
    "CHAT_COMPLETIONS_BODY_KEYS",
    "PROTECTED_BODY_KEYS",
    "RequestPlan",
    "build_request",
    "merge_extra_body",
    "prompt_cache_key",
]
