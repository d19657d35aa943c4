# app.mk -- the build of a torn application, included by the app's Makefile:
#
#   APP  = blog                # the app's name: APP.troute, build/APP
#   TORN = ../torn             # this tree
#   include $(TORN)/app.mk
#
#   make              build $(OUT)/$(APP), one statically linked server
#   make run PORT=N   serve it on 127.0.0.1:N (default 8888)
#
# tornc turns APP.troute and its templates into C (APP.h, APP_routes.re,
# APP_main.c, APP_templates.c), re2c turns the route table into a DFA, and
# cc links it all with libtorn.
# Optional settings: HANDLERS (default: every .c file here), SOURCES (the
# .troute files, default APP.troute), OUT, CFLAGS, LDFLAGS, PORT.

TORNC    ?= $(TORN)/build/bin/tornc
LIBTORN  ?= $(TORN)/build/lib/libtorn.a
OUT      ?= build
PORT     ?= 8888
CFLAGS   ?= -std=c11 -O2 -Wall -Wextra -Werror
LDFLAGS  ?= -static
LIBS      = -luv_a -ljansson -lcrypto -lz -lpthread -ldl -lrt
SOURCES  ?= $(APP).troute
HANDLERS ?= $(wildcard *.c)
HEADERS  ?= $(wildcard *.h)
GENERATED = $(OUT)/$(APP).h $(OUT)/$(APP)_routes.re $(OUT)/$(APP)_main.c \
            $(OUT)/$(APP)_templates.c

.PHONY: all run clean
all: $(OUT)/$(APP)

# Build tornc and libtorn first when this tree provides them.
$(TORNC) $(LIBTORN):
	$(MAKE) -C $(TORN) tornc libtorn

# One run of tornc makes all four files (a grouped target, so make -j does
# not start it once per file).
$(GENERATED) &: $(SOURCES) $(TORNC)
	@mkdir -p $(OUT)
	$(TORNC) $(SOURCES) -o $(OUT)

# `tornc -M` names every file the generated sources come from (imported
# .troute files too), so editing any of them rebuilds the server.
$(OUT)/deps.mk: $(SOURCES) $(TORNC)
	@mkdir -p $(OUT)
	$(TORNC) -M -MF $@ $(SOURCES) -o $(OUT)
-include $(OUT)/deps.mk

$(OUT)/$(APP)_routes.c: $(OUT)/$(APP)_routes.re
	re2c -W --no-generation-date --no-version -o $@ $<

$(OUT)/$(APP): $(HANDLERS) $(HEADERS) $(GENERATED) $(OUT)/$(APP)_routes.c $(LIBTORN)
	$(CC) $(CFLAGS) -I$(TORN)/runtime -I$(OUT) -I. -o $@ \
	  $(HANDLERS) $(OUT)/$(APP)_routes.c $(OUT)/$(APP)_main.c \
	  $(OUT)/$(APP)_templates.c \
	  $(LDFLAGS) $(LIBTORN) $(LIBS)

run: all
	$(OUT)/$(APP) --address 127.0.0.1 --port $(PORT)

clean:
	rm -rf $(OUT)
