# yolo: one Makefile. `make` builds build/yolo, build/libyolo.a, build/libyolo.so (soname
# libyolo.so.MAJOR), build/yolo.pc and the man page build/yolo.1.
#   make install|uninstall  PREFIX (default /usr/local), DESTDIR for staged installs
#   make test            every test (unit, per-op, golden, CLI)
#   make asan|ubsan|tsan the suite under sanitizers (own build dirs)
#   make demo            build the default model's engine and detect on bus.jpg
#   make bench           side-by-side benchmark against ONNX Runtime
# Sources are found by wildcard: a new .c file in a listed folder needs no Makefile edit.

CC       ?= cc
CXX      ?= c++
BUILD    ?= build
SAN      ?=
SHARED   ?= ../shared
Q        ?= @
PKGS     := openblas libprotobuf-c libpng zlib freetype2 yaml-0.1 opencv4

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs openblas libprotobuf-c libpng zlib freetype2 yaml-0.1 2>/dev/null) \
              -lopencv_videoio -lopencv_imgcodecs -lopencv_imgproc -lopencv_core

OPT      ?= -O2
WARN     := -Wall -Wextra -Werror -Wno-format-truncation
GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
CPPFLAGS := -D_GNU_SOURCE -DYOLO_GIT_COMMIT=\"$(GIT_COMMIT)\" $(PKG_CFLAGS)
# Layers, enforced by the include paths each folder gets (a header of a layer a folder may not
# use is not found): core/base (status, files, hashing) under everything; core/ (the generic
# runtime and its backends) sees only itself; preprocess/ (letterbox), postprocess/ (which
# also sees preprocess/), labels/ (class names) and eval/
# (datasets, label files, predictions, metrics) see core/ and the public header; detect/ sees
# them all; cli/ sees the public header (include/yolo.h), core/base and the pipeline and
# evaluation headers that expose nothing of core/ (a core/ header they pull in fails to
# compile there). Tests see everything.
INC_core        := -Icore -Icore/base -I$(BUILD)/gen
INC_preprocess  := -Iinclude -Icore -Icore/base
INC_postprocess := -Iinclude -Icore -Icore/base -Ipreprocess
INC_labels      := -Iinclude -Icore -Icore/base
INC_eval        := -Iinclude -Icore -Icore/base
INC_detect      := -Iinclude -Icore -Icore/base -Ipreprocess -Ipostprocess -Ilabels -I$(BUILD)/gen
INC_cli         := -Iinclude -Icore/base -Ilabels -Ieval -Ipostprocess -Idetect
INC_tests       := -Iinclude -Icore -Icore/base -Ilabels -Ieval -Ipreprocess -Ipostprocess -Idetect -I$(BUILD)/gen -Itests
layer_inc = $(INC_$(firstword $(subst /, ,$(1))))
# -fPIC: the same objects make libyolo.a and libyolo.so. -fvisibility=hidden: the shared
# library exports only what include/yolo.h marks YOLO_API; the CLI and the tests use internal
# functions too and link the static archive, where visibility does not matter.
CFLAGS   := -std=c11 $(OPT) -g $(WARN) -pthread -fno-strict-aliasing -fPIC -fvisibility=hidden
CXXFLAGS := -std=c++17 $(OPT) -g $(WARN) -pthread -fPIC -fvisibility=hidden
LDFLAGS  := -pthread
LDLIBS   := $(PKG_LIBS) -lstdc++ -lm

ifneq ($(SAN),)
CFLAGS   += -fsanitize=$(SAN) -fno-omit-frame-pointer
CXXFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=$(SAN)
endif

