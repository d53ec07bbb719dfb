#!/bin/sh
# bench.sh BUILD SHARED: `make bench`: this runtime against ONNX Runtime (CPU provider) on the
# same models, the same input tensor and the same thread counts, side by side in one run.
#
#   1. the roofline: OpenBLAS sgemm GFLOP/s on this machine now (tests/perf/sgemm_bench.c),
#      as OpenBLAS detects the CPU and, where that detection falls back to an old core, with
#      the core forced from the CPU's flags (OPENBLAS_CORETYPE);
#   2. engines built from SHARED/data/models/{yolov8n_dq,yolo11n_dq,yolov5n}.onnx: fp32, and
#      (PRECISIONS) int8 (`--int8`, calibrated on the first 64 coco128 images) compared with
#      ONNX Runtime FP32 on the same float model; plus qdq: yolov8n_int8_qdq.onnx built as it is,
#      compared with ONNX Runtime on that same QDQ file; bf16 (`--bf16`) compared with ONNX
#      Runtime FP32 on the float model and, in a second table, with our own fp32 row;
#   3. for 1 and 2 threads, ROUNDS rounds, each running every row in turn: ours (`yolo bench
#      --image bus.jpg`, inference stage) then ONNX Runtime (SHARED/tools/ort_run.js on SHARED/golden/input_bus_640.bin,
#      which is bus.jpg letterboxed exactly as `yolo bench` does it), each WARMUP untimed runs
#      then RUNS timed ones; a row reports the median of the rounds' medians;
#   4. one table (model, threads, ours ms, ORT ms, ratio, GFLOP/s of each), written with the
#      date, CPU and setup to tests/perf/results.md.
# A process is pinned to the last T CPUs (taskset) when the machine has that many. Times taken
# while other heavy work runs on the machine mean little: run it on a quiet machine.
# Environment: ROUNDS (3), WARMUP (5), RUNS (20), THREADS ("1 2"), MODELS (the three above),
# PRECISIONS ("fp32 int8 qdq bf16"),
# ORT_DIR (where setup-ort.sh installs onnxruntime-node, default /tmp/yolo-ort).
# Exit 0, or 1 with a message; if ONNX Runtime cannot be installed (no network for npm) the
# table still lists ours, with "n/a" for ORT.
set -eu
BUILD=${1:-build}
SHARED=${2:-../shared}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-5}
RUNS=${RUNS:-20}
THREADS=${THREADS:-"1 2"}
MODELS=${MODELS:-"yolov8n_dq yolo11n_dq yolov5n"}
PRECISIONS=${PRECISIONS:-"fp32 int8 qdq bf16"}
ORT_DIR=${ORT_DIR:-/tmp/yolo-ort}
OUTMD=tests/perf/results.md
YOLO=$BUILD/yolo
WORK=$BUILD/bench
IMAGE=$SHARED/data/images/bus.jpg
INPUT=$SHARED/golden/input_bus_640.bin

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$YOLO" ] || die "$YOLO not found (run make first)"
[ -f "$IMAGE" ] && [ -f "$INPUT" ] || die "shared data not found under $SHARED (set SHARED=...)"
mkdir -p "$WORK"

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=unknown
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
date=$(date -u '+%Y-%m-%d %H:%M UTC')

# pin CMD to the last T CPUs (ncpu-T .. ncpu-1) when there are enough of them: CPU 0 takes
# most of the system's own work (interrupts, kernel threads), and on the 2-CPU CI machines
# a 1-thread run pinned there measured up to 35% slower, by the minute, than on CPU 1
pin() {
    t=$1
    shift
    if command -v taskset >/dev/null 2>&1 && [ "$ncpu" -ge "$t" ]; then
        taskset -c "$((ncpu - t))-$((ncpu - 1))" "$@"
    else
        "$@"
    fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- 1. roofline
echo "bench: building tests/perf/sgemm_bench"
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -O2 $(pkg-config --cflags openblas) tests/perf/sgemm_bench.c \
    $(pkg-config --libs openblas) -pthread -o "$WORK/sgemm_bench" || die "cannot build sgemm_bench"
blas_core=$(OPENBLAS_VERBOSE=2 "$WORK/sgemm_bench" -n 64 -r 1 2>&1 | sed -n 's/^Core: //p' | head -n 1)
forced=
case "$flags" in
*avx512f*) forced=SkylakeX ;;
*avx2*) forced=Haswell ;;
esac
roof=""
for t in $THREADS; do
    g=$(pin "$t" "$WORK/sgemm_bench" -t "$t" | sed -n 's/.*gflops=//p')
    roof="$roof sgemm ${t}T ${g:-?} GFLOP/s;"
done
roof_forced=""
if [ -n "$forced" ] && [ "$forced" != "$blas_core" ]; then
    for t in $THREADS; do
        g=$(OPENBLAS_CORETYPE=$forced pin "$t" "$WORK/sgemm_bench" -t "$t" | sed -n 's/.*gflops=//p')
        roof_forced="$roof_forced sgemm ${t}T ${g:-?} GFLOP/s;"
    done
fi

