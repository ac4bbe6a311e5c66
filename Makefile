# wuscrub — set up and run everything on a fresh Debian machine.
#   make demo   install build deps if missing, build, build a fixture install, reset it, print the report
#   make test   install deps if missing, build, run every test (Swift Testing)

SWIFT      ?= swift
BIN        := .build/debug/wuscrub
DEMO       := .build/demo
APT_PKGS   := $(shell cat .ci/apt-packages)   # one list, also read by .ci/run
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VERSION    := $(shell cat VERSION)
# The field binary (docs/architecture.md §12.1): the Swift runtime linked in; whole-program
# optimisation for size (LTO with lld, runtime records kept only when used, internalised at link);
# stripped, identical code folded, no dynamic symbol table (nothing links against an executable).
# Package.swift links hivex and libseccomp statically.
RELEASE_FLAGS := -c release --static-swift-stdlib --experimental-lto-mode=full -Xswiftc -use-ld=lld \
                 -Xswiftc -Osize -Xswiftc -Xfrontend -Xswiftc -conditional-runtime-records \
                 -Xswiftc -Xfrontend -Xswiftc -internalize-at-link \
                 -Xlinker --strip-all -Xlinker --icf=all -Xlinker --no-export-dynamic -Xlinker -O2 \
                 -Xlinker -mllvm -Xlinker -enable-machine-outliner=always
# The benchmark and the fuzzer build in their own folder: their release flags would otherwise
# rebuild the field binary's objects, and the other way round.
TOOLS      := .build/tools
DIST_NAME  := wuscrub-$(VERSION)-linux-$(shell uname -m)
DIST_DIR   := dist/$(DIST_NAME)
MANPAGE    := .build/tools/plugins/GenerateManual/outputs/wuscrub/wuscrub.1
PREFIX     ?= /usr/local

.PHONY: all deps build test demo bench fuzz fixtures release portable-check session dist dist-stage install man lint clean

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
	$(SWIFT) build $(RELEASE_FLAGS) --product wuscrub
	$(SWIFT) build --scratch-path $(TOOLS) -c release --product wuscrub-bench
	$(TOOLS)/release/wuscrub-bench --sizes $(BENCH_SIZES) --runs $(BENCH_RUNS) --json .build/bench.json $(if $(BENCH_HIVE),--hive $(BENCH_HIVE))

## fuzz: seeded mutation fuzzing of TransactionLog, HiveRecovery.analyze and HiveLayout.validate
## (release build; seeds from ../shared/corpus). It fails when FUZZ_SECONDS runs out before
## FUZZ_ITERATIONS inputs have run. A crash prints its iteration: rerun it alone with
## .build/tools/release/wuscrub-fuzz --seed $(FUZZ_SEED) --replay-iteration I $(FUZZ_SEEDS)
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
	$(SWIFT) build --scratch-path $(TOOLS) -c release --product wuscrub-fuzz
	$(TOOLS)/release/wuscrub-fuzz --seed $(FUZZ_SEED) --iterations $(FUZZ_ITERATIONS) --seconds $(FUZZ_SECONDS) $(FUZZ_SEEDS)

## fixtures: regenerate Fixtures/hives from Fixtures/specs (a test checks they are current)
fixtures: deps
	$(SWIFT) run -q wuscrub-fixtures hives --fixtures Fixtures

## release: the one file a technician copies: the Swift runtime, hivex and libseccomp linked in,
## stripped; it needs only glibc, libstdc++ and libgcc_s (.ci/portable-report checks and prints it).
## It must hold no test hook (WUSCRUB_TEST_HOOKS is debug-only).
release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product wuscrub
	@if grep -q WUSCRUB_FAULT .build/release/wuscrub; then echo "error: the release binary contains the fault-injection hook" >&2; exit 1; fi
	@.ci/portable-report .build/release/wuscrub
	@echo "release binary: .build/release/wuscrub (version $(VERSION), no test hooks)"

## portable-check: run the release binary in a minimal Debian root (debootstrap, cached under
## .build/) holding no Swift, hivex or libxml2: status, reset --dry-run, reset --yes, hive check (root)
portable-check: release
	$(SWIFT) build --product wuscrub-fixtures
	.ci/portable-check

## session: record docs/session.md (README's example) by running it on an NTFS image (root)
session: release
	$(SWIFT) build --product wuscrub-fixtures
	.ci/record-session

## dist: dist/wuscrub-VERSION-linux-ARCH.tar.gz (binary, man page, completions, README, LICENSE,
## third-party notices) and dist/SHA256SUMS. VERSION is the one place the version is kept.
dist: dist-stage
	tar -C dist --owner=0 --group=0 --numeric-owner -czf $(DIST_DIR).tar.gz $(DIST_NAME)
	cd dist && sha256sum $(DIST_NAME).tar.gz > SHA256SUMS
	@echo "dist/$(DIST_NAME).tar.gz"; cat dist/SHA256SUMS

# The archive's folder, which install copies from.
dist-stage: release man
	rm -rf $(DIST_DIR)
	mkdir -p $(DIST_DIR)/completions
	cp .build/release/wuscrub $(MANPAGE) README.md LICENSE $(DIST_DIR)/
	cp docs/third-party.md $(DIST_DIR)/THIRD-PARTY.md
	@.ci/portable-report $(DIST_DIR)/wuscrub
	$(DIST_DIR)/wuscrub --generate-completion-script bash > $(DIST_DIR)/completions/wuscrub.bash
	$(DIST_DIR)/wuscrub --generate-completion-script zsh > $(DIST_DIR)/completions/_wuscrub
	$(DIST_DIR)/wuscrub --generate-completion-script fish > $(DIST_DIR)/completions/wuscrub.fish

## install: the binary, man page and completions under PREFIX (default /usr/local; DESTDIR too)
install: dist-stage
	install -D -m 0755 $(DIST_DIR)/wuscrub $(DESTDIR)$(PREFIX)/bin/wuscrub
	install -D -m 0644 $(DIST_DIR)/wuscrub.1 $(DESTDIR)$(PREFIX)/share/man/man1/wuscrub.1
	install -D -m 0644 $(DIST_DIR)/completions/wuscrub.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/wuscrub
	install -D -m 0644 $(DIST_DIR)/completions/_wuscrub $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_wuscrub
	install -D -m 0644 $(DIST_DIR)/completions/wuscrub.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/wuscrub.fish

## man: the wuscrub(1) man page, from the argument parser's own plugin
# (In .build/tools: the plugin builds wuscrub with default release flags, which must not replace
# the field binary in .build/release.)
man: deps
	$(SWIFT) package --scratch-path $(TOOLS) generate-manual
	@echo "man page: $(MANPAGE) (view: man -l that file)"

## lint: layering imports, and the duplication budget (.ci/lint says the threshold)
lint:
	.ci/lint

clean:
	rm -rf .build $(DEMO) dist
