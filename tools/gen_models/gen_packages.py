#!/usr/bin/python3
"""Model packages for the task pipelines (embed, generate), and their PyTorch references.

No text weights can be downloaded here, so the packages hold models of the real architectures at
the vocabulary sizes of real tokenizers, with random weights: GPT-2 (vocab 50257, with
attention_mask, position_ids and a KV cache, named as Hugging Face's ONNX exports name them) and
a BERT sentence encoder (vocab 30522, mean pooling, as all-MiniLM-L6-v2). A package directory is
what `ipfs-accelerate add -r` stores and the pipelines read: model.onnx, config.json,
accelerate.json (the task manifest) and, when given, tokenizer.json.

  gen_packages.py build --out DIR [--only gpt2-lm,bert-embed] [--tokenizer NAME=tokenizer.json]
  gen_packages.py generate --out DIR --package gpt2-lm --ids '[[464, 3290], [40]]' --max-new-tokens 32
      prints {"tokens": [[...], ...]}: greedy continuations, one prompt at a time
  gen_packages.py embed --out DIR --package bert-embed --ids '[[101, 7592, 102], ...]'
      prints {"embeddings": [[...], ...]}: one text at a time, mean-pooled and L2-normalized

The torch weights sit beside each package (DIR/NAME.torch.pt), so the references run the very
model the ONNX file holds. Run with Debian's /usr/bin/python3 (python3-torch, python3-onnx).
"""
import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PACKAGES = {
    "gpt2-lm": dict(vocab=50257, hidden=64, layers=2, heads=4, max_pos=256, seed=4242),
    "bert-embed": dict(vocab=30522, hidden=64, layers=2, heads=4, inter=128, max_pos=128, seed=4343),
    "vit-classify": dict(image=64, patch=8, hidden=64, layers=2, heads=4, inter=128, classes=10, resize=72,
                         seed=4444),
}
LABELS = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
# --size bench: all-MiniLM-L6-v2's architecture (6 layers, hidden 384, 12 heads) and a GPT-2 of
# 6 layers at hidden 512, for the speed comparison (bench/text_tasks).
BENCH = {
    "gpt2-lm": dict(vocab=50257, hidden=512, layers=6, heads=8, max_pos=1024, seed=4242),
    "bert-embed": dict(vocab=30522, hidden=384, layers=6, heads=12, inter=1536, max_pos=512, seed=4343),
}


def gpt2_module(cfg):
    import torch
    import torch.nn.functional as F
    from torch import nn
    from transformer_models import Gpt2

    class Gpt2Lm(Gpt2):
        """GPT-2 as HF's ONNX exports run it: ragged batches through attention_mask and position_ids."""

        def forward(self, input_ids, attention_mask, position_ids, *past):
            x = self.wte(input_ids) + self.wpe(position_ids)
            total = attention_mask.shape[1]
            keep = self.causal[:, :, :total, :total] & attention_mask[:, None, None, :].bool()
            presents = []
            for i, block in enumerate(self.blocks):
                x, k, v = block(x, past[2 * i], past[2 * i + 1], keep)
                presents += [k, v]
            h = self.ln_f(x)
            logits = F.linear(h.reshape(-1, h.shape[2]), self.wte.weight, self.lm_bias)
            return (logits.view(h.shape[0], h.shape[1], -1), *presents)

    del nn, torch
    return Gpt2Lm(cfg["vocab"], cfg["hidden"], cfg["layers"], cfg["heads"], cfg["max_pos"])


def bert_module(cfg):
    from torch import nn
    from transformer_models import Bert

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = Bert(cfg["vocab"], cfg["hidden"], cfg["layers"], cfg["heads"], cfg["inter"], cfg["max_pos"])

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids, attention_mask, token_type_ids)[0]

    return Encoder()


def vit_module(cfg):
    from transformer_models import Vit

    return Vit(cfg["image"], cfg["patch"], cfg["hidden"], cfg["layers"], cfg["heads"], cfg["inter"], cfg["classes"])


