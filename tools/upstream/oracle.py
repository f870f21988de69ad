"""Schema oracle: validate events, responses and requests with openai-python's own types.

Follows specs/004-responses-wire-format/spec.md §"Test oracle": events are checked against
the class named by their ``type`` (the SDK's discriminator is invisible to pydantic),
requests with ``TypeAdapter`` of the create-params ``TypedDict`` plus ``list[ToolParam]`` /
``list[ResponseInputItemParam]`` (``Iterable`` fields are validated lazily otherwise) plus an
allow-list of top-level keys (``TypedDict`` ignores unknown keys). Every failure is an
``AssertionError``.

Import cost: ~1 s for openai's types, so the server modules do not import this one.
"""

from __future__ import annotations

import typing
from functools import cache
from typing import Any

from openai.types.responses import (
    Response,
    ResponseInputItemParam,
    ResponseStreamEvent,
    ToolParam,
)
from openai.types.responses.response_create_params import (
    ResponseCreateParamsBase,
    ResponseCreateParamsNonStreaming,
    ResponseCreateParamsStreaming,
)
from pydantic import BaseModel, TypeAdapter, ValidationError

#: Top-level request keys the SDK knows (``stream`` lives in the two subclasses).
REQUEST_KEYS: frozenset[str] = frozenset(ResponseCreateParamsBase.__annotations__) | {"stream"}


@cache
def event_classes() -> dict[str, type[BaseModel]]:
    """``type`` literal → event class, from the ``ResponseStreamEvent`` union."""
    union = typing.get_args(ResponseStreamEvent)[0]
    return {c.model_fields["type"].annotation.__args__[0]: c for c in typing.get_args(union)}


@cache
def _adapters() -> dict[str, TypeAdapter[Any]]:
    """Request validators (built once; building them costs a few hundred ms)."""
    return {
        "stream": TypeAdapter(ResponseCreateParamsStreaming),
        "json": TypeAdapter(ResponseCreateParamsNonStreaming),
        "tools": TypeAdapter(list[ToolParam]),
        "items": TypeAdapter(list[ResponseInputItemParam]),
    }


def _fail(what: str, exc: ValidationError, data: Any) -> AssertionError:
    """An AssertionError naming ``what`` with the first pydantic errors and the data."""
    errors = "; ".join(
        f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:8]
    )
    more = f" (+{exc.error_count() - 8} more)" if exc.error_count() > 8 else ""
    return AssertionError(f"{what} is invalid: {errors}{more}\n  data: {str(data)[:500]}")


def check_event(d: dict[str, Any]) -> BaseModel:
    """Validate one stream event dict; return the SDK model instance."""
    if not isinstance(d, dict) or not isinstance(d.get("type"), str):
        raise AssertionError(f"an event must be a dict with a string 'type': {str(d)[:300]}")
    cls = event_classes().get(d["type"])
    if cls is None:
        raise AssertionError(f"unknown event type {d['type']!r} (not in ResponseStreamEvent)")
    try:
        return cls.model_validate(d)
    except ValidationError as exc:
        raise _fail(f"event {d['type']!r}", exc, d) from None


def check_response(d: dict[str, Any]) -> Response:
    """Validate a ``Response`` object dict (non-stream body or terminal snapshot)."""
    if not isinstance(d, dict):
        raise AssertionError(f"a response must be a dict, got {type(d).__name__}")
    try:
        return Response.model_validate(d)
    except ValidationError as exc:
        raise _fail("response", exc, d) from None


def check_request(body: dict[str, Any]) -> None:
    """Validate a ``POST /responses`` body as the plugin must send it.

    Checks: a dict with a non-empty string ``model`` and an ``input``; only known top-level
    keys; the create-params ``TypedDict`` (streaming or not, by ``stream``) in strict mode;
    ``tools`` as ``list[ToolParam]`` and a list ``input`` as ``list[ResponseInputItemParam]``.
    """
    if not isinstance(body, dict):
        raise AssertionError(f"a request body must be a JSON object, got {type(body).__name__}")
    unknown = sorted(set(body) - REQUEST_KEYS)
    if unknown:
        raise AssertionError(f"request has keys the Responses API does not know: {unknown}")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise AssertionError("request 'model' must be a non-empty string")
    if "input" not in body:
        raise AssertionError("request has no 'input'")
    adapters = _adapters()
    kind = "stream" if body.get("stream") is True else "json"
    checks: list[tuple[str, TypeAdapter[Any], Any]] = [(f"request ({kind})", adapters[kind], body)]
    if "tools" in body:
        checks.append(("request 'tools'", adapters["tools"], body["tools"]))
    if isinstance(body.get("input"), list):
        checks.append(("request 'input'", adapters["items"], body["input"]))
    for what, adapter, data in checks:
        try:
            adapter.validate_python(data, strict=True)
        except ValidationError as exc:
            raise _fail(what, exc, data) from None
