# OmniStudio — set-up, build, test, bench.
# `make studio` and `make test` are the only two commands a fresh Debian 12 machine with Swift needs.

SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/omnistudio

# Debian packages the project links against or its tests drive. Listed once, installed only when missing.
DEB_PACKAGES := pkg-config libncursesw5-dev ncurses-term libchafa-dev libglib2.0-dev \
	libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev \
	libopenblas-dev tmux ffmpeg

.PHONY: bootstrap build studio test bench clean

# Installs exactly the missing packages, non-interactively; sudo only when not root. Safe to run twice.
bootstrap:
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

build: bootstrap
	$(SWIFT) build -c $(CONFIG)

# Until the studio exists (issue 6), this shows the terminal-graphics test card: the newest working command.
studio: build
	$(BIN) show --test-card $(ARGS)

# XCTest only (no swift-testing suites exist), so the runner's closing line counts the tests that ran.
test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

bench: build
	$(BIN) bench media

clean:
	rm -rf .build
