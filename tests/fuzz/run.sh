#!/bin/sh
# run.sh: `make fuzz` (FUZZ_SECONDS=N, default 10): builds the library and every fuzz target
# with clang, libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer into build/fuzz/,
# then runs each target for N seconds from its committed seed corpus tests/fuzz/corpus/<t>/
# plus tests/fuzz/regress/<t>/. New interesting inputs go to build/fuzz/corpus/<t>/ (kept
# between runs, never committed automatically). Prints one line per target: executions,
# executions/s, coverage (libFuzzer's cov: edges reached, of all the instrumented edges of
# the library and target, which include code no target can reach, such as the CLI-free
# video and bench paths; ft: features), corpus size, and result.
# A crash leaves build/fuzz/artifacts/<t>-crash-* and makes the script exit 1: fix the bug,
# then copy the input into tests/fuzz/regress/<t>/ so `make test` replays it for good.
# OpenCV writes some formats to temporary files before decoding them: they go to
# build/fuzz/cvtmp/<t>/ (OPENCV_TEMP_PATH), and any left there after a run fails it too.
#
# Usage: sh tests/fuzz/run.sh [SECONDS] [TARGET...]      (targets: onnx engine labels yaml image video)
# Env:   FUZZ_BUILD (default build/fuzz), FUZZ_JOBS (parallel targets, default 1),
#        FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=4 -workers=4" or "-dict=...").
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-10}
[ $# -gt 0 ] && shift
targets=${*:-onnx engine labels yaml image video}
B=${FUZZ_BUILD:-build/fuzz}
jobs=${FUZZ_JOBS:-1}

if ! command -v clang >/dev/null 2>&1 || ! command -v clang++ >/dev/null 2>&1; then
    echo "fuzz: clang is not installed (sh scripts/install-deps.sh fuzz)" >&2
    exit 1
fi
SAN="address,undefined"
mkdir -p "$B/log" "$B/artifacts"
# The library and test objects: coverage-instrumented (fuzzer-no-link), sanitized, any UB
# fatal so libFuzzer sees it. clang's warnings differ from gcc's: not errors here. KERNEL_OPT=
# (empty): the compute kernels at OPT too, as the targets (parsers, decoders) barely run them
# and -O2 would only lengthen the build.
make --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" BUILD="$B" CC=clang CXX=clang++ SAN="fuzzer-no-link,$SAN" \
     OPT="-O1 -fno-sanitize-recover=undefined -fsanitize-coverage-ignorelist=$PWD/tests/fuzz/coverage_ignore.txt" \
     WARN="-w" Q=@ KERNEL_OPT= \
     "$B/libyolo.a" "$B/gen/onnx.pb-c.h" >"$B/log/make.log" 2>&1 || {
    tail -n 30 "$B/log/make.log" >&2; echo "fuzz: library build failed (log: $B/log/make.log)" >&2; exit 1; }
PKG_CFLAGS=$(pkg-config --cflags openblas libprotobuf-c libpng zlib freetype2 yaml-0.1 opencv4)
PKG_LIBS="$(pkg-config --libs openblas libprotobuf-c libpng zlib freetype2 yaml-0.1) -lopencv_videoio -lopencv_imgcodecs -lopencv_imgproc -lopencv_core"
for t in $targets; do
    [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "fuzz: no target '$t'" >&2; exit 2; }
    # shellcheck disable=SC2086
    clang++ -x c -std=c11 -O1 -g -D_GNU_SOURCE -DYOLO_LIBFUZZER -Iinclude -Icore -Icore/base -Ilabels -Ieval -Ipreprocess \
        -Ipostprocess -Idetect -I"$B/gen" -Itests $PKG_CFLAGS \
        -fsanitize=fuzzer,$SAN -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
        "tests/fuzz/fuzz_$t.c" tests/fuzz/fuzz_common.c tests/fuzz/fuzz_detect.c \
        -x none "$B/libyolo.a" $PKG_LIBS -lm -pthread -o "$B/fuzz_$t"
done

run_one() {   # run_one TARGET: fuzz it, then print its summary line
    t=$1
    mkdir -p "$B/corpus/$t"
    rm -rf "$B/cvtmp/$t"; mkdir -p "$B/cvtmp/$t"   # OpenCV's temporary files: must stay none
    dirs="$B/corpus/$t tests/fuzz/corpus/$t"
    [ -d "tests/fuzz/regress/$t" ] && dirs="$dirs tests/fuzz/regress/$t"
    status=ok
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    OPENCV_LOG_LEVEL=${OPENCV_LOG_LEVEL:-SILENT} OPENCV_TEMP_PATH="$B/cvtmp/$t" \
    "$B/fuzz_$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$B/artifacts/$t-" ${FUZZ_ARGS:-} $dirs \
        >"$B/log/$t.log" 2>&1 || status=CRASH
    left=$(find "$B/cvtmp/$t" -type f | wc -l)
    if [ "$status" = ok ] && [ "$left" -gt 0 ]; then
        status="TEMP FILES"
        echo "fuzz: $left temporary files left in $B/cvtmp/$t (inputs that leave one: see there)" \
            >>"$B/log/$t.log"
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/log/$t.log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$B/log/$t.log" | tail -n 1)
    last=$(grep -aE '^#[0-9]+' "$B/log/$t.log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    edges=$(sed -n 's/.*Loaded 1 modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$B/log/$t.log" | head -n 1)
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\)\/\([0-9a-zA-Z]*\).*/\1 (\2)/p')
    printf '%-7s %9s execs %7s/s  cov %5s of %5s edges  ft %6s  corpus %-14s %s\n' "$t" \
        "${execs:-?}" "${rate:-?}" "${cov:-?}" "${edges:-?}" "${ft:-?}" "${corp:-?}" "$status"
    if [ "$status" != ok ]; then
        grep -aE 'ERROR|SUMMARY|fuzz: |Test unit written|runtime error|temporary' "$B/log/$t.log" |
            grep -av '\[ERROR:[0-9]*@' | head -n 8 |
            sed 's/^/    /'
        return 1
    fi
    return 0
}

echo "fuzz: $secs s per target, log in $B/log/, new corpus in $B/corpus/"
failed=0
if [ "$jobs" -gt 1 ]; then
    for t in $targets; do
        ( run_one "$t" >"$B/log/$t.summary" ) &
    done
    wait || true
    for t in $targets; do
        cat "$B/log/$t.summary"
        grep -q ' ok$' "$B/log/$t.summary" || failed=1
    done
else
    for t in $targets; do
        run_one "$t" || failed=1
    done
fi
if [ "$failed" -ne 0 ]; then
    echo "fuzz: FAILED: inputs in $B/artifacts/; after fixing, copy each into tests/fuzz/regress/<target>/"
    exit 1
fi
echo "fuzz: no crash"
