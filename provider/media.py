"""AstrBot image and audio references → Responses API input content parts.

AstrBot hands media around as strings (``astrbot/core/agent/message.py`` ``ImageURLPart`` /
``AudioURLPart``, ``ProviderRequest.image_urls`` / ``audio_urls``): ``data:`` URLs (the usual
form inside ``contexts``), ``http(s)://`` URLs, ``base64://`` payloads, ``file://`` URLs and
local paths. This module turns one reference into one Responses content part
(specs/004-responses-wire-format/spec.md §"Input items"):

* image → ``{"type": "input_image", "image_url": <http(s) URL or data URL>, "detail": "auto"}``.
  Data URLs get the MIME type of their *bytes* (magic-number sniffing: png, jpeg, gif, webp,
  bmp), because chat platforms often label a JPEG ``image/png`` and OpenAI rejects a data URL
  whose declared type does not match its content. Image URLs are passed on, never fetched.
* a local file (path or ``file://``; a chat member controls the reference, so it is
  untrusted): the path is resolved (symlinks followed) and the target must be a regular file
  (no FIFO, device or directory) of at most :data:`MAX_IMAGE_BYTES` (checked before
  reading), opened without following a link swapped in meanwhile and without blocking, and
  its bytes must *decode* with Pillow as PNG, JPEG, GIF, WebP or BMP (header parsed and
  structure verified; neither the magic bytes nor the extension are trusted). The MIME type
  is Pillow's. Reading and checking run off the event loop (:func:`asyncio.to_thread`).
* an image that cannot be used (missing/unreadable/oversized/not-an-image file, broken data
  URL, unsupported scheme) → ``{"type": "input_text", "text": "[Image unavailable: <name>]"}``
  and a warning on :data:`~.redaction.LOG` naming the file name only (clipped, control
  characters shown as ``?``: no forged log lines), never the full path. The chat goes on.
* audio → always the text part :data:`AUDIO_PLACEHOLDER`. ``input_audio`` content parts were
  removed from the Responses input types in openai-python 2.x (spec 004 §"Input items") and
  the Responses endpoint has no other audio input, so the audio is never inlined (a base64
  blob as text would waste the context window and leak nothing useful to the model).

Spec: specs/001-redesign-responses-provider/spec.md §"Conversation → request" (media).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import os
import re
import stat
from pathlib import PurePosixPath
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from PIL import Image

from .redaction import LOG, clip
from .wire import InputContent, InputImage, InputText

#: Largest local image file that is read and inlined (bytes).
MAX_IMAGE_BYTES = 20 * 1024 * 1024

#: Text sent instead of any audio attachment.
AUDIO_PLACEHOLDER = "[Audio attachment: the Responses API cannot take audio input here]"

#: ``detail`` of every ``input_image`` part (``Required`` in the SDK types; ``auto`` is safe).
IMAGE_DETAIL = "auto"

#: Longest file name shown in a placeholder or a log line (characters).
MAX_NAME_CHARS = 80
#: Pillow format → MIME type of the local image files that are sent.
IMAGE_FORMATS: dict[str, str] = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
}
# open(2) flags: never block on a FIFO swapped in after the check, never follow a link
# swapped in for the resolved path (both absent on Windows, where O_BINARY matters).
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_BINARY", 0)
)
_INLINE_NAME = "inline image"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
# Enough base64 characters (a multiple of 4) to decode every magic number below.
_SNIFF_B64_CHARS = 64


class ImageUnavailableError(ValueError):
    """An image reference that cannot be sent.

    ``name`` is the file name (or ``"inline image"``), safe to show and log; ``reason`` a
    short English explanation that names nothing but ``name``.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = shown_name(name)
        self.reason = reason


