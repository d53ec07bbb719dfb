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
# CUDA=1: the CUDA backend too (core/cuda/, needs the CUDA toolkit; built in build/cuda)
CUDA     ?=
# NOCV=1: no OpenCV (detect/cv_adapter_nocv.c: PNG and JPEG through libpng and libjpeg, no
# video), no C++; objects in build/nocv. README.md, "Building without OpenCV".
NOCV     ?=
ifneq ($(CUDA),)
BUILD    ?= build/cuda
endif
ifneq ($(NOCV),)
BUILD    ?= build/nocv
endif
BUILD    ?= build
SAN      ?=
SHARED   ?= ../shared
Q        ?= @
PKGS     := openblas libprotobuf-c libpng zlib freetype2 yaml-0.1 opencv4

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs openblas libprotobuf-c libpng zlib freetype2 yaml-0.1 2>/dev/null) \
              -lopencv_videoio -lopencv_imgcodecs -lopencv_imgproc -lopencv_core
CV_ADAPTER := detect/cv_adapter.cpp
ifneq ($(NOCV),)
PKGS       := openblas libprotobuf-c libpng zlib freetype2 yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ljpeg
CV_ADAPTER := detect/cv_adapter_nocv.c
endif

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
ifneq ($(NOCV),)
LDLIBS   := $(PKG_LIBS) -lm
endif

ifneq ($(CUDA),)
CUDA_HOME ?= /usr/local/cuda
NVCC     ?= $(CUDA_HOME)/bin/nvcc
# sm_90 (H100/H200) code plus PTX that newer GPUs compile at load
CUDA_ARCH ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
CPPFLAGS += -DYOLO_CUDA
INC_core += -I$(CUDA_HOME)/include
INC_detect += -I$(CUDA_HOME)/include
INC_tests += -I$(CUDA_HOME)/include
# cudart static (no libcudart.so needed at run time); cuDNN is a shared library only
LDLIBS   += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudnn -lcudart_static -ldl -lrt \
            -lstdc++
# link only what a binary uses: the GPU machine runs test binaries that never touch OpenCV
LDFLAGS  += -Wl,--as-needed
NVFLAGS  := -std=c++17 $(OPT) $(CUDA_ARCH) \
            -Xcompiler -Wall,-Wextra,-Werror,-fno-strict-aliasing,-fPIC,-fvisibility=hidden
endif

ifneq ($(SAN),)
CFLAGS   += -fsanitize=$(SAN) -fno-omit-frame-pointer
CXXFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=$(SAN)
endif
# KERNEL_OPT: the optimization of the compute kernels (KERNEL_DIRS, the x86 ones included),
# appended after OPT (the last -O wins). Sanitizer builds use OPT=-O1, at which GCC keeps the
# micro-kernels' register tiles (arrays of vectors indexed in unrolled loops) in memory, where
# ASan checks every access: a yolov8n inference took 10x the plain build's time, and the
# suite under ASan ~1000 s. At -O2 every load and store is still instrumented (ASan and UBSan
# insert their checks before optimizing); only the tiles move to registers. Empty: OPT alone.
KERNEL_DIRS := core/cpu core/cpu/x86 core/ops
KERNEL_OPT  ?= $(if $(SAN),-O2)

# ---------------------------------------------------------------- sources
LIB_DIRS  := core core/base core/ops core/opt core/onnx core/cpu detect preprocess postprocess labels eval
ifneq ($(CUDA),)
LIB_DIRS  += core/cuda detect/cuda
endif
# one of the two image adapters: detect/cv_adapter.cpp (OpenCV) or, NOCV=1, cv_adapter_nocv.c
CV_ADAPTERS := detect/cv_adapter.cpp detect/cv_adapter_nocv.c
LIB_C     := $(filter-out $(CV_ADAPTERS),$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))) \
             $(filter %.c,$(CV_ADAPTER))
LIB_CXX   := $(filter-out $(CV_ADAPTERS),$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.cpp))) \
             $(filter %.cpp,$(CV_ADAPTER))
