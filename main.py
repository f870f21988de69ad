"""AstrBot entry point: registration only.

Importing this module (AstrBot imports ``data.plugins.<dir>.main``) registers the chat
provider type ``openai_responses_plugin``, its WebUI card "OpenAI (Responses, Plugin)" and
the labels of its fields. Importing it again (plugin reload) replaces the registration. The
type stays registered when the plugin is disabled so that running provider instances keep
answering; unloading takes only the field labels' adaptation of the dashboard away. See
specs/001-redesign-responses-provider/spec.md §"Registration and lifecycle".
"""

from __future__ import annotations

from astrbot.api.star import Context, Star

from .provider.adapter import ResponsesProvider
from .provider.plugin_settings import apply_plugin_config
from .provider.registration import install_form_text, register_provider, remove_form_text

register_provider(ResponsesProvider)


class OpenAIResponsesPlugin(Star):
    """The plugin's Star: applies the plugin-wide settings; the provider type itself lives
    in AstrBot's registry (never unregistered, see the module docstring)."""

    def __init__(self, context: Context, config: dict | None = None) -> None:
        super().__init__(context)
        apply_plugin_config(config or {})
        install_form_text()  # again after a disable/enable, which does not re-import us

    async def terminate(self) -> None:
        """Plugin unload, reload or disable: undo the dashboard label adaptation."""
        remove_form_text()
