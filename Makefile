# Fusebox: `make run` builds and starts it; `make test` runs the whole suite.
# Both install what is missing (Debian packages, npm packages, Go modules).

SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
DESKTOP_TAGS := desktop,production,webkit2_41
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

APT_DESKTOP := build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev
# make dist and make test-dist: Windows installer and binary tests (wine),
# .deb building and checking.
APT_DIST := nsis wine wine64 gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 zip unzip file dpkg-dev desktop-file-utils
APT_TEST := chromium xvfb xauth imagemagick sqlite3 xdotool curl jq python3-flask python3-requests dbus notification-daemon libx11-dev xclip postgresql nginx-light

FRONTEND_SRC := $(shell find frontend \( -path frontend/node_modules -o -path frontend/dist -o -path frontend/e2e \) -prune -o -type f -not -name '*.go' -print 2>/dev/null)
GO_SRC := $(shell find . -path ./frontend/node_modules -prune -o -name '*.go' -not -name '*_test.go' -print 2>/dev/null) go.mod go.sum $(shell find backend \( -name '*.sql' -o -name '*.yaml' -o -name '*.json' \) -not -path '*/testdata/*' 2>/dev/null)

.PHONY: run server desktop frontend sdk-pack test test-security test-crash-long bench fuzz deps-desktop deps-test deps-npm clean help

help:
	@echo "make run      build and start Fusebox with the demo workspace (window if a display exists, else serve)"
	@echo "make test     install what is missing, then vet, Go tests, Vitest, browser e2e and desktop smoke"
	@echo "make server   static headless binary bin/fusebox (CGO_ENABLED=0)"
	@echo "make desktop  desktop binary bin/fusebox-desktop (Wails, WebKitGTK 4.1)"
	@echo "make dist     every release artifact into dist/ (.deb, Windows installer and binary, static server binaries, SHA256SUMS)"
	@echo "make test-dist  install and run what make dist built: the .deb (apt-get), the Windows binary and installer (wine)"
	@echo "make sdk-pack the npm package of the SDK: dist/npm/fusebox-importer-<version>.tgz"
	@echo "make test-security  the security regression list alone (every TestSecurity* test, real handler and real binary)"
	@echo "make test-crash-long  the crash tests (SIGKILL during upload, staging, submit) with a 1M-row import"
	@echo "make bench    benchmarks with a table of figures and ratios (bin/fusebox-bench); fails when one errors or misses its target"
	@echo "make fuzz     run every fuzz target (FUZZTIME=60s each)"

# --- installing what is missing -------------------------------------------

# apt_install installs the named Debian packages that are not installed yet.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps-desktop:
	$(call apt_install,$(APT_DESKTOP))

deps-test: deps-desktop
	$(call apt_install,$(APT_TEST))

deps-npm: frontend/node_modules/.package-lock.json frontend/e2e/samples/node_modules/.package-lock.json

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm install --no-audit --no-fund
	@touch $@

# The docs samples' own packages (Express 5, Vue, Angular) for the e2e matrix.
frontend/e2e/samples/node_modules/.package-lock.json: frontend/e2e/samples/package.json frontend/e2e/samples/package-lock.json
	cd frontend/e2e/samples && npm ci --no-audit --no-fund
	@touch $@

# --- building ---------------------------------------------------------------

frontend: frontend/dist/index.html

frontend/dist/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && npm run build

server: bin/fusebox

bin/fusebox: frontend/dist/index.html $(GO_SRC)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ .

desktop: deps-desktop bin/fusebox-desktop

bin/fusebox-desktop: frontend/dist/index.html $(GO_SRC)
	$(GO) build -trimpath -tags $(DESKTOP_TAGS) -ldflags '$(LDFLAGS)' -o $@ .

# The npm package @fusebox/importer (frontend/packages/importer), built from frontend/src/sdk.
SDK_PKG := frontend/packages/importer
SDK_VERSION := $(shell sed -nE 's/^  "version": "([^"]+)".*/\1/p' $(SDK_PKG)/package.json)
SDK_TGZ := dist/npm/fusebox-importer-$(SDK_VERSION).tgz

sdk-pack: $(SDK_TGZ)

$(SDK_TGZ): frontend/node_modules/.package-lock.json $(wildcard frontend/src/sdk/*.ts) $(shell find $(SDK_PKG) -type f 2>/dev/null)
	cd frontend && node packages/importer/build.mjs

# run opens the window where a display exists, else the headless server.
run:
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(MAKE) --no-print-directory desktop && exec ./bin/fusebox-desktop $(ARGS); \
	else \
		echo "no display found: building and starting the headless server"; \
		$(MAKE) --no-print-directory server && exec ./bin/fusebox serve $(ARGS); \
	fi

# --- testing ----------------------------------------------------------------

test: deps-test deps-npm frontend bin/fusebox bin/fusebox-desktop sdk-pack
	@scripts/test.sh

# test-security runs the security regression list on its own; `make test`
# runs the same tests inside its Go stage and reports them as a line.
test-security: frontend bin/fusebox
	$(GO) test -count=1 -run 'TestSecurity' ./...

# test-crash-long kills `fusebox import` and `fusebox serve` during the
# upload, staging and submit of a 1M-row import (the suite runs 200k rows).
test-crash-long: frontend
	FUSEBOX_CRASH_ROWS=1000000 $(GO) test -count=1 -timeout 30m -v -run 'Killed' ./app/datatest/

# The benchmarks are their own command (app/cmd/fusebox-bench), not part
# of the product binary.
bench: deps-test frontend/node_modules/.package-lock.json bin/fusebox bin/fusebox-bench
	@scripts/bench.sh

bin/fusebox-bench: frontend/dist/index.html $(GO_SRC)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./app/cmd/fusebox-bench

# --- release artifacts ---------------------------------------------------------

.PHONY: dist test-dist deps-dist

deps-dist: deps-desktop deps-test
	$(call apt_install,$(APT_DIST))

# dist/ also holds dist/npm (make sdk-pack); dist.sh replaces only its own files.
dist: deps-dist deps-npm frontend
	@scripts/dist.sh

# test-dist builds with make dist only when dist/ lacks this version's artifacts.
test-dist: deps-dist
	@[ -f "dist/fusebox_$$(scripts/dist-version.sh)_amd64.deb" ] || $(MAKE) --no-print-directory dist
	@scripts/dist-test.sh

FUZZTIME ?= 60s
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin test-artifacts dist/npm
	find frontend/dist -mindepth 1 -not -name .gitkeep -delete
