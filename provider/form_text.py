"""Labels and one-line hints of this plugin's own provider-source fields, in zh-CN and en-US.

AstrBot's WebUI labels a provider field with its item's ``description`` and shows ``hint``
under it; the host's own fields (``id``, ``key``, ``api_base``, ``timeout``, ``proxy``,
``custom_headers``, ``custom_extra_body``) are translated by the host. The texts below cover
every other field of :func:`.registration.config_template` (a test keeps the two in step),
and the host fields some hosts have no item for (:data:`HOST_FIELDS`).
How they reach the form depends on the host: see :mod:`.registration`.
Spec: specs/001-redesign-responses-provider/spec.md §"Registration and lifecycle".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, NamedTuple

#: The WebUI languages the texts are written in (AstrBot's locale codes).
LOCALES: Final = ("zh-CN", "en-US")
#: Joins the two languages where the host cannot tell which one the admin reads.
SEPARATOR: Final = " · "


class FieldText(NamedTuple):
    """One field's label and hint in one language (plain text, no markup)."""

    label: str
    hint: str


def _both(zh_label: str, zh_hint: str, en_label: str, en_hint: str) -> dict[str, FieldText]:
    """One field's texts: label and hint in zh-CN, then in en-US."""
    return {"zh-CN": FieldText(zh_label, zh_hint), "en-US": FieldText(en_label, en_hint)}


_TEXTS: dict[str, dict[str, FieldText]] = {
    # a host field that hosts before 4.16 describe nowhere (used only where the host has no item)
    "proxy": _both(
        "代理地址",
        "仅本提供商源使用的代理，须带协议头，如 http://127.0.0.1:7890 或 socks5://host:1080。",
        "Proxy",
        "Proxy for this source only, with its scheme, e.g. http://127.0.0.1:7890 or "
        "socks5://host:1080.",
    ),
    "reasoning_effort": _both(
        "推理强度",
        "作为 reasoning.effort 发送；留空则不发送，由模型决定。",
        "Reasoning effort",
        "Sent as reasoning.effort; blank = not sent (the model decides).",
    ),
    "tool_fallback_enabled": _both(
        "伪工具调用处理",
        "模型把工具调用写成文字时解析或重新请求；关闭则文字原样通过。",
        "Pseudo tool-call handling",
        "Parse or re-ask when the model writes a tool call as text; off = text passes as is.",
    ),
    "tool_fallback_mode": _both(
        "伪工具调用处理方式",
        "parse_then_retry 先本地解析、失败再重新请求；retry_only 只重新请求；parse_only 只解析。",
        "Pseudo tool-call mode",
        "parse_then_retry: parse locally, else re-ask; retry_only: only re-ask; "
        "parse_only: only parse.",
    ),
    "tool_fallback_retry_attempts": _both(
        "重新请求次数",
        "无法解析时以强制 tool_choice 重新请求的最多次数（0–3）。",
        "Re-ask attempts",
        "Most re-asks with a forced tool_choice when parsing fails (0–3).",
    ),
    "tool_fallback_force_tool_choice": _both(
        "重新请求的 tool_choice",
        "required 强制调用工具；auto 由模型决定。",
        "tool_choice of a re-ask",
        "required forces a tool call; auto lets the model decide.",
    ),
    "tool_fallback_stream_buffer": _both(
        "流式暂扣可疑文字",
        "流式且提供了工具时，暂扣可能是伪工具调用开头的文字，聊天用户看不到泄漏。",
        "Hold back suspect text",
        "While streaming with tools, hold back text that may start a pseudo tool call.",
    ),
    "log_usage": _both(
        "记录用量日志",
        "每次调用写一行日志，只有数字（token、耗时、重试次数）。",
        "Log usage",
        "One log line per call, numbers only (tokens, latency, retries).",
    ),
    "max_output_chars": _both(
        "最大输出字符数",
        "单条回答（文字、推理、工具参数）的字符上限，至少 1000；超出即截断并说明。",
        "Max output chars",
        "Cap on one reply (text, reasoning, tool arguments), at least 1000; "
        "longer replies are cut with a notice.",
    ),
    "stream_buffer_max_chars": _both(
        "暂扣字符上限",
        "作为疑似伪工具调用暂扣的最多字符数，至少 100。",
        "Held-back chars limit",
        "Most characters held back as a suspected pseudo tool call, at least 100.",
    ),
    "stream_buffer_max_responses": _both(
        "暂扣增量上限",
        "作为疑似伪工具调用暂扣的最多流式增量个数，至少 1。",
        "Held-back chunks limit",
        "Most stream deltas held back as a suspected pseudo tool call, at least 1.",
    ),
    "compat_profile": _both(
        "兼容配置",
        "上游类型；auto 按 API Base URL 自动识别（OpenAI、Azure、vLLM、Ollama 等）。",
        "Compatibility profile",
        "Upstream family; auto detects it from the API Base URL (OpenAI, Azure, vLLM, Ollama, …).",
    ),
    "builtin_tools": _both(
        "托管工具",
        "每行一项：web_search、code_interpreter、image_generation、file_search:vs_1,vs_2。",
        "Hosted tools",
        "One per line: web_search, code_interpreter, image_generation, file_search:vs_1,vs_2.",
    ),
    "citations": _both(
        "引用来源",
        "footnotes 在回答下方列出联网搜索的来源；off 不列出。",
        "Citations",
        "footnotes lists web-search sources under the answer; off does not.",
    ),
}

#: Host fields with text here, for hosts that have no item for them.
HOST_FIELDS: Final = ("proxy",)
#: This plugin's own fields (in form order); every one has text here.
FIELDS: Final = tuple(f for f in _TEXTS if f not in HOST_FIELDS)


def text(field: str, locale: str) -> FieldText:
    """``field``'s label and hint in ``locale`` (one of :data:`LOCALES`); KeyError otherwise."""
    return _TEXTS[field][locale]


def bilingual(field: str) -> FieldText:
    """Label ``"中文 · English"`` and the two hints on two lines, for hosts that cannot tell
    which language the admin reads."""
    zh, en = (text(field, locale) for locale in LOCALES)
    return FieldText(f"{zh.label}{SEPARATOR}{en.label}", f"{zh.hint}\n{en.hint}")


def i18n_resources(display_name: str, fields: Iterable[str]) -> dict[str, dict[str, object]]:
    """The texts of ``fields`` in the shape AstrBot's adapter registrations take as
    ``i18n_resources``.

    ``{locale: {"name": display_name, field: {"description": label, "hint": hint}}}`` — the
    shape of ``register_platform_adapter(i18n_resources=…)`` (AstrBot 4.29), which hosts
    with provider translations resolve as ``provider_group.provider.<type>.<field>.<attr>``.
    """
    resources: dict[str, dict[str, object]] = {}
    for locale in LOCALES:
        texts: dict[str, object] = {"name": display_name}
        for field in fields:
            t = text(field, locale)
            texts[field] = {"description": t.label, "hint": t.hint}
        resources[locale] = texts
    return resources
