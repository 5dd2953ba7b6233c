#!/usr/bin/python3
"""Renders the text-line image of the OCR demo (assets/ocr/text_line.png), once; the PNG is committed.

  /usr/bin/python3 tools/ocr/make_text_line.py [--out assets/ocr/text_line.png]

Black DejaVu Sans 40 px on white, 8 px margins: 54 px high, a size PaddleOCR v4 rec reads without a
mistake (checked with onnxruntime-node and with `ipfs-accelerate ocr`). Needs Debian's PIL.
"""
import argparse

from PIL import Image, ImageDraw, ImageFont

TEXT = "IPFS Accelerate runs models by content address 2025"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SIZE = 40
MARGIN = 8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="assets/ocr/text_line.png")
    ap.add_argument("--text", default=TEXT)
    a = ap.parse_args()
    font = ImageFont.truetype(FONT, SIZE)
    left, top, right, bottom = font.getbbox(a.text)
    height = bottom - top + 2 * MARGIN
    img = Image.new("RGB", (right - left + 2 * MARGIN, height), "white")
    ImageDraw.Draw(img).text((MARGIN - left, MARGIN - top), a.text, font=font, fill="black")
    img.save(a.out, optimize=True)
    print(f"{a.out}: {img.size[0]}x{img.size[1]} \"{a.text}\"")


if __name__ == "__main__":
    main()
