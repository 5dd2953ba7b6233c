#!/usr/bin/env bash
# The command as a new user meets it, through the real binary: version and help, mistyped
# commands, where the repository, its configuration and results database are, hostile
# ./ipfs_accelerate.json files, `run` with synthesized inputs and its output summary, input and
# number errors, and the OCR demo's missing model.
#
#   IA_BIN=build/ipfs-accelerate IA_SOURCE_DIR=$PWD bash tests/cli/cli_ux_test.sh
# shellcheck source=tests/cli/cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"
: "${IA_SOURCE_DIR:?IA_SOURCE_DIR must point at the source tree}"

# No configuration from the person running the tests.
for v in $(env | grep -o '^IPFS_ACCELERATE_[A-Z0-9_]*' | grep -v '^IPFS_ACCELERATE_PATH$' || true); do
  unset "$v"
done
export HOME="$T/home"
mkdir -p "$HOME" "$T/work"
MODELS="$IA_SOURCE_DIR/tools/fuzz/corpus/onnx_model_fuzz"
cp "$MODELS/test_add.onnx" "$MODELS/test_relu.onnx" "$T/"

json_check() {  # json_check FILE PYTHON-EXPRESSION over `j`
  /usr/bin/python3 - "$1" "$2" <<'EOF' || fail "JSON check failed: $2 on $(head -c 1500 "$1")"
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2], {"j": j}) else 1)
EOF
}

# Writes a .npy file: write_npy PATH HEADER-DICT DATA-BYTES (the header padded as NumPy pads it).
write_npy() {
  /usr/bin/python3 - "$@" <<'EOF'
import sys
path, header, n = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
pad = (64 - (10 + len(header) + 1) % 64) % 64
header += b" " * pad + b"\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * n)
EOF
}

case_version() {
  "$IA_BIN" version >"$T/v.txt"
  grep -Eq '^ipfs-accelerate version [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-z-]+\)$' "$T/v.txt" ||
    fail "version: $(cat "$T/v.txt")"
  "$IA_BIN" --version >"$T/v2.txt"
  cmp -s "$T/v.txt" "$T/v2.txt" || fail "--version differs from version"
  "$IA_BIN" version --json >"$T/v.json"
  json_check "$T/v.json" "j['version'] and j['commit'] and set(j) == {'version', 'commit'}"
  # Even with a repository setting that other commands refuse.
  IPFS_ACCELERATE_PATH="" "$IA_BIN" version >/dev/null || fail "version needs no repository"
}

case_help() {
  "$IA_BIN" help >"$T/help.txt"
  assert_contains "$T/help.txt" "Subcommands:"
  "$IA_BIN" >"$T/bare.txt"  # no command at all: the same list, exit 0
  assert_contains "$T/bare.txt" "Subcommands:"
  assert_contains "$T/help.txt" "version"
  "$IA_BIN" help bench >"$T/help_bench.txt"
  assert_contains "$T/help_bench.txt" "--min-time"
  "$IA_BIN" --repo "$T/r" help run >"$T/help_run.txt"
  assert_contains "$T/help_run.txt" "--op-profile"
}

case_unknown_command_suggests() {
  expect_error typo "unknown command 'bnech'; did you mean 'bench'\?" "$IA_BIN" bnech m.onnx
  [[ $RC == 1 ]] || fail "exit $RC, expected 1"
  expect_error typo2 "unknown command 'verison'; did you mean 'version'\?" "$IA_BIN" verison
  expect_error typo3 "unknown command 'hlep'; did you mean 'help'\?" "$IA_BIN" hlep
  expect_error none "unknown command 'zzzzzzzz'; run .ipfs-accelerate help." "$IA_BIN" zzzzzzzz
  expect_error help_none "unknown command 'nosuch'" "$IA_BIN" help nosuch
}

case_empty_repo_is_an_error() {
  expect_error empty_flag 'invalid input: --repo is empty' "$IA_BIN" --repo "" hw
  expect_error empty_flag_after 'invalid input: --repo is empty' "$IA_BIN" hw --repo ""
  expect_error empty_env 'IPFS_ACCELERATE_PATH is set but empty' env IPFS_ACCELERATE_PATH= "$IA_BIN" pin ls
  expect_error empty_env_run 'IPFS_ACCELERATE_PATH is set but empty' \
    env IPFS_ACCELERATE_PATH= "$IA_BIN" run "$T/test_relu.onnx"
  [[ ! -e "$HOME/.ipfs_accelerate" ]] || fail "the home repository was created"
}

# Kubo's habit: the configuration lives in the repository, and so does the results database.
case_config_and_db_follow_the_repo() {
  local r="$T/repo-with-config"
  mkdir -p "$r" "$HOME/.ipfs_accelerate"
  echo '{"priorities": {"cpu": 7}}' >"$r/config.json"
  echo '{"priorities": {"cpu": 8}}' >"$HOME/.ipfs_accelerate/config.json"
  (cd "$T/work" && "$IA_BIN" --repo "$r" hw --json) >"$T/hw.json"
  json_check "$T/hw.json" "j['cpu']['priority'] == 7"
  (cd "$T/work" && IPFS_ACCELERATE_PATH="$r" "$IA_BIN" hw --json) >"$T/hw.json"
  json_check "$T/hw.json" "j['cpu']['priority'] == 7"
  # The default repository is still ~/.ipfs_accelerate, so its config.json still counts there.
  (cd "$T/work" && env -u IPFS_ACCELERATE_PATH "$IA_BIN" hw --json) >"$T/hw.json"
  json_check "$T/hw.json" "j['cpu']['priority'] == 8"
  rm -rf "$HOME/.ipfs_accelerate"
  # The default results database is REPO/results.duckdb.
  expect_error no_db "no results database at $r/results.duckdb" "$IA_BIN" --repo "$r" runs
  "$IA_BIN" hw --help >"$T/hw_help.txt"
  assert_contains "$T/hw_help.txt" "REPO/config.json"
}

# A cloned repository can ship ./ipfs_accelerate.json: deep nesting must be a clear error.
case_deep_project_file_is_refused() {
  local dir="$T/deep"
  mkdir -p "$dir"
  /usr/bin/python3 -c "import sys; sys.stdout.write('[' * 300000 + ']' * 300000)" >"$dir/ipfs_accelerate.json"
  expect_error deep_hw "ipfs_accelerate.json:1:65: JSON nested deeper than 64 levels" \
    bash -c "cd '$dir' && '$IA_BIN' --repo '$T/r' hw"
  [[ $RC == 1 ]] || fail "hw exit $RC, expected 1"
  expect_error deep_runs "JSON nested deeper than 64 levels" bash -c "cd '$dir' && '$IA_BIN' --repo '$T/r' runs"
  [[ $RC == 1 ]] || fail "runs exit $RC, expected 1"
  /usr/bin/python3 -c "import sys; sys.stdout.write('{\"a\":' * 100000)" >"$dir/ipfs_accelerate.json"
  expect_error deep_objects "nested deeper than 64" bash -c "cd '$dir' && '$IA_BIN' --repo '$T/r' hw --json"
}

case_run_synthesizes_inputs_and_summarizes_outputs() {
  ia "$T/r" run "$T/test_add.onnx" >"$T/run.out" 2>"$T/run.err"
  assert_contains "$T/run.err" "input x is synthesized: float32 [3, 4, 5]"
  assert_contains "$T/run.err" "--input y=FILE"
  grep -Eq '^sum: float32 \[3, 4, 5\] min=-?[0-9.e+-]+ max=[0-9.e+-]+ mean=-?[0-9.e+-]+ first: ' "$T/run.out" ||
    fail "no summary: $(cat "$T/run.out")"
  ia "$T/r" run "$T/test_add.onnx" --json >"$T/run.json" 2>/dev/null
  json_check "$T/run.json" "j['outputs']['sum']['shape'] == [3, 4, 5] and j['outputs']['sum']['dtype'] == 'float32' and len(j['outputs']['sum']['first']) == 8 and j['outputs']['sum']['min'] <= j['outputs']['sum']['mean'] <= j['outputs']['sum']['max']"
  # Given inputs are used as given: zeros in, zeros out.
  write_npy "$T/zeros.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4, 5), }" 240
  ia "$T/r" run "$T/test_relu.onnx" --input x="$T/zeros.npy" >"$T/relu.out" 2>"$T/relu.err"
  assert_contains "$T/relu.out" "y: float32 [3, 4, 5] min=0 max=0 mean=0"
  [[ ! -s "$T/relu.err" ]] || fail "nothing was synthesized, yet: $(cat "$T/relu.err")"
  ia "$T/r" run "$T/test_relu.onnx" --input x="$T/zeros.npy" --op-profile >/dev/null 2>"$T/prof.err"
  assert_contains "$T/prof.err" "profile:"
  expect_error old_profile "not expected: .*profile" ia "$T/r" run "$T/test_relu.onnx" --profile
}

case_run_input_errors() {
  write_npy "$T/zeros.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4, 5), }" 240
  expect_error wrong_name "the model has no input named 'z' \(its inputs: x, y\)" \
    ia "$T/r" run "$T/test_add.onnx" --input z="$T/zeros.npy"
  expect_error twice "input x=… is given twice" \
    ia "$T/r" run "$T/test_add.onnx" --input x="$T/zeros.npy" --input x="$T/zeros.npy"
  expect_error twice_bench "input x=… is given twice" \
    ia "$T/r" bench "$T/test_add.onnx" --input x="$T/zeros.npy" --input x="$T/zeros.npy" --db "$T/x.duckdb"
  write_npy "$T/neg.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }" 24
  expect_error negative "negative dimension -2" ia "$T/r" run "$T/test_relu.onnx" --input x="$T/neg.npy"
  write_npy "$T/big.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }" 4
  expect_error big "invalid input: .*a .npy shape dimension wants an integer" \
    ia "$T/r" run "$T/test_relu.onnx" --input x="$T/big.npy"
  if grep -q "stoll\|stoull\|please report" "$T/big.err"; then fail "an internal error: $(cat "$T/big.err")"; fi
  expect_error dim "invalid input: --dim batch wants an integer from 1 to 1000000, got \"x\"" \
    ia "$T/r" run "$T/test_relu.onnx" --dim batch=x
  expect_error dim_bench "invalid input: --dim seq wants an integer from 1 to 1000000, got \"99999999999999999999\"" \
    ia "$T/r" bench "$T/test_relu.onnx" --dim seq=99999999999999999999 --db "$T/x.duckdb"
}

case_ocr_without_the_demo_model_says_make_demo() {
  expect_error ocr "run .make demo. to add PaddleOCR v4" \
    ia "$T/empty-repo" ocr "$IA_SOURCE_DIR/assets/ocr/text_line.png"
}

run_case "version, --version and version --json" case_version
run_case "help and help COMMAND" case_help
run_case "a mistyped command gets a suggestion and exit 1" case_unknown_command_suggests
run_case "an empty --repo or IPFS_ACCELERATE_PATH is an error" case_empty_repo_is_an_error
run_case "config.json and results.duckdb follow the repository" case_config_and_db_follow_the_repo
run_case "a deeply nested ./ipfs_accelerate.json is refused (hw, runs)" case_deep_project_file_is_refused
run_case "run synthesizes missing inputs and summarizes outputs" case_run_synthesizes_inputs_and_summarizes_outputs
run_case "run: wrong and duplicate inputs, bad .npy, bad numbers" case_run_input_errors
run_case "ocr before make demo says to run it" case_ocr_without_the_demo_model_says_make_demo
summary
