#!/usr/bin/python3
"""Compares our outputs with onnxruntime-node's, element by element.

  compare_ort.py ORT_DIR OURS_DIR [--exact | --rtol R --atol A]

ORT_DIR is what tests/engine/ort_outputs.js wrote (manifest.json and outputs/); OURS_DIR holds
<output name>.npy as `run --output-dir` writes them. Dtypes and shapes must match; integers and
booleans exactly; floats exactly with --exact, else within numpy's isclose(rtol, atol) (defaults
1e-5 and 1e-6), NaN equal to NaN. Prints one line per differing output and exits 1 when any
differs.
"""
import argparse
import json
import os
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ort_dir")
    ap.add_argument("ours_dir")
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--atol", type=float, default=1e-6)
    a = ap.parse_args()
    bad = 0
    with open(os.path.join(a.ort_dir, "manifest.json")) as f:
        outputs = json.load(f)["outputs"]
    for o in outputs:
        want = np.load(os.path.join(a.ort_dir, o["file"]))
        got = np.load(os.path.join(a.ours_dir, o["name"] + ".npy"))
        if want.dtype != got.dtype or want.shape != got.shape:
            print(f"    {o['name']}: {got.dtype} {list(got.shape)}, onnxruntime {want.dtype} "
                  f"{list(want.shape)}")
            bad += 1
            continue
        if want.dtype.kind == "f" and not a.exact:
            ok = np.isclose(got, want, rtol=a.rtol, atol=a.atol, equal_nan=True)
        elif want.dtype.kind == "f":
            ok = (got == want) | (np.isnan(got) & np.isnan(want))
        else:
            ok = got == want
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            print(f"    {o['name']}: {int((~ok).sum())} of {want.size} values differ; first at {i}: "
                  f"{got.flat[i]}, onnxruntime {want.flat[i]}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
