"""Registration on the real AstrBot package: the card, the widgets and the field texts.

The form texts reach the WebUI in one of two ways (``provider/registration.py``): through
the registration on hosts whose ``register_provider_adapter`` takes ``i18n_resources``, else
by :mod:`provider.webui_labels` adapting the schema the dashboard builds with
``ConfigMetadataI18n.convert_to_i18n_keys`` — only for our fields, reversibly.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from astrbot.core.config.default import CONFIG_METADATA_2
from astrbot.core.config.i18n_utils import ConfigMetadataI18n
from astrbot.core.provider.register import provider_cls_map, provider_registry

from data.plugins.astrbot_plugin_openai_responses.provider import (
    form_text,
    registration,
    webui_labels,
)
from data.plugins.astrbot_plugin_openai_responses.provider.adapter import ResponsesProvider
from data.plugins.astrbot_plugin_openai_responses.provider.host_compat import REGISTRY, Registry

HOST_FIELDS = {"id", "key", "api_base", "timeout", "proxy", "custom_headers", "custom_extra_body"}
PROVIDER = CONFIG_METADATA_2["provider_group"]["metadata"]["provider"]


def provider_schema() -> dict[str, Any]:
    """What the dashboard builds for ``GET /api/v1/providers/schema``."""
    converted = ConfigMetadataI18n.convert_to_i18n_keys(
        {"provider_group": {"metadata": {"provider": PROVIDER}}}
    )
    return converted["provider_group"]["metadata"]["provider"]


@pytest.fixture(autouse=True)
def _registered() -> Iterator[None]:
    """Our registration as ``main.py`` leaves it, restored after each test."""
    registration.register_provider(ResponsesProvider)
    yield
    registration.register_provider(ResponsesProvider)


def test_every_plugin_field_of_the_template_has_text_in_both_languages() -> None:
    template = registration.config_template()
    ours = [k for k in template if k not in HOST_FIELDS | {"type", "provider_type", "enable"}]
    ours.remove("provider")
    assert ours == list(form_text.FIELDS)
    assert len(ours) == 13
    for field in ours:
        for locale in form_text.LOCALES:
            text = form_text.text(field, locale)
            assert text.label
            assert text.hint
            assert text.label != field
            assert "\n" not in text.hint  # one line per language
    zh, en = (
        form_text.text("max_output_chars", "zh-CN"),
        form_text.text("max_output_chars", "en-US"),
    )
    assert form_text.bilingual("max_output_chars") == (
        f"{zh.label} · {en.label}",
        f"{zh.hint}\n{en.hint}",
    )


def test_schema_shows_bilingual_text_for_our_fields_only() -> None:
    items = provider_schema()["items"]
    for field in form_text.FIELDS:
        assert items[field]["description"] == form_text.bilingual(field).label
        assert items[field]["hint"] == form_text.bilingual(field).hint
    # the host's own fields keep the host's i18n keys (its bundle translates them)
    assert items["timeout"]["description"] == "provider_group.provider.timeout.description"
    # hosts that send the items unconverted (4.12 – 4.15) show the text of the items
    assert PROVIDER["items"]["max_output_chars"] == {
        "type": "int",
        "description": form_text.bilingual("max_output_chars").label,
        "hint": form_text.bilingual("max_output_chars").hint,
    }
    # a host field the host describes itself is not ours to label
    assert "proxy" not in registration._labelled
    assert items["proxy"]["description"] == "provider_group.provider.proxy.description"
    assert PROVIDER["config_template"][registration.DISPLAY_NAME] == (
        registration.config_template()
    )


def test_remove_restores_the_hosts_function_and_reinstall_wraps_once() -> None:
    host = webui_labels._unwrapped(ConfigMetadataI18n.__dict__["convert_to_i18n_keys"].__func__)
    registration.remove_form_text()
    assert ConfigMetadataI18n.__dict__["convert_to_i18n_keys"].__func__ is host
    assert provider_schema()["items"]["max_output_chars"] == {"type": "int"}
    assert PROVIDER["items"]["max_output_chars"] == {"type": "int"}
    for _ in range(3):  # plugin reloads
        registration.register_provider(ResponsesProvider)
    wrapper = ConfigMetadataI18n.__dict__["convert_to_i18n_keys"].__func__
    assert wrapper is not host
    assert wrapper.__wrapped__ is host
    assert registration.DISPLAY_NAME in PROVIDER["config_template"]
    assert len([m for m in provider_registry if m.type == registration.PROVIDER_TYPE]) == 1


def test_other_groups_and_unexpected_shapes_are_left_alone() -> None:
    platform = {"platform_group": {"metadata": {"platform": {"items": {"x": {"hint": "h"}}}}}}
    assert ConfigMetadataI18n.convert_to_i18n_keys(copy.deepcopy(platform)) == (
        webui_labels._unwrapped(ConfigMetadataI18n.convert_to_i18n_keys)(platform)
    )
    odd: dict[str, Any] = {"provider_group": {"metadata": {"provider": {"items": []}}}}
    webui_labels.label_items(odd, {"log_usage": form_text.bilingual("log_usage")})
    assert odd == {"provider_group": {"metadata": {"provider": {"items": []}}}}
    taken = {"provider_group": {"metadata": {"provider": {"items": {"log_usage": {}}}}}}
    taken["provider_group"]["metadata"]["provider"]["items"]["log_usage"]["description"] = "X"
    webui_labels.label_items(taken, {"log_usage": form_text.bilingual("log_usage")})
    assert taken["provider_group"]["metadata"]["provider"]["items"]["log_usage"] == {
        "description": "X"
    }


def test_a_host_field_of_the_same_name_keeps_its_own_text() -> None:
    PROVIDER["items"]["citations"] = {"description": "host text", "type": "string"}
    try:
        registration.register_provider(ResponsesProvider)
        item = provider_schema()["items"]["citations"]
        assert item["description"] == "provider_group.provider.citations.description"
        assert "citations" not in registration._labelled
    finally:
        PROVIDER["items"]["citations"] = registration.field_items()["citations"]


def _stand_in_register(
    calls: list[dict[str, Any]], keywords: tuple[str, ...], *, refuse_reload: bool = False
) -> Callable[..., Any]:
    """A ``register_provider_adapter`` whose signature offers ``keywords`` (what the
    registration detects) and that records each call's keyword arguments."""

    def register_provider_adapter(
        provider_type_name: str, desc: str, **kwargs: Any
    ) -> Callable[[type], type]:
        calls.append(kwargs)
        if refuse_reload and len(calls) > 1:  # the host refuses a second registration
            raise ValueError("already registered")
        return lambda cls: cls

    params = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for name in ("provider_type_name", "desc")
    ] + [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None)
        for name in ("provider_type", "default_config_tmpl", "provider_display_name", *keywords)
    ]
    vars(register_provider_adapter)["__signature__"] = inspect.Signature(params)
    return register_provider_adapter


