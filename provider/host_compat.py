"""What this plugin takes from the AstrBot host beyond its public classes, detected at import.

The plugin runs on every AstrBot in ``metadata.yaml``'s ``astrbot_version`` range. Where a
host lacks one of the internals below (an older host, or a newer one that changed it), the
plain public path is used instead and ONE warning names what is missing — never a crash.
Detection looks at the objects themselves (attributes, signatures), not at version numbers.
Spec: specs/001-redesign-responses-provider/spec.md §"Host compatibility".

* The plugin's logger (``astrbot.plugin.<dir>``) propagates to the host's ``astrbot``
  logger. Hosts before 4.22 format with fields (``plugin_tag``, ``short_levelname``) that
  filters on the ``astrbot`` logger itself add, and such filters do not run for a child's
  records: the formatting raises, and an import-time warning would fail the plugin's import.
  :func:`.redaction.fit_plugin_logger` probes the host's handlers with one record and, when
  they cannot format it, gives the plugin's logger the host logger's filters.

* :data:`EmptyModelOutputError` — ``astrbot.core.exceptions.EmptyModelOutputError`` (added in
  AstrBot 4.22). The host retries a provider call that raised it. Older hosts: a local class
  of the same name; an empty answer is then reported to the user without a retry.
* :func:`llm_response` — ``LLMResponse(**fields)``. A field the host's constructor does not
  take (``reasoning_*`` before 4.10.x) or takes without storing (``id``/``usage`` on 4.10.x)
  is set as an attribute after construction.
* :data:`REGISTRY` — ``provider_cls_map`` / ``provider_registry`` of
  ``astrbot.core.provider.register`` (so that a plugin reload can replace the registration)
  and the provider metadata of ``CONFIG_METADATA_2`` (``["provider_group"]["metadata"]
  ["provider"]``, where the WebUI card and field widgets live). Without them the type is
  registered once through the public decorator with its template (card labelled with the
  type name; a reload keeps the first registration).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import astrbot.core.exceptions as host_exceptions
import astrbot.core.provider.register as host_register
from astrbot.core.config import default as host_default
from astrbot.core.provider.entities import LLMResponse, TokenUsage

from .redaction import LOG


def warn_missing(what: str, fallback: str) -> None:
    """Log the one warning of a missing host internal: what is missing, what is used instead."""
    LOG.warning("AstrBot host has no %s; using %s instead.", what, fallback)


# --- EmptyModelOutputError -------------------------------------------------------------------
def _empty_output_error() -> type[Exception]:
    found = getattr(host_exceptions, "EmptyModelOutputError", None)
    if isinstance(found, type) and issubclass(found, Exception):
        return found
    warn_missing(
        "astrbot.core.exceptions.EmptyModelOutputError",
        "a local error class (an empty answer is reported without AstrBot's retry)",
    )
    return type(
        "EmptyModelOutputError",
        (Exception,),
        {"__doc__": "The model returned no usable output (local stand-in for AstrBot's)."},
    )


#: Raised when a turn has no text, tool call, image or reasoning (AstrBot retries it).
EmptyModelOutputError: type[Exception] = _empty_output_error()


# --- LLMResponse construction ----------------------------------------------------------------
def _constructor_fields() -> frozenset[str] | None:
    """Keyword names ``LLMResponse.__init__`` takes (None: it takes ``**kwargs``, or unknown)."""
    try:
        params = inspect.signature(LLMResponse.__init__).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params)


def _dropped_fields() -> frozenset[str]:
    """``id``/``usage``: taken by the constructor but not stored (AstrBot 4.10.x).

    Probed by building one response per field, since the signature does not tell.
    """
    probes: dict[str, Any] = {"id": "resp_probe", "usage": TokenUsage(input_other=1)}
    dropped = set()
    for name, value in probes.items():
        if _ACCEPTED is not None and name not in _ACCEPTED:
            continue
        try:
            kept = getattr(LLMResponse("assistant", **{name: value}), name, None) is value
        except TypeError:
            kept = False
        if not kept:
            dropped.add(name)
    return frozenset(dropped)


_ACCEPTED = _constructor_fields()
_DROPPED = _dropped_fields()
_MISSING = (
    frozenset({"reasoning_content", "reasoning_signature", "id", "usage"}) - _ACCEPTED
    if _ACCEPTED is not None
    else frozenset[str]()
)
if _MISSING | _DROPPED:
    warn_missing(
        f"LLMResponse constructor support for {', '.join(sorted(_MISSING | _DROPPED))}",
        "attributes set after construction",
    )


def llm_response(role: str, **fields: Any) -> LLMResponse:
    """``LLMResponse(role, **fields)``; a field the host's constructor does not take or does
    not keep is set as an attribute afterwards."""
    late = {
        k: fields.pop(k)
        for k in list(fields)
        if k in _DROPPED or (_ACCEPTED is not None and k not in _ACCEPTED)
    }
    response = LLMResponse(role, **fields)
    for name, value in late.items():
        setattr(response, name, value)
    return response


# --- registration internals ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Registry:
    """The host registries :mod:`.registration` edits (None where the host lacks them)."""

    #: ``register_provider_adapter`` (public; every supported host has it)
    register: Callable[..., Callable[[type], type]]
    #: ``provider_cls_map`` (type name → metadata) or None
    cls_map: MutableMapping[str, Any] | None
    #: ``provider_registry`` (list of metadata) or None
    entries: list[Any] | None
    #: ``CONFIG_METADATA_2["provider_group"]["metadata"]["provider"]`` or None
    provider_metadata: dict[str, Any] | None

    def accepts(self, *names: str) -> bool:
        """Whether ``register_provider_adapter`` takes every keyword in ``names``."""
        try:
            params = inspect.signature(self.register).parameters
        except (TypeError, ValueError):
            return False
        return all(n in params for n in names)


def _provider_metadata() -> dict[str, Any] | None:
    try:
        config: Any = host_default.CONFIG_METADATA_2  # nested dicts; their shape is probed
        meta = config["provider_group"]["metadata"]["provider"]
    except (AttributeError, KeyError, TypeError):
        return None
    ok = isinstance(meta, dict) and isinstance(meta.get("config_template"), dict)
    return meta if ok and isinstance(meta.get("items"), dict) else None


def _registry() -> Registry:
    cls_map = getattr(host_register, "provider_cls_map", None)
    entries = getattr(host_register, "provider_registry", None)
    if not isinstance(cls_map, MutableMapping) or not isinstance(entries, list):
        warn_missing(
            "provider_cls_map/provider_registry",
            "one registration through register_provider_adapter (a reload keeps it)",
        )
        cls_map = entries = None
    metadata = _provider_metadata()
    if metadata is None:
        warn_missing(
            'CONFIG_METADATA_2["provider_group"]["metadata"]["provider"]',
            "the decorator's template (WebUI card named by the type, fields without widgets)",
        )
    return Registry(host_register.register_provider_adapter, cls_map, entries, metadata)


#: What this host offers for registration.
REGISTRY = _registry()
