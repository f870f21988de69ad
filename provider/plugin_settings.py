"""Plugin-wide settings from ``_conf_schema.json`` (the plugin's own config page).

They apply to every provider instance of this plugin; ``main.py`` installs them when AstrBot
creates the plugin's Star. Spec: specs/001-redesign-responses-provider/spec.md §"Plugin settings".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .redaction import LOG, set_extra_patterns


@dataclass(slots=True)
class PluginSettings:
    """``log_request_ids``: add the upstream ``x-request-id`` to error messages."""

    log_request_ids: bool = True


PLUGIN_SETTINGS = PluginSettings()


def apply_plugin_config(config: Mapping[str, Any]) -> None:
    """Install the plugin config (``extra_redact_patterns``, ``log_request_ids``)."""
    patterns = config.get("extra_redact_patterns") or []
    invalid = (
        set_extra_patterns(p for p in patterns if isinstance(p, str))
        if isinstance(patterns, list)
        else []
    )
    if invalid:
        LOG.warning("ignored %d invalid extra_redact_patterns entries", len(invalid))
    PLUGIN_SETTINGS.log_request_ids = bool(config.get("log_request_ids", True))
