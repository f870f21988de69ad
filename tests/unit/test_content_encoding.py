"""Content-Encoding read in bounded steps (provider/content_encoding.py), and the private
httpx decoders it is built on."""

from __future__ import annotations

import zlib

import httpx
import pytest
from httpx import _decoders

from data.plugins.astrbot_plugin_openai_responses.provider.content_encoding import (
    RAW_PIECE,
    inflated,
    inflated_text,
)
from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError


def compressed(data: bytes, coding: str) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31 if coding == "gzip" else 15)
    return packer.compress(data) + packer.flush()


def response(body: bytes, coding: str | None, charset: str = "") -> httpx.Response:
    headers = {"Content-Type": "text/event-stream" + (f"; charset={charset}" if charset else "")}
    if coding:
        headers["Content-Encoding"] = coding
    return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))


@pytest.mark.parametrize("coding", ["gzip", "deflate", None])
async def test_the_body_is_inflated_whole(coding: str | None) -> None:
    data = 'data: {"type": "x"}\n\n 你好 '.encode() * 5000
    body = compressed(data, coding) if coding else data
    pieces = [p async for p in inflated(response(body, coding))]
    assert b"".join(pieces) == data
    text = "".join([t async for t in inflated_text(response(body, coding))])
    assert text == data.decode()


async def test_a_bomb_inflates_in_bounded_steps() -> None:
    body = compressed(b"x" * (64 * 1024 * 1024), "gzip")
    biggest = 0
    async for piece in inflated(response(body, "gzip")):
        biggest = max(biggest, len(piece))
    assert biggest <= 1032 * RAW_PIECE  # deflate's largest ratio


@pytest.mark.parametrize("coding", ["gzip, gzip", "deflate, gzip", "br"])
async def test_stacked_or_unbounded_codings_are_refused(
    coding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # br is decoded by httpx only when the brotli package is installed: pretend it is
    monkeypatch.setitem(_decoders.SUPPORTED_DECODERS, "br", _decoders.IdentityDecoder)
    with pytest.raises(UpstreamError, match="did not ask for"):
        [p async for p in inflated(response(b"data", coding))]


async def test_an_unknown_coding_passes_through_and_a_corrupt_one_is_an_error() -> None:
    assert [p async for p in inflated(response(b"plain", "x-custom"))] == [b"plain"]
    with pytest.raises(UpstreamError, match="compressed answer is corrupt"):
        [p async for p in inflated(response(b"not gzip at all", "gzip"))]


def test_the_private_httpx_decoders_keep_their_interface() -> None:
    """content_encoding.py feeds raw pieces to httpx's own decoders: fail loudly if the
    private module changes (requirements.txt: httpx>=0.27)."""
    for coding in ("identity", "gzip", "deflate"):
        decoder = _decoders.SUPPORTED_DECODERS[coding]()
        assert callable(decoder.decode)
        assert callable(decoder.flush)
    gzip = _decoders.SUPPORTED_DECODERS["gzip"]()
    assert gzip.decode(compressed(b"abc", "gzip")) + gzip.flush() == b"abc"
    assert issubclass(httpx.DecodingError, httpx.HTTPError)
