"""Provider-source configuration, parsed once into a typed model.

This module only parses: what the request body does with the settings lives in
:mod:`.request` (``custom_extra_body`` merge) and :mod:`.tool_schema` (hosted tools).

AstrBot hands the provider a plain dict: the provider source merged with the provider
(model) entry (``{**source, **model}``, astrbot/core/provider/manager.py
``get_merged_provider_config``). :func:`parse_config` turns it into a frozen
:class:`SourceConfig`; nothing else in the adapter reads the raw dict.

The WebUI saves fields it has no type for as strings, so booleans and numbers are accepted
in their string forms ("true", "30"). Deprecated aliases are migrated with one warning.

Spec: specs/001-redesign-responses-provider/spec.md §"Configuration";
migration table: specs/001-redesign-responses-provider/quickstart.md.
"""

from __future__ import annotations

from typing import Any, Literal, get_args
from urllib.parse import unquote, urlsplit

import httpx
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from .errors import ConfigError
from .redaction import LOG as logger
from .tool_schema import hosted_tool

DEFAULT_API_BASE = "https://api.openai.com/v1"
QUICKSTART = "specs/001-redesign-responses-provider/quickstart.md"

#: deprecated key -> current key
DEPRECATED_ALIASES: dict[str, str] = {
    "base_url": "api_base",
    "api_url": "api_base",
    "headers": "custom_headers",
    "extra_body": "custom_extra_body",
}

# The settings with a fixed set of values: error messages, WebUI drop-downs
# (registration.py) and the README table are derived from these types (tests check it).
CompatProfile = Literal[
    "auto", "openai", "azure", "openrouter", "vllm", "ollama", "lmstudio", "litellm", "relay"
]
Citations = Literal["footnotes", "off"]
FallbackMode = Literal["parse_then_retry", "retry_only", "parse_only"]
ReasoningEffort = Literal["", "none", "minimal", "low", "medium", "high", "xhigh"]
ForcedToolChoice = Literal["required", "auto"]


def one_of(literal: Any) -> str:
    """The values of a ``Literal`` type in words, for error messages: ``a, b or c``
    (``""`` reads ``"" (not sent)``)."""
    words = ['"" (not sent)' if v == "" else str(v) for v in get_args(literal)]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


# What each field accepts, in words, for error messages (field -> hint).
_ACCEPTS: dict[str, str] = {
    "key": 'a list of API keys, e.g. ["sk-..."] (empty list for local servers)',
    "api_base": "an http(s) URL such as https://api.openai.com/v1",
    "timeout": "a number of seconds greater than 0, e.g. 120",
    "proxy": (
        "empty, or an http://, https://, socks5:// or socks5h:// URL with a host, such as "
        "http://127.0.0.1:7890; write @ or / inside a password as %40 or %2F"
    ),
    "custom_headers": 'an object of header names to string values, e.g. {"X-Team": "bots"}',
    "reasoning_effort": one_of(ReasoningEffort),
    "custom_extra_body": "an object merged into the request body",
    "tool_fallback_enabled": "true or false",
    "tool_fallback_mode": one_of(FallbackMode),
    "tool_fallback_retry_attempts": "a whole number from 0 to 3",
    "tool_fallback_force_tool_choice": one_of(ForcedToolChoice),
    "tool_fallback_stream_buffer": "true or false",
    "log_usage": "true or false",
    "max_output_chars": "a whole number of characters, at least 1000",
    "stream_buffer_max_chars": "a whole number of characters, at least 100",
    "stream_buffer_max_responses": "a whole number of chunks, at least 1",
    "model": "a model name string",
    "compat_profile": one_of(CompatProfile),
    "builtin_tools": (
        'a list such as ["web_search", "code_interpreter", "image_generation", '
        '"file_search:vs_123,vs_456"] or Responses tool objects'
    ),
    "citations": one_of(Citations),
}


