# SPDX-License-Identifier: LGPL-2.1-or-later
# Makefile - Kbuild-style top-level build of libbaton, its selftests and tools.
#
# Every output goes under $(O) (default: build/<variant>), never into the
# source tree.  `make help` lists the targets and variables;
# Documentation/build.rst explains each of them.

srctree := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# ---------------------------------------------------------------- version
# The version has one home: BATON_VERSION_MAJOR, _MINOR and _PATCH in
# the public header include/uapi/baton/api.h, which programs compile
# against.  The library's file name, its SONAME (the major) and baton.pc
# take it from there; lib/libbaton.map's nodes are the ABI's history and
# selftests/build/test_version.sh checks them against it.
pound   := \#
version-h := $(srctree)/include/uapi/baton/api.h
version-words := $(shell sed -n 's/^$(pound)define BATON_VERSION_\(MAJOR\|MINOR\|PATCH\)[[:space:]]\{1,\}\([0-9]\{1,\}\)[[:space:]]*$$/\1=\2/p' $(version-h))
version-part   = $(patsubst $(1)=%,%,$(filter $(1)=%,$(version-words)))
VERSION_MAJOR := $(call version-part,MAJOR)
VERSION_MINOR := $(call version-part,MINOR)
VERSION_PATCH := $(call version-part,PATCH)
ifneq ($(words $(VERSION_MAJOR) $(VERSION_MINOR) $(VERSION_PATCH)),3)
$(error baton: include/uapi/baton/api.h must define BATON_VERSION_MAJOR, _MINOR and _PATCH once each, as numbers)
endif
VERSION       := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

# ---------------------------------------------------------------- variants
CC      ?= cc
ifeq ($(origin CC),default)
CC      := gcc
endif
cc-name := $(if $(findstring clang,$(notdir $(CC))),clang,gcc)

# C=1 gets a directory of its own: sparse runs only on files being
# compiled, so it must not find them already built without it.
variant := $(cc-name)$(if $(SAN),-$(SAN))$(if $(filter 1,$(DEBUG)),-debug)$(if $(filter 1,$(FAULT)),-fault)$(if $(filter 1,$(C)),-sparse)
O       ?= build/$(variant)
objtree := $(abspath $(O))

# ---------------------------------------------------------------- quiet output
ifeq ($(V),1)
Q   :=
msg  =
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
# make -s: silent, like the kernel's
Q   := @
msg  =
else
Q   := @
msg  = @printf '  %-7s %s\n' '$(1)' '$(patsubst $(objtree)/%,%,$(2))';
endif

# Python that the build runs (the checkers, soak, the benchmarks' tools)
# writes no __pycache__ into the source tree.
export PYTHONDONTWRITEBYTECODE := 1

# ---------------------------------------------------------------- flags
CFLAGS  ?= -O2 -g
LDFLAGS ?=
override CFLAGS += -std=gnu11 -pthread -fPIC -D_GNU_SOURCE -D_LGPL_SOURCE \
	-Wall -Wextra -Wno-unused-parameter -Wmissing-prototypes \
	-Wstrict-prototypes -Wno-missing-field-initializers \
	-I$(srctree)/include -I$(srctree)/include/uapi -MMD -MP
override LDFLAGS += -pthread

ifeq ($(W),1)
override CFLAGS += -Wshadow -Wpointer-arith -Wcast-align -Wformat=2 \
	-Wundef -Wwrite-strings -Wnull-dereference -Wvla
endif
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif
ifeq ($(cc-name),clang)
override CFLAGS += -Wthread-safety -Werror=thread-safety
endif
ifeq ($(DEBUG),1)
override CFLAGS += -DBATON_DEBUG=1 -O1 -fno-omit-frame-pointer
endif
ifeq ($(FAULT),1)
override CFLAGS += -DBATON_FAULT_INJECT=1
endif
ifeq ($(SAN),address)
san-flags := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
else ifeq ($(SAN),thread)
san-flags := -fsanitize=thread -fno-omit-frame-pointer
else ifneq ($(SAN),)
$(error SAN must be 'address' or 'thread', not '$(SAN)')
endif
override CFLAGS  += $(san-flags)
override LDFLAGS += $(san-flags)