# ---- ONNX Runtime
ort=
ort_version=n/a
if command -v node >/dev/null 2>&1; then
    if ort=$(sh "$SHARED/tools/setup-ort.sh" "$ORT_DIR" 2>"$WORK/setup-ort.log"); then
        ort_version=$(node -e 'console.log(require(process.argv[1]).version)' \
            "$ort/node_modules/onnxruntime-node/package.json" 2>/dev/null || echo "?")
    else
        echo "bench: ONNX Runtime unavailable (see $WORK/setup-ort.log); ours only" >&2
        ort=
    fi
else
    echo "bench: node not found: ONNX Runtime skipped, ours only" >&2
fi

# ---- 2. engines; JOBS: one line per row, "label engine onnx precision"
has() { case " $PRECISIONS " in *" $1 "*) return 0 ;; esac; return 1; }
JOBS=""
for m in $MODELS; do
    [ -f "$SHARED/data/models/$m.onnx" ] || die "$SHARED/data/models/$m.onnx not found"
    if has fp32; then
        "$YOLO" build "$SHARED/data/models/$m.onnx" -o "$WORK/$m.engine" >"$WORK/$m.build.log" 2>&1 ||
            die "yolo build $m failed: see $WORK/$m.build.log"
        JOBS="$JOBS$m $m $m fp32
"
    fi
    if has int8; then
        "$YOLO" build "$SHARED/data/models/$m.onnx" -o "$WORK/$m.int8.engine" --int8 \
            --calib "$SHARED/data/coco128/images/train2017" --calib-images 64 \
            >"$WORK/$m.int8.build.log" 2>&1 || die "yolo build --int8 $m failed: see $WORK/$m.int8.build.log"
        JOBS="$JOBS$m $m.int8 $m int8
"
    fi
    if has bf16; then
        "$YOLO" build "$SHARED/data/models/$m.onnx" -o "$WORK/$m.bf16.engine" --bf16 \
            >"$WORK/$m.bf16.build.log" 2>&1 || die "yolo build --bf16 $m failed: see $WORK/$m.bf16.build.log"
        JOBS="$JOBS$m $m.bf16 $m bf16
"
    fi
done
Q=yolov8n_int8_qdq
if has qdq && [ -f "$SHARED/data/models/$Q.onnx" ]; then
    "$YOLO" build "$SHARED/data/models/$Q.onnx" -o "$WORK/$Q.engine" >"$WORK/$Q.build.log" 2>&1 ||
        die "yolo build $Q failed: see $WORK/$Q.build.log"
    JOBS="$JOBS$Q $Q $Q qdq
"
fi

# ---- 3. alternating rounds
ours_ms() {   # engine threads -> inference median (ms) of one `yolo bench` run
    pin "$2" "$YOLO" bench "$WORK/$1.engine" --threads "$2" --warmup "$WARMUP" --runs "$RUNS" \
        --image "$IMAGE" --json >"$WORK/$1.t$2.json" </dev/null || die "yolo bench $1 failed"
    sed -n 's/.*"inference": {"min_ms": [0-9.]*, "median_ms": \([0-9.]*\).*/\1/p' "$WORK/$1.t$2.json"
}
ort_ms() {    # model threads -> ORT median (ms) of one ort_run.js run
    pin "$2" node "$SHARED/tools/ort_run.js" --ort "$ort" --model "$SHARED/data/models/$1.onnx" \
        --input "$INPUT" --shape 1,3,640,640 --threads "$2" --warmup "$WARMUP" --repeat "$RUNS" \
        >"$WORK/$1.t$2.ort.log" 2>&1 </dev/null || die "ort_run.js $1 failed: see $WORK/$1.t$2.ort.log"
    sed -n 's/^latency_ms min [0-9.]* median \([0-9.]*\).*/\1/p' "$WORK/$1.t$2.ort.log"
}

# Each round runs every row in turn (ours, then ORT), so rows compared with each other (bf16
# against fp32 above all) see the same machine load, not whatever each row's minutes had.
for t in $THREADS; do
    r=1
    while [ "$r" -le "$ROUNDS" ]; do
        while read -r label eng m prec; do
            [ -n "$label" ] || continue
            [ "$r" -gt 1 ] || : >"$WORK/ours.$eng.t$t.txt"
            [ "$r" -gt 1 ] || : >"$WORK/ort.$eng.t$t.txt"
            echo "bench: $label $prec, $t thread(s), round $r/$ROUNDS"
            ours_ms "$eng" "$t" >>"$WORK/ours.$eng.t$t.txt"
            [ -z "$ort" ] || ort_ms "$m" "$t" >>"$WORK/ort.$eng.t$t.txt"
        done <<EOF
$JOBS
EOF
        r=$((r + 1))
    done
