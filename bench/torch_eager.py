#!/usr/bin/python3
"""Times a generated model in PyTorch eager mode, for bench/engine_vs_ort.

  torch_eager.py MODEL_DIR THREADS RUNS WARMUP

MODEL_DIR is one of tools/gen_models' outputs (manifest.json names the model and size): the module
is rebuilt exactly as the generator built it (same seed, weights, BatchNorm calibration) and run on
MODEL_DIR/inputs/*.npy. Prints one JSON line {median_ms, p90_ms, min_ms, runs, max_rel_l2}, where
max_rel_l2 compares the eager outputs with the stored reference outputs (a check that the module
is the one exported).
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "gen_models"))
import gen_models  # noqa: E402


def main():
    model_dir, threads, runs, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    manifest = json.load(open(os.path.join(model_dir, "manifest.json")))
    name, size = manifest["model"], manifest["size"]
    seed = gen_models.SEEDS[name] + (0 if size == "test" else 1)
    torch.manual_seed(seed)
    spec = gen_models.build(name, size, np.random.RandomState(seed))
    model = spec.module
    gen_models.init_weights(model, torch)
    if spec.calibrate is not None:
        model.train()
        with torch.no_grad():
            model(*[torch.from_numpy(v) for v in spec.calibrate.values()])
    model.eval()
    args = tuple(torch.from_numpy(np.load(os.path.join(model_dir, "inputs", f"{k}.npy"))) for k in spec.inputs)
    times = []
    with torch.no_grad():
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            out = gen_models.as_tuple(model(*args))
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1e3)
    err = 0.0
    for k, t in zip(spec.outputs, out):
        ref = np.load(os.path.join(model_dir, "outputs", f"{k}.npy"))
        err = max(err, float(np.linalg.norm(t.numpy() - ref) / max(np.linalg.norm(ref), 1e-30)))
    times.sort()
    print(json.dumps({"median_ms": times[len(times) // 2], "p90_ms": times[int(0.9 * (len(times) - 1))],
                      "min_ms": times[0], "runs": len(times), "max_rel_l2": err}))


if __name__ == "__main__":
    main()
