"""The value lists of the settings are written once (the ``Literal`` types of
``provider/config.py``); the WebUI drop-downs, the error messages, the profile table and the
README's field table must list exactly those values, defaults first."""

from __future__ import annotations

import json
import re
from typing import Literal, get_args, get_origin

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider import registration
from data.plugins.astrbot_plugin_openai_responses.provider.config import (
    CompatProfile,
    SourceConfig,
    one_of,
)
from data.plugins.astrbot_plugin_openai_responses.provider.plugin_settings import (
    PluginSettings,
)
from data.plugins.astrbot_plugin_openai_responses.provider.profiles import PROFILES
from data.plugins.astrbot_plugin_openai_responses.provider.request import PROTECTED_BODY_KEYS
from tests.conftest import REPO

#: field → its values, from the types
CHOICES = {
    name: get_args(field.annotation)
    for name, field in SourceConfig.model_fields.items()
    if get_origin(field.annotation) is Literal
}
README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_row(field: str) -> list[str]:
    """The cells of the README "Fields" table row of ``field``."""
    row = re.search(rf"^\| `{field}` \|(.*)$", README, re.MULTILINE)
    assert row is not None, f"README has no table row for `{field}`"
    return [cell.strip() for cell in row.group(1).split("|")]


def test_the_settings_with_fixed_values() -> None:
    assert set(CHOICES) == {
        "reasoning_effort",
        "tool_fallback_mode",
        "tool_fallback_force_tool_choice",
        "compat_profile",
        "citations",
    }


@pytest.mark.parametrize("field", sorted(CHOICES))
def test_default_comes_first(field: str) -> None:
    assert CHOICES[field][0] == SourceConfig.model_fields[field].default


@pytest.mark.parametrize("field", sorted(CHOICES))
def test_webui_drop_down_lists_the_values(field: str) -> None:
    assert registration._FIELD_ITEMS[field] == {"type": "string", "options": list(CHOICES[field])}


@pytest.mark.parametrize("field", sorted(CHOICES))
def test_readme_table_lists_the_values(field: str) -> None:
    accepted = readme_row(field)[2]
    listed = re.findall(r"`([^`]*)`", accepted)
    assert listed == ['""' if v == "" else v for v in CHOICES[field]]


def test_error_hint_lists_the_values() -> None:
    assert one_of(CompatProfile) == (
        "auto, openai, azure, openrouter, vllm, ollama, lmstudio, litellm or relay"
    )
    assert one_of(Literal["", "low"]) == '"" (not sent) or low'


def test_every_compat_profile_has_a_profile_row() -> None:
    assert set(get_args(CompatProfile)) == {"auto", *PROFILES}


def test_readme_lists_the_protected_body_keys() -> None:
    explained = readme_row("custom_extra_body")[3]
    protected = re.search(r"\*\*Cannot override\*\* (.*?) \(ignored", explained)
    assert protected is not None
    assert set(re.findall(r"`([^`]*)`", protected.group(1))) == PROTECTED_BODY_KEYS


def test_plugin_settings_schema_matches_the_plugin_settings() -> None:
    schema = json.loads((REPO / "_conf_schema.json").read_text(encoding="utf-8"))
    assert set(schema) == {"extra_redact_patterns", "log_request_ids"}
    assert schema["log_request_ids"]["default"] is PluginSettings().log_request_ids
    assert schema["extra_redact_patterns"] == {**schema["extra_redact_patterns"], "default": []}
