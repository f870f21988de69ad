"""Stateless reasoning round trip: the signature AstrBot stores, and what is replayed.

A response's ``reasoning`` output items travel through ``LLMResponse.reasoning_signature``
(AstrBot keeps them as the ``encrypted`` field of the turn's ``think`` part) and come back
as ``reasoning`` input items in the next request, before the items they led to. This module
is the one place that knows that signature's format.
Spec: specs/003-beyond-basics/spec.md §"Reasoning round trip";
specs/004-responses-wire-format/spec.md §"Input items".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .redaction import LOG
from .wire import OutputItem, ReasoningInput, SummaryText

#: ``type`` of the JSON object stored in ``ThinkPart.encrypted`` by this plugin.
REASONING_SIGNATURE_TYPE = "openai_responses_plugin_reasoning"
#: Version of that object; a different version is never replayed.
REASONING_SIGNATURE_VERSION = 1


def encode_reasoning_signature(items: list[OutputItem], source: str) -> str:
    """Pack reasoning output items into the string stored in ``ThinkPart.encrypted``.

    Format: ``{"type": REASONING_SIGNATURE_TYPE, "v": 1, "source": <source>, "items":
    [<reasoning items as received>]}`` (compact JSON). ``source`` identifies the issuer
    (endpoint + model); :func:`build_request` replays the items only to the same source
    because ``encrypted_content`` is sealed to it (spec 004 §"Input items").
    """
    return json.dumps(
        {
            "type": REASONING_SIGNATURE_TYPE,
            "v": REASONING_SIGNATURE_VERSION,
            "source": source,
            "items": items,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode_reasoning_signature(value: object) -> tuple[str, list[Any]] | None:
    """Unpack a string made by :func:`encode_reasoning_signature`.

    Returns ``(source, items)`` or ``None`` when ``value`` is not our signature (another
    provider's signature, plain text, other version). Items are not validated here.
    """
    if not isinstance(value, str) or not value.startswith("{"):
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != REASONING_SIGNATURE_TYPE:
        return None
    if data.get("v") != REASONING_SIGNATURE_VERSION:
        return None
    source, items = data.get("source"), data.get("items")
    if not isinstance(source, str) or not isinstance(items, list):
        return None
    return source, items


def replay_item(item: object) -> ReasoningInput | None:
    """One stored reasoning item → a stateless replay item, or ``None`` if not replayable."""
    if not isinstance(item, Mapping) or item.get("type") != "reasoning":
        return None
    encrypted = item.get("encrypted_content")
    if not isinstance(encrypted, str) or not encrypted:
        return None
    summary = item.get("summary")
    texts: list[SummaryText] = [
        {"type": "summary_text", "text": s["text"]}
        for s in (summary if isinstance(summary, list) else [])
        if isinstance(s, Mapping) and isinstance(s.get("text"), str)
    ]
    item_id = item.get("id")
    if isinstance(item_id, str) and item_id:
        return {
            "type": "reasoning",
            "id": item_id,
            "summary": texts,
            "encrypted_content": encrypted,
        }
    return {"type": "reasoning", "summary": texts, "encrypted_content": encrypted}


def reasoning_from_think(parts: list[dict[str, Any]], source: str) -> list[ReasoningInput]:
    """Replay items from an assistant turn's ``think`` parts (all-or-nothing per part)."""
    out: list[ReasoningInput] = []
    if not source:
        return out
    for part in parts:
        decoded = decode_reasoning_signature(part.get("encrypted"))
        if decoded is None:
            continue
        issuer, items = decoded
        if issuer != source:
            LOG.debug("reasoning from another source dropped (issuer changed)")
            continue
        replay = [replay_item(item) for item in items]
        if not replay or any(r is None for r in replay):
            LOG.debug("reasoning without encrypted_content dropped")
            continue
        out.extend(r for r in replay if r is not None)
    return out


__all__ = [
    "REASONING_SIGNATURE_TYPE",
    "REASONING_SIGNATURE_VERSION",
    "decode_reasoning_signature",
    "encode_reasoning_signature",
    "reasoning_from_think",
    "replay_item",
]
