"""Idempotent registration of the provider type, its WebUI template and its field texts.

AstrBot facts this relies on (``astrbot/core/provider/register.py``,
``astrbot/core/config/default.py``, ``dashboard/services/config_service.py``):

* ``register_provider_adapter`` raises when the type name is taken, and a plugin reload
  re-imports ``main.py`` → we pop our entries first, so importing twice is safe.
* The WebUI shows one "add provider source" card per ``config_template`` entry whose
  ``provider_type`` is ``chat_completion``, labelled with the dict key. Registering WITH
  ``default_config_tmpl`` would add a second card labelled with the raw type name, so we
  register without it and inject the template under the display name only.
* Field widgets come from ``…["provider"]["items"][field]``; we add ``type``/``options``
  entries only for our own fields. Core fields (``key``, ``api_base``, ``timeout``,
  ``proxy``, ``custom_headers``, ``custom_extra_body``) keep the host's translated labels
  (``proxy`` gets ours where the host has no item for it, before 4.16).
* Field labels and hints (:mod:`.form_text`, zh-CN and en-US): a host whose
  ``register_provider_adapter`` takes ``config_metadata`` and ``i18n_resources`` (detected
  by signature) gets them through the registration, with the template, and shows them in
  the admin's language. Other hosts (AstrBot 4.12 – 4.29) show an item's text as it is
  (4.12 – 4.15) or turn it into an i18n key only their own bundle translates, so
  :mod:`.webui_labels` puts the texts into our items and adapts the schema the dashboard
  receives, for our fields only, with both languages in one label;
  :func:`remove_form_text` (plugin unload) takes that adaptation away again.
* Hosts without the registration internals (:data:`.host_compat.REGISTRY`) get the plain
  public registration with the template (one warning, logged by :mod:`.host_compat`).

Lifecycle decision: the type is never unregistered (not even when the plugin is disabled),
because live provider instances call ``meta()``, which fails for an unregistered type.
Spec: specs/001-redesign-responses-provider/spec.md §"Registration and lifecycle".
"""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from astrbot.core.provider.entities import ProviderType

from . import form_text, webui_labels
from .config import SourceConfig
from .host_compat import REGISTRY, Registry

PROVIDER_TYPE = "openai_responses_plugin"
DISPLAY_NAME = "OpenAI (Responses, Plugin)"
DESCRIPTION = "OpenAI Responses API (/v1/responses) chat provider, from the plugin"


def _options(field: str) -> list[str]:
    """The values of a ``Literal`` field of :class:`SourceConfig`, default first."""
    info = SourceConfig.model_fields[field]
    values = [str(v) for v in get_args(info.annotation)]
    values.remove(str(info.default))
    return [str(info.default), *values]


# Widget metadata for fields the host does not know (type drives the widget and the
# save-time validation). Every ``Literal`` field is a drop-down of its values, default first,
# derived from its type. ``reasoning_effort`` has no host item (it would be a bare text box);
# ``""`` means "not sent". ``builtin_tools`` stays a free list: ``file_search:<ids>`` needs
# typed entries and the host's list-with-options widget (VAutocomplete) accepts only preset
# values.
_WIDGETS: dict[str, dict[str, Any]] = {
    "proxy": {"type": "string"},  # only where the host has no item (before 4.16)
    "tool_fallback_enabled": {"type": "bool"},
    "tool_fallback_retry_attempts": {"type": "int", "slider": {"min": 0, "max": 3, "step": 1}},
    "tool_fallback_stream_buffer": {"type": "bool"},
    "log_usage": {"type": "bool"},
    "max_output_chars": {"type": "int"},
    "stream_buffer_max_chars": {"type": "int"},
    "stream_buffer_max_responses": {"type": "int"},
    "builtin_tools": {"type": "list"},
}
#: field → widget, in the order of :class:`SourceConfig`
_FIELD_ITEMS: dict[str, dict[str, Any]] = {
    name: (
        {"type": "string", "options": _options(name)}
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


def field_items() -> dict[str, dict[str, Any]]:
    """Widget items of our fields and of :data:`.form_text.HOST_FIELDS` (copies; no text)."""
    return {name: dict(item) for name, item in _FIELD_ITEMS.items()}


def _is_ours(name: str, item: Any) -> bool:
    """Whether the host's item for ``name`` is the one we gave it (possibly with our text),
    so that it is ours to label; a host item of the same name keeps its own text."""
    return (
        isinstance(item, dict)
        and webui_labels.without_text(item) == _FIELD_ITEMS[name]
        and item.get("description") in (None, form_text.bilingual(name).label)
    )


def _replace_registration(registry: Registry) -> None:
    """Drop an earlier registration of our type (plugin reload), where the host lets us."""
    if registry.cls_map is not None and registry.entries is not None:
        registry.cls_map.pop(PROVIDER_TYPE, None)
        registry.entries[:] = [m for m in registry.entries if m.type != PROVIDER_TYPE]


def _decorate(registry: Registry, cls: type, **kwargs: Any) -> None:
    try:
        registry.register(
            PROVIDER_TYPE,
            DESCRIPTION,
            provider_type=ProviderType.CHAT_COMPLETION,
            provider_display_name=DISPLAY_NAME,
            **kwargs,
        )(cls)
    except ValueError:  # already registered and the host gave us no way to replace it
        if registry.cls_map is not None:
            raise


#: Our fields whose items this host got from us (a host item of the same name keeps its text).
_labelled: list[str] = []


def register_provider(cls: type, registry: Registry = REGISTRY) -> type:
    """Register ``cls`` as ``openai_responses_plugin`` (replacing an earlier registration).

    Also installs the WebUI template under :data:`DISPLAY_NAME`, the widget metadata of our
    own fields and their labels and hints (see the module docstring for the three paths a
    host may take). Safe to call any number of times.
    """
    _replace_registration(registry)
    if registry.accepts("config_metadata", "i18n_resources"):
        host_items = (registry.provider_metadata or {}).get("items") or {}
        items = {
            n: i
            for n, i in field_items().items()
            if n not in host_items or _is_ours(n, host_items[n])
        }
        for name, item in items.items():
            text = form_text.bilingual(name)
            item.update(description=text.label, hint=text.hint)
        _decorate(
            registry,
            cls,
            default_config_tmpl=config_template(),
            config_metadata=items,
            i18n_resources=form_text.i18n_resources(DISPLAY_NAME, items),
        )
        return cls
    meta = registry.provider_metadata
    if meta is None:
        _decorate(registry, cls, default_config_tmpl=config_template())
        return cls
    _decorate(registry, cls)
    meta["config_template"][DISPLAY_NAME] = config_template()
    items = meta["items"]
    for name, item in _FIELD_ITEMS.items():
        items.setdefault(name, dict(item))
    _labelled[:] = [name for name in _FIELD_ITEMS if _is_ours(name, items[name])]
    install_form_text()
    return cls


def install_form_text(registry: Registry = REGISTRY) -> None:
    """Show our fields' labels and hints in the dashboard (idempotent; nothing to do on hosts
    that took them through the registration)."""
    if _labelled and registry.provider_metadata is not None:
        webui_labels.install(registry.provider_metadata["items"], _labelled)


def remove_form_text(registry: Registry = REGISTRY) -> None:
    """Plugin unload: take the field texts out of the dashboard again (the type stays)."""
    if registry.provider_metadata is not None:
        webui_labels.remove(registry.provider_metadata["items"], _labelled)