# ---------------------------------------------------------------- packages
# Libraries come from pkg-config: liburcu's memb flavor and its data
# structures for everything, CUnit for the selftests (test-y), and what a
# program's Kbuild adds with <prog>-pkgs.  pkg-config is asked on first
# use inside a recipe, so after scripts/deps.sh has run (it installs
# pkg-config too), and each answer is kept for the rest of the run.
PKG_CONFIG ?= pkg-config
lib-pkgs   := liburcu-memb liburcu-cds
test-pkgs  := cunit
# The Debian 12 package that ships each .pc file, for the error message.
deb-liburcu-memb := liburcu-dev
deb-liburcu-cds  := liburcu-dev
deb-liburcu-qsbr := liburcu-dev
deb-cunit        := libcunit1-dev

# $(call pkg,--cflags|--libs,PACKAGES): pkg-config's answer, or stop
# with an error that names the package it cannot find.
pkg = $(if $(pkg-cache$(1)$(pkg-key)),,$(eval \
	pkg-cache$(1)$(pkg-key) := : $(call pkg-query,$(1),$(2))))$(filter-out \
	:,$(pkg-cache$(1)$(pkg-key)))
pkg-key = $(subst $(space),+,$(strip $(2)))
pkg-query = $(if $(strip $(2)),$(pkg-have-tool)$(foreach p,$(2),$(call \
	pkg-have,$(p)))$(shell $(PKG_CONFIG) $(1) $(2)))
pkg-have-tool = $(if $(shell command -v $(PKG_CONFIG)),,$(error baton: \
	$(PKG_CONFIG) is not installed (Debian: pkg-config); run: sh scripts/deps.sh))
pkg-have = $(if $(shell $(PKG_CONFIG) --exists $(1) && echo y),,$(error baton: \
	$(PKG_CONFIG) cannot find $(1) ($(1).pc$(if $(deb-$(1)),$(comma) Debian: \
	$(deb-$(1)))); run: sh scripts/deps.sh))
empty :=
space := $(empty) $(empty)
comma := ,

LIBS = $(call pkg,--libs,$(lib-pkgs)) -pthread

# Objects are rebuilt when the flags change: every object depends on a
# stamp whose content is the command line that builds it.  baton.pc
# depends the same way on the install directories it names.
# $(call stamp,FILE,CONTENT) rewrites FILE only when CONTENT changed.
# Goals that build nothing (help, clean) do not create $(O).
no-build-goals := help clean distclean version ownership-table api-doc
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out $(no-build-goals),$(MAKECMDGOALS)),)
stamp =
endif
endif
stamp ?= $(shell mkdir -p $(objtree) && \
	{ [ "$$(cat $(1) 2>/dev/null)" = '$(2)' ] || printf '%s' '$(2)' > $(1); })
flags-stamp := $(objtree)/.flags
flags-now   := $(CC) $(CFLAGS) $(LDFLAGS)
$(call stamp,$(flags-stamp),$(flags-now))

# ---------------------------------------------------------------- Kbuild lists
# Each directory's Kbuild file appends to obj-y (library objects),
# test-y (selftest binaries) or prog-y (tool programs), relative to itself.
# A program's other objects, packages and extra libraries:
#   <prog>-objs, <prog>-pkgs (pkg-config names), <prog>-libs (-l flags).
# Test programs get $(test-pkgs) too; a program's packages give their
# --cflags to each of its objects and their --libs to its link.
define kbuild-dir
obj-y  :=
test-y :=
prog-y :=
include $(srctree)/$(1)/Kbuild
lib-objs   += $$(addprefix $(objtree)/$(1)/,$$(obj-y))
test-progs += $$(addprefix $(objtree)/$(1)/,$$(test-y))
tool-progs += $$(addprefix $(objtree)/$(1)/,$$(prog-y))
$$(foreach p,$$(prog-y) $$(test-y),$$(eval progobjs-$(objtree)/$(1)/$$(p) := \
	$$(addprefix $(objtree)/$(1)/,$$($$(p)-objs))) \
	$$(eval proglibs-$(objtree)/$(1)/$$(p) := $$($$(p)-libs)) \
	$$(eval progpkgs-$(objtree)/$(1)/$$(p) := $$(if $$(filter $$(p),$$(test-y)),$$(test-pkgs)) $$($$(p)-pkgs)) \
	$$(foreach o,$$(p).o $$($$(p)-objs),$$(eval \
		objpkgs-$(objtree)/$(1)/$$(o) += $$(progpkgs-$(objtree)/$(1)/$$(p)))))
