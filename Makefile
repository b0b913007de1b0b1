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
# msg: the quiet line of a plain rule; echo-cmd: that of an if_changed
# one, quiet_cmd_NAME being pairs of words (CC lib/llist.o).
ifeq ($(V),1)
Q   :=
msg  =
echo-cmd = printf '%s\n' '$(call escsq,$(cmd_$(1)))';
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
# make -s: silent, like the kernel's
Q   := @
msg  =
echo-cmd =
else
Q   := @
msg  = @printf '  %-7s %s\n' '$(1)' '$(patsubst $(objtree)/%,%,$(2))';
echo-cmd = printf '  %-7s %s\n' $(quiet_cmd_$(1));
endif
rel = $(patsubst $(srctree)/%,%,$(patsubst $(objtree)/%,%,$(1)))

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

# ---------------------------------------------------------------- if_changed
# Kbuild's if_changed: a target is rebuilt when a prerequisite is newer
# or when ITS OWN command differs from the one that built it last.  The
# command is saved next to the target, lib/llist.o's in lib/.llist.o.cmd
# as "savedcmd_<target> := <command>", and the Makefile includes those
# files.  So changing CFLAGS rebuilds every object, CFLAGS_lib/llist.o
# rebuilds lib/llist.o alone, and PREFIX regenerates only baton.pc; a
# target without a .cmd file (built by an older Makefile) is rebuilt
# once.  Each such target depends on FORCE, so make always expands its
# recipe, $(call if_changed,NAME), which decides: it runs cmd_NAME, prints
# quiet_cmd_NAME (or the command, V=1) and saves the command, or does
# nothing.
squote := '
escsq   = $(subst $(squote),'\$(squote)',$(1))
# The command as one word (filter-out compares words; % is its wildcard).
cmd-word = $(subst %,_-_PCT_-_,$(subst $(space),_-_SPC_-_,$(strip $(1))))
cmd-changed   = $(filter-out $(call cmd-word,$(savedcmd_$@)),$(call cmd-word,$(cmd_$(1))))
newer-prereqs = $(filter-out FORCE,$?)
dot-target    = $(dir $@).$(notdir $@)
# The command as a make value in a single-quoted shell word.
make-cmd = $(call escsq,$(subst $(pound),$$(pound),$(subst $$,$$$$,$(cmd_$(1)))))

if_changed = $(if $(newer-prereqs)$(cmd-changed),@set -e; $(echo-cmd) \
	mkdir -p $(dir $@); $(cmd_$(1)); \
	printf '%s\n' 'savedcmd_$@ := $(make-cmd)' > $(dot-target).cmd)

# ---------------------------------------------------------------- Kbuild lists
# Each directory's Kbuild file appends to obj-y (library objects),
# test-y (selftest binaries) or prog-y (tool programs), relative to itself;
# gates-y lists objects of the test-gates copy of the library only.
# A program's other objects, packages and extra libraries:
#   <prog>-objs, <prog>-pkgs (pkg-config names), <prog>-libs (-l flags).
# <prog>-gates := y links a selftest with the test-gates library (below)
# and compiles its objects with -DBATON_TEST_GATES.
# Test programs get $(test-pkgs) too; a program's packages give their
# --cflags to each of its objects and their --libs to its link.
# CFLAGS_<obj> and LDFLAGS_<prog> in a Kbuild file (CFLAGS_llist.o in
# lib/Kbuild) add flags to that one object or link; on the command line
# they are named from $(O) (make CFLAGS_lib/llist.o=-DFOO).
define kbuild-dir
obj-y  :=
test-y :=
prog-y :=
gates-y :=
include $(srctree)/$(1)/Kbuild
lib-objs   += $$(addprefix $(objtree)/$(1)/,$$(obj-y))
gates-only-objs += $$(addprefix $(objtree)/gates/$(1)/,$$(gates-y))
test-progs += $$(addprefix $(objtree)/$(1)/,$$(test-y))
tool-progs += $$(addprefix $(objtree)/$(1)/,$$(prog-y))
$$(foreach p,$$(prog-y) $$(test-y),$$(eval progobjs-$(objtree)/$(1)/$$(p) := \
	$$(addprefix $(objtree)/$(1)/,$$($$(p)-objs))) \
	$$(eval proglibs-$(objtree)/$(1)/$$(p) := $$($$(p)-libs)) \
	$$(eval progpkgs-$(objtree)/$(1)/$$(p) := $$(if $$(filter $$(p),$$(test-y)),$$(test-pkgs)) $$($$(p)-pkgs)) \
	$$(eval proggates-$(objtree)/$(1)/$$(p) := $$(filter y,$$($$(p)-gates))) \
	$$(foreach o,$$(p).o $$($$(p)-objs),$$(eval \
		objpkgs-$(objtree)/$(1)/$$(o) += $$(progpkgs-$(objtree)/$(1)/$$(p))) \
		$$(eval objgates-$(objtree)/$(1)/$$(o) := $$(proggates-$(objtree)/$(1)/$$(p)))))
