#!/usr/bin/python3
"""Exports the engine's test models to ONNX, with inputs and PyTorch reference outputs.

For each model and size it writes OUT/<name>_<size>/ holding model.onnx, inputs/<input>.npy,
outputs/<output>.npy (PyTorch float32 reference on those inputs) and manifest.json, which is
written last: a directory with a manifest from the same generator source is complete and skipped.

Run with Debian's interpreter (python3-torch python3-onnx python3-numpy):
  /usr/bin/python3 tools/gen_models/gen_models.py --out build/models [--size test|real|all] [--only bert,gpt2]
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = ("test", "real")
MODEL_NAMES = ("mlp", "bert", "distilbert", "gpt2", "vit", "resnet50", "whisper_encoder", "unet")
# Each model has its own seed, so adding a model never changes another one's weights or data.
SEEDS = {name: 1000 + 17 * i for i, name in enumerate(MODEL_NAMES)}
MANIFEST = "manifest.json"
GENERATOR_SOURCES = ("gen_models.py", "transformer_models.py", "conv_models.py")  # what shapes the output


def generator_hash():
    """Hash of this generator's sources: a manifest from other sources is stale and regenerated."""
    h = hashlib.sha256()
    for fname in GENERATOR_SOURCES:
        with open(os.path.join(HERE, fname), "rb") as f:
            h.update(fname.encode() + b"\0" + f.read() + b"\0")
    return h.hexdigest()[:16]


def is_complete(d, gen):
    try:
        with open(os.path.join(d, MANIFEST)) as f:
            m = json.load(f)
    except (OSError, ValueError):
        return False
    if m.get("generator") != gen:
        return False
    files = ["model.onnx"] + [t["file"] for t in m["inputs"] + m["outputs"]]
    return all(os.path.isfile(os.path.join(d, p)) for p in files)


@dataclass
class Spec:
    module: object
    inputs: dict  # name -> numpy array, in the model's argument order
    outputs: list  # output names
    dynamic_axes: dict
    config: dict
    trace_inputs: dict = None  # inputs used for tracing when they must differ from `inputs`
    calibrate: dict = None  # inputs for a train-mode pass that sets BatchNorm statistics
    opset: int = 17
    notes: list = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Model definitions per size


def _ids(rng, vocab, b, s):
    return rng.randint(0, vocab, size=(b, s)).astype("int64")


def _mask(b, s, zeros):
    """Row r ends with zeros[r] padding positions (0); the rest are 1."""
    import numpy as np

    m = np.ones((b, s), dtype=np.int64)
    for r, z in enumerate(zeros):
        if z:
            m[r, s - z :] = 0
    return m


