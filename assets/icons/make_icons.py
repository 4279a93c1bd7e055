"""Draws the extension's icons (16/32/48/128 px PNGs) with the standard library only.

A rounded green square with a white lightning bolt, rasterised with 4x4 supersampling so the
edges are anti-aliased. Deterministic: re-running writes byte-identical files, which are
committed (build.py copies them, it does not run this).

    python assets/icons/make_icons.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (16, 32, 48, 128)
GREEN = (22, 130, 80)
WHITE = (255, 255, 255)
# Lightning bolt in a 0..1 unit square (clockwise polygon).
BOLT = [(0.58, 0.10), (0.26, 0.55), (0.47, 0.55), (0.40, 0.90), (0.74, 0.43), (0.53, 0.43), (0.62, 0.10)]
RADIUS = 0.22  # corner radius of the background, as a share of the side
SUPER = 4


def _inside_polygon(x: float, y: float, poly: list[tuple[float, float]]) -> bool:
    inside = False
    j = len(poly) - 1
    for i, (xi, yi) in enumerate(poly):
        xj, yj = poly[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _inside_rounded_square(x: float, y: float) -> bool:
    cx = min(max(x, RADIUS), 1 - RADIUS)
    cy = min(max(y, RADIUS), 1 - RADIUS)
    return (x - cx) ** 2 + (y - cy) ** 2 <= RADIUS**2


def render(size: int) -> bytes:
    """RGBA pixels, row by row, each row prefixed by PNG filter type 0."""
    rows = bytearray()
    n = SUPER * SUPER
    for py in range(size):
        rows.append(0)
        for px in range(size):
            bg = bolt = 0
            for sy in range(SUPER):
                for sx in range(SUPER):
                    x = (px + (sx + 0.5) / SUPER) / size
                    y = (py + (sy + 0.5) / SUPER) / size
                    if _inside_rounded_square(x, y):
                        bg += 1
                        if _inside_polygon(x, y, BOLT):
                            bolt += 1
            alpha = round(255 * bg / n)
            if bg:
                rgb = [round((WHITE[c] * bolt + GREEN[c] * (bg - bolt)) / bg) for c in range(3)]
            else:
                rgb = [0, 0, 0]
            rows.extend((*rgb, alpha))
    return bytes(rows)


def png(size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(render(size), 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    for size in SIZES:
        (HERE / f"icon-{size}.png").write_bytes(png(size))
        print(f"assets/icons/icon-{size}.png")


if __name__ == "__main__":
    main()
