#!/usr/bin/env bash
# `classify` on an image-classification package built here (tools/gen_models/gen_packages.py: a
# ViT with random weights, ten CIFAR class names in config.json's id2label, resize 72 / crop 64
# with ImageNet's mean and std), against PyTorch running the same weights after the same
# preprocessing written again in numpy: every class probability within 1e-3 (resizing rounds to
# 8 bits, as OpenCV does, and a rounding step may differ), the same order wherever the gap between
# neighbours is larger than that. Then the package by CID, and bad input.
source "$(dirname "$0")/../cli/cli_lib.sh"
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
GEN="$IA_SOURCE_DIR/tools/gen_models/gen_packages.py"
if ! /usr/bin/python3 "$GEN" build --out "$T/pk" --only vit-classify >"$T/gen.log" 2>&1; then
  tail -n 20 "$T/gen.log"
  echo "classify_test: building the package failed (run scripts/setup)"
  exit 1
fi
PKG="$T/pk/vit-classify"
/usr/bin/python3 - "$T" <<'PY'
import sys
import numpy as np
from PIL import Image
rng = np.random.RandomState(7)
Image.fromarray(rng.randint(0, 256, (72, 72, 3), dtype=np.uint8)).save(f"{sys.argv[1]}/square.png")
Image.fromarray(rng.randint(0, 256, (96, 144, 3), dtype=np.uint8)).save(f"{sys.argv[1]}/wide.png")
y, x = np.mgrid[0:200, 0:130]
grad = np.stack([x * 255 // 130, y * 255 // 200, (x + y) * 255 // 330], axis=2).astype(np.uint8)
Image.fromarray(grad).save(f"{sys.argv[1]}/tall.png")
PY

case_probabilities_equal_pytorch() {
  for name in square wide tall; do
    ia "$T/repo" classify "$PKG" "$T/$name.png" --top 10 --json >"$T/$name.ours.json" || fail "classify $name"
    /usr/bin/python3 "$GEN" classify --out "$T/pk" --image "$T/$name.png" >"$T/$name.torch.json"
    python3 - "$T/$name.ours.json" "$T/$name.torch.json" "$name" <<'PY' || fail "$name differs from PyTorch"
import json, sys
ours = json.load(open(sys.argv[1]))["results"][0]["classes"]
ref = json.load(open(sys.argv[2]))
p, labels = ref["probabilities"], ref["labels"]
assert len(ours) == 10
for c in ours:
    assert c["label"] == labels[c["index"]], c
    assert abs(c["probability"] - p[c["index"]]) <= 1e-3, (c, p[c["index"]])
order = sorted(range(10), key=lambda i: -p[i])
for a, b in zip(ours, ours[1:]):
    if p[a["index"]] - p[b["index"]] > 2e-3:
        assert order.index(a["index"]) < order.index(b["index"]), (a, b)
diff = max(abs(c["probability"] - p[c["index"]]) for c in ours)
print(f"    {sys.argv[3]}: top {ours[0]['label']} {ours[0]['probability']:.4f}; largest difference to PyTorch {diff:.1e}")
PY
  done
}

case_by_cid_and_in_words() {
  local cid
  cid=$(ia "$T/repo" add -Q -r "$PKG")
  ia "$T/repo" classify "/ipfs/$cid" "$T/square.png" --top 3 >"$T/words.txt"
  [[ $(wc -l <"$T/words.txt") == 3 ]] || fail "expected 3 lines: $(cat "$T/words.txt")"
  grep -qE "square.png	0\.[0-9]{4}	(airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck)$" "$T/words.txt" ||
    fail "lines: $(cat "$T/words.txt")"
}

case_bad_input_is_a_clear_error() {
  echo "not an image" >"$T/text.png"
  expect_error not_png "PNG" ia "$T/repo" classify "$PKG" "$T/text.png"
  mkdir -p "$T/bad"
  cp "$PKG/model.onnx" "$T/bad/"
  echo '{"task": "image-classification", "image": {"resize": 72, "crop": 32}}' >"$T/bad/accelerate.json"
  expect_error crop "the package crops to 32" ia "$T/repo" classify "$T/bad" "$T/square.png"
  echo '{"task": "image-classification", "image": {"std": [0, 1, 1]}}' >"$T/bad/accelerate.json"
  expect_error std "image.std" ia "$T/repo" classify "$T/bad" "$T/square.png"
}

run_case "probabilities equal PyTorch's" case_probabilities_equal_pytorch
run_case "the package by CID, the answer in words" case_by_cid_and_in_words
run_case "bad input is a clear error" case_bad_input_is_a_clear_error
summary
