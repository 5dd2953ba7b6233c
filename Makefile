# Thin wrapper: everything real is in CMake and scripts/.
BUILD ?= build
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
CLANG_FORMAT ?= clang-format-14
FUZZ_TARGETS := cid_fuzz dag_pb_fuzz car_fuzz repo_fuzz onnx_model_fuzz config_fuzz http_request_fuzz serve_handler_fuzz

.PHONY: all setup build demo test test-tsan fuzz format format-check clean

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

# ThreadSanitizer over the tests of the engine's sessions, the router and the server (every
# test of those suites, and any test with "Concurrent" in its name), and the serve and loadgen
# scripts, which run the instrumented server binary under many clients. TSAN_TESTS=<ctest regex>
# picks others. Reports, from the test binaries and from every server they start, go to
# build-tsan/tsan-report.*; any report fails the target. Not in `make test`: the instrumented
# build is slow. tools/tsan.supp holds only third-party frames (why: there).
TSAN_TESTS ?= ^(RouterTest|BatchTest|BenchRunTest|StoreOpsTest|AuthTest|HttpServerTest|KServeTest|LoadgenTest|MetricsTest|Session[A-Za-z]*Test)\.|Concurrent|script\.serve_test|script\.loadgen_test
test-tsan: setup
	@cmake -S . -B build-tsan -DIA_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build-tsan -j$(JOBS) --target unit_tests ipfs-accelerate
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
