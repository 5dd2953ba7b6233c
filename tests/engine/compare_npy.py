#!/usr/bin/python3
"""Compares an engine run with a generated model's reference outputs.

  compare_npy.py MODEL_DIR OUT_DIR [--tol 1e-4]   prints one line per output, exits 1 on any mismatch
  compare_npy.py MODEL_DIR --inputs               prints the model's inputs as NAME=PATH, one a line

MODEL_DIR is a tools/gen_models directory (manifest.json, inputs/, outputs/). The error is the
relative L2 error ||ours - ref|| / ||ref|| (computed in float64); shapes and dtypes must match exactly.
"""
import argparse
import json
import os
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("out_dir", nargs="?")
    ap.add_argument("--tol", type=float, default=None, help="default: the manifest's tolerance_rel_l2, else 1e-4")
    ap.add_argument("--inputs", action="store_true")
    a = ap.parse_args()
    with open(os.path.join(a.model_dir, "manifest.json")) as f:
        m = json.load(f)
    if a.inputs:
        for t in m["inputs"]:
            print(f"{t['name']}={os.path.join(a.model_dir, t['file'])}")
        return 0
    if a.out_dir is None:
        ap.error("OUT_DIR is required unless --inputs is given")
    tol = a.tol if a.tol is not None else m.get("tolerance_rel_l2", 1e-4)
    failed = 0
    for t in m["outputs"]:
        ref = np.load(os.path.join(a.model_dir, t["file"]))
        path = os.path.join(a.out_dir, t["name"] + ".npy")
        if not os.path.isfile(path):
            print(f"  {t['name']}: MISSING (no {path})")
            failed += 1
            continue
        ours = np.load(path)
        if ours.shape != ref.shape or ours.dtype != ref.dtype:
            print(f"  {t['name']}: MISMATCH shape/dtype {ours.dtype}{list(ours.shape)}, want {ref.dtype}{list(ref.shape)}")
            failed += 1
            continue
        r = ref.astype(np.float64)
        diff = np.linalg.norm((ours.astype(np.float64) - r).ravel())
        norm = np.linalg.norm(r.ravel())
        err = diff / norm if norm > 0 else diff
        finite = bool(np.isfinite(ours).all()) if ours.dtype.kind == "f" else True
        ok = finite and err <= tol
        failed += not ok
        extra = "" if finite else " (non-finite values)"
        print(f"  {t['name']}: rel_l2={err:.3e} max_abs={np.abs(ours.astype(np.float64) - r).max(initial=0):.3e}"
              f" {'ok' if ok else 'FAIL'} (tol {tol:g}){extra}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