$$(foreach f,$$(obj-y) $$(foreach p,$$(prog-y) $$(test-y),$$(p).o $$($$(p)-objs)),$$(call \
	kbuild-flags,CFLAGS_$$(f),$(objtree)/$(1)/$$(f)))
$$(foreach f,$$(prog-y) $$(test-y),$$(call kbuild-flags,LDFLAGS_$$(f),$(objtree)/$(1)/$$(f)))
endef
# $(call kbuild-flags,VAR,TARGET): VAR, set in the Kbuild file just read,
# becomes TARGET's own flags and is cleared for the next directory.
kbuild-flags = $(if $(filter file,$(origin $(1))),$(eval \
	kbuild-$(2) := $$($(1)))$(eval undefine $(1)))

lib-objs   :=
gates-only-objs :=
test-progs :=
tool-progs :=
KBUILD_DIRS := lib selftests tools Documentation/examples
$(foreach d,$(KBUILD_DIRS),$(eval $(call kbuild-dir,$(d))))
progs    := $(test-progs) $(tool-progs)

# The test-gates library: the same objects compiled again under
# $(O)/gates/ with -DBATON_TEST_GATES (every GATE() of the library
# becomes a hook, include/baton/gate.h), plus gates-y (lib/gate.c).
# Only selftests whose Kbuild says <prog>-gates := y link it; libbaton.a
# and libbaton.so never contain a gate (build/test_gates.sh checks).
gates-lib-objs := $(patsubst $(objtree)/%,$(objtree)/gates/%,$(lib-objs)) \
	$(gates-only-objs)
gates-lib  := $(objtree)/gates/libbaton-gates.a

all-objs := $(sort $(lib-objs) $(gates-lib-objs) $(addsuffix .o,$(progs)) \
	$(foreach p,$(progs),$(progobjs-$(p))))

static-lib := $(objtree)/libbaton.a
shared-lib := $(objtree)/libbaton.so.$(VERSION)
soname     := libbaton.so.$(VERSION_MAJOR)
pc-file    := $(objtree)/baton.pc

# ---------------------------------------------------------------- targets
.PHONY: all check install uninstall clean distclean help version deps \
	selftests tools ownership-table api-doc FORCE
.DEFAULT_GOAL := all
# A command that fails leaves no half-written target behind.
.DELETE_ON_ERROR:

all: $(static-lib) $(shared-lib) $(pc-file) $(tool-progs)

# scripts/deps.sh once per build directory and set of needs (C=1 adds
# sparse): it installs what is missing as root, else says what to run.
deps-stamp := $(objtree)/.deps-ok$(if $(filter 1,$(C)),-sparse)
$(deps-stamp): $(srctree)/scripts/deps.sh
	$(Q)CC='$(CC)' SAN='$(SAN)' C='$(C)' sh $(srctree)/scripts/deps.sh
	$(Q)mkdir -p $(dir $@) && touch $@
deps: $(deps-stamp)

