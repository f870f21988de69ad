"""Check recovered arguments against the offered tool's JSON schema before anything runs.

Only the parts of JSON Schema that tool definitions use are checked: ``type`` (one or a
list; ``integer`` excludes booleans and fractions), ``enum``, ``required``,
``properties`` (recursively, bounded depth), ``additionalProperties: false``, ``items`` of
arrays, and ``anyOf`` / ``oneOf`` (any option). Anything else passes. No schema means no
constraint beyond "an object".

Spec: specs/002-pseudo-tool-calls/spec.md §"Validation gates".
"""

from __future__ import annotations

from typing import Any

_MAX_DEPTH = 16
_TYPE_CHECKS: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def fits(arguments: dict[str, Any], schema: dict[str, Any] | None) -> bool:
    """True when ``arguments`` satisfies the tool's ``parameters`` schema (see module)."""
    if not isinstance(schema, dict):
        return True
    return _fits(arguments, schema, 0)


def _fits(value: Any, schema: Any, depth: int) -> bool:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return True
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list) and options:
        return any(_fits(value, opt, depth + 1) for opt in options)
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    known = [k for k in kinds if k in _TYPE_CHECKS]
    if known and not any(_TYPE_CHECKS[k](value) for k in known):
        return False
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and value not in enum:
        return False
    if isinstance(value, dict):
        return _object_fits(value, schema, depth)
    if isinstance(value, list):
        items = schema.get("items")
        return all(_fits(v, items, depth + 1) for v in value) if isinstance(items, dict) else True
    return True


def _object_fits(value: dict[str, Any], schema: dict[str, Any], depth: int) -> bool:
    required = schema.get("required")
    if isinstance(required, list) and not all(
        key in value for key in required if isinstance(key, str)
    ):
        return False
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    if schema.get("additionalProperties") is False and any(k not in props for k in value):
        return False
    return all(_fits(v, props.get(k), depth + 1) for k, v in value.items())
