#!/usr/bin/python3
"""Writes the inputs of paddleocr_ort_test.sh into OUT_DIR:

  det.npy  1x3x640x640  a white page holding IMAGE at two sizes, as PaddleOCR feeds det: BGR,
                        (x/255 - mean) / std with ImageNet's mean and std
  rec.npy  1x3x48x320   IMAGE as PaddleOCR feeds a fixed-width rec model: BGR, resized to height 48
                        and squeezed into 320 columns, (x/255 - 0.5) / 0.5
  cls.npy  1x3x48x192   the same for the cls model's 48x192

Real text rather than noise: on noise det's map is ~0 everywhere (max 0.005), which compares nothing.

  paddleocr_inputs.py IMAGE OUT_DIR       (Debian's /usr/bin/python3: numpy and PIL)
"""
import math
import sys

import numpy as np
from PIL import Image


def resize_linear(a, width, height):
    """OpenCV INTER_LINEAR (half-pixel centres, clamped borders), float result."""
    h, w = a.shape[:2]

    def taps(src, dst):
        f = np.maximum((np.arange(dst) + 0.5) * (src / dst) - 0.5, 0)
        i0 = np.minimum(np.floor(f).astype(int), src - 1)
        return i0, np.minimum(i0 + 1, src - 1), (f - i0)

    x0, x1, fx = taps(w, width)
    y0, y1, fy = taps(h, height)
    a = a.astype(np.float64)
    fx, fy = fx[None, :, None], fy[:, None, None]
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bottom = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return np.clip(np.round(top * (1 - fy) + bottom * fy), 0, 255)


def rec_input(path, height=48, width=320):
    bgr = np.asarray(Image.open(path).convert("RGB"))[:, :, ::-1]
    h, w = bgr.shape[:2]
    resized_w = min(width, int(math.ceil(height * w / h)))
    r = resize_linear(bgr, resized_w, height).astype(np.float32)
    out = np.zeros((1, 3, height, width), np.float32)
    out[0, :, :, :resized_w] = (r.transpose(2, 0, 1) / 255 - 0.5) / 0.5
    return out


def det_input(path, size=640):
    line = np.asarray(Image.open(path).convert("RGB"))[:, :, ::-1]
    page = np.full((size, size, 3), 255.0)
    h, w = line.shape[:2]
    for top, scale in ((100, 0.55), (300, 0.35)):
        small = resize_linear(line, int(w * scale), int(h * scale))
        page[top:top + small.shape[0], 20:20 + small.shape[1]] = small
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    return ((page / 255 - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)


def main():
    image, out = sys.argv[1], sys.argv[2]
    np.save(f"{out}/det.npy", det_input(image))
    np.save(f"{out}/rec.npy", rec_input(image))
    np.save(f"{out}/cls.npy", rec_input(image, width=192))


if __name__ == "__main__":
    main()
