"""Tool preparation: AstrBot's ``ToolSet`` → flat Responses function tools.

Spec: specs/001-redesign-responses-provider/spec.md §"Conversation → request";
responses_api.md §2.2.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

#: ``parameters`` of a function tool that declares none.
EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


#: function tool name → its ``parameters`` JSON Schema (None when it declared none)
Offered = dict[str, dict[str, Any] | None]


def function_tools(func_tool: object) -> tuple[list[dict[str, Any]], Offered]:
    """``ToolSet`` → flat Responses function tools (responses_api.md §2.2) + offered map.

    Uses ``ToolSet.openai_schema()`` (sorted by name in AstrBot 4.29, which keeps the
    prompt cache stable) and flattens ``{"type": "function", "function": {...}}``.
    """
    schema_of = getattr(func_tool, "openai_schema", None)
    if func_tool is None or not callable(schema_of):
        return [], {}
    tools: list[dict[str, Any]] = []
    offered: dict[str, dict[str, Any] | None] = {}
    for entry in schema_of():
        function = entry.get("function", entry) if isinstance(entry, Mapping) else None
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(name, str) or not name or name in offered:
            continue
        parameters = function.get("parameters")
        tool: dict[str, Any] = {"type": "function", "name": name}
        if function.get("description"):
            tool["description"] = str(function["description"])
        tool["parameters"] = copy.deepcopy(parameters if parameters else EMPTY_PARAMETERS)
        tool["strict"] = False
        tools.append(tool)
        offered[name] = copy.deepcopy(parameters) if isinstance(parameters, dict) else None
    return tools, offered


__all__ = ["EMPTY_PARAMETERS", "Offered", "function_tools"]
