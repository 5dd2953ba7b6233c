# Thin wrapper: everything real is in CMake and scripts/.
BUILD ?= build
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := cid_fuzz dag_pb_fuzz car_fuzz repo_fuzz onnx_model_fuzz config_fuzz http_request_fuzz serve_handler_fuzz

.PHONY: all setup build demo test test-tsan fuzz format clean

all: build

setup:
	@scripts/setup

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@IA_BIN=$(BUILD)/ipfs-accelerate scripts/demo

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@grep -h "^conformance: " $(BUILD)/Testing/Temporary/LastTest.log || true

# ThreadSanitizer over the tests that call one engine session (and later the router and server)
# from several threads at once. A test joins by having "Concurrent" in its suite or test name
# (TEST(RouterConcurrentTest, ...)); TSAN_TESTS=<ctest regex> picks others. Not in `make test`:
# the instrumented build is slow. tools/tsan.supp holds only third-party frames (why: there).
TSAN_TESTS ?= Concurrent
test-tsan: setup
	@cmake -S . -B build-tsan -DIA_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build-tsan -j$(JOBS) --target unit_tests ipfs-accelerate
	@cd build-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/tools/tsan.supp halt_on_error=1 second_deadlock_stack=1" \
	  ctest -R '$(TSAN_TESTS)' --output-on-failure --no-tests=error

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
	@clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) build-fuzz
