"""Test-only AstrBot plugin: one LLM tool, ``get_magic_number``.

The demo and the end-to-end tests copy this directory into ``data/plugins`` so that the
agent offers a function tool to the provider under test.
"""

from __future__ import annotations

import json

from astrbot.api.event import AstrMessageEvent, filter
from astrbot.api.star import Context, Star

MAGIC = 42


class MagicToolPlugin(Star):
    """Offers ``get_magic_number(seed)`` → ``{"magic": 42, "seed": seed}``."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)

    @filter.llm_tool(name="get_magic_number")
    async def get_magic_number(self, event: AstrMessageEvent, seed: int = 0) -> str:
        """Return the magic number for a seed. Call it whenever the user asks for MAGIC.

        Args:
            seed(number): any integer seed
        """
        try:
            value: int | str = int(seed)
        except (TypeError, ValueError):
            value = str(seed)
        return json.dumps({"magic": MAGIC, "seed": value})