def sniff_image_mime(data: bytes) -> str | None:
    """Return the image MIME type from the magic bytes of ``data`` (``None`` if unknown).

    Recognises PNG, JPEG, GIF (87a/89a), WebP (RIFF…WEBP) and BMP. Only the first 12 bytes
    are looked at.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"BM"):
        return "image/bmp"
    return None


def shown_name(name: str) -> str:
    """A file name as placeholders and logs show it: at most :data:`MAX_NAME_CHARS`
    characters on one line, control characters as ``?``, secrets masked."""
    return clip(name, MAX_NAME_CHARS) or "image"


def decoded_image_mime(data: bytes) -> str | None:
    """The MIME type of ``data`` when Pillow parses it as one of :data:`IMAGE_FORMATS` and
    its structure verifies (``Image.verify``); ``None`` for anything else."""
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
            kind = image.format
            image.verify()
    except Exception:  # Pillow raises many types for bad data (OSError, SyntaxError, …)
        return None
    return IMAGE_FORMATS.get(kind or "")


def _placeholder(name: str) -> InputText:
    return {"type": "input_text", "text": f"[Image unavailable: {name}]"}


def _image(url: str) -> InputImage:
    return {"type": "input_image", "image_url": url, "detail": IMAGE_DETAIL}


def _head_of_base64(payload: str) -> bytes:
    """Decode just enough of a base64 payload to sniff it (raises ``binascii.Error``)."""
    head = "".join(payload[: _SNIFF_B64_CHARS * 2].split())[:_SNIFF_B64_CHARS]
    head = head[: len(head) - len(head) % 4]
    if not head:
        raise binascii.Error("empty payload")
    return base64.b64decode(head, validate=True)


def _normalise_data_url(url: str) -> str:
    """Return ``url`` as a base64 data URL whose MIME type matches its bytes.

    Raises :class:`ImageUnavailableError` when the URL is malformed or does not hold an image.
    """
    header, sep, payload = url[len("data:") :].partition(",")
    if not sep:
        raise ImageUnavailableError(_INLINE_NAME, "malformed data URL (no comma)")
    params = [p.strip() for p in header.split(";")]
    declared = params[0].lower() if params and "/" in params[0] else ""
    is_base64 = any(p.lower() == "base64" for p in params[1:])
    if is_base64:
        try:
            head = _head_of_base64(payload)
        except (binascii.Error, ValueError) as exc:
            raise ImageUnavailableError(_INLINE_NAME, "data URL is not valid base64") from exc
        payload_b64 = payload
    else:
        raw = unquote_to_bytes(payload)
        head = raw[:16]
        payload_b64 = base64.b64encode(raw).decode("ascii")
    sniffed = sniff_image_mime(head)
    if sniffed is None:
        if declared.startswith("image/"):
            # A type we cannot sniff (e.g. avif/heic): keep what the sender said.
            return url if is_base64 else f"data:{declared};base64,{payload_b64}"
        raise ImageUnavailableError(_INLINE_NAME, "data URL does not hold a known image type")
    if sniffed != declared:
        LOG.debug("image data URL declared %r but holds %s; fixed", declared or "?", sniffed)
    elif is_base64:
        return url
    return f"data:{sniffed};base64,{payload_b64}"


def _base64_payload_to_data_url(payload: str) -> str:
    """``base64://…`` (AstrBot's own scheme) → data URL with the sniffed MIME type."""
    try:
        head = _head_of_base64(payload)
    except (binascii.Error, ValueError) as exc:
        raise ImageUnavailableError(_INLINE_NAME, "base64:// payload is not valid base64") from exc
    mime = sniff_image_mime(head)
    if mime is None:
        raise ImageUnavailableError(_INLINE_NAME, "base64:// payload is not a known image type")
    return f"data:{mime};base64,{''.join(payload.split())}"


def _file_url_to_path(url: str) -> str:
    """``file:///tmp/a%20b.png`` → ``/tmp/a b.png`` (absolute POSIX paths only).

    Raises :class:`ImageUnavailableError` for a remote host (``file://server/share/x.png``).
    """
    parts = urlsplit(url)
    path = unquote(parts.path)
    name = shown_name(PurePosixPath(path).name)
    if parts.netloc not in ("", "localhost"):
        raise ImageUnavailableError(name, "file:// URL with a remote host is not supported")
    if not path.startswith("/"):
        raise ImageUnavailableError(name, "file:// URL is not an absolute path")
    return path


