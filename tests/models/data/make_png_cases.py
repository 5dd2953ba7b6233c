#!/usr/bin/python3
"""Writes the PNG cases of tests/models/image_test.cc (9x7 pixels each) with a hand-written encoder
(zlib and struct only), so the decoder is checked against files that libpng did not write.

  /usr/bin/python3 tests/models/data/make_png_cases.py   # writes tests/models/data/*.png

The pixel formulas are repeated in image_test.cc, which checks every decoded pixel.
"""
import os
import struct
import zlib

W, H = 9, 7
HERE = os.path.dirname(os.path.abspath(__file__))


def rgb(x, y):
    return ((x * 50 + y * 20) % 256, (255 - x * 40 - y * 10) % 256, (x * y * 30 + 7) % 256)


def grey(x, y):
    return (x * 60 + y * 35) % 256


def alpha(x, y):
    return (0, 128, 255)[(x + y) % 3]


def wide(v):  # a 16-bit sample whose high byte differs from round(v16 / 257) for v >= 156
    return min(v * 257 + 100, 65535)


PALETTE = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 20, 30), (200, 100, 50), (0, 0, 0)]


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_rows(rows, bpp):
    """Filters each row with type (row index % 5): None, Sub, Up, Average, Paeth."""
    out = b""
    prev = bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        f = i % 5
        enc = bytearray()
        for j, v in enumerate(row):
            a = row[j - bpp] if j >= bpp else 0
            b = prev[j]
            c = prev[j - bpp] if j >= bpp else 0
            pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[f]
            enc.append((v - pred) % 256)
        out += bytes([f]) + bytes(enc)
        prev = row
    return out


def pack(samples, depth):
    """One row's samples -> bytes, for depths 1, 2, 4, 8, 16."""
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    per = 8 // depth
    out = bytearray()
    for i in range(0, len(samples), per):
        byte = 0
        for k, s in enumerate(samples[i:i + per]):
            byte |= s << (8 - depth * (k + 1))
        out.append(byte)
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write(name, color, depth, pixel, interlace=False, extra=b""):
    """pixel(x, y) -> tuple of samples for colour type `color`."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    bpp = max(1, channels * depth // 8)
    raw = b""
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        xs, ys = range(x0, W, dx), range(y0, H, dy)
        if not xs or not ys:
            continue
        rows = [pack([s for x in xs for s in pixel(x, y)], depth) for y in ys]
        raw += filter_rows(rows, bpp)
    ihdr = struct.pack(">IIBBBBB", W, H, depth, color, 0, 0, 1 if interlace else 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
    data = zlib.compress(raw, 9)
    png += chunk(b"IDAT", data[: len(data) // 2]) + chunk(b"IDAT", data[len(data) // 2:])  # split on purpose
    png += chunk(b"IEND", b"")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(png)


def main():
    write("grey8.png", 0, 8, lambda x, y: (grey(x, y),))
    write("grey1.png", 0, 1, lambda x, y: ((x + y) % 2,))
    write("grey16.png", 0, 16, lambda x, y: (wide(grey(x, y)),))
    write("grey_alpha8.png", 4, 8, lambda x, y: (grey(x, y), alpha(x, y)))
    write("rgb8.png", 2, 8, lambda x, y: rgb(x, y))
    write("rgb16.png", 2, 16, lambda x, y: tuple(wide(c) for c in rgb(x, y)))
    write("rgba8.png", 6, 8, lambda x, y: rgb(x, y) + (alpha(x, y),))
    plte = chunk(b"PLTE", b"".join(bytes(c) for c in PALETTE))
    trns = chunk(b"tRNS", bytes([0, 128]))  # entry 0 transparent, entry 1 half; the rest opaque
    write("palette8_trns.png", 3, 8, lambda x, y: ((x + 2 * y) % 6,), extra=plte + trns)
    write("palette4.png", 3, 4, lambda x, y: ((x + 2 * y) % 6,), extra=plte)
    write("rgb8_interlaced.png", 2, 8, lambda x, y: rgb(x, y), interlace=True)


if __name__ == "__main__":
    main()
