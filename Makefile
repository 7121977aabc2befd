# Builds and installs clipline's tools, their man pages, shell completions and the example workers.
#   make                                   the clipline binary (every tool), release, with the Swift runtime linked in
#                                          (--static-swift-stdlib), and a link per tool beside it ($(SCRATCH)/bin)
#   make install-strip PREFIX=/usr/local DESTDIR=/tmp/stage   what a package or an image installs: stripped
#   make install                           the same with the binary's symbols and debug information kept
#   make uninstall PREFIX=/usr/local DESTDIR=/tmp/stage
#   make check                             format lint, generated docs up to date, warnings as errors
# The binary needs no Swift toolchain where it runs, only the Debian libraries its tools load when they first need
# them (libcurl, OpenSSL, rabbitmq-c, hiredis, FFmpeg; scripts/deps/apt.txt and examples/kubernetes/Containerfile
# list them).

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

# One name per generated man page (scripts/generate-docs keeps man/ in step with the executables): every tool, and
# clipline, the one binary that runs them all. In bin/ each tool is a link to it (clipline --list names them).
TOOLS := $(sort $(basename $(notdir $(wildcard man/*.1))))
EXAMPLES := $(wildcard examples/*.sh) examples/backend/schema.graphql \
  $(wildcard examples/systemd/*.service examples/systemd/*.timer examples/systemd/*.env) \
  $(wildcard examples/kubernetes/*.yaml examples/kubernetes/Containerfile)
# A build directory of its own: toggling --static-swift-stdlib in .build would recompile everything each time a
# plain `swift build -c release` (scripts/demo) ran in between.
SCRATCH ?= .build/static
# The commit --version names (Package.swift reads it from the environment into one C file).
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
SWIFT_BUILD = CLIPLINE_COMMIT=$(COMMIT) $(SWIFT) build -c release --static-swift-stdlib --scratch-path $(SCRATCH)

.PHONY: all build bin-path install install-strip uninstall check lint shape docs-check strict-build
all: build

# The house style as a command (CI runs it): the format lint, the size limits (no file over 400 lines, no function
# over 60), the generated docs against the code, and a build of everything, tests included, with warnings as errors
# (a scratch path of its own, so the usual build keeps its flags).
SWIFT_SOURCES = Sources Tests fuzz/targets Package.swift
check: lint shape docs-check strict-build

lint:
	swift-format lint --strict --recursive $(SWIFT_SOURCES)

shape:
	scripts/check-shape

docs-check:
	scripts/generate-docs --check

strict-build:
	$(SWIFT) build --build-tests --scratch-path .build/check -Xswiftc -warnings-as-errors

# The binary and the tools' links, laid out as bin/ is once installed (bench/pipeline measures them there).
BUILT = $(SCRATCH)/bin

# Links each tool's name to clipline in $(1).
define link_tools
	"$(1)/clipline" --list | while read -r tool; do ln -sfn clipline "$(1)/$$tool" || exit 1; done
endef

build:
	$(SWIFT_BUILD) --product clipline
	mkdir -p "$(BUILT)"
	ln -f "$$($(SWIFT_BUILD) --show-bin-path)/clipline" "$(BUILT)/clipline"
	$(call link_tools,$(BUILT))

bin-path:
	@echo "$(abspath $(BUILT))"

install: build
	$(INSTALL) -d "$(DESTDIR)$(bindir)" "$(DESTDIR)$(man1dir)" "$(DESTDIR)$(bashcompletiondir)" \
	  "$(DESTDIR)$(zshcompletiondir)" "$(DESTDIR)$(fishcompletiondir)"
	$(INSTALL_PROGRAM) "$(BUILT)/clipline" "$(DESTDIR)$(bindir)/clipline"
	$(call link_tools,$(DESTDIR)$(bindir))
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