def _load_image_file(path: str, limit: int) -> str:
    """Read the image file at ``path`` and return it as a data URL (blocking: run it in a
    thread). Links are resolved and the target checked: a regular file of at most ``limit``
    bytes that decodes as an image.

    Raises ``OSError`` (missing, unreadable, a link loop) or :class:`ImageUnavailableError`.
    """
    name = shown_name(os.path.basename(path))
    target = os.path.realpath(path, strict=True)
    info = os.stat(target)
    _check_file(name, info, limit)
    fd = os.open(target, _OPEN_FLAGS)
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            raise ImageUnavailableError(name, f"{name} changed while it was opened")
        _check_file(name, opened, limit)
        data = handle.read(limit + 1)
    _check_size(name, len(data), limit)
    mime = decoded_image_mime(data)
    if mime is None:
        raise ImageUnavailableError(name, f"{name} is not a PNG, JPEG, GIF, WebP or BMP image")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _check_file(name: str, info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ImageUnavailableError(name, f"{name} is not a regular file")
    _check_size(name, info.st_size, limit)


def _check_size(name: str, size: int, limit: int) -> None:
    if size > limit:
        cap = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
        raise ImageUnavailableError(name, f"{name} is larger than the {cap} image limit")
    if not size:
        raise ImageUnavailableError(name, f"{name} is empty")


async def image_file_to_data_url(path: str, *, max_bytes: int | None = None) -> str:
    """Read a local image file without blocking the event loop; return a base64 data URL.

    ``path`` is a filesystem path (a relative path resolves against the working directory,
    AstrBot's root); a link is resolved and its target checked. Only a regular file of at
    most ``max_bytes`` that Pillow decodes as PNG, JPEG, GIF, WebP or BMP is read and sent;
    the MIME type is Pillow's. Checking, reading and encoding run in a worker thread
    (:func:`asyncio.to_thread`).

    Raises ``OSError`` when the file cannot be read and :class:`ImageUnavailableError`
    (message naming only the file name) when it is not a regular file, larger than
    ``max_bytes``, empty or not such an image. ``max_bytes`` defaults to
    :data:`MAX_IMAGE_BYTES` (read at call time).
    """
    limit = MAX_IMAGE_BYTES if max_bytes is None else max_bytes
    return await asyncio.to_thread(_load_image_file, path, limit)


def _ref_name(ref: str) -> str:
    """The file name of a path or URL reference (for placeholders and logs)."""
    if _SCHEME.match(ref):
        return shown_name(PurePosixPath(unquote(urlsplit(ref).path)).name)
    return shown_name(os.path.basename(ref.rstrip("/")))


async def image_input_part(ref: str) -> InputContent:
    """Turn one AstrBot image reference into a Responses input content part.

    ``ref``: ``data:`` URL, ``http(s)://`` URL, ``base64://`` payload, ``file://`` URL or a
    local path. Returns ``{"type": "input_image", "image_url": …, "detail": "auto"}``, or the
    text part ``[Image unavailable: <name>]`` (plus a warning naming the file name only)
    when the image cannot be used. Never raises for a bad reference.
    """
    ref = (ref or "").strip()
    try:
        if not ref:
            raise ImageUnavailableError("empty reference", "empty image reference")
        lowered = ref[:16].lower()
        if lowered.startswith("data:"):
            return _image(_normalise_data_url(ref))
        if lowered.startswith(("http://", "https://")):
            return _image(ref)
        if lowered.startswith("base64://"):
            return _image(_base64_payload_to_data_url(ref[len("base64://") :]))
        if lowered.startswith("file:"):
            path = _file_url_to_path(ref)
        elif scheme := _SCHEME.match(ref):
            raise ImageUnavailableError(
                _ref_name(ref), f"unsupported image URL scheme {scheme.group(1)!r}"
            )
        else:
            path = ref
        return _image(await image_file_to_data_url(path))
    except ImageUnavailableError as exc:
        LOG.warning("Image %s was not sent: %s", exc.name, exc.reason)
        return _placeholder(exc.name)
    except OSError as exc:
        name = _ref_name(ref)
        LOG.warning("Image %s was not sent: cannot read it (%s)", name, type(exc).__name__)
        return _placeholder(name)


async def audio_input_part(ref: str) -> InputText:
    """Turn one AstrBot audio reference (URL, path or data URL) into a text content part.

    Always returns ``{"type": "input_text", "text": AUDIO_PLACEHOLDER}``: the Responses API
    has no audio input (``input_audio`` was removed from its input types in openai-python
    2.x), and the audio bytes are never put into the text. Does no I/O.
    """
    LOG.debug("audio attachment replaced by a text placeholder")
    return {"type": "input_text", "text": AUDIO_PLACEHOLDER}


__all__ = [
    "AUDIO_PLACEHOLDER",
    "IMAGE_DETAIL",
    "IMAGE_FORMATS",
    "MAX_IMAGE_BYTES",
    "MAX_NAME_CHARS",
    "ImageUnavailableError",
    "audio_input_part",
    "decoded_image_mime",
    "image_file_to_data_url",
    "image_input_part",
    "shown_name",
    "sniff_image_mime",
]