def make(name, cfg):
    import torch
    from gen_models import init_weights

    torch.manual_seed(cfg["seed"])
    module = {"gpt2-lm": gpt2_module, "bert-embed": bert_module, "vit-classify": vit_module}[name](cfg)
    init_weights(module, torch)
    module.eval()
    return module


def gpt2_feeds(cfg, b, s, p):
    import torch

    d = cfg["hidden"] // cfg["heads"]
    feeds = {"input_ids": torch.randint(0, cfg["vocab"], (b, s)),
             "attention_mask": torch.ones(b, p + s, dtype=torch.int64),
             "position_ids": torch.arange(p, p + s).repeat(b, 1)}
    for i in range(cfg["layers"]):
        feeds[f"past_key_values.{i}.key"] = torch.zeros(b, cfg["heads"], p, d)
        feeds[f"past_key_values.{i}.value"] = torch.zeros(b, cfg["heads"], p, d)
    return feeds


def build(out, name, tokenizer):
    import torch

    cfg = PACKAGES[name]
    module = make(name, cfg)
    final = os.path.join(out, name)
    tmp = os.path.join(out, f".tmp-{name}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    if name == "gpt2-lm":
        feeds = gpt2_feeds(cfg, 2, 3, 4)  # traced with a non-empty past: no size is baked in
        outputs = ["logits"]
        axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total"},
                "position_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
        for i in range(cfg["layers"]):
            outputs += [f"present.{i}.key", f"present.{i}.value"]
            for k in ("key", "value"):
                axes[f"past_key_values.{i}.{k}"] = {0: "batch", 2: "past"}
                axes[f"present.{i}.{k}"] = {0: "batch", 2: "total"}
        config = {"model_type": "gpt2", "vocab_size": cfg["vocab"], "n_embd": cfg["hidden"],
                  "n_layer": cfg["layers"], "n_head": cfg["heads"], "n_positions": cfg["max_pos"],
                  "bos_token_id": 50256, "eos_token_id": 50256}
        manifest = {"task": "text-generation",
                    "generation": {"max_new_tokens": 32, "eos_token_id": [50256]}}
    elif name == "vit-classify":
        feeds = {"pixel_values": torch.randn(2, 3, cfg["image"], cfg["image"])}
        outputs = ["logits"]
        axes = {"pixel_values": {0: "batch"}, "logits": {0: "batch"}}
        config = {"model_type": "vit", "image_size": cfg["image"], "patch_size": cfg["patch"],
                  "id2label": {str(i): label for i, label in enumerate(LABELS)}}
        manifest = {"task": "image-classification",
                    "image": {"resize": cfg["resize"], "crop": cfg["image"], "mean": MEAN, "std": STD}}
    else:
        b, s = 2, 7
        feeds = {"input_ids": torch.randint(0, cfg["vocab"], (b, s)),
                 "attention_mask": torch.ones(b, s, dtype=torch.int64),
                 "token_type_ids": torch.zeros(b, s, dtype=torch.int64)}
        outputs = ["last_hidden_state"]
        axes = {k: {0: "batch", 1: "sequence"} for k in list(feeds) + outputs}
        config = {"model_type": "bert", "vocab_size": cfg["vocab"], "hidden_size": cfg["hidden"],
                  "num_hidden_layers": cfg["layers"], "num_attention_heads": cfg["heads"],
                  "intermediate_size": cfg["inter"], "max_position_embeddings": cfg["max_pos"]}
        manifest = {"task": "feature-extraction", "embedding": {"pooling": "mean", "normalize": True}}
    torch.onnx.export(module, tuple(feeds.values()), os.path.join(tmp, "model.onnx"),
                      input_names=list(feeds), output_names=outputs, dynamic_axes=axes, opset_version=17,
                      do_constant_folding=True)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(tmp, "accelerate.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    if tokenizer:
        shutil.copyfile(tokenizer, os.path.join(tmp, "tokenizer.json"))
    torch.save(module.state_dict(), os.path.join(out, f"{name}.torch.pt"))
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)


def load(out, name):
    import torch

    module = make(name, PACKAGES[name])
    module.load_state_dict(torch.load(os.path.join(out, f"{name}.torch.pt")))
    return module


def generate(out, ids_list, max_new):
    import torch

    cfg = PACKAGES["gpt2-lm"]
    module = load(out, "gpt2-lm")
    results = []
    with torch.no_grad():
        for ids in ids_list:
            tokens = list(ids)
            for _ in range(max_new):
                n = len(tokens)
                feeds = gpt2_feeds(cfg, 1, n, 0)
                feeds["input_ids"] = torch.tensor([tokens])
                logits = module(*feeds.values())[0]
                nxt = int(torch.argmax(logits[0, -1]))
                tokens.append(nxt)
                if nxt == 50256:
                    break
            results.append(tokens[len(ids):])
    return {"tokens": results}


def embed(out, ids_list):
    import torch

    module = load(out, "bert-embed")
    vectors = []
    with torch.no_grad():
        for ids in ids_list:
            x = torch.tensor([ids])
            mask = torch.ones_like(x)
            h = module(x, mask, torch.zeros_like(x))[0]
            v = h.mean(dim=0)
            vectors.append((v / v.norm()).tolist())
    return {"embeddings": vectors}


def classify(out, image_path):
    """PyTorch's probabilities for a PNG: the preprocessing written again in numpy (bilinear with
    half-pixel centres, rounded to 8 bits, as OpenCV's INTER_LINEAR), the model, softmax."""
    import numpy as np
    import torch
    from PIL import Image

    cfg = PACKAGES["vit-classify"]
    img = np.asarray(Image.open(image_path).convert("RGB"), dtype=np.float64)
    h, w = img.shape[:2]
    short = min(h, w)
    nw, nh = max(cfg["image"], round(w * cfg["resize"] / short)), max(cfg["image"], round(h * cfg["resize"] / short))

    def axis(n_out, n_in):
        x = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        x0 = np.floor(x).astype(int)
        f = x - x0
        return np.clip(x0, 0, n_in - 1), np.clip(x0 + 1, 0, n_in - 1), f

    y0, y1, fy = axis(nh, h)
    x0, x1, fx = axis(nw, w)
    top = img[y0][:, x0] * (1 - fx)[None, :, None] + img[y0][:, x1] * fx[None, :, None]
    bot = img[y1][:, x0] * (1 - fx)[None, :, None] + img[y1][:, x1] * fx[None, :, None]
    resized = np.floor(top * (1 - fy)[:, None, None] + bot * fy[:, None, None] + 0.5)
    c = cfg["image"]
    left, up = (nw - c) // 2, (nh - c) // 2
    crop = resized[up : up + c, left : left + c] / 255.0
    x = ((crop - np.array(MEAN)) / np.array(STD)).transpose(2, 0, 1)[None].astype(np.float32)
    module = load(out, "vit-classify")
    with torch.no_grad():
        p = torch.softmax(module(torch.from_numpy(x))[0].double(), dim=0)
    return {"probabilities": p.tolist(), "labels": LABELS}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=("build", "generate", "embed", "classify"))
    ap.add_argument("--image", help="PNG (classify)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default=",".join(PACKAGES))
    ap.add_argument("--tokenizer", action="append", default=[], help="NAME=tokenizer.json (build)")
    ap.add_argument("--ids", help="JSON list of id lists (generate, embed)")
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--size", choices=("test", "bench"), default="test",
                    help="test: tiny (default); bench: MiniLM-L6's architecture and a 6-layer GPT-2")
    args = ap.parse_args()
    if args.size == "bench":
        PACKAGES.update(BENCH)
    import torch

    torch.set_num_threads(1)
    if args.command == "build":
        tokenizers = dict(t.split("=", 1) for t in args.tokenizer)
        os.makedirs(args.out, exist_ok=True)
        for name in args.only.split(","):
            build(args.out, name, tokenizers.get(name))
        return
    if args.command == "classify":
        print(json.dumps(classify(args.out, args.image)))
        return
    ids = json.loads(args.ids)
    result = generate(args.out, ids, args.max_new_tokens) if args.command == "generate" else embed(args.out, ids)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
