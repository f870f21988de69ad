"""Read a response body with its ``Content-Encoding`` inflated in bounded steps.

httpx inflates each network read whole: 64 KB of gzip can become 64 MB before any size cap
sees it. Here the raw body (``Response.aiter_raw``) goes through httpx's own decoders in
pieces of at most :data:`RAW_PIECE` bytes. Deflate inflates at most ~1032:1, so one step
yields at most ~1 MB and the callers' caps (SSE line and event, JSON body, error body) stop a
compression bomb while it inflates.

Accepted codings: ``gzip`` and ``deflate`` (what :data:`ACCEPT_ENCODING` asks for), or none.
A coding httpx could decode but whose inflation cannot be bounded this way (``br``, ``zstd``,
when their packages are installed) and stacked compressions (``gzip, gzip``: ratios
multiply) are refused with an :class:`~.errors.UpstreamError`. Codings httpx does not know
pass through undecoded, as httpx itself does.

httpx's decoders live in the private ``httpx._decoders``; tests/unit/test_content_encoding.py
checks the interface used here. Spec: specs/001-redesign-responses-provider/spec.md
§"Transport and retries".
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator

import httpx
from httpx._decoders import SUPPORTED_DECODERS, ContentDecoder

from .errors import UpstreamError, clip

#: The ``Accept-Encoding`` request header: the codings whose inflation is bounded here.
ACCEPT_ENCODING = "gzip, deflate"
#: Raw bytes given to a decoder at once (≤ ~1 MB inflated).
RAW_PIECE = 1024
_BOUNDED = frozenset({"gzip", "deflate"})


def _decoder(response: httpx.Response) -> ContentDecoder | None:
    """httpx's decoder for the response's coding; None when the body is not compressed."""
    codings = [
        c.strip().lower()
        for c in response.headers.get_list("content-encoding", split_commas=True)
        if c.strip().lower() in SUPPORTED_DECODERS and c.strip().lower() != "identity"
    ]
    if not codings:
        return None
    if len(codings) > 1 or codings[0] not in _BOUNDED:
        raise UpstreamError(
            f"The upstream compressed its answer with `{clip(', '.join(codings), 60)}` "
            f"(Content-Encoding), which the plugin did not ask for ({ACCEPT_ENCODING}) and does "
            "not read. The endpoint or a relay in front of it is misbehaving."
        )
    return SUPPORTED_DECODERS[codings[0]]()


async def inflated(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body's bytes, inflated in steps of at most :data:`RAW_PIECE` raw bytes.

    Raises :class:`~.errors.UpstreamError` for a coding that is refused or a corrupt
    compressed body; ``httpx.TransportError`` as the network read raises it.
    """
    decoder = _decoder(response)
    if decoder is None:
        async for chunk in response.aiter_raw():
            yield chunk
        return
    decode = decoder.decode
    try:
        async for chunk in response.aiter_raw():
            for start in range(0, len(chunk), RAW_PIECE):
                piece = decode(chunk[start : start + RAW_PIECE])
                if piece:
                    yield piece
        piece = decoder.flush()
    except httpx.DecodingError:
        raise UpstreamError(
            "The upstream's compressed answer is corrupt (Content-Encoding "
            f"{clip(response.headers.get('content-encoding', ''), 40)})."
        ) from None
    if piece:
        yield piece


async def inflated_text(response: httpx.Response) -> AsyncIterator[str]:
    """:func:`inflated`, decoded as text (the response's charset, else UTF-8; bad bytes
    replaced), as ``Response.aiter_text`` would."""
    decoder = codecs.getincrementaldecoder(response.encoding or "utf-8")(errors="replace")
    async for chunk in inflated(response):
        text = decoder.decode(chunk)
        if text:
            yield text
    text = decoder.decode(b"", final=True)
    if text:
        yield text


__all__ = ["ACCEPT_ENCODING", "RAW_PIECE", "inflated", "inflated_text"]
