"""What AstrBot passes to ``Provider.text_chat`` / ``text_chat_stream``, frozen.

Source: ``astrbot/core/provider/provider.py`` (``Provider.text_chat`` signature).
Spec: specs/001-redesign-responses-provider/spec.md §"Conversation → request".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from astrbot.core.agent.message import Message
    from astrbot.core.agent.tool import ToolSet
    from astrbot.core.provider.entities import ToolCallsResult


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


__all__ = ["ChatCall"]
