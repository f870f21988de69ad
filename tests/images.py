"""Real image files for media tests: small images Pillow encodes (and decodes back)."""

from __future__ import annotations

import io

from PIL import Image


def encode_image(kind: str, size: tuple[int, int] = (4, 3)) -> bytes:
    """A ``size`` red RGB image encoded as Pillow format ``kind`` (``"PNG"``, ``"JPEG"``…)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()
