"""Read tool calls out of decoded JSON / Python values (``{"name":…, "arguments":…}``…).

Shared by the families whose payload is a call object: ``<tool_call>`` JSON,
``[TOOL_CALLS]`` lists, ``<|python_tag|>``, bare JSON and python-repr ``tool_use`` dicts.

Spec: specs/002-pseudo-tool-calls/spec.md §"Formats".
"""

from __future__ import annotations

from typing import Any

from .args import parse_object
from .literals import Truncated
from .model import RawCall

#: keys that hold the tool name / the arguments (LangChain agents write ``action`` /
#: ``action_input`` and ``tool`` / ``tool_input``)
NAME_KEYS = ("name", "tool", "tool_name", "function_name", "recipient_name", "action")
ARGS_KEYS = (
    "arguments",
    "parameters",
    "args",
    "input",
    "argument",
    "params",
    "tool_input",
    "action_input",
)
#: keys whose object value is the call itself (``{"function_call": {"name", "arguments"}}``)
WRAPPER_KEYS = ("function", "function_call")


def calls_from_value(value: Any) -> list[RawCall] | None:
    """Return the calls a decoded value describes, or ``None`` when it is not call-shaped.

    Accepted: ``{"name"|"tool"|…: str, "arguments"|"parameters"|"args"|"input": obj|str}``
    (any key order, extra keys such as ``id``/``type`` allowed), ``{"function": {…}}``,
    ``{"function_call": {…}}``, ``{"action": str, "action_input": obj}``,
    ``{"type": "tool_use", "name", "input"}``, ``{"tool_uses": [{"recipient_name",
    "parameters"}]}`` and lists of those. Rejected: no arguments key, arguments that are
    not an object, and tool *definitions* (``parameters`` is a JSON Schema).
    """
    if isinstance(value, list):
        out: list[RawCall] = []
        for item in value:
            calls = calls_from_value(item)
            if calls is None:
                return None
            out.extend(calls)
        return out or None
    if not isinstance(value, dict):
        return None
    listed = value.get("tool_calls")  # a Chat Completions message written as text
    if isinstance(listed, list) and listed:
        return calls_from_value(listed)
    uses = value.get("tool_uses")
    if isinstance(uses, list) and uses:
        out = []
        for use in uses:
            if not isinstance(use, dict):
                return None
            name = use.get("recipient_name") or use.get("name")
            args = _object(use.get("parameters", use.get("arguments")))
            if not isinstance(name, str) or args is None:
                return None
            out.append(RawCall(name, args))
        return out
    fn = next((value[k] for k in WRAPPER_KEYS if k in value), None)
    if isinstance(fn, dict):
        inner = calls_from_value(fn)
        if inner is not None:
            return inner
        name = fn.get("name")
        if not isinstance(name, str) or not name.strip():
            return None
        return [RawCall(name, None if isinstance(fn, Truncated) else {})]
    name = (
        fn
        if isinstance(fn, str)
        else next((value[k] for k in NAME_KEYS if isinstance(value.get(k), str)), None)
    )
    if not isinstance(name, str) or not name.strip():
        return None
    key = next((k for k in ARGS_KEYS if k in value), None)
    if key is None:
        return None
    args = _object(value[key])
    if args is None or is_schema(args):
        return None
    return [RawCall(name.strip(), args)]


def is_schema(obj: dict[str, Any]) -> bool:
    """True when ``obj`` looks like a JSON Schema (a tool *definition*, not a call)."""
    props = obj.get("properties")
    return isinstance(props, dict) and (
        obj.get("type") == "object" or "required" in obj or "additionalProperties" in obj
    )


def _object(value: Any) -> dict[str, Any] | None:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        return parse_object(value)
    return None
