"""Compatibility profiles: each upstream family's known deviations, as data.

A :class:`Profile` says what a family of servers accepts and sends; the request builder and
the transport read its flags instead of branching on host names. :func:`detect_profile`
picks one from ``api_base``; the ``compat_profile`` field overrides it.

Sources for each row: specs/004-responses-wire-format/spec.md §"Third-party deviations"
(with links to each server's documentation) and our own loopback tests
(tests/integration/test_replay_profiles_hosted_tools.py,
tests/integration/test_thirdparty_server.py). Spec: specs/003-beyond-basics/spec.md
§"Compatibility profiles".
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Profile:
    """Known behaviour of one upstream family.

    Request side (what we send): ``auth`` is ``bearer`` (``Authorization: Bearer``) or
    ``api-key`` (Azure's header); ``encrypted_reasoning`` — may we ask for
    ``include: ["reasoning.encrypted_content"]`` and replay reasoning items;
    ``prompt_cache_key`` — is the parameter accepted; ``reasoning_effort`` — is
    ``reasoning.effort`` accepted; ``tool_choice`` — is ``tool_choice`` honoured (a forced
    re-ask is pointless otherwise). Response side (documentation, all tolerated anyway):
    ``event_lines`` (sends ``event:`` lines), ``done_marker`` (sends ``data: [DONE]``),
    ``completed_output`` (``response.completed`` carries the output). ``notes``: one line.
    """

    name: str
    label: str
    auth: str = "bearer"
    encrypted_reasoning: bool = True
    prompt_cache_key: bool = True
    reasoning_effort: bool = True
    tool_choice: bool = True
    event_lines: bool = True
    done_marker: bool = False
    completed_output: bool = True
    notes: str = ""


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("openai", "OpenAI", notes="reference behaviour"),
        Profile(
            "azure",
            "Azure OpenAI",
            auth="api-key",
            notes="api-key header; deployment URL with ?api-version=… kept; rate-limit "
            "headers may be -1/0 and Retry-After missing",
        ),
        Profile(
            "openrouter",
            "OpenRouter",
            encrypted_reasoning=False,
            notes="Responses API beta; reasoning items are not portable between its models",
        ),
        Profile(
            "vllm",
            "vLLM",
            encrypted_reasoning=False,
            prompt_cache_key=False,
            notes="gpt-oss reasoning arrives as reasoning_text; non-harmony models may leak "
            "tool calls as text (pseudo-call handling applies)",
        ),
        Profile(
            "ollama",
            "Ollama",
            encrypted_reasoning=False,
            prompt_cache_key=False,
            reasoning_effort=False,
            tool_choice=False,
            notes="stateless only; include and tool_choice ignored; unsupported "
            "reasoning.effort gives 400; each tool call arrives whole",
        ),
        Profile(
            "lmstudio",
            "LM Studio",
            encrypted_reasoning=False,
            prompt_cache_key=False,
            notes="local server, no key needed",
        ),
        Profile(
            "litellm",
            "LiteLLM proxy",
            encrypted_reasoning=False,
            prompt_cache_key=False,
            reasoning_effort=False,
            event_lines=False,
            done_marker=True,
            notes="data-only SSE ending in [DONE]; reasoning_effort 400 unless the model "
            "allows it; usage details null",
        ),
        Profile(
            "relay",
            "Generic relay",
            encrypted_reasoning=False,
            prompt_cache_key=False,
            event_lines=False,
            done_marker=True,
            completed_output=False,
            notes="unknown OpenAI-compatible relay: conservative request, tolerant parsing",
        ),
    )
}

#: host suffix → profile name
_HOSTS: tuple[tuple[str, str], ...] = (
    ("api.openai.com", "openai"),
    (".openai.azure.com", "azure"),
    (".cognitiveservices.azure.com", "azure"),
    (".services.ai.azure.com", "azure"),
    ("openrouter.ai", "openrouter"),
)
#: default local port → profile name (the servers' documented defaults)
_PORTS: dict[int, str] = {11434: "ollama", 1234: "lmstudio", 8000: "vllm", 4000: "litellm"}


def detect_profile(api_base: str, override: str = "auto") -> Profile:
    """The profile for ``api_base`` (``override`` = a profile name, or ``auto``).

    Detection: known host names first, then the default ports of local servers
    (11434 Ollama, 1234 LM Studio, 8000 vLLM, 4000 LiteLLM), else ``relay``.
    """
    if override and override != "auto":
        return PROFILES[override]
    parts = urlsplit(api_base)
    host = (parts.hostname or "").lower()
    for suffix, name in _HOSTS:
        if host == suffix.lstrip(".") or host.endswith(suffix):
            return PROFILES[name]
    if parts.port in _PORTS:
        return PROFILES[_PORTS[parts.port]]
    return PROFILES["relay"]
