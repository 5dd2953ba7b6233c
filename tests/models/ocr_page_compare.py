#!/usr/bin/python3
"""Compares `ipfs-accelerate ocr --json` with the reference (tools/ocr/ocr_page_reference.mjs).

  ocr_page_compare.py REFERENCE.jsonl OURS_DIR [--min-iou 0.9] [--truth TRUTH.json]

REFERENCE.jsonl has one line per image; OURS_DIR/<image file name>.json is our output for it. The
reference reports boxes in its detector input (the page scaled and padded to multiples of 32);
they are mapped back to the page (x = (x - left) / scale - shift) and both boxes clipped to it. Per image:
the same number of lines, the same text line by line, and each pair of boxes with an intersection
over union of at least --min-iou. With --truth ({file name: [line, ...]}, what was rendered),
our lines must also be exactly those (the reference's are only reported). Prints one line per
image; exits 1 on any mismatch.
"""
import argparse
import json
import os
import sys


def area(poly):
    return abs(sum(poly[i - 1][0] * poly[i][1] - poly[i][0] * poly[i - 1][1]
                   for i in range(len(poly)))) / 2


def ccw(poly):
    signed = sum(poly[i - 1][0] * poly[i][1] - poly[i][0] * poly[i - 1][1] for i in range(len(poly)))
    return poly if signed > 0 else poly[::-1]


def clip(subject, clipper):
    """Sutherland-Hodgman: the part of convex `subject` inside convex `clipper` (both ccw)."""
    out = subject
    for i in range(len(clipper)):
        a, b = clipper[i - 1], clipper[i]
        inside = lambda p: (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0
        src, out = out, []
        for j in range(len(src)):
            p, q = src[j - 1], src[j]
            if inside(q):
                if not inside(p):
                    out.append(cross(p, q, a, b))
                out.append(q)
            elif inside(p):
                out.append(cross(p, q, a, b))
        if not out:
            return []
    return out


def cross(p, q, a, b):
    """Where segment p-q meets the line a-b."""
    dx1, dy1 = q[0] - p[0], q[1] - p[1]
    dx2, dy2 = b[0] - a[0], b[1] - a[1]
    t = ((a[0] - p[0]) * dy2 - (a[1] - p[1]) * dx2) / (dx1 * dy2 - dy1 * dx2)
    return (p[0] + t * dx1, p[1] + t * dy1)


def iou(p, q):
    p, q = ccw(p), ccw(q)
    inter = clip(p, q)
    i = area(inter) if len(inter) >= 3 else 0.0
    u = area(p) + area(q) - i
    return i / u if u > 0 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("ours_dir")
    ap.add_argument("--min-iou", type=float, default=0.9)
    ap.add_argument("--truth")
    a = ap.parse_args()
    truth = json.load(open(a.truth)) if a.truth else {}
    failed = 0
    for row in open(a.reference):
        ref = json.loads(row)
        name = os.path.basename(ref["image"])
        ours = json.load(open(os.path.join(a.ours_dir, name + ".json")))
        w, h = ref["width"], ref["height"]
        lb = ref["letterbox"]
        to_page = lambda box: [
            (min(max((x - lb["left"]) / lb["scale"] - lb["shift"], 0), w),
             min(max((y - lb["top"]) / lb["scale"] - lb["shift"], 0), h)) for x, y in box]
        ref_lines, our_lines = ref["lines"], ours["lines"]
        problems = []
        if len(ref_lines) != len(our_lines):
            problems.append(f"{len(our_lines)} lines, the reference {len(ref_lines)}")
        matched, ious = 0, []
        for i, (r, o) in enumerate(zip(ref_lines, our_lines)):
            v = iou(to_page(r["box"]), [(x, y) for x, y in o["box"]])
            ious.append(v)
            ok = True
            if r["text"] != o["text"]:
                problems.append(f"line {i + 1}: {o['text']!r}, the reference {r['text']!r}")
                ok = False
            if v < a.min_iou:
                problems.append(f"line {i + 1}: IoU {v:.3f} < {a.min_iou} (ours {o['box']}, "
                                f"the reference {r['box']} in its input)")
                ok = False
            matched += ok
        min_iou = min(ious) if ious else float("nan")
        status = "ok  " if not problems else "FAIL"
        print(f"{status} {name}: {matched}/{len(ref_lines)} lines matched (ours {len(our_lines)}), "
              f"text {'equal' if all(r['text'] == o['text'] for r, o in zip(ref_lines, our_lines)) and len(ref_lines) == len(our_lines) else 'differs'}, "
              f"min IoU {min_iou:.3f}")
        if name in truth:
            want = truth[name]
            ours_text = [o["text"] for o in our_lines]
            ref_wrong = sum(r != t for r, t in zip([r["text"] for r in ref_lines], want))
            ref_wrong += abs(len(ref_lines) - len(want))
            print(f"       the rendered text: ours {'exact' if ours_text == want else 'DIFFERS'}, "
                  f"the reference {'exact' if not ref_wrong else f'{ref_wrong} lines differ'}")
            if ours_text != want:
                problems.append(f"ours {ours_text}, rendered {want}")
        for p in problems:
            print(f"       {p}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
