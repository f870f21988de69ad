"""SourceConfig parsing: defaults, coercion of WebUI strings, several errors at once, aliases."""

from __future__ import annotations

import logging

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.config import (
    QUICKSTART,
    parse_config,
)
from data.plugins.astrbot_plugin_openai_responses.provider.errors import ConfigError

SECRET = "sk-test-CONFIGSECRET-0123456789"


def test_defaults_match_the_documented_table() -> None:
    cfg = parse_config({})
    assert cfg.keys == []
    assert cfg.api_base == "https://api.openai.com/v1"
    assert cfg.timeout == 120
    assert cfg.proxy_url == ""
    assert cfg.custom_headers == {}
    assert cfg.reasoning_effort == ""
    assert cfg.custom_extra_body == {}
    assert cfg.tool_fallback_enabled is True
    assert cfg.tool_fallback_mode == "parse_then_retry"
    assert cfg.tool_fallback_retry_attempts == 1
    assert cfg.tool_fallback_force_tool_choice == "required"
    assert cfg.tool_fallback_stream_buffer is True
    assert cfg.log_usage is False
    assert cfg.max_output_chars == 200_000
    assert cfg.stream_buffer_max_chars == 20_000
    assert cfg.stream_buffer_max_responses == 512


def test_webui_strings_are_coerced() -> None:
    cfg = parse_config(
        {
            "timeout": "30",
            "tool_fallback_enabled": "false",
            "log_usage": "true",
            "tool_fallback_retry_attempts": "2",
            "max_output_chars": "5000",
            "reasoning_effort": " High ",
        }
    )
    assert cfg.timeout == 30.0
    assert cfg.tool_fallback_enabled is False
    assert cfg.log_usage is True
    assert cfg.tool_fallback_retry_attempts == 2
    assert cfg.max_output_chars == 5000
    assert cfg.reasoning_effort == "high"


def test_several_wrong_fields_are_all_named() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"timeout": "abc", "tool_fallback_mode": "x"})
    assert "`timeout`" in str(err.value)
    assert "`tool_fallback_mode`" in str(err.value)


def test_deprecated_aliases_migrate_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    cfg = parse_config(
        {
            "id": "old",
            "base_url": "http://127.0.0.1:9/v1",
            "headers": {"X-A": "1"},
            "extra_body": {"temperature": 0.2},
        }
    )
    assert cfg.api_base == "http://127.0.0.1:9/v1"
    assert cfg.custom_headers == {"X-A": "1"}
    assert cfg.custom_extra_body == {"temperature": 0.2}
    warnings = [r for r in caplog.records if "deprecated" in r.getMessage()]
    assert len(warnings) == 1
    assert QUICKSTART in warnings[0].getMessage()


def test_new_key_wins_over_alias() -> None:
    cfg = parse_config({"api_url": "http://a/v1", "api_base": "http://b/v1"})
    assert cfg.api_base == "http://b/v1"


def test_api_base_suffix_and_slash_are_normalised() -> None:
    assert parse_config({"api_base": "http://h:1/v1/responses/"}).api_base == "http://h:1/v1"


def test_secrets_never_in_repr() -> None:
    cfg = parse_config(
        {
            "key": [SECRET],
            "proxy": "http://user:pw-SECRET@127.0.0.1:3128",
            "custom_headers": {"api-key": "hdr-SECRET-value"},
        }
    )
    text = repr(cfg) + str(cfg)
    assert SECRET not in text
    assert "pw-SECRET" not in text
    assert "hdr-SECRET" not in text
    assert set(cfg.secrets()) >= {SECRET, "pw-SECRET", "hdr-SECRET-value"}


def test_empty_keys_are_dropped_for_local_servers() -> None:
    assert parse_config({"key": ["", "  "]}).keys == []


def test_proxy_user_name_is_not_a_secret_but_the_password_is() -> None:
    cfg = parse_config({"proxy": "http://user:hunter2-pass@127.0.0.1:8080"})
    assert cfg.secrets() == ["hunter2-pass"]