# Library objects are built hidden: only BATON_API symbols are exported.
# The test-gates copy and the objects of programs that link it get
# -DBATON_TEST_GATES.
obj-flags = $(if $(filter $@,$(lib-objs) $(gates-lib-objs)),$(sdt-flags) -fvisibility=hidden -DBATON_BUILD)$(gates-flags)
gates-flags = $(if $(filter $@,$(gates-lib-objs))$(objgates-$@), -DBATON_TEST_GATES)
# A gates copy's own flags are those of the object it copies.
obj-orig = $(patsubst $(objtree)/gates/%,$(objtree)/%,$@)

# USDT probes (include/baton/probe.h) in the library objects: on when
# the compiler finds <sys/sdt.h> (Debian: systemtap-sdt-dev, optional),
# off with SDT=0.  Asked once per make run, on first use.
sdt-flags = $(if $(sdt-cache),,$(eval sdt-cache := : $(sdt-query)))$(filter-out :,$(sdt-cache))
sdt-query = $(if $(filter 0,$(SDT)),,$(if $(shell printf '$(pound)include <sys/sdt.h>\n' | \
	$(CC) -E -x c - >/dev/null 2>&1 && echo y),-DBATON_HAVE_SDT))

# Every object gets the library packages' --cflags, a program's object
# its program's packages' too, then its own CFLAGS_<obj>.  With C=1
# sparse checks the file first, as part of the same command.
c-flags = $(CFLAGS) $(call pkg,--cflags,$(lib-pkgs) $(objpkgs-$@)) \
	$(obj-flags) $(kbuild-$(obj-orig)) $(CFLAGS_$(call rel,$(obj-orig)))
quiet_cmd_cc_o_c = $(if $(filter 1,$(C)),CHECK $(call rel,$<)) CC $(call rel,$@)
      cmd_cc_o_c = $(sparse-check)$(CC) $(c-flags) -c -o $@ $<

$(objtree)/%.o: $(srctree)/%.c FORCE | $(deps-stamp)
	$(call if_changed,cc_o_c)

# The shorter stem wins: $(O)/gates/lib/llist.o is lib/llist.c again.
$(objtree)/gates/%.o: $(srctree)/%.c FORCE | $(deps-stamp)
	$(call if_changed,cc_o_c)

quiet_cmd_ar = AR $(call rel,$@)
      cmd_ar = rm -f $@; ar rcs $@ $(lib-objs)

$(static-lib): $(lib-objs) FORCE
	$(call if_changed,ar)

quiet_cmd_ar_gates = AR $(call rel,$@)
      cmd_ar_gates = rm -f $@; ar rcs $@ $(gates-lib-objs)

$(gates-lib): $(gates-lib-objs) FORCE
	$(call if_changed,ar_gates)

quiet_cmd_ld_so = LD $(call rel,$@)
      cmd_ld_so = $(CC) -shared -Wl,-soname,$(soname) -Wl,-z,defs \
	-Wl,--version-script=$(srctree)/lib/libbaton.map \
	-o $@ $(lib-objs) $(LDFLAGS) $(LIBS); \
	ln -sf $(notdir $@) $(objtree)/$(soname); \
	ln -sf $(soname) $(objtree)/libbaton.so

$(shared-lib): $(lib-objs) $(srctree)/lib/libbaton.map FORCE
	$(call if_changed,ld_so)

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PCDIR      ?= $(LIBDIR)/pkgconfig

# The install directories are part of the command: changing them
# regenerates baton.pc.
quiet_cmd_gen_pc = GEN $(call rel,$@)
      cmd_gen_pc = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	-e 's|@REQUIRES_PRIVATE@|$(lib-pkgs)|' $< > $@

$(pc-file): $(srctree)/baton.pc.in FORCE
	$(call if_changed,gen_pc)