def test_a_host_that_takes_translations_gets_them_through_the_registration() -> None:
    calls: list[dict[str, Any]] = []
    translations = ("config_metadata", "i18n_resources")
    registry = Registry(_stand_in_register(calls, translations), {}, [], PROVIDER)
    assert registry.accepts("config_metadata", "i18n_resources")
    before = copy.deepcopy(PROVIDER)
    registration.register_provider(ResponsesProvider, registry)
    (call,) = calls
    assert call["default_config_tmpl"] == registration.config_template()
    assert call["i18n_resources"]["zh-CN"]["max_output_chars"] == {
        "description": "最大输出字符数",
        "hint": form_text.text("max_output_chars", "zh-CN").hint,
    }
    assert call["i18n_resources"]["en-US"]["name"] == registration.DISPLAY_NAME
    assert set(call["config_metadata"]) == set(form_text.FIELDS)
    assert call["config_metadata"]["log_usage"]["type"] == "bool"
    assert before == PROVIDER  # no second card, no items injected


def test_a_host_without_registration_internals_gets_the_public_path() -> None:
    calls: list[dict[str, Any]] = []
    register = _stand_in_register(calls, (), refuse_reload=True)
    registry = Registry(register, None, None, None)
    assert not registry.accepts("i18n_resources")
    registration.register_provider(ResponsesProvider, registry)
    registration.register_provider(ResponsesProvider, registry)  # kept, no crash
    assert [c["default_config_tmpl"] for c in calls] == [registration.config_template()] * 2


def test_the_real_host_is_detected() -> None:
    assert REGISTRY.cls_map is provider_cls_map
    assert REGISTRY.entries is provider_registry
    assert REGISTRY.provider_metadata is PROVIDER
    assert not REGISTRY.accepts("i18n_resources")  # AstrBot 4.29: the adaptation path
