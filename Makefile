# torn -- the top-level build.
#
#   make run     install missing Debian packages, build tornc, libtorn and
#                examples/hello, and serve it on 127.0.0.1:8888 (PORT=...)
#   make test    install missing packages, run every suite, then all of them
#                again under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench   side-by-side benchmarks (bench/README.md); never in `test`
#
# Everything built goes under $(BUILD): generated sources (lemon, re2c,
# tornc output) are build products and never committed. `make SANITIZE=1
# BUILD=build/asan` is the sanitizer build `make test` uses.

BUILD    ?= build
SANITIZE ?=
PORT     ?= 8888
CC       ?= cc

WARN     = -Wall -Wextra -Werror
ifeq ($(SANITIZE),1)
SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
OPT      = -O1 -g -fno-omit-frame-pointer $(SAN)
EXAMPLE_LDFLAGS = $(SAN)
else
OPT      = -O2 -g
EXAMPLE_LDFLAGS = -static
endif
CSTD     = -std=c11 -D_GNU_SOURCE
ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) -MMD -MP

RE2C      = re2c
RE2CFLAGS = -W --no-generation-date --no-version
LEMON     = lemon
LEMPAR    = /usr/share/lemon/lempar.c
LIBS      = -luv_a -ljansson -lcrypto -lz -lpthread -ldl -lrt

GEN      = $(BUILD)/gen
OBJ      = $(BUILD)/obj
TORNC    = $(BUILD)/bin/tornc
LIBTORN  = $(BUILD)/lib/libtorn.a
HELLO    = $(BUILD)/examples/hello/hello

.PHONY: FORCE all tornc libtorn examples run test check unit bench deps deps-test \
        deps-bench clean
.DELETE_ON_ERROR:
.SECONDARY:

all: tornc libtorn examples

# --- Debian packages ------------------------------------------------------
# Installed with apt-get only when missing, so a fresh Debian 12 machine
# needs nothing but `make run` or `make test`.
DEBS       = gcc libc6-dev make re2c lemon libuv1-dev libjansson-dev file \
             libssl-dev zlib1g-dev
TEST_DEBS  = libcmocka-dev curl python3 python3-tornado python3-websockets \
             chromium
BENCH_DEBS = wrk nginx python3-tornado procps util-linux valgrind

define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "error: run as root (or install:$$missing)" >&2; exit 1; fi; \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(DEBS))
deps-test: deps
	$(call apt_install,$(TEST_DEBS))
	@# The browser tests drive Chromium with playwright-core, pinned in
	@# tests/browser/package-lock.json (node_modules is not committed).
	@if [ ! -d tests/browser/node_modules/playwright-core ]; then \
	  command -v npm >/dev/null || { echo "error: npm is needed for" \
	    "tests/browser (install Node.js 20 or later with npm)" >&2; exit 1; }; \
	  npm ci --prefix tests/browser --no-audit --no-fund; \
	fi
deps-bench: deps
	$(call apt_install,$(BENCH_DEBS))

# --- Grammar: the .troute lexer (re2c) and parser (lemon) ----------------

$(GEN)/troute_parse.c $(GEN)/troute_parse.h: grammar/troute_parse.y
	@mkdir -p $(GEN)
	$(LEMON) -q -T$(LEMPAR) -d$(GEN) $<

$(GEN)/troute_lex.c: grammar/troute_lex.re $(GEN)/troute_parse.h
	@mkdir -p $(GEN)
	$(RE2C) $(RE2CFLAGS) -o $@ $<

# --- tornc: the compiler ---------------------------------------------------

