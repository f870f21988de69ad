"""Config errors: every wrong value type or range gets an error that names the field.

One table of wrong values (every field, the wrong types and ranges); also checks that a
provider with a wrong config still loads ("misconfigured") and that every chat and
model-list call raises the :class:`ConfigError` (a ``ValueError``, shown by the dashboard)
without registering or showing the rejected secret.
"""

from __future__ import annotations

import traceback
from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider import redaction
from data.plugins.astrbot_plugin_openai_responses.provider.adapter import ResponsesProvider
from data.plugins.astrbot_plugin_openai_responses.provider.config import parse_config
from data.plugins.astrbot_plugin_openai_responses.provider.errors import ConfigError

SECRET = "sk-test-CONFIGSECRET-more-0123456789"
#: A key of no known shape: masked only if it had been registered (it must not be).
ODD_SECRET = "odd~CONFIGSECRET~key"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("timeout", "abc", "number of seconds"),
        ("timeout", -1, "number of seconds"),
        ("key", SECRET, "list of API keys"),
        ("key", 42, "list of API keys"),
        ("tool_fallback_mode", "guess", "parse_then_retry, retry_only or parse_only"),
        ("tool_fallback_retry_attempts", 9, "0 to 3"),
        ("tool_fallback_enabled", "maybe", "true or false"),
        ("reasoning_effort", "turbo", "minimal"),
        ("api_base", "ftp://x", "http(s) URL"),
        ("proxy", "gopher://u:p@h", "socks5"),
        ("custom_headers", ["x"], "object of header names"),
        ("custom_extra_body", "nope", "object merged"),
        ("max_output_chars", "lots", "whole number"),
        ("stream_buffer_max_responses", 0, "at least 1"),
        ("tool_fallback_force_tool_choice", "none", "required or auto"),
        ("timeout", 99999, "number of seconds"),
        ("timeout", 0, "number of seconds"),
        ("timeout", None, "number of seconds"),
        ("timeout", "", "number of seconds"),
        ("timeout", [30], "number of seconds"),
        ("key", [1, 2], "list of API keys"),
        ("key", [None], "list of API keys"),
        ("key", {"a": SECRET}, "list of API keys"),
        ("api_base", 5, "http(s) URL"),
        ("api_base", "http://", "http(s) URL"),
        ("api_base", "api.openai.com/v1", "http(s) URL"),
        ("proxy", 5, "socks5"),
        ("proxy", "http://", "socks5"),
        ("proxy", f"ftp://u:{SECRET}@h", "socks5"),
        ("custom_headers", {"X-Team": 1}, "object of header names"),
        ("custom_headers", {"X-Team": None}, "object of header names"),
        ("custom_headers", "X-Team: bots", "object of header names"),
        ("custom_extra_body", [1], "object merged"),
        ("reasoning_effort", 3, "minimal"),
        ("tool_fallback_enabled", 2, "true or false"),
        ("tool_fallback_enabled", [True], "true or false"),
        ("tool_fallback_mode", 1, "parse_then_retry"),
        ("tool_fallback_retry_attempts", "two", "0 to 3"),
        ("tool_fallback_retry_attempts", -1, "0 to 3"),
        ("tool_fallback_retry_attempts", 1.5, "0 to 3"),
        ("tool_fallback_force_tool_choice", 0, "required or auto"),
        ("tool_fallback_stream_buffer", "x", "true or false"),
        ("log_usage", "maybe", "true or false"),
        ("log_usage", [1], "true or false"),
        ("max_output_chars", 10, "at least 1000"),
        ("max_output_chars", 1.5, "whole number"),
        ("stream_buffer_max_chars", "lots", "at least 100"),
        ("stream_buffer_max_chars", 50, "at least 100"),
        ("stream_buffer_max_responses", "many", "at least 1"),
        ("model", ["gpt-4.1"], "model name"),
        ("model", 5, "model name"),
        ("compat_profile", "nope", "openrouter"),
        ("citations", "maybe", "footnotes or off"),
        ("builtin_tools", 42, "web_search"),
        ("builtin_tools", ["bogus"], "web_search"),
        ("builtin_tools", [{"x": 1}], "web_search"),
    ],
)
def test_wrong_value_names_field_and_accepted_values(field: str, value: Any, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"id": "src", field: value})
    message = str(err.value)
    assert f"`{field}`" in message
    assert words in message
    assert SECRET not in message
    assert "CONFIGSECRET" not in message
    assert "Fix it in the provider source settings" in message


@pytest.mark.parametrize(
    "field", ["timeout", "tool_fallback_retry_attempts", "stream_buffer_max_responses"]
)
def test_a_boolean_is_not_a_number(field: str) -> None:
    with pytest.raises(ConfigError, match=f"`{field}`"):
        parse_config({field: True})


def test_null_proxy_means_no_proxy() -> None:
    assert parse_config({"proxy": None}).proxy_url == ""


def test_null_key_and_headers_mean_none() -> None:
    cfg = parse_config({"key": None, "custom_headers": None, "custom_extra_body": ""})
    assert (cfg.keys, cfg.custom_headers, cfg.custom_extra_body) == ([], {}, {})


@pytest.mark.parametrize(
    "bad",
    [
        {"key": ODD_SECRET},  # one string, not a list: the classic mistake
        {"key": [ODD_SECRET], "timeout": "soon"},
        {"key": [ODD_SECRET], "proxy": f"gopher://user:{SECRET}@h:1"},
    ],
)
async def test_provider_with_a_wrong_config_loads_and_every_call_says_why(
    bad: dict[str, Any],
) -> None:
    config = {"id": "src/m", "type": "openai_responses_plugin", "model": "m", **bad}
    provider = ResponsesProvider(config, {})  # loads "misconfigured": AstrBot keeps it listed
    try:
        for call in (provider.text_chat(prompt="hi"), provider.get_models()):
            with pytest.raises(ConfigError) as err:
                await call
            assert isinstance(err.value, ValueError)  # the dashboard shows ValueError texts
            rendered = "".join(traceback.format_exception(err.value))
            assert "CONFIGSECRET" not in rendered
            assert "src/m" in str(err.value)
            assert "invalid configuration" in str(err.value)
        with pytest.raises(ConfigError):
            async for _ in provider.text_chat_stream(prompt="hi"):
                pass
    finally:
        await provider.terminate()
    assert redaction.redact(ODD_SECRET) == ODD_SECRET  # the rejected values are never used