def build(name, size, rng):
    import numpy as np
    from conv_models import Mlp, ResNet, UNet
    from transformer_models import Bert, DistilBert, Gpt2, Vit, WhisperEncoder

    test = size == "test"
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    bs = {0: "batch", 1: "sequence"}

    if name == "mlp":
        cfg = dict(dims=[16, 32, 32, 8], batch=4) if test else dict(dims=[1024, 4096, 4096, 1024], batch=8)
        return Spec(Mlp(cfg["dims"]), {"x": f32(cfg["batch"], cfg["dims"][0])}, ["y"],
                    {"x": {0: "batch"}, "y": {0: "batch"}}, cfg)

    if name in ("bert", "distilbert"):
        if test:
            cfg = dict(vocab=100, hidden=32, layers=2, heads=4, inter=64, max_pos=32, batch=2, seq=8, pad=[0, 3])
        else:
            cfg = dict(vocab=30522, hidden=768, layers=12 if name == "bert" else 6, heads=12, inter=3072,
                       max_pos=512, batch=1, seq=128, pad=[28])
        b, s = cfg["batch"], cfg["seq"]
        args = (cfg["vocab"], cfg["hidden"], cfg["layers"], cfg["heads"], cfg["inter"], cfg["max_pos"])
        inputs = {"input_ids": _ids(rng, cfg["vocab"], b, s), "attention_mask": _mask(b, s, cfg["pad"])}
        outputs = ["last_hidden_state"]
        if name == "bert":
            tt = np.zeros((b, s), dtype=np.int64)
            tt[:, s // 2 :] = 1
            inputs["token_type_ids"] = tt
            outputs.append("pooler_output")
            module = Bert(*args)
        else:
            module = DistilBert(*args)
        axes = {k: bs for k in inputs}
        axes["last_hidden_state"] = bs
        if name == "bert":
            axes["pooler_output"] = {0: "batch"}
        return Spec(module, inputs, outputs, axes, cfg)

    if name == "gpt2":
        if test:
            cfg = dict(vocab=100, hidden=32, layers=2, heads=4, max_pos=32, batch=2, seq=3, past=5)
        else:
            cfg = dict(vocab=50257, hidden=768, layers=12, heads=12, max_pos=1024, batch=1, seq=128, past=0)
        b, s, p, d = cfg["batch"], cfg["seq"], cfg["past"], cfg["hidden"] // cfg["heads"]
        module = Gpt2(cfg["vocab"], cfg["hidden"], cfg["layers"], cfg["heads"], cfg["max_pos"])

        def feeds(b, s, p):
            x = {"input_ids": _ids(rng, cfg["vocab"], b, s)}
            for i in range(cfg["layers"]):
                x[f"past_key_{i}"] = f32(b, cfg["heads"], p, d)
                x[f"past_value_{i}"] = f32(b, cfg["heads"], p, d)
            return x

        inputs = feeds(b, s, p)
        outputs = ["logits"]
        axes = {"input_ids": bs, "logits": bs}
        for i in range(cfg["layers"]):
            outputs += [f"present_key_{i}", f"present_value_{i}"]
            for k in ("past_key", "past_value"):
                axes[f"{k}_{i}"] = {0: "batch", 2: "past_sequence"}
            for k in ("present_key", "present_value"):
                axes[f"{k}_{i}"] = {0: "batch", 2: "total_sequence"}
        # Traced with other sizes than the data (and a non-empty past, also for the P=0 prefill data):
        # a size baked in at trace time then shows up as a wrong result, not as a silent pass.
        trace = feeds(1, 2, 3)
        return Spec(module, inputs, outputs, axes, cfg, trace_inputs=trace)

    if name == "vit":
        if test:
            cfg = dict(image=32, patch=8, hidden=32, layers=2, heads=4, inter=64, classes=10, batch=2)
        else:
            cfg = dict(image=224, patch=16, hidden=768, layers=12, heads=12, inter=3072, classes=1000, batch=1)
        module = Vit(cfg["image"], cfg["patch"], cfg["hidden"], cfg["layers"], cfg["heads"], cfg["inter"],
                     cfg["classes"])
        x = f32(cfg["batch"], 3, cfg["image"], cfg["image"])
        return Spec(module, {"pixel_values": x}, ["logits"],
                    {"pixel_values": {0: "batch"}, "logits": {0: "batch"}}, cfg)

    if name == "resnet50":
        if test:
            cfg = dict(blocks=[1, 1, 1, 1], base=8, classes=10, image=32, batch=2)
        else:
            cfg = dict(blocks=[3, 4, 6, 3], base=64, classes=1000, image=224, batch=1)
        module = ResNet(cfg["blocks"], cfg["base"], cfg["classes"])
        x = f32(cfg["batch"], 3, cfg["image"], cfg["image"])
        calib = f32(4, 3, cfg["image"], cfg["image"])
        return Spec(module, {"pixel_values": x}, ["logits"],
                    {"pixel_values": {0: "batch"}, "logits": {0: "batch"}}, cfg, calibrate={"pixel_values": calib})

    if name == "whisper_encoder":
        if test:
            cfg = dict(mels=80, frames=40, hidden=32, layers=2, heads=4, batch=2)
        else:
            cfg = dict(mels=80, frames=3000, hidden=384, layers=4, heads=6, batch=1)
        module = WhisperEncoder(cfg["mels"], cfg["frames"], cfg["hidden"], cfg["layers"], cfg["heads"])
        x = f32(cfg["batch"], cfg["mels"], cfg["frames"])
        return Spec(module, {"input_features": x}, ["last_hidden_state"],
                    {"input_features": {0: "batch"}, "last_hidden_state": {0: "batch"}}, cfg)

    if name == "unet":
        if test:
            cfg = dict(in_ch=4, base=8, mult=[1, 2, 4], groups=4, image=16, batch=2)
        else:
            cfg = dict(in_ch=4, base=128, mult=[1, 2, 4], groups=32, image=64, batch=1)
        module = UNet(cfg["in_ch"], cfg["base"], cfg["mult"], cfg["groups"])
        x = f32(cfg["batch"], cfg["in_ch"], cfg["image"], cfg["image"])
        t = rng.randint(0, 1000, size=(cfg["batch"],)).astype(np.int64)
        img = {0: "batch", 2: "height", 3: "width"}
        return Spec(module, {"sample": x, "timestep": t}, ["out_sample"],
                    {"sample": img, "timestep": {0: "batch"}, "out_sample": img}, cfg)

    raise ValueError(name)


def init_weights(module, torch):
    """Weights with some spread: default inits leave LayerNorm at (1, 0) and attention near uniform."""
    from torch import nn

    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, m.in_features**-0.5)
                if m.bias is not None:
                    nn.init.normal_(m.bias, 0.0, 0.02)
            elif isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, 0.0, 0.02)
            elif isinstance(m, (nn.LayerNorm, nn.GroupNorm, nn.BatchNorm2d)):
                m.weight.copy_(1.0 + 0.1 * torch.randn_like(m.weight))
                m.bias.copy_(0.1 * torch.randn_like(m.bias))
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = None  # cumulative average: one calibration pass gives that batch's stats


# ---------------------------------------------------------------------------------------------
# Export


