#!/usr/bin/python3
"""The Python module's two figures (docs/BENCHMARKS.md):

1. per-call overhead of ``process`` over the C++ call it makes (the core's Infer, timed in C++ by
   ``_core.Node.time_infer``) on the tiny MLP (tools/gen_models mlp_test);
2. BERT-base (gen_models bert_real: the same weights) from Python through ``process`` against
   Debian's PyTorch eager, in the same process, same threads, same inputs.

  PYTHONPATH=build/python /usr/bin/python3 bench/python_api/run.py [--models DIR] [--threads N]

Prints one JSON line per figure. Models are generated into DIR (default build/models) when
missing.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def median_ms(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=str(ROOT / "build" / "models"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--bert-runs", type=int, default=20)
    ap.add_argument("--skip-bert", action="store_true")
    a = ap.parse_args()
    models = pathlib.Path(a.models)
    wanted = "mlp" if a.skip_bert else "mlp,bert"
    subprocess.run(["/usr/bin/python3", str(ROOT / "tools/gen_models/gen_models.py"), "--out",
                    str(models), "--size", "all", "--only", wanted], check=True,
                   stdout=subprocess.DEVNULL)

    from ipfs_accelerate_py import ipfs_accelerate_py
    repo = tempfile.mkdtemp(prefix="ia_python_bench.")
    acc = ipfs_accelerate_py({"repo": repo, "ipfs": {"offline": True}})

    # 1. Overhead of process() over the core's Infer, tiny MLP (batch 4 x 16 floats).
    mlp = str(models / "mlp_test")
    x = np.load(models / "mlp_test/inputs/x.npy")
    feeds = {"x": x}
    acc.process(mlp, feeds)
    cpp, py = [], []
    for _ in range(5):  # interleaved rounds: both sides see the same machine load
        cpp.append(acc._node.time_infer(mlp, feeds, a.calls) * 1e6)
        t0 = time.perf_counter()
        for _ in range(a.calls):
            acc.process(mlp, feeds)
        py.append((time.perf_counter() - t0) / a.calls * 1e6)
    print(json.dumps({"figure": "process_overhead", "model": "mlp_test", "calls": a.calls,
                      "cpp_us": round(min(cpp), 2), "process_us": round(min(py), 2),
                      "overhead_us": round(min(py) - min(cpp), 2),
                      "rounds_cpp_us": [round(v, 2) for v in cpp],
                      "rounds_process_us": [round(v, 2) for v in py]}))

    # 3. 8 Python threads calling process on one model (bert_test) against the same calls made one
    #    after the other: with the GIL released, the threads take the engine's time, not more.
    import threading
    bert_test = str(models / "bert_test")
    feeds_b = {k: np.load(models / "bert_test/inputs" / f"{k}.npy")
               for k in ("input_ids", "attention_mask", "token_type_ids")}
    for parallel in (1, 2):
        node = ipfs_accelerate_py({"repo": repo, "ipfs": {"offline": True},
                                   "performance": {"parallel_requests": parallel}})
        node.process(bert_test, feeds_b)
        n = 200
        t0 = time.perf_counter()
        for _ in range(8 * n):
            node.process(bert_test, feeds_b)
        seq_s = time.perf_counter() - t0
        threads = [threading.Thread(target=lambda: [node.process(bert_test, feeds_b)
                                                    for _ in range(n)]) for _ in range(8)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        par_s = time.perf_counter() - t0
        print(json.dumps({"figure": "threads", "model": "bert_test", "calls": 8 * n,
                          "parallel_requests": parallel, "sequential_s": round(seq_s, 3),
                          "eight_threads_s": round(par_s, 3)}))
    if a.skip_bert:
        return

    # 2. BERT-base: process() against PyTorch eager on the same weights, same process.
    import torch
    sys.path.insert(0, str(ROOT / "tools" / "gen_models"))
    import gen_models
    torch.set_num_threads(a.threads)
    bert_dir = models / "bert_real"
    manifest = json.load(open(bert_dir / "manifest.json"))
    seed = gen_models.SEEDS["bert"] + 1
    torch.manual_seed(seed)
    spec = gen_models.build("bert", "real", np.random.RandomState(seed))
    module = spec.module
    gen_models.init_weights(module, torch)
    module.eval()
    inputs = {k: np.load(bert_dir / "inputs" / f"{k}.npy") for k in spec.inputs}
    args = tuple(torch.from_numpy(inputs[k]) for k in spec.inputs)
    acc2 = ipfs_accelerate_py({"repo": repo, "ipfs": {"offline": True}, "threads": a.threads,
                               "performance": {"parallel_requests": 1}})
    bert = str(bert_dir)
    ours_out = acc2.process(bert, inputs)
    with torch.no_grad():
        theirs_out = gen_models.as_tuple(module(*args))
    err = max(float(np.linalg.norm(ours_out[k] - t.numpy()) / max(np.linalg.norm(t.numpy()), 1e-30))
              for k, t in zip(spec.outputs, theirs_out))
    ours, theirs = [], []
    for _ in range(3):  # interleaved
        ours.append(median_ms(lambda: acc2.process(bert, inputs), a.bert_runs, 2)[0])
        with torch.no_grad():
            theirs.append(median_ms(lambda: module(*args), a.bert_runs, 2)[0])
    print(json.dumps({"figure": "bert_base", "shape": {k: list(v.shape) for k, v in inputs.items()},
                      "threads_torch": a.threads, "ours_ms": round(min(ours), 2),
                      "torch_eager_ms": round(min(theirs), 2),
                      "ratio_torch_over_ours": round(min(theirs) / min(ours), 2),
                      "max_rel_l2_vs_torch": err, "rounds_ours_ms": [round(v, 2) for v in ours],
                      "rounds_torch_ms": [round(v, 2) for v in theirs],
                      "config": manifest["config"]}))


if __name__ == "__main__":
    main()