LIB_CU    := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.cu))
X86_AVX2  := $(wildcard core/cpu/x86/*_avx2.c)
X86_AVX512:= $(wildcard core/cpu/x86/*_avx512.c)
X86_VNNI  := $(wildcard core/cpu/x86/*_avx512vnni.c)
X86_BF16  := $(wildcard core/cpu/x86/*_avx512bf16.c)
GEN_C     := $(BUILD)/gen/onnx.pb-c.c $(BUILD)/gen/labels_coco.c
CLI_C     := $(wildcard cli/*.c)

obj = $(patsubst %,$(BUILD)/obj/%.o,$(1))
LIB_OBJ   := $(call obj,$(LIB_C) $(LIB_CXX) $(LIB_CU) $(X86_AVX2) $(X86_AVX512) $(X86_VNNI) $(X86_BF16)) \
             $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(GEN_C))
CLI_OBJ   := $(call obj,$(CLI_C))

TEST_C    := $(wildcard tests/test_*.c tests/ops/test_*.c)
ifneq ($(NOCV),)
TEST_C    := $(filter-out tests/test_nocv_pixels.c,$(TEST_C))   # compares with OpenCV
endif
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
FLAGS_NOW   := $(CC) $(CXX) $(CFLAGS) $(CXXFLAGS)$(if $(KERNEL_OPT), $(KERNEL_OPT))
ifneq ($(FLAGS_NOW),$(shell cat $(FLAGS_STAMP) 2>/dev/null))
$(shell mkdir -p $(BUILD) && echo '$(FLAGS_NOW)' > $(FLAGS_STAMP))
endif
$(LIB_OBJ) $(CLI_OBJ) $(TEST_SUPPORT_OBJ): $(FLAGS_STAMP)

# The two objects that compile the commit in (the version string and an engine's
# builder.commit) are rebuilt when HEAD moves; it is a -D flag, which the stamp above omits.
COMMIT_STAMP := $(BUILD)/commit.stamp
ifneq ($(GIT_COMMIT),$(shell cat $(COMMIT_STAMP) 2>/dev/null))
$(shell mkdir -p $(BUILD) && echo '$(GIT_COMMIT)' > $(COMMIT_STAMP))
endif
$(BUILD)/obj/detect/introspect.c.o $(BUILD)/obj/detect/build_model.c.o: $(COMMIT_STAMP)

KERNEL_OBJ := $(filter $(addprefix $(BUILD)/obj/,$(addsuffix /%,$(KERNEL_DIRS))),$(LIB_OBJ))
$(KERNEL_OBJ): CFLAGS += $(KERNEL_OPT)

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

$(BUILD)/obj/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	@echo NVCC $<
	$(Q)$(NVCC) $(CPPFLAGS) $(call layer_inc,$<) $(NVFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/core/cpu/x86/%_avx2.c.o: core/cpu/x86/%_avx2.c
	@mkdir -p $(dir $@)
	@echo CC $<
	$(Q)$(CC) $(CPPFLAGS) $(INC_core) $(CFLAGS) -mavx2 -mfma -MMD -MP -c $< -o $@

$(BUILD)/obj/core/cpu/x86/%_avx512.c.o: core/cpu/x86/%_avx512.c
	@mkdir -p $(dir $@)
	@echo CC $<
	$(Q)$(CC) $(CPPFLAGS) $(INC_core) $(CFLAGS) -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -MMD -MP -c $< -o $@

# int8 kernels: AVX-512 VNNI (vpdpbusd); picked only where CPUID reports it (core/cpu/select.c)
$(BUILD)/obj/core/cpu/x86/%_avx512vnni.c.o: core/cpu/x86/%_avx512vnni.c
	@mkdir -p $(dir $@)
	@echo CC $<
	$(Q)$(CC) $(CPPFLAGS) $(INC_core) $(CFLAGS) -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -MMD -MP -c $< -o $@

# bfloat16 kernels: AVX512_BF16 (vdpbf16ps); picked only where CPUID reports it (core/cpu/select.c)
$(BUILD)/obj/core/cpu/x86/%_avx512bf16.c.o: core/cpu/x86/%_avx512bf16.c
	@mkdir -p $(dir $@)
	@echo CC $<
	$(Q)$(CC) $(CPPFLAGS) $(INC_core) $(CFLAGS) -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512bf16 -mfma -MMD -MP -c $< -o $@

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
	$(Q)$(CC) $(CPPFLAGS) $(INC_tests) $(CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS_$(notdir $*)) $< $(TEST_SUPPORT_OBJ) $(BUILD)/libyolo.a $(LDLIBS) $(TEST_LDLIBS_$(notdir $*)) -o $@

# Per-test link flags, TEST_LDFLAGS_<test name>. ALLOC_WRAP routes every allocation call of
# the library through the test's own wrappers (tests/hooks/alloc_hook.c): fault injection
# and allocation accounting with no library change.
ALLOC_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
    -Wl,--wrap=aligned_alloc,--wrap=posix_memalign,--wrap=strdup,--wrap=strndup
TEST_LDFLAGS_test_alloc_fail      := $(ALLOC_WRAP)
TEST_LDFLAGS_test_resource_bounds := $(ALLOC_WRAP)

# tests/test_nocv_pixels (normal build): the NOCV adapter linked next to the OpenCV one, its
# entry points renamed yolo_nocv_* (tests/nocv_rename.h), to compare the two byte for byte.
NOCV_SIDE_OBJ := $(BUILD)/obj/nocv_side/cv_adapter_nocv.o
$(NOCV_SIDE_OBJ): detect/cv_adapter_nocv.c tests/nocv_rename.h | $(BUILD)/gen/onnx.pb-c.h
	@mkdir -p $(dir $@)
	@echo CC $< "(as yolo_nocv_*)"
	$(Q)$(CC) $(CPPFLAGS) $(INC_detect) $(CFLAGS) -include tests/nocv_rename.h -MMD -MP -c $< -o $@
$(BUILD)/tests/test_nocv_pixels: $(NOCV_SIDE_OBJ)
TEST_LDFLAGS_test_nocv_pixels := $(NOCV_SIDE_OBJ)
TEST_LDLIBS_test_nocv_pixels  := -ljpeg

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

# ONLY (tests/run_tests.sh's: words, a test runs if its name contains one) builds only those
# test programs, plus the two the CLI scripts run themselves (test_image_limits, test_golden):
# `make tsan` runs 5 tests and need not link the ~75 programs under ThreadSanitizer.
ifneq ($(ONLY),)
TEST_BIN_CLI := $(BUILD)/tests/test_image_limits $(BUILD)/tests/test_golden
TEST_BIN_ONLY := $(sort $(filter $(TEST_BIN_CLI),$(TEST_BIN)) \
    $(foreach t,$(TEST_BIN),$(foreach o,$(ONLY),$(if $(findstring $(o),$(t:$(BUILD)/tests/%=%)),$(t)))))
tests: $(TEST_BIN_ONLY)
else
tests: $(TEST_BIN)
endif
# the test programs the GPU machine runs (scripts/test-cuda.sh): what CI builds with CUDA=1
CUDA_TEST_BIN := $(addprefix $(BUILD)/tests/,test_backend_ops test_golden test_cuda_letterbox \
                 test_cuda_conv test_cuda_streams test_cuda_nms test_cuda_plan test_cuda_layout \
                 test_cuda_host_frames test_cuda_move)
cuda-tests: $(CUDA_TEST_BIN)

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

# The GPU: `make CUDA=1 cuda-bundle` here stages devrun/ (an OpenCV-free CUDA build, the
# libraries a bare GPU machine lacks, the shared models, golden files and coco128); on the GPU
# machine `make test-cuda` and `make bench-cuda` run from it (no compiler needed there).
.PHONY: cuda-bundle test-cuda bench-cuda cuda-tests
cuda-bundle:
	sh scripts/cuda-bundle.sh devrun $(SHARED)
test-cuda:
	sh scripts/test-cuda.sh devrun
bench-cuda:
	sh scripts/bench-cuda.sh devrun

deps:
	sh scripts/install-deps.sh

# make NOCV=1 bundle: $(BUILD)/bundle, the binaries, tests and the two shared libraries a
# machine without OpenCV and protobuf-c lacks, with run.sh / run_tests.sh (scripts/device-bundle.sh)
.PHONY: bundle
bundle: all tests
	sh scripts/device-bundle.sh $(BUILD) $(BUILD)/bundle

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
