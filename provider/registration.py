"""Idempotent registration of the provider type and its WebUI template.

AstrBot facts this relies on (``astrbot/core/provider/register.py``,
``astrbot/core/config/default.py``, ``dashboard/services/config_service.py``):

* ``register_provider_adapter`` raises when the type name is taken, and a plugin reload
  re-imports ``main.py`` → we pop our entries first, so importing twice is safe.
* The WebUI shows one "add provider source" card per ``config_template`` entry whose
  ``provider_type`` is ``chat_completion``, labelled with the dict key. Registering WITH
  ``default_config_tmpl`` would add a second card labelled with the raw type name, so we
  register without it and inject the template under the display name only.
* Field widgets come from ``…["provider"]["items"][field]``; we add ``type``/``options``
  entries only for our own fields (no ``description``: the host would show it as a raw
  i18n key). Core fields (``key``, ``api_base``, ``timeout``, ``proxy``, ``custom_headers``,
  ``custom_extra_body``) keep the host's translated labels; ``reasoning_effort`` has no
  host item in 4.29, so it gets ours (a drop-down, labelled with its key).

Lifecycle decision: the type is never unregistered (not even when the plugin is disabled),
because live provider instances call ``meta()``, which fails for an unregistered type.
Spec: specs/001-redesign-responses-provider/spec.md §"Registration and lifecycle".
"""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from astrbot.core.config.default import CONFIG_METADATA_2
from astrbot.core.provider.entities import ProviderType
from astrbot.core.provider.register import (
    provider_cls_map,
    provider_registry,
    register_provider_adapter,
)

from .config import SourceConfig

PROVIDER_TYPE = "openai_responses_plugin"
DISPLAY_NAME = "OpenAI (Responses, Plugin)"
DESCRIPTION = "OpenAI Responses API (/v1/responses) chat provider, from the plugin"

# Widget metadata for fields the host does not know (type drives the widget and the
# save-time validation; options give a drop-down).
#
# What the host lets us show (AstrBot 4.29, verified in the browser by tools/webui_check.py):
# the label is the raw field key, there is no hint, and an option list shows its raw values.
# ``description``/``hint``/``labels``/``subtitles`` are turned into
# ``provider_group.provider.<field>.<attr>`` i18n keys by ``convert_to_i18n_keys`` and the
# bundle has no text for our fields, so they would render as that key. So: no text here;
# defaults come first in every option list, and the README "Fields" table explains each one.
# ``reasoning_effort`` has no host item in 4.29 (it would be a bare text box); ``""`` means
# "not sent". ``builtin_tools`` stays a free list: ``file_search:<ids>`` needs typed entries
# and the host's list-with-options widget (VAutocomplete) accepts only preset values.
_WIDGETS: dict[str, dict[str, Any]] = {
    "tool_fallback_enabled": {"type": "bool"},
    "tool_fallback_retry_attempts": {"type": "int", "slider": {"min": 0, "max": 3, "step": 1}},
    "tool_fallback_stream_buffer": {"type": "bool"},
    "log_usage": {"type": "bool"},
    "max_output_chars": {"type": "int"},
    "stream_buffer_max_chars": {"type": "int"},
    "stream_buffer_max_responses": {"type": "int"},
    "builtin_tools": {"type": "list"},
}
#: field → widget, in the order of :class:`SourceConfig`; every ``Literal`` field is a
#: drop-down of its values (default first), derived from its type
_FIELD_ITEMS: dict[str, dict[str, Any]] = {
    name: (
        {"type": "string", "options": list(get_args(field.annotation))}
        if get_origin(field.annotation) is Literal
        else _WIDGETS[name]
    )
    for name, field in SourceConfig.model_fields.items()
    if name in _WIDGETS or get_origin(field.annotation) is Literal
}


def config_template() -> dict[str, Any]:
    """The WebUI template: identity fields, then every :class:`SourceConfig` field's default."""
    defaults = SourceConfig()
    template: dict[str, Any] = {
        "id": "openai_responses_plugin",
        "type": PROVIDER_TYPE,
        "provider_type": "chat_completion",
        "provider": "openai",
        "enable": True,
        "key": [],
        "api_base": defaults.api_base,
        "timeout": int(defaults.timeout),
        "proxy": "",
        "custom_headers": {},
    }
    for name in SourceConfig.model_fields:
        if name in template or name in ("id", "model"):
            continue
        value = getattr(defaults, name)
        template[name] = list(value) if isinstance(value, tuple) else value
    return template


def _provider_metadata() -> dict[str, Any]:
    return CONFIG_METADATA_2["provider_group"]["metadata"]["provider"]


def register_provider(cls: type) -> type:
    """Register ``cls`` as ``openai_responses_plugin`` (replacing an earlier registration).

    Also installs the WebUI template under :data:`DISPLAY_NAME` and the widget metadata of
    our own fields. Safe to call any number of times.
    """
    provider_cls_map.pop(PROVIDER_TYPE, None)
    provider_registry[:] = [m for m in provider_registry if m.type != PROVIDER_TYPE]
    register_provider_adapter(
        PROVIDER_TYPE,
        DESCRIPTION,
        provider_type=ProviderType.CHAT_COMPLETION,
        provider_display_name=DISPLAY_NAME,
    )(cls)
    meta = _provider_metadata()
    meta.setdefault("config_template", {})[DISPLAY_NAME] = config_template()
    items = meta.setdefault("items", {})
    for name, item in _FIELD_ITEMS.items():
        items.setdefault(name, dict(item))
    return cls
