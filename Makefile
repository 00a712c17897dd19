# The two set-up commands: `make run` and `make test`. Everything else is a helper.
BUILD_DIR ?= build
CONFIG ?= sluice.yml
JOBS ?= $(shell nproc)

.PHONY: run test build deps configure clean format tidy fuzz package test-sanitize test-asan test-tsan \
	build-sanitize build-asan build-tsan

deps:
	@./scripts/install-deps.sh all

configure: deps
	@test -f $(BUILD_DIR)/build.ninja || cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@./$(BUILD_DIR)/sluice $(CONFIG)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900

# The .deb (docs/DEPLOYMENT.md), in $(BUILD_DIR)/package: the same steps as the container image.
package: configure
	@./scripts/container-build-steps.sh build $(BUILD_DIR) $(BUILD_DIR)/package

# Sanitizer builds, each in its own directory (cmake/Sanitizers.cmake); LeakSanitizer checks
# the instrumented server when it exits on SIGTERM at the end of each e2e test.
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
# ASan + UBSan run the unit tests, the fuzz replays and the e2e tests that drive the most
# server code with real peers (WHEP in Chromium, faults, the API, access control, camera
# restarts, TLS on both sides of RTSP, the authentication server); `make test-asan ASAN_TESTS=.` runs every e2e test too (about twice as long), as
# before a release. TSan runs the unit tests: the threads meet there (workers, control thread).
ASAN_TESTS ?= ^unit_|_fuzz$$|^e2e_test_(browser_plays|faults|operate|access|camera_restart|config_limits|rtsps|auth_http)$$
TSAN_TESTS ?= ^unit_
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitize/lsan.supp:print_suppressions=0 \
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/sanitize/tsan.supp

test-sanitize: test-asan test-tsan

# The builds alone are targets too: CI (.ci/run) builds them at idle priority beside `make test`.
build-sanitize: build-asan build-tsan

build-asan:
	@./scripts/install-deps.sh sanitize
	@test -f $(ASAN_DIR)/build.ninja || cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=address,undefined
	@cmake --build $(ASAN_DIR) -j $(JOBS)

test-asan: build-asan
	@cd $(ASAN_DIR) && $(SAN_ENV) ctest --output-on-failure --timeout 900 -R '$(ASAN_TESTS)'

build-tsan:
	@./scripts/install-deps.sh sanitize
	@test -f $(TSAN_DIR)/build.ninja || cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=thread
	@cmake --build $(TSAN_DIR) -j $(JOBS) --target unit_tests

test-tsan: build-tsan
	@cd $(TSAN_DIR) && $(SAN_ENV) ctest --output-on-failure --timeout 900 -R '$(TSAN_TESTS)'

# libFuzzer with clang: builds every tests/fuzz/*_fuzz.cpp target and runs each for SECONDS s
# on its committed corpus (scripts/fuzz.sh; new inputs go to build-fuzz/fuzz-out, crashes fail).
SECONDS ?= 60
fuzz:
	@./scripts/install-deps.sh fuzz
	@test -f build-fuzz/build.ninja || cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DSLUICE_LIBFUZZER=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	@cmake --build build-fuzz -j $(JOBS) --target fuzzers
	@./scripts/fuzz.sh -t $(SECONDS) -b build-fuzz

format:
	@./scripts/install-deps.sh lint
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

tidy: configure
	@./scripts/install-deps.sh lint
	@# Boost 1.74's Asio does not detect clang's C++20 coroutines with libstdc++: say they are there.
	@git ls-files 'src/*.cpp' | xargs clang-tidy -p $(BUILD_DIR) --quiet \
		--extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE

clean:
	rm -rf $(BUILD_DIR) build-fuzz $(ASAN_DIR) $(TSAN_DIR)
