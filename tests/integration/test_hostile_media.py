"""Hostile attachments: a chat member names local files as images (issue 14, item 4).

A reference that reaches ``image_urls`` is a string a group member controls. Only a regular
file of at most ``MAX_IMAGE_BYTES`` that decodes as an image may be sent upstream; a link
is resolved and its target checked the same way; a FIFO or device never blocks or feeds a
worker thread; a file name never forges a log line. Each case runs through ``text_chat``
and ``text_chat_stream`` against the loopback upstream, which records what was sent.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
from pathlib import Path

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.redaction import LOG
from tests.images import encode_image
from tests.integration.faults import MODES, Kit

PNG = encode_image("PNG")
CONFIG_TEXT = '{"provider": [{"key": ["sk-admin-0123456789abcdef"]}]}'


async def sent_parts(kit: Kit, stream: bool, ref: str) -> list[dict[str, object]]:
    """Chat with ``ref`` as the one image; return the content parts sent after the prompt."""
    provider = await kit.provider()
    out = await asyncio.wait_for(kit.chat(provider, stream, bound=2.0, image_urls=[ref]), 5.0)
    assert out.text.startswith("CANNED REPLY")  # the chat goes on
    content = kit.upstream.requests[-1].body["input"][-1]["content"]
    return content[1:]


def refused(name: str) -> list[dict[str, object]]:
    return [{"type": "input_text", "text": f"[Image unavailable: {name}]"}]


def data_dir(tmp_path: Path) -> Path:
    """An AstrBot-like root: ``data/cmd_config.json`` holding a key."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "cmd_config.json").write_text(CONFIG_TEXT)
    return data


# -- files that are not what their name claims -------------------------------------------------


def _text_named_png(tmp: Path) -> tuple[Path, str]:
    (tmp / "secret.png").write_text("db_password = hunter2\n" * 20)
    return tmp / "secret.png", "secret.png"


def _link_to_config(tmp: Path) -> tuple[Path, str]:
    os.symlink(data_dir(tmp) / "cmd_config.json", tmp / "link.png")
    return tmp / "link.png", "link.png"


def _txt_starting_with_bm(tmp: Path) -> tuple[Path, str]:
    (tmp / "notes.txt").write_text("BM: meeting notes, the vault code is 4711\n" * 10)
    return tmp / "notes.txt", "notes.txt"


def _bmp_magic_then_text(tmp: Path) -> tuple[Path, str]:
    (tmp / "photo.bmp").write_bytes(b"BM" + b"not really a bitmap " * 20)
    return tmp / "photo.bmp", "photo.bmp"


def _png_magic_then_text(tmp: Path) -> tuple[Path, str]:
    (tmp / "photo.png").write_bytes(PNG[:16] + b"private text, not pixels " * 20)
    return tmp / "photo.png", "photo.png"


def _config_under_its_own_name(tmp: Path) -> tuple[Path, str]:
    return data_dir(tmp) / "cmd_config.json", "cmd_config.json"


def _etc_passwd(tmp: Path) -> tuple[Path, str]:
    return Path("/etc/passwd"), "passwd"


def _device(tmp: Path) -> tuple[Path, str]:
    return Path("/dev/zero"), "zero"


def _sparse_huge(tmp: Path) -> tuple[Path, str]:
    with open(tmp / "huge.png", "wb") as handle:
        handle.write(PNG)
        handle.truncate(8 * 1024 * 1024 * 1024)  # 8 GB, sparse: refused before any read
    return tmp / "huge.png", "huge.png"


NOT_IMAGES = {
    "text-named-png": _text_named_png,
    "link-to-cmd_config": _link_to_config,
    "txt-starting-with-BM": _txt_starting_with_bm,
    "bmp-magic-then-text": _bmp_magic_then_text,
    "png-magic-then-text": _png_magic_then_text,
    "cmd_config-own-name": _config_under_its_own_name,
    "etc-passwd": _etc_passwd,
    "dev-zero": _device,
    "sparse-8-GB": _sparse_huge,
}


@MODES
@pytest.mark.parametrize("make", NOT_IMAGES.values(), ids=NOT_IMAGES.keys())
@pytest.mark.parametrize("as_url", [False, True], ids=["path", "file-url"])
async def test_a_file_that_does_not_decode_as_an_image_is_never_sent(
    kit: Kit, stream: bool, make, as_url: bool, tmp_path: Path
) -> None:
    path, name = make(tmp_path)
    ref = path.as_uri() if as_url else str(path)
    assert await sent_parts(kit, stream, ref) == refused(name)
    sent = str(kit.upstream.requests[-1].body)
    assert "hunter2" not in sent
    assert "sk-admin" not in sent
    assert "vault" not in sent


@MODES
async def test_a_fifo_named_png_is_refused_without_blocking_a_thread(
    kit: Kit, stream: bool, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    try:
        assert await sent_parts(kit, stream, str(fifo)) == refused("pipe.png")
    finally:
        # a reader blocked in open() (the old behaviour) is released here
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


# -- real images still go through ------------------------------------------------------------


@MODES
@pytest.mark.parametrize(
    ("kind", "mime"),
    [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("GIF", "image/gif"),
        ("WEBP", "image/webp"),
        ("BMP", "image/bmp"),
    ],
)
async def test_a_real_image_is_sent_with_its_decoded_type(
    kit: Kit, stream: bool, kind: str, mime: str, tmp_path: Path
) -> None:
    data = encode_image(kind)
    path = tmp_path / "picture.dat"  # neither the name nor the extension decides
    path.write_bytes(data)
    url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    assert await sent_parts(kit, stream, str(path)) == [
        {"type": "input_image", "image_url": url, "detail": "auto"}
    ]


@MODES
async def test_a_link_to_a_real_image_is_resolved_and_sent(
    kit: Kit, stream: bool, tmp_path: Path
) -> None:
    (tmp_path / "real.png").write_bytes(PNG)
    os.symlink(tmp_path / "real.png", tmp_path / "link.png")
    url = f"data:image/png;base64,{base64.b64encode(PNG).decode()}"
    assert await sent_parts(kit, stream, str(tmp_path / "link.png")) == [
        {"type": "input_image", "image_url": url, "detail": "auto"}
    ]


# -- names never forge a log line ------------------------------------------------------------


@MODES
async def test_a_file_name_with_newlines_does_not_forge_log_lines(
    kit: Kit, stream: bool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOG.name)
    name = "a\nERROR admin password reset\r\x1b[2Kb.png"
    (tmp_path / name).write_text("not an image")
    shown = "a ERROR admin password reset ?[2Kb.png"
    assert await sent_parts(kit, stream, str(tmp_path / name)) == refused(shown)
    log_lines = [r.getMessage() for r in caplog.records]
    warnings = [line for line in log_lines if line.startswith("Image ")]
    assert warnings == [
        f"Image {shown} was not sent: {shown} is not a PNG, JPEG, GIF, WebP or BMP image"
    ]
    assert all("\n" not in line and "\r" not in line and "\x1b" not in line for line in log_lines)
