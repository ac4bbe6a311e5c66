# wuscrub — set up and run everything on a fresh Debian machine.
#   make demo   install build deps if missing, build, build a fixture install, reset it, print the report
#   make test   install deps if missing, build, run every test (Swift Testing)

SWIFT      ?= swift
BIN        := .build/debug/wuscrub
DEMO       := .build/demo
APT_PKGS   := $(shell cat .ci/apt-packages)   # one list, also read by .ci/run
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build test demo bench fuzz fixtures release man lint clean

all: build

## deps: install the Debian packages wuscrub builds and tests with (only when something is missing)
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "error: no Swift toolchain on PATH (Swift 6.1 or later is needed)"; exit 1; }

build: deps
	$(SWIFT) build

## test: every suite; corpus tests need ../shared/corpus (skipped visibly without it unless WUSCRUB_REQUIRE_CORPUS=1)
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

## demo: a real reset on a generated Windows 10-like install under .build/demo
demo: build
	rm -rf $(DEMO)
	$(SWIFT) run -q wuscrub-fixtures install Fixtures/specs/win10.fixture $(DEMO)/root
	@echo; echo "== wuscrub status (before) =="; $(BIN) status $(DEMO)/root
	@echo; echo "== wuscrub reset --dry-run =="; $(BIN) reset --dry-run $(DEMO)/root
	@echo; echo "== wuscrub reset --yes =="; $(BIN) reset --yes $(DEMO)/root
	@echo; echo "== wuscrub status (after) =="; $(BIN) status $(DEMO)/root
	@echo; echo "== journal log =="; cat $(DEMO)/root/Windows/Logs/wuscrub/wuscrub.log

## bench: wuscrub reset --yes against rm -rf, find -delete and 4 parallel rm -rf, alternating on
## fresh copies of a generated SoftwareDistribution (10k and 100k files; BENCH_SIZES=...,1000000 for 1M),
## on the local disk and, as root, on an ntfs-3g image: medians, ratios, files/s, peak RSS (release build)
## Then the hive phase alone against hive_baseline.c, a C program doing the same durable steps.
## BENCH_HIVE=FILE uses that SYSTEM hive (a real one) instead of the fixture's.
BENCH_SIZES ?= 10000,100000
BENCH_RUNS  ?= 5
BENCH_HIVE  ?=
bench: deps
	$(SWIFT) build -c release --product wuscrub --static-swift-stdlib
	$(SWIFT) build -c release --product wuscrub-bench
	.build/release/wuscrub-bench --sizes $(BENCH_SIZES) --runs $(BENCH_RUNS) --json .build/bench.json $(if $(BENCH_HIVE),--hive $(BENCH_HIVE))

## fuzz: seeded mutation fuzzing of TransactionLog, HiveRecovery.analyze and HiveLayout.validate
## (release build; seeds from ../shared/corpus). It fails when FUZZ_SECONDS runs out before
## FUZZ_ITERATIONS inputs have run. A crash prints its iteration: rerun it alone with
## .build/release/wuscrub-fuzz --seed $(FUZZ_SEED) --replay-iteration I $(FUZZ_SEEDS)
FUZZ_CORPUS     := ../shared/corpus/yarp
FUZZ_SEEDS      := $(FUZZ_CORPUS)/NewDirtyHive1/NewDirtyHive $(FUZZ_CORPUS)/NewDirtyHive1/NewDirtyHive.LOG1 \
                   $(FUZZ_CORPUS)/NewDirtyHive1/NewDirtyHive.LOG2 $(FUZZ_CORPUS)/OldDirtyHive/OldDirtyHive \
                   $(FUZZ_CORPUS)/OldDirtyHive/OldDirtyHive.LOG1 $(FUZZ_CORPUS)/BadLogHive3/BadLogHive.LOG1 \
                   $(FUZZ_CORPUS)/TruncatedDirtyHive $(FUZZ_CORPUS)/EmptyHive
FUZZ_ITERATIONS ?= 100000
FUZZ_SECONDS    ?= 1800
FUZZ_SEED       ?= 20251125
fuzz: deps
	@for f in $(FUZZ_SEEDS); do [ -f "$$f" ] || { echo "error: make fuzz needs the seed corpus in ../shared/corpus (beside the repository): '$$f' is missing" >&2; exit 1; }; done
	$(SWIFT) build -c release --product wuscrub-fuzz
	.build/release/wuscrub-fuzz --seed $(FUZZ_SEED) --iterations $(FUZZ_ITERATIONS) --seconds $(FUZZ_SECONDS) $(FUZZ_SEEDS)

## fixtures: regenerate Fixtures/hives from Fixtures/specs (a test checks they are current)
fixtures: deps
	$(SWIFT) run -q wuscrub-fixtures hives --fixtures Fixtures

## release: the binary a technician runs; it must hold no test hook (WUSCRUB_TEST_HOOKS is debug-only)
release: deps
	$(SWIFT) build -c release --product wuscrub --static-swift-stdlib
	@if grep -q WUSCRUB_FAULT .build/release/wuscrub; then echo "error: the release binary contains the fault-injection hook" >&2; exit 1; fi
	@echo "release binary: .build/release/wuscrub (no test hooks)"

## man: the wuscrub(1) man page, from the argument parser's own plugin
man: deps
	$(SWIFT) package generate-manual
	@echo "man page: .build/plugins/GenerateManual/outputs/wuscrub/wuscrub.1 (view: man -l that file)"

## lint: layering imports, and the duplication budget (.ci/lint says the threshold)
lint:
	.ci/lint

clean:
	rm -rf .build $(DEMO)
