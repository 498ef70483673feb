# goro's front door.  `make demo` walks through the article's leaks;
# `make test` installs what it needs, builds and runs the test suite.
BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_TSAN  ?= build-tsan
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test test-sanitize test-asan test-tsan bench demo install clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/Makefile: deps CMakeLists.txt
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Tests run once: a test that fails sometimes is a bug to find, not to
# rerun.  Only tests labelled `flaky` in tests/ (each with its written
# reason: gdb attaching to a process on a loaded machine) get one rerun,
# which scripts/ctest_once.sh prints as "RERUN: <test>".
CTEST_ONCE = sh $(CURDIR)/scripts/ctest_once.sh
test: build
	@$(CTEST_ONCE) $(BUILD) -j1

test-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DGORO_SANITIZE=address -DGORO_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(BUILD_ASAN) -j$(JOBS)
	@ASAN_OPTIONS=detect_leaks=0 $(CTEST_ONCE) $(BUILD_ASAN) -j1

# Under TSan the goroutineleak verdicts are not meaningful: TSan's own
# runtime memory (traces, shadow metadata) holds copies of every pointer and
# is scanned as a root, so leaks look reachable.  The tests that assert
# leak verdicts run in the plain and ASan builds; everything else runs here.
TSAN_SKIP = test_corpus_leakprof|test_examples|test_leak_engine
test-tsan: deps
	@cmake -S . -B $(BUILD_TSAN) -DGORO_SANITIZE=thread -DGORO_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(BUILD_TSAN) -j$(JOBS)
	@TSAN_OPTIONS=halt_on_error=1 $(CTEST_ONCE) $(BUILD_TSAN) -j2 -E '$(TSAN_SKIP)'

test-sanitize: test-asan test-tsan

bench: build
	@python3 bench/run.py

# The demo's output only: deps and the build run quietly into
# $(BUILD)/demo-build.log, which is printed only when they fail.
demo:
	@mkdir -p $(BUILD)
	@{ sh scripts/deps.sh && \
	   cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) && \
	   cmake --build $(BUILD) -j$(JOBS) --target example_demo; } \
	   >$(BUILD)/demo-build.log 2>&1 || \
	   { cat $(BUILD)/demo-build.log; echo "make demo: the build failed (log: $(BUILD)/demo-build.log)" >&2; exit 1; }
	@sh scripts/demo.sh $(BUILD)

install: build
	@cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN)
