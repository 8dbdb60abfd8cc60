# The README's two commands, and a few more for developers. CMake does the building.
BUILD_RUN  := build/release
BUILD_TEST := build/debug
BUILD_FUZZ := build/fuzz
BUILD_BENCH := build/bench
FUZZ_SECONDS ?= 60
JOBS       := $(shell nproc)
SOURCES     = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find src tests -name '*.[ch]')

.PHONY: run test build build-test build-fuzz unit blackbox blackbox-pg node-modules screenshots fuzz fuzz-short \
	crashtest crashtest-short bench format format-check clean

# make run starts in demo mode (docs/DECISIONS.md); make run CENTRALITA_DEMO=0 does not.
CENTRALITA_DEMO ?= 1

# The server creates ./var itself, readable by this user only (mode 0700).
run: build
	CENTRALITA_DEMO=$(CENTRALITA_DEMO) $(BUILD_RUN)/centralita serve

build:
	scripts/deps.sh run
	cmake -S . -B $(BUILD_RUN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCENTRALITA_TESTS=OFF
	cmake --build $(BUILD_RUN) -j $(JOBS)

build-test:
	scripts/deps.sh test
	cmake -S . -B $(BUILD_TEST) -DCMAKE_BUILD_TYPE=Debug -DCENTRALITA_SANITIZE=ON
	cmake --build $(BUILD_TEST) -j $(JOBS)

test: build-test format-check unit fuzz-short blackbox blackbox-pg crashtest-short

# ctest beside a throwaway PostgreSQL cluster: the *_pg tests run the store's tests on it.
unit:
	scripts/with-postgres.sh sh -c 'cd $(BUILD_TEST) && ctest --output-on-failure'

# The browser tests write their screenshots to $(BUILD_TEST)/screenshots, never to the tree.
blackbox: node-modules
	CENTRALITA_BIN=$(CURDIR)/$(BUILD_TEST)/centralita node --test tests/blackbox/

# The same suite on PostgreSQL: a throwaway cluster (scripts/with-postgres.sh), a fresh
# database for each server's data folder (tests/blackbox/lib/db.js).
blackbox-pg: node-modules
	scripts/with-postgres.sh sh -c 'CENTRALITA_BIN=$(CURDIR)/$(BUILD_TEST)/centralita node --test tests/blackbox/'

# Refreshes the committed screenshots in docs/screenshots (the README shows them): the
# browser tests, writing there.
screenshots: build-test node-modules
	SCREENSHOT_DIR=$(CURDIR)/docs/screenshots CENTRALITA_BIN=$(CURDIR)/$(BUILD_TEST)/centralita \
		node --test $(wildcard tests/blackbox/ui*.test.js)

node-modules:
	cd tests/blackbox && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }

build-fuzz:
	scripts/deps.sh test
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DCENTRALITA_FUZZ=ON -DCENTRALITA_TESTS=OFF
	cmake --build $(BUILD_FUZZ) -j $(JOBS)

# Every fuzz target FUZZ_SECONDS seconds (make fuzz FUZZ_SECONDS=600); make test runs a short pass.
fuzz: build-fuzz
	fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

fuzz-short: build-fuzz
	fuzz/run.sh $(BUILD_FUZZ) 5

# kill -9 under load five times, then a full disk (tests/crash/crash.mjs, on the sanitizer build);
# then on PostgreSQL, durable as a real one: two servers, killed in turn with PostgreSQL itself.
# make test runs two kills and shorter load, on SQLite.
crashtest: build-test
	tests/crash/run.sh $(BUILD_TEST)/centralita 5 8
	CENTRALITA_TEST_PG_DURABLE=1 scripts/with-postgres.sh tests/crash/run.sh $(BUILD_TEST)/centralita 5 8

crashtest-short: build-test
	tests/crash/run.sh $(BUILD_TEST)/centralita 2 3

# The benchmark (docs/BENCHMARK.md): an optimised build without sanitizers (-g only for
# profiling), the tools in bench/, then the scenarios on SQLite and on PostgreSQL (a throwaway
# cluster with fsync on); writes bench/results/<date>-<commit>.json and …-pg.json.
# BENCH=sqlite or BENCH=pg runs one of the two parts.
BENCH ?= all
bench:
	scripts/deps.sh bench
	cmake -S . -B $(BUILD_BENCH) -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS_RELEASE=-O2 -g -DNDEBUG" \
		-DCENTRALITA_TESTS=OFF -DCENTRALITA_BENCH=ON
	cmake --build $(BUILD_BENCH) -j $(JOBS)
	[ "$(BENCH)" = pg ] || bench/run.sh $(BUILD_BENCH)
	[ "$(BENCH)" = sqlite ] || CENTRALITA_TEST_PG_DURABLE=1 scripts/with-postgres.sh bench/pg.sh $(BUILD_BENCH)

format:
	clang-format -i $(SOURCES)

format-check:
	clang-format --dry-run -Werror $(SOURCES)

clean:
	rm -rf build
