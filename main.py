"""AstrBot entry point: registration only.

Importing this module (AstrBot imports ``data.plugins.<dir>.main``) registers the chat
provider type ``openai_responses_plugin`` and its WebUI card "OpenAI (Responses, Plugin)".
Importing it again (plugin reload) replaces the registration. The type stays registered
when the plugin is disabled so that running provider instances keep answering; see
specs/001-redesign-responses-provider/spec.md §"Registration and lifecycle".
"""

from __future__ import annotations

from astrbot.api.star import Context, Star

from .provider.adapter import ResponsesProvider
from .provider.plugin_settings import apply_plugin_config
from .provider.registration import register_provider

register_provider(ResponsesProvider)


class OpenAIResponsesPlugin(Star):
    """The plugin's Star: applies the plugin-wide settings; the provider type itself lives
    in AstrBot's registry (never unregistered, see the module docstring)."""

    def __init__(self, context: Context, config: dict | None = None) -> None:
        super().__init__(context)
        apply_plugin_config(config or {})