endef

lib-objs   :=
test-progs :=
tool-progs :=
KBUILD_DIRS := lib selftests tools Documentation/examples
$(foreach d,$(KBUILD_DIRS),$(eval $(call kbuild-dir,$(d))))

static-lib := $(objtree)/libbaton.a
shared-lib := $(objtree)/libbaton.so.$(VERSION)
soname     := libbaton.so.$(VERSION_MAJOR)
pc-file    := $(objtree)/baton.pc

# ---------------------------------------------------------------- targets
.PHONY: all check install uninstall clean distclean help version deps \
	selftests tools ownership-table api-doc FORCE
.DEFAULT_GOAL := all

all: $(static-lib) $(shared-lib) $(pc-file) $(tool-progs)

# scripts/deps.sh once per build directory and set of needs (C=1 adds
# sparse): it installs what is missing as root, else says what to run.
deps-stamp := $(objtree)/.deps-ok$(if $(filter 1,$(C)),-sparse)
$(deps-stamp): $(srctree)/scripts/deps.sh
	$(Q)CC='$(CC)' SAN='$(SAN)' C='$(C)' sh $(srctree)/scripts/deps.sh
	$(Q)touch $@
deps: $(deps-stamp)

# Library objects are built hidden: only BATON_API symbols are exported.
obj-flags = $(if $(filter $@,$(lib-objs)),-fvisibility=hidden -DBATON_BUILD)

# Every object gets the library packages' --cflags, a program's object
# its program's packages' too.
c-flags = $(CFLAGS) $(call pkg,--cflags,$(lib-pkgs) $(objpkgs-$@)) $(obj-flags)

$(objtree)/%.o: $(srctree)/%.c $(flags-stamp) | $(deps-stamp)
	@mkdir -p $(dir $@)
	$(sparse-check)
	$(call msg,CC,$@)
	$(Q)$(CC) $(c-flags) -c -o $@ $<

$(static-lib): $(lib-objs)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(shared-lib): $(lib-objs) $(srctree)/lib/libbaton.map
	$(call msg,LD,$@)
	$(Q)$(CC) -shared -Wl,-soname,$(soname) -Wl,-z,defs \
		-Wl,--version-script=$(srctree)/lib/libbaton.map \
		-o $@ $(lib-objs) $(LDFLAGS) $(LIBS)
	$(Q)ln -sf $(notdir $@) $(objtree)/$(soname)
	$(Q)ln -sf $(soname) $(objtree)/libbaton.so

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PCDIR      ?= $(LIBDIR)/pkgconfig

dirs-stamp := $(objtree)/.install-dirs
$(call stamp,$(dirs-stamp),$(PREFIX) $(LIBDIR) $(INCLUDEDIR))

$(pc-file): $(srctree)/baton.pc.in $(dirs-stamp)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@REQUIRES_PRIVATE@|$(lib-pkgs)|' $< > $@

# Selftests and tools link the static library so they need no LD_LIBRARY_PATH.
# A program built from several files lists the others in its Kbuild:
#   prog-y += kvd/baton-kvd
#   kvd/baton-kvd-objs := kvd/resp.o kvd/store.o
#   bench/rcu/bench_rcu-pkgs := liburcu-qsbr   (pkg-config packages)
#   kvd/baton-kvd-libs := -lm            (other libraries, if any)
.SECONDEXPANSION:
$(test-progs) $(tool-progs): %: %.o $$(progobjs-$$@) $(static-lib)
	$(call msg,LD,$@)
	$(Q)$(CC) -o $@ $< $(progobjs-$@) $(static-lib) $(LDFLAGS) \
		$(call pkg,--libs,$(lib-pkgs) $(progpkgs-$@)) -pthread $(proglibs-$@)

