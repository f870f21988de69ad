"""The AstrBot ``Provider`` subclass: wires the stages, holds no per-request state.

Mirrors ``astrbot/core/provider/provider.py`` (``Provider``: ``text_chat``,
``text_chat_stream``, ``get_models``, ``get_current_key``/``set_key``, ``test``,
``terminate``). Every call builds its own request, accumulator and guard inside
:func:`~.exchange.exchange`; the instance keeps only the parsed config and the pooled
HTTP client, so one instance serves many chats at once.

Spec: specs/001-redesign-responses-provider/spec.md §"Data flow",
§"Registration and lifecycle".
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from astrbot.core.provider.entities import LLMResponse
from astrbot.core.provider.provider import Provider

from .call import ChatCall
from .config import SourceConfig, parse_config
from .errors import AbortedError, ConfigError, ModelListError, UpstreamError
from .exchange import exchange
from .profiles import detect_profile
from .reasoning_replay import encode_reasoning_signature
from .redaction import LOG, register_secrets, unregister_secrets
from .results import final_response, footer, image_chunk, reasoning_chunk, text_chunk
from .transport import Transport
from .types import REASONING, TEXT, Turn
from .usage_log import RequestStats


@dataclass(frozen=True, slots=True)
class CallOptions:
    """Per-call settings AstrBot passes besides the conversation.

    ``attempts``: ``request_max_retries`` (total HTTP attempts, first included) or None;
    ``abort``: the runner's ``abort_signal`` event, if any.
    """

    attempts: int | None = None
    abort: asyncio.Event | None = None

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> CallOptions:
        """Read ``request_max_retries`` and ``abort_signal`` (wrong types are ignored)."""
        abort = kwargs.get("abort_signal")
        attempts = kwargs.get("request_max_retries")
        return cls(
            attempts=attempts if isinstance(attempts, int) and attempts > 0 else None,
            abort=abort if isinstance(abort, asyncio.Event) else None,
        )


class ResponsesProvider(Provider):
    """Chat provider for ``POST {api_base}/responses`` (type ``openai_responses_plugin``).

    ``provider_config`` is AstrBot's merged source + model dict (may lack ``model`` when the
    WebUI lists models of a source); ``provider_settings`` the global provider settings.

    A wrong configuration does not stop the provider from loading: it loads "misconfigured"
    (``config_error`` holds the message, which names the field) and every chat, ``test()``
    and ``get_models`` raises :class:`~.errors.ConfigError` with that message, so the admin
    reads it in the WebUI and the chat instead of only in the log.
    """

    def __init__(self, provider_config: dict[str, Any], provider_settings: dict[str, Any]) -> None:
        super().__init__(provider_config, provider_settings)
        self.config_error = ""
        try:
            cfg = parse_config(provider_config)
        except ConfigError as exc:
            self.config_error = exc.message
            LOG.error("%s", self.config_error)
            cfg = parse_config({"id": provider_config.get("id", "")})
        self.cfg: SourceConfig = cfg
        self._secrets = register_secrets(cfg.secrets())
        self.set_model(cfg.model)
        #: the upstream family (spec 003 §"Compatibility profiles"): resolved once, used by
        #: the transport (auth header) and the request builder (optional fields)
        self.profile = detect_profile(cfg.api_base, cfg.compat_profile)
        self.transport = Transport(cfg, self.profile)
        self._current_key = cfg.keys[0] if cfg.keys else ""
        # Optional request fields this upstream rejected (learned capability, not request
        # state): see exchange._rejected_feature.
        self.disabled_features: set[str] = set()

    # -- keys and models -------------------------------------------------------------------
    def get_current_key(self) -> str:
        """The key new requests start with ("" when none is configured)."""
        return self._current_key

    def get_keys(self) -> list[str]:
        """All configured keys (``[""]`` when none)."""
        return self.cfg.keys or [""]

    def set_key(self, key: str) -> None:
        """Remember ``key`` as current (rotation itself happens per request in transport)."""
        self._current_key = key

    async def get_models(self) -> list[str]:
        """Model ids from ``GET {api_base}/models`` (used by the WebUI "fetch models").

        Raises :class:`~.errors.ModelListError` / :class:`~.errors.ConfigError` (both
        ``ValueError``: the dashboard shows their text).
        """
        self._check_config()
        try:
            return await self.transport.get_models()
        except UpstreamError as exc:
            raise ModelListError(f"Fetching the model list failed: {exc.message}") from None

    def _check_config(self) -> None:
        """Raise the configuration error this provider loaded with, if any."""
        if self.config_error:
            raise ConfigError(self.config_error)

    def reasoning_source(self, model: str) -> str:
        """Who issued a reasoning item: endpoint + model, hashed (reasoning is sealed to it)."""
        return hashlib.sha256(f"{self.cfg.api_base}\0{model}".encode()).hexdigest()[:16]

    # -- chat ------------------------------------------------------------------------------
    # The host's signatures name each keyword; these take them all through **kwargs
    # (ChatCall.from_kwargs reads them, unknown ones are ignored), so a host that adds or
    # retypes a keyword breaks nothing: hence the two override ignores.
    async def text_chat(  # type: ignore[override]
        self, prompt: str | None = None, **kwargs: Any
    ) -> LLMResponse:
        """One non-streamed answer.

        Arguments as ``Provider.text_chat`` (astrbot/core/provider/provider.py): ``prompt``,
        ``session_id``, ``image_urls``, ``audio_urls``, ``func_tool``, ``contexts``,
        ``system_prompt``, ``tool_calls_result``, ``model``, ``extra_user_content_parts``,
        ``tool_choice``, ``request_max_retries``, plus what the runner adds
        (``abort_signal``, ``conversation_id``); unknown keywords are ignored.
        Raises :class:`~.errors.UpstreamError` (redacted, actionable) when the upstream
        fails, ``EmptyModelOutputError`` when it answered with nothing.
        """
        call = ChatCall.from_kwargs(prompt=prompt, **kwargs)
        options = CallOptions.from_kwargs(kwargs)
        final: LLMResponse | None = None
        async for response in self._chat(call, options, stream=False):
            final = response
        assert final is not None
        return final

    def text_chat_stream(  # type: ignore[override]
        self, prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[LLMResponse, None]:
        """Chunks (``is_chunk=True``), then exactly one final ``LLMResponse``.

        Arguments as :meth:`text_chat` (``Provider.text_chat_stream``). A plain method that
        returns the async generator (callers ``async for`` over the result, as AstrBot's
        runner does): one generator layer less for every streamed delta.
        """
        call = ChatCall.from_kwargs(prompt=prompt, **kwargs)
        return self._chat(call, CallOptions.from_kwargs(kwargs), stream=True)

    async def _chat(
        self, call: ChatCall, options: CallOptions, *, stream: bool
    ) -> AsyncGenerator[LLMResponse, None]:
        # Frames on AstrBot's traceback path hold only objects whose repr shows no message
        # text and no secret (ChatCall, CallOptions, SourceConfig).
        self._check_config()
        abort = options.abort
        attempts = options.attempts
        model = call.model or self.cfg.model
        source = self.reasoning_source(model)
        stats = RequestStats()
        outcome = "error"
        try:
            async for item in exchange(
                self.transport,
                self.cfg,
                call,
                profile=self.profile,
                stream=stream,
                stats=stats,
                attempts=attempts,
                abort=abort,
                reasoning_source=source,
                disabled=self.disabled_features,
            ):
                if isinstance(item, Turn):
                    signature = (
                        encode_reasoning_signature(item.reasoning_items, source)
                        if item.reasoning_items
                        else None
                    )
                    citations = self.cfg.citations == "footnotes"
                    tail = footer(item, citations=citations)
                    if stream and tail and item.text.strip():
                        yield text_chunk(f"\n\n{tail}")
                    elif stream and tail:
                        yield text_chunk(tail)
                    outcome = "ok" if not item.notice else "partial"
                    yield final_response(item, reasoning_signature=signature, citations=citations)
                    return
                stats.mark_first_chunk()
                kind, delta = item
                if kind == TEXT:
                    yield text_chunk(delta)
                elif kind == REASONING:
                    yield reasoning_chunk(delta)
                elif (image := image_chunk(delta)) is not None:
                    yield image

        except AbortedError:
            outcome = "aborted"
            raise
        finally:
            if self.cfg.log_usage:
                stats.log_line(self.cfg.id, stream=stream, outcome=outcome)

    # -- lifecycle -------------------------------------------------------------------------
    async def terminate(self) -> None:
        """Close the HTTP client (called by AstrBot when the provider is removed/reloaded)."""
        await self.transport.aclose()
        unregister_secrets(self._secrets)
        self._secrets = ()
        LOG.debug("provider %s terminated", self.cfg.id)
