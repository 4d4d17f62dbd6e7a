"""A bar chart as a PNG (pure, standard library only): email clients show inline PNGs, not
SVG. The numbers themselves are in the table beside it, so the chart carries no text."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

BAR = (37, 99, 235)
AXIS = (203, 213, 225)
BACKGROUND = (255, 255, 255)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def bar_chart_png(values: Sequence[float], width: int = 600, height: int = 200) -> bytes:
    """Vertical bars, one per value, scaled to the largest; a baseline along the bottom."""
    pixels = [bytearray(bytes(BACKGROUND) * width) for _ in range(height)]
    top = max(values, default=0) or 1
    count = max(len(values), 1)
    slot = width / count
    gap = max(int(slot * 0.2), 1) if slot > 3 else 0
    plot = height - 4
    for index, value in enumerate(values):
        bar = int(plot * max(value, 0) / top)
        if value > 0:
            bar = max(bar, 1)
        left, right = int(index * slot) + gap // 2, int((index + 1) * slot) - gap // 2
        for y in range(height - 2 - bar, height - 2):
            row = pixels[y]
            for x in range(left, max(right, left + 1)):
                row[3 * x : 3 * x + 3] = bytes(BAR)
    for y in (height - 2, height - 1):
        pixels[y][:] = bytes(AXIS) * width
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )
