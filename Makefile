# Thin wrapper: everything real is in CMake and scripts/.
BUILD ?= build
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
CLANG_FORMAT ?= clang-format-14
FUZZ_TARGETS := cid_fuzz dag_pb_fuzz car_fuzz car_parser_fuzz repo_fuzz onnx_model_fuzz config_fuzz http_request_fuzz serve_handler_fuzz routing_json_fuzz mdns_fuzz tokenizer_fuzz browser_frame_fuzz

.PHONY: all setup build demo test asan-build test-asan tsan-build test-tsan fuzz format format-check clean

all: build

setup:
	@scripts/setup

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@IA_BIN=$(BUILD)/ipfs-accelerate scripts/demo

# Formatting first (cheap), then a build with warnings as errors (IA_WERROR; a later plain
# `make build` keeps that setting), then every test, tools/check_rooms.sh (lint.check_rooms) too.
test: CMAKE_FLAGS += -DIA_WERROR=ON
test: format-check build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@grep -h "^conformance: " $(BUILD)/Testing/Temporary/LastTest.log || true

# AddressSanitizer and UndefinedBehaviorSanitizer (IA_ASAN, in build-asan/): the unit tests, the
# fuzz corpus replays and the script tests, which run the instrumented binary (servers included).
# Undefined behaviour aborts at once; LeakSanitizer checks every process as it exits. Reports,
# from the tests and from every process they start, go to build-asan/asan-report.*; any report
# fails the target. The unit tests run as $(JOBS) gtest shards, each one process, not one process
# per test as under ctest: an instrumented process takes ~1.5 s to start (550 tests: 14 CPU-min).
# ASAN_FILTER=<gtest filter> and ASAN_TESTS=<ctest regex> pick others. Left out for time
# (ASAN_EXCLUDE): cid_interop_test (7 min under ASan, mostly the reference importer in node and
# ~100 `add -n` runs over code that the importer, repo and car tests also drive), crash_test
# (2 min hashing a 512 MiB file; it tests durability after SIGKILL, not memory safety) and
# serve_test (its graceful-stop case sends SIGTERM 50 ms after 8 requests; under ASan at -O1 some
# are not accepted yet and node dies on the reset: a race in the test to fix by waiting until the
# requests are in; the server code runs under ASan in the KServe/HttpServer unit tests and in
# loadgen_test and fetch_test, and serve_test runs under TSan) and tokenizer_reference_test (5
# tokenizers × 10240 lines against the reference in node: a correctness test; the tokenizer code
# runs under ASan in its unit tests, its fuzz corpus replay and text_tasks_test).
ASAN_FILTER ?= *
ASAN_TESTS ?= ^(fuzz_replay|script)\.
ASAN_EXCLUDE ?= ^script\.(cid_interop_test|crash_test|serve_test|tokenizer_reference_test)$$
ASAN_REPORT := $(CURDIR)/build-asan/asan-report
asan-build: setup
	@cmake -S . -B build-asan -DIA_ASAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build-asan -j$(JOBS)
test-asan: asan-build
	@rm -f $(ASAN_REPORT).* build-asan/unit-shard-*.log
	@export ASAN_OPTIONS="detect_leaks=1 detect_stack_use_after_return=1 check_initialization_order=1 strict_string_checks=1 log_path=$(ASAN_REPORT)" \
	        UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1 log_path=$(ASAN_REPORT)"; \
	  cd build-asan && rc=0 && pids="" && \
	  for i in $$(seq 0 $$(($(JOBS) - 1))); do \
	    GTEST_TOTAL_SHARDS=$(JOBS) GTEST_SHARD_INDEX=$$i ./unit_tests --gtest_filter='$(ASAN_FILTER)' \
	      >unit-shard-$$i.log 2>&1 & pids="$$pids $$!"; \
	  done; \
	  for p in $$pids; do wait $$p || rc=1; done; \
	  for f in unit-shard-*.log; do grep -hE '^\[  (PASSED|FAILED) ' $$f | sed "s|^|$$f: |"; done; \
	  if [ $$rc -ne 0 ]; then \
	    for f in unit-shard-*.log; do tail -n 40 $$f; done; echo "test-asan: unit tests failed (full output: build-asan/unit-shard-*.log)"; fi; \
	  ctest -j$(JOBS) -R '$(ASAN_TESTS)' -E '$(ASAN_EXCLUDE)' --output-on-failure --no-tests=error || rc=1; \
	  if ls $(ASAN_REPORT).* >/dev/null 2>&1; then \
	    cat $(ASAN_REPORT).*; echo "test-asan: the sanitizers reported the errors above"; exit 1; fi; \
	  exit $$rc

# ThreadSanitizer over the tests of the engine's sessions, the router, the server and the DAG
# fetchers with their pipelines (every test of those suites, and any test with "Concurrent" in its
# name), and the serve and loadgen scripts, which run the instrumented server binary under many
# clients. TSAN_TESTS=<ctest regex> picks others. Reports, from the test binaries and from every
# server they start, go to build-tsan/tsan-report.*; any report fails the target. Not in
# `make test` (the instrumented build is slow); .ci/run runs it. tools/tsan.supp holds only
# third-party frames (why: there).
TSAN_TESTS ?= ^(RouterTest|BatchTest|BenchRunTest|StoreOpsTest|CarFetcherTest|DagFetcherTest|CarParserTest|RemoteTest|GatewaySourceTest|KuboRpcSourceTest|SourceChainTest|FindProvidersTest|FetchOnMissTest|AuthTest|HttpServerTest|WebSocketTest|KServeTest|LoadgenTest|MetricsTest|Session[A-Za-z]*Test)\.|Concurrent|script\.serve_test|script\.loadgen_test|script\.remote_infer_test|script\.openai_test|script\.mdns_test|script\.browser_backend_test
tsan-build: setup
	@cmake -S . -B build-tsan -DIA_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build-tsan -j$(JOBS) --target unit_tests ipfs-accelerate
test-tsan: tsan-build
	@rm -f build-tsan/tsan-report.*
	@cd build-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/tools/tsan.supp second_deadlock_stack=1 log_path=$(CURDIR)/build-tsan/tsan-report" \
	  ctest -j$(JOBS) -R '$(TSAN_TESTS)' --output-on-failure --no-tests=error; rc=$$?; \
	  if ls $(CURDIR)/build-tsan/tsan-report.* >/dev/null 2>&1; then \
	    cat $(CURDIR)/build-tsan/tsan-report.*; echo "test-tsan: ThreadSanitizer reported the races above"; exit 1; fi; \
	  exit $$rc

# Runs each libFuzzer target for FUZZ_SECONDS on a copy of its corpus; new inputs land in
# build-fuzz/corpus/<target> (copy the interesting ones into tools/fuzz/corpus/).
fuzz: setup
	@cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DIA_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build-fuzz -j$(JOBS)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t && cp -n tools/fuzz/corpus/$$t/* build-fuzz/corpus/$$t/ 2>/dev/null; \
	  echo "== $$t ($(FUZZ_SECONDS)s)"; \
	  build-fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/$$t- build-fuzz/corpus/$$t || exit 1; \
	done

format:
	@$(CLANG_FORMAT) -i $$(git ls-files '*.cc' '*.h')

# Fails, naming them, when tracked C++ files differ from what $(CLANG_FORMAT) makes of them.
format-check:
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "format-check: $(CLANG_FORMAT) is missing (scripts/setup installs it)"; exit 1; }
	@out=$$($(CLANG_FORMAT) --dry-run --Werror $$(git ls-files '*.cc' '*.h') 2>&1); rc=$$?; \
	  bad=$$(printf '%s\n' "$$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u); \
	  if [ -n "$$bad" ]; then echo "format-check: these files differ from $(CLANG_FORMAT) (make format fixes them):"; echo "$$bad"; exit 1; fi; \
	  if [ $$rc -ne 0 ]; then printf '%s\n' "$$out"; exit 1; fi

clean:
	rm -rf $(BUILD) build-fuzz
