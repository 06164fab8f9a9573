# podctl build. `make` builds, `make install` installs, `make check` tests.
# `make SAN=1` builds everything with ASan+UBSan into build-san/.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/podctl
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

CC      ?= cc
V       ?= 0
ifeq ($(V),0)
Q       := @
say      = @printf '  %-6s %s\n' $(1) $(2);
else
Q       :=
say      =
endif
MUSLCC  ?= musl-gcc
PKGS    := yaml-0.1 jansson libarchive libcrypto libcap libseccomp libcurl zlib
CSTD    := -std=gnu11
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
           -Wmissing-prototypes -Wstrict-prototypes -Wvla
ifeq ($(FUZZ),1)
# libFuzzer targets (make fuzz): the libraries instrumented for coverage,
# never mixed with another build's objects.
B       := build-fuzz
CC      := clang
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
           -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
else ifeq ($(SAN),1)
B       ?= build-san
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
else
B       ?= build
OPT     := -O2 -g -D_FORTIFY_SOURCE=2
LDSAN   :=
endif
CFLAGS  += $(CSTD) $(WARN) $(OPT) -D_GNU_SOURCE -Iinclude -Isrc \
           $(shell pkg-config --cflags $(PKGS))
LDLIBS  += -Wl,--as-needed $(shell pkg-config --libs $(PKGS)) -lresolv

# Library modules, in link order (a module may use the ones after it).
MODULES := pod monitor net runtime cgroup image state spec util
lib_srcs = $(wildcard src/$(1)/*.c)
lib_objs = $(patsubst src/%.c,$(B)/obj/%.o,$(call lib_srcs,$(1))) $(GEN_OBJS_$(1))

GEN_OBJS_runtime := $(B)/obj/gen/seccomp-default.o
LIBS     := $(foreach m,$(MODULES),$(B)/lib$(m).a)

CLI_SRCS := $(wildcard src/cli/*.c)
CLI_OBJS := $(patsubst src/%.c,$(B)/obj/%.o,$(CLI_SRCS))
MON_OBJS := $(B)/obj/bin/podctl-monitor.o

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))

all: $(B)/podctl $(B)/podctl-monitor $(B)/pause $(UNIT_BINS) $(B)/tests/probe

# Generated at build time: the RuntimeDefault seccomp profile as a C string.
$(B)/gen/seccomp-default.c: src/runtime/profiles/seccomp-default.json
	@mkdir -p $(dir $@)
	$(call say,GEN,$@){ echo '/* Generated from $< by the Makefile. */'; \
	  echo 'extern const char pc_seccomp_default_json[];'; \
	  echo 'const char pc_seccomp_default_json[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } >$@
$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

define module_rule
$(B)/lib$(1).a: $(call lib_objs,$(1))
	@mkdir -p $$(dir $$@)
	$$(call say,AR,$$@)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call module_rule,$(m))))

$(B)/podctl: $(CLI_OBJS) $(LIBS)
	$(call say,LD,$@)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIBS) $(LDLIBS)

$(B)/podctl-monitor: $(MON_OBJS) $(LIBS)
	$(call say,LD,$@)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $(MON_OBJS) $(LIBS) $(LDLIBS)

# pause: static, musl, no sanitizer, nothing else linked.
$(B)/pause: src/pause/pause.c
	@mkdir -p $(dir $@)
	$(call say,MUSLCC,$@)$(MUSLCC) -std=gnu11 -Wall -Wextra -Werror -Os -static -s \
	  -fno-asynchronous-unwind-tables -o $@ $<

# In-container probe used by the integration tests: static, tiny.
$(B)/tests/probe: tests/probe.c
	@mkdir -p $(dir $@)
	$(call say,MUSLCC,$@)$(MUSLCC) -std=gnu11 -Wall -Wextra -Werror -Os -static -s -o $@ $<

# A unit test tests/unit/test_<module>[_x].c links only its module and what
# that module uses, so a module under construction never breaks another's tests.
DEPS_util    := util
DEPS_spec    := spec util
DEPS_image   := image util
DEPS_cgroup  := cgroup util
DEPS_state   := state spec util
DEPS_net     := net util
DEPS_runtime := runtime cgroup util
DEPS_fuzz    := image spec util
DEPS_monitor := $(MODULES)
DEPS_pod     := $(MODULES)
DEPS_pause   :=
test_mod  = $(firstword $(subst _, ,$(patsubst test_%,%,$(notdir $(1)))))
test_libs = $(foreach m,$(DEPS_$(call test_mod,$(1))),$(B)/lib$(m).a)

.SECONDEXPANSION:
$(B)/tests/test_%: tests/unit/test_%.c tests/unit/unit.h $$(call test_libs,$$@)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(CFLAGS) -Itests/unit $(LDSAN) -o $@ $< $(call test_libs,$@) $(LDLIBS)

# Fuzzing: `make fuzz` builds tests/fuzz/fuzz_<target>.c with clang and
# libFuzzer into build-fuzz/fuzz/; `make fuzz-run` runs each target for
# FUZZ_TIME seconds from its seed corpus (tests/fuzz/corpus/<target>/).
# The corpora and past crashes are replayed by tests/unit/test_fuzz_replay.c.
FUZZ_TARGETS      := manifest unpack image_json
FUZZ_DEPS_manifest   := spec util
FUZZ_DEPS_unpack     := image util
FUZZ_DEPS_image_json := image util
FUZZ_TIME         ?= 60

fuzz:
	$(MAKE) FUZZ=1 fuzz-bins

fuzz-bins: $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_TARGETS))

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(foreach m,$$(FUZZ_DEPS_$$*),$(B)/lib$$(m).a)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDSAN) -o $@ $< \
	  $(foreach m,$(FUZZ_DEPS_$*),$(B)/lib$(m).a) $(LDLIBS)

fuzz-run: fuzz
	B=build-fuzz tests/fuzz/run $(FUZZ_TIME) $(FUZZ_TARGETS)

# Man pages and shell completion, generated from one table (src/cli/completion.c).
man: $(B)/podctl
	$(B)/podctl __man $(B)/man
	$(B)/podctl completion bash >$(B)/podctl.bash
	$(B)/podctl completion zsh >$(B)/_podctl
	$(B)/podctl completion fish >$(B)/podctl.fish

install: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(B)/podctl $(DESTDIR)$(BINDIR)/podctl
	install -m 0755 $(B)/podctl-monitor $(DESTDIR)$(LIBEXECDIR)/podctl-monitor
	install -m 0755 $(B)/pause $(DESTDIR)$(LIBEXECDIR)/pause
	install -m 0644 $(B)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(B)/podctl.bash $(DESTDIR)$(BASHCOMPDIR)/podctl
	install -m 0644 $(B)/_podctl $(DESTDIR)$(ZSHCOMPDIR)/_podctl
	install -m 0644 $(B)/podctl.fish $(DESTDIR)$(FISHCOMPDIR)/podctl.fish

check: all
	tests/lint
	B=$(B) tests/run

# Break the code one line at a time (scratch copies) and check the tests catch
# it (tests/README.md); not part of check: it takes a while.
mutate: all
	B=$(B) tests/mutate

check-san:
	$(MAKE) SAN=1 check

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --inline-suppr --std=c11 -D_GNU_SOURCE -Iinclude -Isrc \
	  --suppress=missingIncludeSystem --include=scripts/cppcheck-macros.h src

bench: all
	bench/run

clean:
	rm -rf build build-san build-fuzz

.PHONY: all man install check mutate check-san format format-check lint bench clean fuzz fuzz-bins fuzz-run
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
