# Builds and installs clipline's tools, their man pages, shell completions and the example workers.
#   make                                   release binaries with the Swift runtime linked in (--static-swift-stdlib)
#   make install PREFIX=/usr/local DESTDIR=/tmp/stage
#   make install-strip                     the same, with the binaries stripped of their symbols (GNU's target)
#   make uninstall PREFIX=/usr/local DESTDIR=/tmp/stage
#   make check                             format lint, generated docs up to date, warnings as errors
# The binaries need no Swift toolchain where they run, only the Debian libraries they link (FFmpeg, libcurl,
# OpenSSL, rabbitmq-c, hiredis: see scripts/deps/apt.txt and examples/kubernetes/Containerfile).

PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
INSTALL ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 755

bindir = $(PREFIX)/bin
man1dir = $(PREFIX)/share/man/man1
bashcompletiondir = $(PREFIX)/share/bash-completion/completions
zshcompletiondir = $(PREFIX)/share/zsh/site-functions
fishcompletiondir = $(PREFIX)/share/fish/vendor_completions.d
examplesdir = $(PREFIX)/share/clipline/examples

# One tool per generated man page (scripts/generate-docs keeps man/ in step with the executables).
TOOLS := $(sort $(basename $(notdir $(wildcard man/*.1))))
EXAMPLES := $(wildcard examples/*.sh) examples/backend/schema.graphql \
  $(wildcard examples/systemd/*.service examples/systemd/*.timer examples/systemd/*.env) \
  $(wildcard examples/kubernetes/*.yaml examples/kubernetes/Containerfile)
# A build directory of its own: toggling --static-swift-stdlib in .build would recompile everything each time a
# plain `swift build -c release` (scripts/demo) ran in between.
SCRATCH ?= .build/static
SWIFT_BUILD = $(SWIFT) build -c release --static-swift-stdlib --scratch-path $(SCRATCH)

.PHONY: all build bin-path install install-strip uninstall check lint docs-check strict-build
all: build

# The house style as a command (CI runs it): the format lint, the generated docs against the code, and a build of
# everything, tests included, with warnings as errors (a scratch path of its own, so the usual build keeps its flags).
SWIFT_SOURCES = Sources Tests fuzz/targets Package.swift
check: lint docs-check strict-build

lint:
	swift-format lint --strict --recursive $(SWIFT_SOURCES)

docs-check:
	scripts/generate-docs --check

strict-build:
	$(SWIFT) build --build-tests --scratch-path .build/check -Xswiftc -warnings-as-errors

build:
	$(SWIFT_BUILD)

# Where `build` puts the binaries (bench/pipeline measures them there).
bin-path:
	@$(SWIFT_BUILD) --show-bin-path

install: build
	$(INSTALL) -d "$(DESTDIR)$(bindir)" "$(DESTDIR)$(man1dir)" "$(DESTDIR)$(bashcompletiondir)" \
	  "$(DESTDIR)$(zshcompletiondir)" "$(DESTDIR)$(fishcompletiondir)"
	bin=$$($(SWIFT_BUILD) --show-bin-path) && for tool in $(TOOLS); do \
	  $(INSTALL_PROGRAM) "$$bin/$$tool" "$(DESTDIR)$(bindir)/$$tool" || exit 1; \
	done
	for tool in $(TOOLS); do \
	  $(INSTALL) -m 644 "man/$$tool.1" "$(DESTDIR)$(man1dir)/$$tool.1" && \
	  $(INSTALL) -m 644 "completions/$$tool.bash" "$(DESTDIR)$(bashcompletiondir)/$$tool" && \
	  $(INSTALL) -m 644 "completions/_$$tool" "$(DESTDIR)$(zshcompletiondir)/_$$tool" && \
	  $(INSTALL) -m 644 "completions/$$tool.fish" "$(DESTDIR)$(fishcompletiondir)/$$tool.fish" || exit 1; \
	done
	for file in $(EXAMPLES); do \
	  mode=644; case "$$file" in *.sh) mode=755;; esac; \
	  $(INSTALL) -D -m $$mode "$$file" "$(DESTDIR)$(examplesdir)/$${file#examples/}" || exit 1; \
	done

install-strip:
	$(MAKE) install INSTALL_PROGRAM='$(INSTALL) -m 755 -s'

uninstall:
	for tool in $(TOOLS); do \
	  rm -f "$(DESTDIR)$(bindir)/$$tool" "$(DESTDIR)$(man1dir)/$$tool.1" \
	    "$(DESTDIR)$(bashcompletiondir)/$$tool" "$(DESTDIR)$(zshcompletiondir)/_$$tool" \
	    "$(DESTDIR)$(fishcompletiondir)/$$tool.fish"; \
	done
	for file in $(EXAMPLES); do rm -f "$(DESTDIR)$(examplesdir)/$${file#examples/}"; done
	for dir in backend systemd kubernetes; do rmdir "$(DESTDIR)$(examplesdir)/$$dir" 2>/dev/null || true; done
	rmdir "$(DESTDIR)$(examplesdir)" "$(DESTDIR)$(PREFIX)/share/clipline" 2>/dev/null || true