# ---------------------------------------------------------------- sources
LIB_DIRS  := core core/base core/ops core/opt core/onnx core/cpu detect preprocess postprocess labels eval
LIB_C     := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
LIB_CXX   := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.cpp))
X86_AVX2  := $(wildcard core/cpu/x86/*_avx2.c)
X86_AVX512:= $(wildcard core/cpu/x86/*_avx512.c)
GEN_C     := $(BUILD)/gen/onnx.pb-c.c $(BUILD)/gen/labels_coco.c
CLI_C     := $(wildcard cli/*.c)

obj = $(patsubst %,$(BUILD)/obj/%.o,$(1))
LIB_OBJ   := $(call obj,$(LIB_C) $(LIB_CXX) $(X86_AVX2) $(X86_AVX512)) \
             $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(GEN_C))
CLI_OBJ   := $(call obj,$(CLI_C))

TEST_C    := $(wildcard tests/test_*.c tests/ops/test_*.c)
TEST_BIN  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_C))
TEST_SUPPORT_C := $(filter-out tests/test_% tests/ops/test_%,$(wildcard tests/*.c tests/ops/*.c))
TEST_SUPPORT_OBJ := $(call obj,$(TEST_SUPPORT_C))
SAMPLE_BIN:= $(patsubst samples/%.c,$(BUILD)/samples/%,$(wildcard samples/*.c))

VERSION  := $(shell sed -n 's/^\#define YOLO_VERSION_STRING "\(.*\)"/\1/p' include/yolo.h)
SOMAJOR  := $(firstword $(subst ., ,$(VERSION)))
SONAME   := libyolo.so.$(SOMAJOR)
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR   ?= $(PREFIX)/share/man

.PHONY: all test tests refval asan ubsan tsan demo bench clean install uninstall deps
all: $(BUILD)/yolo $(BUILD)/libyolo.a $(BUILD)/libyolo.so $(BUILD)/yolo.1 $(SAMPLE_BIN)

# ---------------------------------------------------------------- generated sources
$(BUILD)/gen/onnx.pb-c.c $(BUILD)/gen/onnx.pb-c.h: core/onnx/onnx.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=core/onnx --c_out=$(BUILD)/gen core/onnx/onnx.proto

$(BUILD)/gen/labels_coco.c: labels/coco.names scripts/embed_names.sh
	@mkdir -p $(BUILD)/gen
	sh scripts/embed_names.sh yolo_labels_coco labels/coco.names > $@.tmp && mv $@.tmp $@

# Objects are rebuilt when the compiler or its flags change (a build made before -fPIC
# cannot link libyolo.so): the stamp is rewritten, at parse time, only when they differ.
FLAGS_STAMP := $(BUILD)/flags.stamp
FLAGS_NOW   := $(CC) $(CXX) $(CFLAGS) $(CXXFLAGS)
ifneq ($(FLAGS_NOW),$(shell cat $(FLAGS_STAMP) 2>/dev/null))
$(shell mkdir -p $(BUILD) && echo '$(FLAGS_NOW)' > $(FLAGS_STAMP))
endif
$(LIB_OBJ) $(CLI_OBJ) $(TEST_SUPPORT_OBJ): $(FLAGS_STAMP)

# Every object may include the generated protobuf header.
$(LIB_OBJ) $(CLI_OBJ) $(TEST_SUPPORT_OBJ): | $(BUILD)/gen/onnx.pb-c.h

# ---------------------------------------------------------------- objects
$(BUILD)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo CC $<
	$(Q)$(CC) $(CPPFLAGS) $(call layer_inc,$<) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.cpp.o: %.cpp
	@mkdir -p $(dir $@)
	@echo CXX $<
	$(Q)$(CXX) $(CPPFLAGS) $(call layer_inc,$<) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/core/cpu/x86/%_avx2.c.o: core/cpu/x86/%_avx2.c
	@mkdir -p $(dir $@)
	@echo CC $<
	$(Q)$(CC) $(CPPFLAGS) $(INC_core) $(CFLAGS) -mavx2 -mfma -MMD -MP -c $< -o $@

$(BUILD)/obj/core/cpu/x86/%_avx512.c.o: core/cpu/x86/%_avx512.c
	@mkdir -p $(dir $@)
	@echo CC $<
	$(Q)$(CC) $(CPPFLAGS) $(INC_core) $(CFLAGS) -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -MMD -MP -c $< -o $@

# Generated protobuf-c code is not ours to keep warning-clean.
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	@echo CC $<
	$(Q)$(CC) $(CPPFLAGS) $(INC_core) $(filter-out -Werror,$(CFLAGS)) -w -c $< -o $@

# ---------------------------------------------------------------- products
$(BUILD)/libyolo.a: $(LIB_OBJ)
	@rm -f $@
	@echo AR $@
	$(Q)ar rcs $@ $^

# libyolo.so.X.Y.Z with soname libyolo.so.X and the two links to it. The version script is
# a second guard beside -fvisibility=hidden: nothing but yolo_* leaves the library.
$(BUILD)/libyolo.so: $(LIB_OBJ) scripts/libyolo.map
	@echo LINK $@
	$(Q)$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -Wl,--version-script=scripts/libyolo.map \
	    -Wl,--no-undefined $(LIB_OBJ) $(LDLIBS) -o $(BUILD)/libyolo.so.$(VERSION)
	$(Q)ln -sf libyolo.so.$(VERSION) $(BUILD)/$(SONAME)
	$(Q)ln -sf $(SONAME) $@

# pkg-config: the libraries libyolo.a needs are private (a program using the .so links only
# -lyolo; `pkg-config --static` adds them). Written by make install, for its PREFIX.
PC_SED := sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|' \
              -e 's|@VERSION@|$(VERSION)|; s|@REQUIRES@|$(PKGS)|' scripts/yolo.pc.in

# yolo(1), generated from the --help texts so the two cannot drift apart.
$(BUILD)/yolo.1: $(BUILD)/yolo scripts/make_man.sh
	$(Q)sh scripts/make_man.sh $(BUILD)/yolo $(VERSION) > $@.tmp && mv $@.tmp $@

$(BUILD)/yolo: $(CLI_OBJ) $(BUILD)/libyolo.a
	@echo LINK $@
	$(Q)$(CC) $(LDFLAGS) $(CLI_OBJ) $(BUILD)/libyolo.a $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(BUILD)/libyolo.a
	@mkdir -p $(dir $@)
	@echo LINK $@
	$(Q)$(CC) $(CPPFLAGS) $(INC_tests) $(CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS_$(notdir $*)) $< $(TEST_SUPPORT_OBJ) $(BUILD)/libyolo.a $(LDLIBS) -o $@

# Per-test link flags, TEST_LDFLAGS_<test name>. ALLOC_WRAP routes every allocation call of
# the library through the test's own wrappers (tests/hooks/alloc_hook.c): fault injection
# and allocation accounting with no library change.
ALLOC_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
    -Wl,--wrap=aligned_alloc,--wrap=posix_memalign,--wrap=strdup,--wrap=strndup
TEST_LDFLAGS_test_alloc_fail      := $(ALLOC_WRAP)
TEST_LDFLAGS_test_resource_bounds := $(ALLOC_WRAP)

$(BUILD)/samples/%: samples/%.c $(BUILD)/libyolo.a
	@mkdir -p $(dir $@)
	@echo LINK $@
	$(Q)$(CC) -Iinclude $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libyolo.a $(LDLIBS) -o $@

# ---------------------------------------------------------------- running
# test and demo first install what a fresh machine lacks (a no-op when all is there), then
# re-enter make so pkg-config sees the new packages.
test: deps
	$(MAKE) --no-print-directory all tests
	BUILD=$(BUILD) SHARED=$(SHARED) sh tests/run_tests.sh

tests: $(TEST_BIN)

asan:
	$(MAKE) BUILD=build/asan SAN=address,undefined OPT=-O1 test
# UBSan only prints its findings by default: make them fail the test that hits them.
asan ubsan: export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
ubsan:
	$(MAKE) BUILD=build/ubsan SAN=undefined OPT=-O1 test
# third-party races only (FFmpeg's threaded decoder, GDAL's lazy mutex): tests/tsan.supp
tsan:
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp $${TSAN_OPTIONS:-}" $(MAKE) BUILD=build/tsan SAN=thread OPT=-O1 test

demo: deps
	$(MAKE) --no-print-directory all
	sh scripts/demo.sh $(BUILD) $(SHARED)

# reference_val: our mAP vs the reference pipeline's (ONNX Runtime) on all 128 coco128 images
refval: all
	BUILD=$(BUILD) SHARED=$(SHARED) sh scripts/reference_val.sh

bench: all
	sh scripts/bench.sh $(BUILD) $(SHARED)

deps:
	sh scripts/install-deps.sh

# make fuzz FUZZ_SECONDS=N: builds every fuzz target (tests/fuzz/) with clang, libFuzzer,
# ASan and UBSan in build/fuzz and runs each for N seconds from its seed corpus; see
# tests/fuzz/run.sh (longer runs, one target, parallel jobs).
FUZZ_SECONDS ?= 10
.PHONY: fuzz
fuzz:
	sh scripts/install-deps.sh fuzz
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/yolo $(DESTDIR)$(PREFIX)/bin/yolo
	install -m 644 $(BUILD)/libyolo.a $(DESTDIR)$(LIBDIR)/libyolo.a
	install -m 755 $(BUILD)/libyolo.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libyolo.so.$(VERSION)
	ln -sf libyolo.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libyolo.so
	$(PC_SED) > $(DESTDIR)$(LIBDIR)/pkgconfig/yolo.pc
	install -m 644 include/yolo.h $(DESTDIR)$(INCLUDEDIR)/yolo.h
	install -m 644 $(BUILD)/yolo.1 $(DESTDIR)$(MANDIR)/man1/yolo.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/yolo $(DESTDIR)$(LIBDIR)/libyolo.a \
	    $(DESTDIR)$(LIBDIR)/libyolo.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libyolo.so $(DESTDIR)$(LIBDIR)/pkgconfig/yolo.pc \
	    $(DESTDIR)$(INCLUDEDIR)/yolo.h $(DESTDIR)$(MANDIR)/man1/yolo.1

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
