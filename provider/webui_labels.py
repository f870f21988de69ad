"""Show this plugin's field labels and hints in AstrBot's provider form (reversible).

The WebUI labels a provider field with its item's ``description`` and shows ``hint`` under
it (``CONFIG_METADATA_2["provider_group"]["metadata"]["provider"]["items"]``). Two host
behaviours meet here:

* AstrBot 4.12 – 4.15 send those items to the dashboard as they are, so the text put into
  our items is what the admin reads;
* later hosts (to 4.29) build the schema the dashboard receives (``GET
  /api/v1/providers/schema``; before 4.28 ``/api/config/provider/template``) through
  ``ConfigMetadataI18n.convert_to_i18n_keys`` (``astrbot/core/config/i18n_utils.py``), which
  replaces every ``description``/``hint`` with a key such as
  ``provider_group.provider.max_output_chars.description`` that only the host's own bundle
  translates; a plugin field would show that key.

:func:`install` therefore puts each given field's text (both languages: the schema request
does not say which one the admin reads) into its item, and wraps the host's static method:
it calls the host's function, then — only in a provider schema, only for the given fields,
and only where the item still carries the host's generated key — puts the text back.
Everything else is returned as the host built it. :func:`remove` (plugin unload) takes the
text out of the items and restores the host's function. If the host's structure is not the
one expected, nothing is changed and one debug line says why.
Spec: specs/001-redesign-responses-provider/spec.md §"Registration and lifecycle".
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from . import form_text
from .redaction import LOG

i18n_utils: ModuleType | None
try:
    from astrbot.core.config import i18n_utils
except ImportError:  # a host without it: the texts in the items are all there is
    i18n_utils = None

_METHOD = "convert_to_i18n_keys"
#: Marks the wrapper so that a later import (plugin reload) recognises and replaces it.
_OWNER = "astrbot_plugin_openai_responses"
_logged: set[str] = set()


def _debug_once(reason: str) -> None:
    if reason not in _logged:
        _logged.add(reason)
        LOG.debug("provider form labels not adapted: %s", reason)


def _host_method() -> tuple[type | None, staticmethod[..., Any] | None]:
    """``ConfigMetadataI18n`` and its ``convert_to_i18n_keys`` static method, if the host has
    them in the expected form."""
    cls = getattr(i18n_utils, "ConfigMetadataI18n", None)
    raw = cls.__dict__.get(_METHOD) if isinstance(cls, type) else None
    return (cls, raw) if isinstance(raw, staticmethod) else (None, None)


def _ours(func: Callable[..., Any]) -> bool:
    return getattr(func, "_owner", None) == _OWNER


def _unwrapped(func: Callable[..., Any]) -> Callable[..., Any]:
    """The host's function under any wrappers of this plugin (``functools.wraps`` chain)."""
    unwrapped: Callable[..., Any] = inspect.unwrap(func, stop=lambda f: not _ours(f))
    return unwrapped


def label_items(schema: Any, texts: dict[str, form_text.FieldText]) -> None:
    """Put ``texts`` into ``schema["provider_group"]["metadata"]["provider"]["items"]``.

    Only items that are dicts and whose ``description`` is missing or the host's generated
    key ``provider_group.provider.<field>.description`` are changed (replaced by a copy).
    A schema of another group is left alone silently; a provider schema of another shape is
    left alone with one debug line.
    """
    if not isinstance(schema, dict) or "provider_group" not in schema:
        return
    try:
        items = schema["provider_group"]["metadata"]["provider"]["items"]
    except (KeyError, TypeError):
        _debug_once("the provider schema has no metadata.provider.items")
        return
    if not isinstance(items, dict):
        _debug_once("metadata.provider.items is not a mapping")
        return
    for field, text in texts.items():
        item = items.get(field)
        if not isinstance(item, dict):
            continue
        description = item.get("description")
        if description not in (None, f"provider_group.provider.{field}.description"):
            _debug_once(f"{field!r} already has a description")
            continue
        items[field] = {**item, "description": text.label, "hint": text.hint}


TEXT_KEYS = ("description", "hint")


def install(items: dict[str, Any], fields: Iterable[str]) -> bool:
    """Give each of ``fields`` in ``items`` (the host's provider items) its bilingual text,
    and wrap the host's ``convert_to_i18n_keys`` so that it keeps that text.

    Replaces a wrapper left by an earlier import of this plugin. Returns False (and logs once
    at debug) when the host has no such static method: the texts in the items then are all
    there is.
    """
    texts = {field: form_text.bilingual(field) for field in fields}
    for field, text in texts.items():
        items[field] = {**items[field], "description": text.label, "hint": text.hint}
    cls, raw = _host_method()
    if cls is None or raw is None:
        _debug_once(f"ConfigMetadataI18n.{_METHOD} is not a static method of the host")
        return False
    original = _unwrapped(raw.__func__)

    @functools.wraps(original)
    def convert_with_plugin_labels(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        try:
            label_items(result, texts)
        except Exception as exc:  # never break the host's dashboard over a label
            _debug_once(f"{type(exc).__name__} while labelling")
        return result

    convert_with_plugin_labels.__dict__["_owner"] = _OWNER
    setattr(cls, _METHOD, staticmethod(convert_with_plugin_labels))
    return True


def remove(items: dict[str, Any], fields: Iterable[str]) -> None:
    """Take our text out of ``fields``' items and restore the host's ``convert_to_i18n_keys``
    (no-op for what is not ours)."""
    for field in fields:
        item = items.get(field)
        if isinstance(item, dict) and item.get("description") == form_text.bilingual(field).label:
            items[field] = without_text(item)
    cls, raw = _host_method()
    if cls is not None and raw is not None and _ours(raw.__func__):
        setattr(cls, _METHOD, staticmethod(_unwrapped(raw.__func__)))


def without_text(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` without ``description`` and ``hint``."""
    return {k: v for k, v in item.items() if k not in TEXT_KEYS}


def installed() -> bool:
    """Whether this plugin's wrapper is in place."""
    _, raw = _host_method()
    return raw is not None and _ours(raw.__func__)