done
rows=""
while read -r label eng m prec; do
    [ -n "$label" ] || continue
    for t in $THREADS; do
        a=$(median <"$WORK/ours.$eng.t$t.txt")
        b=$(median <"$WORK/ort.$eng.t$t.txt")
        gf=$(sed -n 's/.*"gflop": \([0-9.]*\).*/\1/p' "$WORK/$eng.t$t.json")
        # each round's ours / ORT (the two ran back to back): their median and range, which
        # the machine's slower and faster minutes move less than a ratio of two medians
        pr=$(paste "$WORK/ours.$eng.t$t.txt" "$WORK/ort.$eng.t$t.txt" |
             awk 'NF == 2 && $2 > 0 { printf "%.4f\n", $1 / $2 }')
        pm=$(printf '%s\n' "$pr" | median)
        lo=$(printf '%s\n' "$pr" | sort -n | head -n 1)
        hi=$(printf '%s\n' "$pr" | sort -n | tail -n 1)
        rows="$rows$label/$prec $t $a $b ${gf:-0} ${pm:-n/a} ${lo:-n/a} ${hi:-n/a}
"
    done
done <<EOF
$JOBS
EOF

# ---- 4. the table
table=$(printf '%s' "$rows" | awk '
    BEGIN { printf "| model/precision | threads | GFLOP | ours median ms | ORT median ms | ours / ORT | paired: median (range) | ours GFLOP/s | ORT GFLOP/s |\n";
            printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n" }
    NF == 8 {
        ratio = ($4 == "n/a" || $4 == "") ? "n/a" : sprintf("%.2f", $3 / $4);
        paired = ($6 == "n/a") ? "n/a" : sprintf("%.2f (%.2f-%.2f)", $6, $7, $8);
        og = ($3 > 0) ? sprintf("%.1f", $5 / ($3 / 1000)) : "n/a";
        rg = ($4 == "n/a" || $4 == "") ? "n/a" : sprintf("%.1f", $5 / ($4 / 1000));
        ort = ($4 == "n/a" || $4 == "") ? "n/a" : sprintf("%.2f", $4);
        printf "| %s | %d | %.2f | %.2f | %s | %s | %s | %s | %s |\n", $1, $2, $5, $3, ort, ratio, paired, og, rg }')

# bf16 against our own fp32 row (issue 11's BF16 target), where both were measured
vsfp32=$(printf '%s' "$rows" | awk '
    NF == 8 { split($1, a, "/"); t[a[1] " " $2 " " a[2]] = $3; if (a[2] == "bf16") k[a[1] " " $2] = 1 }
    END {
        for (x in k) {
            f = t[x " fp32"]; b = t[x " bf16"]
            if (f == "" || f <= 0) continue
            split(x, y, " ")
            printf "| %s | %d | %.2f | %.2f | %.2f |\n", y[1], y[2], f, b, b / f
        }
    }' | sort)
[ -z "$vsfp32" ] || vsfp32="| model | threads | ours fp32 ms | ours bf16 ms | bf16 / fp32 |
|---|---:|---:|---:|---:|
$vsfp32"
[ -z "$vsfp32" ] || table="$table

$vsfp32"

setup="- date: $date
- CPU: $cpu ($ncpu logical CPUs), load average at start: $load
- ours: \`$YOLO bench ENGINE --threads T --warmup $WARMUP --runs $RUNS --image bus.jpg\`, inference stage (letterbox and NMS excluded), $(sed -n 's/.*"gemm_path": "\([^"]*\)".*/\1/p' "$WORK/$(echo $MODELS | cut -d' ' -f1).t1.json" 2>/dev/null | head -n 1)
- ONNX Runtime: onnxruntime-node $ort_version, CPU provider, graph optimization all, intra-op threads T, \`ort_run.js --warmup $WARMUP --repeat $RUNS\` on golden/input_bus_640.bin (the same tensor)
- each row: median of $ROUNDS rounds' medians; every round runs all rows in turn, ours then ORT; processes pinned to the last T CPUs when available; paired: the median and range of the rounds' own ours / ORT (each pair ran back to back, so a slower or faster spell of the shared machine moves both)
- roofline (OpenBLAS $blas_core as detected):$roof${roof_forced:+ forced $forced:$roof_forced}
- ORT runs the float model for the fp32, int8 and bf16 rows, the QDQ file itself for the qdq row
- targets: issue 7: fp32 ours / ORT <= 0.80 for yolov8n_dq and yolo11n_dq at 1 and 2 threads; issue 11: int8 yolov8n_dq <= 0.35x ORT FP32, qdq <= 0.6x ORT on the QDQ model, bf16 <= 0.7x our fp32"
busy=$(awk -v l="${load%% *}" -v n="$ncpu" 'BEGIN { print (l + 0 > n / 2) ? 1 : 0 }')
if [ "$busy" = 1 ]; then
    warn="- WARNING: load average ${load%% *} on $ncpu CPUs when the run started: other work shared the cores, so these times (2 threads above all) are not a valid comparison; rerun on a quiet machine"
    echo "bench: ${warn#- }" >&2
    setup="$setup
$warn"
fi

printf '\n%s\n\n%s\n' "$setup" "$table"
{
    printf '# Benchmark: yolo vs ONNX Runtime\n\n'
    printf 'Written by `make bench` (scripts/bench.sh); rerun it on a quiet machine to refresh.\n\n'
    printf '%s\n\n%s\n' "$setup" "$table"
} >"$OUTMD.tmp" && mv "$OUTMD.tmp" "$OUTMD"
echo
echo "bench: wrote $OUTMD"
