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

# One rerun of a failed test binary: the machines are shared 2-core VMs and a
# few tests (gdb attaching, timing-sensitive waits) can lose a race with the
# load; a real failure fails twice.  Flaky tests still show in the log.
CTEST_REPEAT ?= --repeat until-pass:2
test: build
	@cd $(BUILD) && ctest --output-on-failure -j1 $(CTEST_REPEAT)

test-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DGORO_SANITIZE=address -DGORO_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(BUILD_ASAN) -j$(JOBS)
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j1 $(CTEST_REPEAT)

# Under TSan the goroutineleak verdicts are not meaningful: TSan's own
# runtime memory (traces, shadow metadata) holds copies of every pointer and
# is scanned as a root, so leaks look reachable.  The tests that assert
# leak verdicts run in the plain and ASan builds; everything else runs here.
TSAN_SKIP = test_corpus_leakprof|test_examples
test-tsan: deps
	@cmake -S . -B $(BUILD_TSAN) -DGORO_SANITIZE=thread -DGORO_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(BUILD_TSAN) -j$(JOBS)
	@cd $(BUILD_TSAN) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j2 $(CTEST_REPEAT) -E '$(TSAN_SKIP)'

test-sanitize: test-asan test-tsan

bench: build
	@python3 bench/run.py

demo: build
	@sh scripts/demo.sh $(BUILD)

install: build
	@cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN)
