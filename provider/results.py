"""Turn → AstrBot ``LLMResponse`` (the only module that builds them).

Streaming contract (how AstrBot's ``astrbot/core/agent/runners/tool_loop_agent_runner.py``
consumes ``text_chat_stream``): zero or more ``LLMResponse(is_chunk=True)``
deltas, then exactly ONE final non-chunk response with the full text, tool calls, reasoning
and usage. Mirrors ``astrbot/core/provider/entities.py`` ``LLMResponse`` / ``TokenUsage``.
Spec: specs/001-redesign-responses-provider/spec.md §"Results".
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import astrbot.core.message.components as Comp
from astrbot.core.message.message_event_result import MessageChain
from astrbot.core.provider.entities import LLMResponse, TokenUsage

from .host_compat import EmptyModelOutputError, llm_response, warn_missing
from .types import Turn, Usage


def _slow_text_chunk(delta: str) -> LLMResponse:
    return llm_response("assistant", completion_text=delta, is_chunk=True)


def _slow_reasoning_chunk(delta: str) -> LLMResponse:
    return llm_response("assistant", reasoning_content=delta, is_chunk=True)


# Chunks are built once per streamed delta, so they skip ``LLMResponse.__init__`` (keyword
# parsing, a property setter): a new instance gets a copy of the attributes a real
# ``__init__`` call set, with fresh mutable containers. The copy is derived from AstrBot's own
# constructor at import time and checked; if AstrBot's class ever stops matching, the plain
# constructor is used instead.
_new = object.__new__
_TEXT_KEY = "_completion_text"


def _template(**kwargs: Any) -> tuple[dict[str, object], tuple[tuple[str, type], ...]]:
    fields = vars(LLMResponse("assistant", is_chunk=True, **kwargs))
    mutable = tuple((k, type(v)) for k, v in fields.items() if isinstance(v, list | dict | set))
    return {k: v for k, v in fields.items() if not isinstance(v, list | dict | set)}, mutable


try:
    _TEXT_SHARED, _FRESH = _template(completion_text="")
    _REASONING_SHARED, _ = _template(reasoning_content="")
except (TypeError, AttributeError):  # a host whose LLMResponse no longer fits the copy
    _TEXT_SHARED = _REASONING_SHARED = {}
    _FRESH = ()


def _fast_text_chunk(delta: str) -> LLMResponse:
    response = _new(LLMResponse)
    fields = response.__dict__
    fields.update(_TEXT_SHARED)
    fields[_TEXT_KEY] = delta
    for name, factory in _FRESH:
        fields[name] = factory()
    return response


def _fast_reasoning_chunk(delta: str) -> LLMResponse:
    response = _new(LLMResponse)
    fields = response.__dict__
    fields.update(_REASONING_SHARED)
    fields["reasoning_content"] = delta
    for name, factory in _FRESH:
        fields[name] = factory()
    return response


def _same(fast: LLMResponse, slow: LLMResponse) -> bool:
    return vars(fast) == vars(slow) and fast.completion_text == slow.completion_text


def _fast_path_fits() -> bool:
    try:
        return _same(_fast_text_chunk("probe"), _slow_text_chunk("probe")) and _same(
            _fast_reasoning_chunk("probe"), _slow_reasoning_chunk("probe")
        )
    except (TypeError, AttributeError):
        return False


if _fast_path_fits():
    text_chunk = _fast_text_chunk
else:
    warn_missing("the LLMResponse layout the fast chunk constructor copies", "LLMResponse()")
    text_chunk = _slow_text_chunk
text_chunk.__doc__ = "A streaming text delta (``LLMResponse(is_chunk=True)``)."
reasoning_chunk = _fast_reasoning_chunk if text_chunk is _fast_text_chunk else _slow_reasoning_chunk
reasoning_chunk.__doc__ = (
    'A streaming reasoning delta (shown by AstrBot as "thinking", never as the answer).'
)


def _image_component(data: str) -> Comp.Image | None:
    """An ``Image`` component from base64 ``data`` (None when it does not look like base64)."""
    try:
        base64.b64decode(data[:64] + "=" * (-len(data[:64]) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None
    image: Comp.Image = Comp.Image.fromBase64(data)  # the host's method is unannotated
    return image


def image_chunk(data: str) -> LLMResponse | None:
    """A streamed generated image: a chunk whose ``result_chain`` is one ``Image``
    (base64 ``data``); None when ``data`` is not base64.

    AstrBot's runner forwards a chunk's ``result_chain`` to the platform as it is
    (``tool_loop_agent_runner.py``, ``streaming_delta``), so the image reaches a streaming
    chat; its ``completion_text`` is empty, so streamed text still adds up to the final
    text.
    """
    image = _image_component(data)
    if image is None:
        return None
    return LLMResponse("assistant", result_chain=MessageChain(chain=[image]), is_chunk=True)


def token_usage(usage: Usage | None) -> TokenUsage | None:
    """Responses usage → AstrBot ``TokenUsage``.

    ``input_other = input − cached``, ``input_cached``, ``output`` (all in tokens).
    """
    if usage is None:
        return None
    cached = min(usage.cached_tokens, usage.input_tokens)
    return TokenUsage(
        input_other=usage.input_tokens - cached,
        input_cached=cached,
        output=usage.output_tokens,
    )


def sources(turn: Turn) -> str:
    """A short sources list from the turn's ``url_citation`` annotations ("" when none).

    Shape: ``Sources:`` then one line per distinct URL, ``[n] title — url``.
    """
    seen: dict[str, str] = {}
    for annotation in turn.annotations:
        url = annotation.get("url")
        if annotation.get("type") == "url_citation" and isinstance(url, str) and url:
            title = annotation.get("title")
            seen.setdefault(url, title if isinstance(title, str) and title else url)
    if not seen:
        return ""
    lines = [
        f"[{i}] {title} — {url}" if title != url else f"[{i}] {url}"
        for i, (url, title) in enumerate(seen.items(), start=1)
    ]
    return "Sources:\n" + "\n".join(lines)


def footer(turn: Turn, *, citations: bool) -> str:
    """What follows the answer text: the sources list (if ``citations``) and the notice."""
    parts = [sources(turn)] if citations else []
    if turn.notice:
        parts.append(f"({turn.notice})")
    return "\n\n".join(p for p in parts if p)


def visible_text(turn: Turn, *, citations: bool = True) -> str:
    """The answer as the user sees it: text, then :func:`footer`.

    The text is kept verbatim (trailing whitespace included) so that it equals the streamed
    chunks, which already showed that whitespace, followed by the footer chunk.
    """
    parts = [turn.text] if turn.text.strip() else []
    tail = footer(turn, citations=citations)
    if tail:
        parts.append(tail)
    return "\n\n".join(parts)


def final_response(
    turn: Turn, *, reasoning_signature: str | None = None, citations: bool = True
) -> LLMResponse:
    """The single final ``LLMResponse`` of a call.

    Role ``tool`` when the turn carries tool calls (``tools_call_args`` are dicts,
    ``tools_call_ids`` the ``call_id`` values), else ``assistant``. Generated images become
    ``Image`` components of ``result_chain``. Raises ``EmptyModelOutputError`` when the turn
    has no text, no tool call, no image and no reasoning (AstrBot then retries up to 3 times).
    """
    text = visible_text(turn, citations=citations)
    if not text and not turn.tool_calls and not turn.images and not turn.reasoning:
        reason = f" (status {turn.status}" + (
            f", reason {turn.incomplete_reason})" if turn.incomplete_reason else ")"
        )
        raise EmptyModelOutputError(f"The model returned no text and no tool call{reason}.")
    chain = None
    if turn.images:
        components: list[Comp.BaseMessageComponent] = [Comp.Plain(text)] if text else []
        components.extend(i for i in map(_image_component, turn.images) if i is not None)
        chain = MessageChain(chain=components)
    response = llm_response(
        "tool" if turn.tool_calls else "assistant",
        completion_text=text if chain is None else None,
        result_chain=chain,
        tools_call_args=[c.arguments for c in turn.tool_calls],
        tools_call_name=[c.name for c in turn.tool_calls],
        tools_call_ids=[c.call_id for c in turn.tool_calls],
        reasoning_content=turn.reasoning or None,
        reasoning_signature=reasoning_signature,
        id=turn.response_id,
        usage=token_usage(turn.usage),
    )
    return response