class SourceConfig(BaseModel):
    """Typed view of one provider source (+ its provider entry).

    Units: ``timeout`` seconds (total per upstream attempt; also the read timeout between
    stream events); ``max_output_chars`` / ``stream_buffer_max_chars`` characters;
    ``stream_buffer_max_responses`` stream deltas. Secrets (``key``, ``proxy``) are
    ``SecretStr`` so that ``repr()`` and tracebacks never show them.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    id: str = ""
    model: str = ""
    key: list[SecretStr] = Field(default_factory=list)
    api_base: str = DEFAULT_API_BASE
    timeout: float = Field(default=120.0, gt=0, le=3600)
    proxy: SecretStr = SecretStr("")
    custom_headers: dict[str, str] = Field(default_factory=dict, repr=False)
    reasoning_effort: ReasoningEffort = ""
    custom_extra_body: dict[str, Any] = Field(default_factory=dict, repr=False)
    tool_fallback_enabled: bool = True
    tool_fallback_mode: FallbackMode = "parse_then_retry"
    tool_fallback_retry_attempts: int = Field(default=1, ge=0, le=3)
    tool_fallback_force_tool_choice: ForcedToolChoice = "required"
    tool_fallback_stream_buffer: bool = True
    log_usage: bool = False
    max_output_chars: int = Field(default=200_000, ge=1000)
    stream_buffer_max_chars: int = Field(default=20_000, ge=100)
    stream_buffer_max_responses: int = Field(default=512, ge=1)
    compat_profile: CompatProfile = "auto"
    builtin_tools: tuple[dict[str, Any], ...] = ()
    citations: Citations = "footnotes"

    @field_validator("builtin_tools", mode="before")
    @classmethod
    def _hosted_tools(cls, value: Any) -> Any:
        if value in (None, "", []):
            return ()
        if isinstance(value, str):
            value = [v for v in value.split(";") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list")
        return tuple(hosted_tool(entry) for entry in value)

    @field_validator("compat_profile", "citations", mode="before")
    @classmethod
    def _lower(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return cls.model_fields[info.field_name or ""].default
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("key", mode="before")
    @classmethod
    def _key_is_list(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            raise ValueError("must be a list of keys, not a single string")
        if isinstance(value, list):
            return [k for k in value if not (isinstance(k, str) and not k.strip())]
        return value

    @field_validator("api_base")
    @classmethod
    def _api_base_is_url(cls, value: str) -> str:
        base, sep, query = value.partition("?")
        base = base.rstrip("/") or DEFAULT_API_BASE
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("is not an http(s) URL")
        base = base.removesuffix("/responses")
        return base + (f"?{query}" if sep and query else "")

    @field_validator(
        "timeout",
        "tool_fallback_retry_attempts",
        "max_output_chars",
        "stream_buffer_max_chars",
        "stream_buffer_max_responses",
        mode="before",
    )
    @classmethod
    def _number_not_bool(cls, value: Any) -> Any:
        # pydantic's lax mode reads true as 1: a switch saved into a number field is a mistake
        if isinstance(value, bool):
            raise ValueError("must be a number, not true/false")
        return value

    @field_validator("proxy", mode="before")
    @classmethod
    def _null_proxy(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("proxy")
    @classmethod
    def _proxy_is_url(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value().strip()
        if not raw:
            return SecretStr("")
        try:  # httpx's own parser: what the transport's client will accept
            accepted = bool(httpx.Proxy(raw).url.host)
        except (httpx.InvalidURL, ValueError, TypeError):
            accepted = False
        if not accepted:
            raise ValueError("is not a proxy URL the HTTP client accepts")
        return SecretStr(raw)

    @field_validator("custom_headers", "custom_extra_body", mode="before")
    @classmethod
    def _empty_is_dict(cls, value: Any) -> Any:
        return {} if value in (None, "") else value

    @field_validator("reasoning_effort", mode="before")
    @classmethod
    def _effort_lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else ("" if value is None else value)

    @property
    def keys(self) -> list[str]:
        """The configured API keys as plain strings (empty list: no Authorization header)."""
        return [k.get_secret_value() for k in self.key]

    @property
    def proxy_url(self) -> str:
        """The proxy URL with its credentials ("" when unset). Never log it."""
        return self.proxy.get_secret_value()

    def secrets(self) -> list[str]:
        """Every configured value that must never appear in a log line or message.

        Keys, the proxy password (not its user name: a short common word such as "user"
        would mask that word everywhere) and values of secret-looking custom headers.
        """
        out = [k for k in self.keys if k]
        password = urlsplit(self.proxy_url).password if self.proxy_url else None
        if password:
            out += dict.fromkeys((password, unquote(password)))  # as written and as sent
        out += [v for n, v in self.custom_headers.items() if _is_secret_header(n) and v]
        return out


_SECRET_HEADER_WORDS = ("auth", "key", "token", "cookie", "secret", "signature")


def _is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_HEADER_WORDS)


def _migrate_aliases(raw: dict[str, Any], source_id: str) -> dict[str, Any]:
    data = dict(raw)
    migrated: list[str] = []
    for old, new in DEPRECATED_ALIASES.items():
        if old not in data:
            continue
        value = data.pop(old)
        if (
            new not in data
            or data[new] in (None, "", {}, [])
            or (new == "api_base" and data[new] == DEFAULT_API_BASE)
        ):
            data[new] = value
        migrated.append(f"{old} -> {new}")
    if migrated:
        logger.warning(
            "Provider %s uses deprecated config keys (%s); they were migrated for this run. "
            "Rename them in the provider source; see %s.",
            source_id or "?",
            ", ".join(migrated),
            QUICKSTART,
        )
    return data


def _describe(error: ErrorDetails) -> str:
    field = str(error["loc"][0]) if error.get("loc") else "?"
    accepts = _ACCEPTS.get(field, "see the README table")
    msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"`{field}`: {msg} (accepted: {accepts})"


def parse_config(raw: dict[str, Any]) -> SourceConfig:
    """Parse AstrBot's merged provider config dict into a :class:`SourceConfig`.

    Raises :class:`~.errors.ConfigError` whose message names every wrong field and what it
    accepts. The message never contains the rejected value (it could be a key).
    """
    source_id = str(raw.get("id", ""))
    data = _migrate_aliases(raw, source_id)
    try:
        return SourceConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors(include_input=False))
    raise ConfigError(
        f"Provider {source_id or '?'} (OpenAI Responses plugin) has an invalid configuration: "
        f"{problems}. Fix it in the provider source settings."
    )