selftests: $(test-progs) $(tool-progs)
tools: $(tool-progs)

# `make run`: build baton-kvd and run it in the foreground on
# 127.0.0.1:6380 until Ctrl-C or SIGTERM; ARGS adds options
# (make run ARGS="--io-threads 2 --requirepass secret").
.PHONY: run
run: $(objtree)/tools/kvd/baton-kvd
	$(Q)exec $< --port 6380 $(ARGS)

# `make check`: every selftest binary, then the source checkers.
check: all selftests
	$(Q)BATON_OBJTREE=$(objtree) BATON_SRCTREE=$(srctree) CC='$(CC)' \
		SAN='$(SAN)' MAKE='$(MAKE)' \
		sh $(srctree)/selftests/run.sh $(test-progs)

# `make bench`: every micro-benchmark, kvd against redis-server, plots
# and the targets of Documentation/performance.rst, under $(O)/bench.
# `make perf`: the micro-benchmarks under perf stat, under $(O)/perf.
# Neither is part of check: a benchmark never hides inside a test.
.PHONY: bench perf
bench: all
	$(Q)BATON_OBJTREE=$(objtree) BATON_SRCTREE=$(srctree) CC='$(CC)' \
		bash $(srctree)/tools/bench/run_bench.sh $(BENCH_ARGS)

perf: all
	$(Q)BATON_OBJTREE=$(objtree) BATON_SRCTREE=$(srctree) \
		bash $(srctree)/tools/bench/run_perf.sh $(PERF_ARGS)

# `make fuzz`: the libFuzzer harnesses of tools/fuzz (clang, ASan+UBSan,
# their own libbaton under $(O)/fuzz-build), FUZZ_TIME seconds each from
# a scratch copy of the committed seed corpus.
# `make soak`: baton-kvd under thousands of connections, kills and drops
# for SOAK_TIME seconds (tools/soak; SOAK_ARGS adds options).
.PHONY: fuzz soak
FUZZ_TIME ?= 60
fuzz:
	$(Q)BATON_SRCTREE=$(srctree) bash $(srctree)/tools/fuzz/run_fuzz.sh \
		$(objtree)/fuzz-build $(FUZZ_TIME)

SOAK_TIME ?= 120
soak: $(objtree)/tools/kvd/baton-kvd
	$(Q)BATON_OBJTREE=$(objtree) SAN='$(SAN)' python3 \
		$(srctree)/tools/soak/soak.py --time $(SOAK_TIME) $(SOAK_ARGS)

# Regenerate the field table of Documentation/ownership.rst from the
# __rule() annotations (make check fails while it is out of date).
ownership-table:
	$(Q)python3 $(srctree)/tools/checkers/ownership.py --srctree $(srctree) \
		--update-doc $(srctree)/Documentation/ownership.rst

# Regenerate Documentation/api.rst from the public headers' kernel-doc
# (make check fails while it is out of date).
api-doc:
	$(Q)python3 $(srctree)/tools/checkers/apidoc.py --srctree $(srctree) \
		--output $(srctree)/Documentation/api.rst

