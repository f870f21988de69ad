"""Tool preparation: AstrBot's ``ToolSet`` → flat Responses function tools; the
``builtin_tools`` setting → Responses hosted tools.

Spec: specs/001-redesign-responses-provider/spec.md §"Conversation → request";
specs/004-responses-wire-format/spec.md §"Tools".
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

#: ``parameters`` of a function tool that declares none.
EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


#: hosted tools ``builtin_tools`` may name (tool objects of other types pass through)
HOSTED_TOOL_TYPES = ("web_search", "file_search", "code_interpreter", "image_generation")

#: function tool name → its ``parameters`` JSON Schema (None when it declared none)
Offered = dict[str, dict[str, Any] | None]


def function_tools(func_tool: object) -> tuple[list[dict[str, Any]], Offered]:
    """``ToolSet`` → flat Responses function tools (spec 004 §"Tools") + offered map.

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
        if not isinstance(function, Mapping):
            continue
        name = function.get("name")
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


def hosted_tool(entry: Any) -> dict[str, Any]:
    """One ``builtin_tools`` entry → a Responses hosted-tool object.

    ``entry`` is a tool object (a dict with a string ``type``, copied as is) or a name from
    :data:`HOSTED_TOOL_TYPES`, ``file_search`` with its vector store ids
    (``file_search:vs_1,vs_2``). Raises ``ValueError`` (the config parser turns it into a
    ``ConfigError`` naming ``builtin_tools``).
    """
    if isinstance(entry, dict):
        if not isinstance(entry.get("type"), str):
            raise ValueError("tool objects need a string `type`")
        return dict(entry)
    if not isinstance(entry, str):
        raise ValueError("entries must be strings or objects")
    name, _, arg = entry.strip().partition(":")
    name = name.strip().lower()
    if name not in HOSTED_TOOL_TYPES:
        raise ValueError(f"unknown hosted tool {name!r}")
    if name == "file_search":
        ids = [v.strip() for v in arg.split(",") if v.strip()]
        if not ids:
            raise ValueError("file_search needs vector store ids: file_search:vs_1,vs_2")
        return {"type": "file_search", "vector_store_ids": ids}
    if name == "code_interpreter":
        return {"type": "code_interpreter", "container": {"type": "auto"}}
    return {"type": name}


__all__ = ["EMPTY_PARAMETERS", "HOSTED_TOOL_TYPES", "Offered", "function_tools", "hosted_tool"]