TORNC_SRC  = $(wildcard tornc/*.c)
TORNC_LIB  = $(patsubst %.c,$(OBJ)/%.o,$(filter-out tornc/main.c,$(TORNC_SRC))) \
             $(OBJ)/gen/troute_lex.o $(OBJ)/gen/troute_parse.o \
             $(OBJ)/gen/template_lex.o
TORNC_INC  = -Itornc -I$(GEN)
TORNC_LIBS = -lcrypto

$(OBJ)/tornc/%.o: tornc/%.c $(GEN)/troute_parse.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TORNC_INC) -c -o $@ $<

# The template lexer uses re2c conditions (-c).
$(GEN)/template_lex.c: grammar/template_lex.re $(GEN)/troute_parse.h
	@mkdir -p $(GEN)
	$(RE2C) $(RE2CFLAGS) -c -o $@ $<

$(OBJ)/gen/template_lex.o: $(GEN)/template_lex.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TORNC_INC) -c -o $@ $<

$(OBJ)/gen/troute_lex.o: $(GEN)/troute_lex.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TORNC_INC) -c -o $@ $<

$(OBJ)/gen/troute_parse.o: $(GEN)/troute_parse.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TORNC_INC) -c -o $@ $<

$(TORNC): $(OBJ)/tornc/main.o $(TORNC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPT) -o $@ $^ $(TORNC_LIBS)

tornc: $(TORNC)

# --- libtorn: the runtime --------------------------------------------------

RT_SRC = $(wildcard runtime/*.c)
RT_RE  = $(wildcard runtime/*.re)
RT_OBJ = $(patsubst %.c,$(OBJ)/%.o,$(RT_SRC)) \
         $(patsubst runtime/%.re,$(OBJ)/gen/runtime/%.o,$(RT_RE))

$(GEN)/runtime/%.c: runtime/%.re
	@mkdir -p $(dir $@)
	$(RE2C) $(RE2CFLAGS) -c -f -o $@ $<

$(OBJ)/runtime/%.o: runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iruntime -c -o $@ $<

$(OBJ)/gen/runtime/%.o: $(GEN)/runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iruntime -c -o $@ $<

$(LIBTORN): $(RT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

libtorn: $(LIBTORN)

# --- Examples: built exactly as a user builds an app ---------------------

# Every examples/NAME/ with a Makefile builds $(BUILD)/examples/NAME/NAME.
EXAMPLES     = $(patsubst examples/%/Makefile,%,$(wildcard examples/*/Makefile))
EXAMPLE_BINS = $(foreach e,$(EXAMPLES),$(BUILD)/examples/$(e)/$(e))

examples: $(EXAMPLE_BINS)

# An example's own Makefile decides what to rebuild; it is always asked.
$(EXAMPLE_BINS): $(TORNC) $(LIBTORN) FORCE
	$(MAKE) --no-print-directory -C examples/$(notdir $@) \
	  OUT=$(abspath $(dir $@)) TORNC=$(abspath $(TORNC)) \
	  LIBTORN=$(abspath $(LIBTORN)) CFLAGS="$(CSTD) $(WARN) $(OPT)" \
	  LDFLAGS="$(EXAMPLE_LDFLAGS)"
FORCE:

run: deps
	@$(MAKE) --no-print-directory all
	$(HELLO) --address 127.0.0.1 --port $(PORT)

# --- Tests -----------------------------------------------------------------

UNIT_TORNC = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_tornc_*.c))
UNIT_RT    = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_rt_*.c))
UNIT_GEN   = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_gen_*.c))

$(BUILD)/tests/test_tornc_%: tests/unit/test_tornc_%.c $(TORNC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TORNC_INC) -o $@ $^ -lcmocka $(TORNC_LIBS)

$(BUILD)/tests/test_rt_%: tests/unit/test_rt_%.c $(LIBTORN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iruntime -o $@ $^ -lcmocka $(LIBS)

# A code-generation test links the C that tornc and re2c make of
# tests/unit/NAME.troute (whose app is NAME) with its test program.
# Its templates, if any, are in tests/unit/NAME/ (a second expansion
# finds them, so editing one rebuilds the test).
.SECONDEXPANSION:
$(BUILD)/tests/test_gen_%: tests/unit/test_gen_%.c tests/unit/%.troute \
    $$(shell find tests/unit/$$* -type f 2>/dev/null) $(TORNC) $(LIBTORN)
	@mkdir -p $(BUILD)/tests/gen/$*
	$(TORNC) tests/unit/$*.troute -o $(BUILD)/tests/gen/$*
	$(RE2C) $(RE2CFLAGS) -o $(BUILD)/tests/gen/$*/$*_routes.c $(BUILD)/tests/gen/$*/$*_routes.re
	$(CC) $(ALL_CFLAGS) -Iruntime -Itests/unit -I$(BUILD)/tests/gen/$* -o $@ \
	  $< $(BUILD)/tests/gen/$*/$*_routes.c $(BUILD)/tests/gen/$*/$*_templates.c \
	  $(LIBTORN) -lcmocka $(LIBS)

unit: $(UNIT_TORNC) $(UNIT_RT) $(UNIT_GEN)

# Everything one build's suites need.
check: all unit

test: deps-test
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory check BUILD=build/asan SANITIZE=1
	@tests/run build asan:build/asan

# --- Benchmarks ------------------------------------------------------------

bench: deps-bench
	@$(MAKE) --no-print-directory all
	bench/run

clean:
	rm -rf build examples/*/build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