def as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def export_one(name, size, out_dir, gen, opset_override=None):
    import numpy as np
    import onnx
    import torch

    seed = SEEDS[name] + (0 if size == "test" else 1)
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    spec = build(name, size, rng)
    model = spec.module
    init_weights(model, torch)
    if spec.calibrate is not None:
        model.train()
        with torch.no_grad():
            model(*[torch.from_numpy(v) for v in spec.calibrate.values()])
    model.eval()

    args = tuple(torch.from_numpy(v) for v in spec.inputs.values())
    with torch.no_grad():
        ref = [t.detach().numpy() for t in as_tuple(model(*args))]
    assert len(ref) == len(spec.outputs), (name, len(ref))

    final = os.path.join(out_dir, f"{name}_{size}")
    tmp = os.path.join(out_dir, f".tmp-{name}_{size}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "inputs"))
    os.makedirs(os.path.join(tmp, "outputs"))

    trace = spec.trace_inputs or spec.inputs
    trace_args = tuple(torch.from_numpy(v) for v in trace.values())
    model_path = os.path.join(tmp, "model.onnx")
    opset = opset_override or spec.opset
    t0 = time.time()
    try:
        torch.onnx.export(model, trace_args, model_path, input_names=list(spec.inputs), output_names=spec.outputs,
                          dynamic_axes=spec.dynamic_axes, opset_version=opset, do_constant_folding=True)
    except Exception as e:  # noqa: BLE001 - fall back to opset 14 once, as the README documents
        if opset == 14:
            raise
        print(f"  opset {opset} export failed ({type(e).__name__}: {e}); retrying with opset 14", file=sys.stderr)
        opset = 14
        torch.onnx.export(model, trace_args, model_path, input_names=list(spec.inputs), output_names=spec.outputs,
                          dynamic_axes=spec.dynamic_axes, opset_version=opset, do_constant_folding=True)
    export_s = time.time() - t0
    proto = onnx.load(model_path)
    onnx.checker.check_model(proto)
    op_types = sorted({n.op_type for n in proto.graph.node})

    def entries(kind, arrays):
        rows = []
        for n, a in arrays:
            fname = f"{kind}/{n}.npy"
            np.save(os.path.join(tmp, fname), np.ascontiguousarray(a))
            rows.append({"name": n, "file": fname, "shape": list(a.shape), "dtype": str(a.dtype)})
        return rows

    manifest = {
        "model": name,
        "size": size,
        "opset": opset,
        "seed": seed,
        "generator": gen,
        "torch_version": torch.__version__.split("+")[0],
        "config": spec.config,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "model_bytes": os.path.getsize(model_path),
        "op_types": op_types,
        "inputs": entries("inputs", spec.inputs.items()),
        "outputs": entries("outputs", zip(spec.outputs, ref)),
        "tolerance_rel_l2": 1e-4,
    }
    if spec.trace_inputs is not None:
        manifest["traced_with"] = {k: list(v.shape) for k, v in spec.trace_inputs.items()}
    text = json.dumps(manifest, indent=1, sort_keys=True)
    # Lists of numbers or strings (shapes, op types) on one line each.
    text = re.sub(r"\[[^\[\]{}]*\]", lambda mt: json.dumps(json.loads(mt.group(0))), text)
    with open(os.path.join(tmp, MANIFEST), "w") as f:
        f.write(text + "\n")
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)
    return manifest, export_s


def main():
    ap = argparse.ArgumentParser(
        description="Export the engine's test models (ONNX + .npy inputs + PyTorch reference outputs).",
        epilog="Models: " + ", ".join(MODEL_NAMES) + ". Run with /usr/bin/python3 (Debian's python3-torch).")
    ap.add_argument("--out", required=True, help="output directory (e.g. build/models)")
    ap.add_argument("--size", choices=SIZES + ("all",), default="test",
                    help="test: tiny, milliseconds to run (default); real: full-size architectures")
    ap.add_argument("--only", default="", help="comma-separated model names (default: all)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (default 1; other counts can change the last bits of conv models' data)")
    ap.add_argument("--force", action="store_true", help="regenerate even when a complete manifest exists")
    args = ap.parse_args()

    names = [n for n in args.only.split(",") if n] or list(MODEL_NAMES)
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODEL_NAMES)}")
    sizes = SIZES if args.size == "all" else (args.size,)
    os.makedirs(args.out, exist_ok=True)
    gen = generator_hash()

    jobs = [(n, s, args.force or not is_complete(os.path.join(args.out, f"{n}_{s}"), gen)) for s in sizes for n in names]
    if any(stale for _, _, stale in jobs):
        try:
            import torch  # imported late: an up-to-date tree needs no torch
        except ImportError:
            print("gen_models: PyTorch is missing for this interpreter; run scripts/setup (Debian packages "
                  "python3-torch python3-onnx python3-numpy) and use /usr/bin/python3", file=sys.stderr)
            return 2
        torch.set_num_threads(args.threads)
        sys.dont_write_bytecode = True  # no __pycache__ in the source tree
        sys.path.insert(0, HERE)
    for n, s, stale in jobs:
        if not stale:
            print(f"{n}_{s}: up to date", flush=True)
            continue
        t0 = time.time()
        m, export_s = export_one(n, s, args.out, gen)
        print(f"{n}_{s}: {m['parameters']:,} parameters, model.onnx {m['model_bytes']:,} bytes, opset {m['opset']}, "
              f"export {export_s:.1f} s, total {time.time() - t0:.1f} s; ops: {' '.join(m['op_types'])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