install: $(static-lib) $(shared-lib) $(pc-file)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(INCLUDEDIR)/baton $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PCDIR)
	$(Q)install -m 644 $(srctree)/include/uapi/baton/*.h $(DESTDIR)$(INCLUDEDIR)/baton/
	$(Q)install -m 644 $(static-lib) $(DESTDIR)$(LIBDIR)/
	$(Q)install -m 755 $(shared-lib) $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sf $(notdir $(shared-lib)) $(DESTDIR)$(LIBDIR)/$(soname)
	$(Q)ln -sf $(soname) $(DESTDIR)$(LIBDIR)/libbaton.so
	$(Q)install -m 644 $(pc-file) $(DESTDIR)$(PCDIR)/

uninstall:
	$(call msg,UNINST,$(DESTDIR)$(PREFIX))
	$(Q)rm -rf $(DESTDIR)$(INCLUDEDIR)/baton
	$(Q)rm -f $(DESTDIR)$(LIBDIR)/libbaton.a $(DESTDIR)$(LIBDIR)/libbaton.so* \
		$(DESTDIR)$(PCDIR)/baton.pc

clean:
	$(call msg,CLEAN,$(objtree))
	$(Q)rm -rf $(objtree)

# distclean: every build variant.  The build writes only under $(O)
# (selftests/build/test_out_of_tree.sh checks it), and the default $(O)s
# are all under build/; Python run by hand leaves __pycache__
# directories, the only other thing in the tree that is never a source.
distclean: clean
	$(call msg,CLEAN,build/ __pycache__/)
	$(Q)rm -rf $(srctree)/build
	$(Q)find $(srctree) -path $(srctree)/.git -prune -o \
		-name __pycache__ -type d -prune -exec rm -rf {} +

# The version, for scripts (from include/uapi/baton/api.h).
version:
	@echo $(VERSION)

help:
	@sed -n 's/^#help: \{0,1\}//p' $(srctree)/Makefile

#help: Targets:
#help:   all        libbaton.a, libbaton.so.0, baton.pc, tools (default)
#help:   check      build everything, run the selftests and source checkers
#help:   run        build baton-kvd and start it on 127.0.0.1:6380 (ARGS=options)
#help:   bench      run the benchmarks, plots and targets into $(O)/bench
#help:              (BENCH_ARGS='-q' quick, '-E' no kvd vs redis-server)
#help:   perf       run the micro-benchmarks under perf stat into $(O)/perf
#help:   fuzz       libFuzzer harnesses (clang) for FUZZ_TIME s each (default 60)
#help:   soak       baton-kvd soak: SOAK_TIME s (default 120), SOAK_ARGS=options
#help:   selftests  build the selftest binaries;  tools  build the tools
#help:   install    install public headers, libraries and baton.pc
#help:   uninstall  remove what install put there
#help:   deps       check the build dependencies (install them as root)
#help:   ownership-table  regenerate Documentation/ownership.rst's table
#help:   api-doc    regenerate Documentation/api.rst from the public headers
#help:   clean      remove $(O)
#help:   distclean  remove every build variant: $(O), build/, __pycache__/
#help:   version    print the version (from include/uapi/baton/api.h)
#help:   help       this text
#help: Variables:
#help:   O=dir      build directory (default build/<cc>[-san][-debug][-fault][-sparse])
#help:   V=1        show full commands
#help:   W=1        extra warnings;  WERROR=1  warnings (and sparse's) are errors
#help:   C=1        run sparse on every C file as it is compiled
#help:   CC=clang   build with clang (turns on -Wthread-safety -Werror)
#help:   DEBUG=1    ownership / role assertions on
#help:   FAULT=1    fault injection compiled in
#help:   SAN=address|thread   ASan+UBSan+LSan or TSan build
#help:   CFLAGS=, LDFLAGS=    added before the flags baton requires
#help:   PKG_CONFIG=pkg-config   the pkg-config that finds liburcu and CUnit
#help:   PREFIX=, DESTDIR=, LIBDIR=, INCLUDEDIR=, PCDIR=   install locations
#help: Documentation/build.rst explains each of them.

# ---------------------------------------------------------------- sparse
# C=1: sparse checks each C file just before it is compiled, with the
# compiler's own -D/-I/-std flags.  Sparse 0.6 knows _Atomic only as a
# qualifier, so the _Atomic(T) specifier is spelled as one for it.  With
# WERROR=1 any sparse warning stops the build.
SPARSE ?= sparse
SPARSE_FLAGS := -Wbitwise -Wcontext -Wno-decl -Wno-vla -Wno-non-pointer-null \
	'-D_Atomic(T)=T _Atomic' \
	$(if $(filter 1,$(WERROR)),-Wsparse-error)
ifeq ($(C),1)
sparse-check = $(call msg,CHECK,$<) $(SPARSE) $(SPARSE_FLAGS) \
	$(filter -D% -U% -I% -std=%,$(c-flags)) $<
else
sparse-check =
endif

-include $(shell find $(objtree) -name '*.d' 2>/dev/null)