# Selftests and tools link the static library so they need no LD_LIBRARY_PATH.
# A program built from several files lists the others in its Kbuild:
#   prog-y += kvd/baton-kvd
#   kvd/baton-kvd-objs := kvd/resp.o kvd/store.o
#   bench/rcu/bench_rcu-pkgs := liburcu-qsbr   (pkg-config packages)
#   kvd/baton-kvd-libs := -lm            (other libraries, if any)
#   CFLAGS_kvd/resp.o := -DX, LDFLAGS_kvd/baton-kvd := -Wl,-X   (one target's)
# A selftest that holds library threads at GATE()s links the test-gates
# library instead:  runtime/test_runtime-gates := y
prog-lib = $(if $(proggates-$(1)),$(gates-lib),$(static-lib))
quiet_cmd_ld_prog = LD $(call rel,$@)
      cmd_ld_prog = $(CC) -o $@ $< $(progobjs-$@) $(call prog-lib,$@) $(LDFLAGS) \
	$(kbuild-$@) $(LDFLAGS_$(call rel,$@)) \
	$(call pkg,--libs,$(lib-pkgs) $(progpkgs-$@)) -pthread $(proglibs-$@)

.SECONDEXPANSION:
$(progs): %: %.o $$(progobjs-$$@) $$(call prog-lib,$$@) FORCE
	$(call if_changed,ld_prog)

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
		BATON_VARIANT_TESTS_ONLY='$(VARIANT_TESTS_ONLY)' \
		BATON_SKIP_TESTS='$(SKIP_TESTS)' \
		sh $(srctree)/selftests/run.sh $(test-progs)

# `make bench`: every micro-benchmark, kvd against redis-server, the
# thread split (CPU per request by thread, kvd and redis-server), plots
# and the targets of Documentation/performance.rst, under $(O)/bench.
# `make perf`: the micro-benchmarks under perf stat, and baton-kvd's
# USDT probes counted under redis-benchmark (as root), under $(O)/perf.
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

# `make mutate`: the mutation check (tools/mutate, testing.rst): each
# deliberate bug of tools/mutate/mutants/ applied to a copy of the tree
# under $(O)/mutate, built in the variant that must catch it (there too),
# and the tests that must catch it run; fails when one is not caught.
# MUTANTS='name 3' picks some; MUTATE_VARIANTS='plain debug' skips the
# mutants of the other variants.
.PHONY: mutate
mutate:
	$(Q)BATON_OBJTREE=$(objtree) BATON_SRCTREE=$(srctree) CC='$(CC)' \
		MAKE='$(MAKE)' bash $(srctree)/tools/mutate/run.sh $(MUTANTS)

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
#help:              (BENCH_ARGS='-q' quick, '-E' no end-to-end runs, '-S' no thread split)
#help:   perf       run the micro-benchmarks under perf stat, count kvd's
#help:              USDT probes (root), into $(O)/perf (PERF_ARGS='-M' '-U')
#help:   fuzz       libFuzzer harnesses (clang) for FUZZ_TIME s each (default 60)
#help:   soak       baton-kvd soak: SOAK_TIME s (default 120), SOAK_ARGS=options
#help:   mutate     the mutation check: deliberate bugs of tools/mutate/mutants
#help:              must each fail a test, under $(O)/mutate (MUTANTS='3 name')
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
#help:   VARIANT_TESTS_ONLY=1   check skips the tests that give the same
#help:              result in every variant (checkers, build, model, fuzz)
#help:   SKIP_TESTS='kvd/test_kvd.sh ...'   check skips these tests
#help:   SDT=0      no USDT probes (default: on when <sys/sdt.h> is found)
#help:   CFLAGS=, LDFLAGS=    added before the flags baton requires
#help:   CFLAGS_lib/llist.o=, LDFLAGS_tools/kvd/baton-kvd=
#help:              flags of one object or one link (path under $(O))
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
# It is a command of its own (";", not "&&"): if_changed runs under set -e,
# which stops at a failed simple command but not at a failed left side of
# "&&", so a sparse error must not be able to skip the compiler silently.
sparse-check = $(if $(filter 1,$(C)),$(SPARSE) $(SPARSE_FLAGS) \
	$(filter -D% -U% -I% -std=%,$(c-flags)) $< ; )

FORCE:

# What built each target last (if_changed), and the headers each object
# includes (the compiler's -MMD).
-include $(wildcard $(foreach f,$(all-objs) $(progs) $(static-lib) \
	$(gates-lib) $(shared-lib) $(pc-file),$(dir $(f)).$(notdir $(f)).cmd) \
	$(all-objs:.o=.d))
