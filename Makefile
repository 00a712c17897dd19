# The two set-up commands: `make run` and `make test`. Everything else is a helper.
BUILD_DIR ?= build
CONFIG ?= sluice.yml
JOBS ?= $(shell nproc)

.PHONY: run test build deps configure clean format tidy fuzz package

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

fuzz: deps
	@./scripts/install-deps.sh fuzz
	@cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DSLUICE_LIBFUZZER=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	@cmake --build build-fuzz -j $(JOBS)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

tidy: configure
	@git ls-files 'src/*.cpp' | xargs clang-tidy -p $(BUILD_DIR) --quiet

clean:
	rm -rf $(BUILD_DIR) build-fuzz
