#!/bin/sh
# test_engine_cli.sh: `yolo build`, `yolo info`, `yolo infer` as a user runs them: the four
# shared models against ONNX Runtime's outputs, the memory plan, and every kind of bad input
# (one-line error naming the file, exit 1, 2 for usage, no partial output file).
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}; BUILD=${BUILD:-build}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
# expect CODE PATTERN CMD...: exit code CODE and stderr matching PATTERN (grep -E), one line
expect() {
    code=$1; pat=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    if [ "$rc" -ne "$code" ]; then fail "$* -> exit $rc, want $code: $(head -c 300 "$T/err")"; return; fi
    if ! grep -Eq "$pat" "$T/err"; then fail "$* -> stderr '$(head -c 300 "$T/err")' lacks /$pat/"; return; fi
    if [ "$(wc -l < "$T/err")" -ne 1 ]; then fail "$* -> $(wc -l < "$T/err") stderr lines, want 1"; return; fi
    ok
}

for M in yolov5n yolov8n_dq yolo11n_dq yolov10n_dq; do
    case $M in yolov5n) F=v5;; yolov10n_dq) F=e2e;; *) F=v8;; esac
    if "$YOLO" build "$SHARED/data/models/$M.onnx" -o "$T/$M.engine" > "$T/build.log" 2>&1 &&
       "$YOLO" info "$T/$M.engine" > "$T/$M.info" 2>&1 &&
       "$YOLO" infer "$T/$M.engine" --input "$SHARED/golden/input_bus_640.bin" --output "$T/$M.out" > /dev/null 2>&1
    then ok; else fail "$M: build/info/infer: $(cat "$T/build.log" | tail -3)"; continue; fi
    if "$BUILD/tests/test_golden" --compare $F "$T/$M.out" "$SHARED/golden/out_${M}_bus.bin"; then ok
    else fail "$M: output differs from ONNX Runtime"; fi
done

# the activation arena is at most 40% of the sum of intermediate tensors (yolov8n_dq)
pct=$(sed -n 's/.*arena is \([0-9.]*\)%.*/\1/p' "$T/yolov8n_dq.info")
if [ -n "$pct" ] && awk "BEGIN{exit !($pct <= 40)}"; then ok; echo "yolov8n_dq arena: $pct% of intermediates"
else fail "yolov8n_dq arena is '$pct'% of intermediates (want <= 40)"; fi
grep -q "model.format *v8" "$T/yolov8n_dq.info" && grep -q "labels: 80 (person" "$T/yolov8n_dq.info" && ok ||
    fail "info lacks format/labels: $(head -50 "$T/yolov8n_dq.info")"
grep -q "model.format *e2e" "$T/yolov10n_dq.info" && ok || fail "yolov10n_dq not detected as e2e"

# ---- bad input: ONNX side
expect 1 "/etc/hostname.*not an ONNX" "$YOLO" build /etc/hostname -o "$T/x.engine"
[ ! -e "$T/x.engine" ] && ok || fail "a failed build left $T/x.engine"
expect 1 "$T/missing.onnx.*(No such file|cannot open)" "$YOLO" build "$T/missing.onnx" -o "$T/x.engine"
head -c 300000 "$SHARED/data/models/yolov8n_dq.onnx" > "$T/trunc.onnx"
expect 1 "trunc.onnx" "$YOLO" build "$T/trunc.onnx" -o "$T/x.engine"
: > "$T/empty.onnx"
expect 1 "empty.onnx" "$YOLO" build "$T/empty.onnx" -o "$T/x.engine"
expect 2 "fixed at 640x640" "$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$T/x.engine" --imgsz 320
[ ! -e "$T/x.engine" ] && ok || fail "a failed build left $T/x.engine"
# a fixed-batch-1 export is rebatched (its head's Reshape targets), except an end-to-end head
"$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$T/x.engine" --batch 4 > /dev/null 2>&1 && ok ||
    fail "yolov8n_dq (fixed batch 1) does not build for --batch 4"
expect 2 "end-to-end model exported with a fixed batch of 1" "$YOLO" build "$SHARED/data/models/yolov10n_dq.onnx" -o "$T/x.engine" --batch 4
expect 1 "cannot create|No such file|Permission" "$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$T/nodir/x.engine"

# ---- bad input: engine side
E=$T/yolov8n_dq.engine
head -c 100000 "$E" > "$T/t.engine"
expect 1 "t.engine.*truncated" "$YOLO" info "$T/t.engine"
cp "$E" "$T/flip.engine"
size=$(wc -c < "$E")
printf '\377' | dd of="$T/flip.engine" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect 1 "flip.engine.*(CRC|crc|checksum)" "$YOLO" info "$T/flip.engine"
cp "$E" "$T/v1.engine"
printf '\001' | dd of="$T/v1.engine" bs=1 seek=8 conv=notrunc 2>/dev/null
expect 1 "v1.engine: format 1.0, this build reads 2.x; rebuild" "$YOLO" info "$T/v1.engine"
expect 1 "hostname.*(magic|not a yolo engine)" "$YOLO" info /etc/hostname
expect 1 "nope.engine" "$YOLO" info "$T/nope.engine"
head -c 1000 "$SHARED/golden/input_bus_640.bin" > "$T/short.bin"
expect 1 "short.bin.*1000 bytes.*4915200" "$YOLO" infer "$E" --input "$T/short.bin" --output "$T/o.bin"
[ ! -e "$T/o.bin" ] && ok || fail "a failed infer left $T/o.bin"

# ---- usage errors and help
expect 2 "unknown option" "$YOLO" build --frobnicate
expect 2 "missing -o" "$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx"
expect 2 "unknown command" "$YOLO" frobnicate
for c in build info infer; do "$YOLO" $c --help | grep -q "usage: yolo $c" && ok || fail "$c --help"; done

echo "test_engine_cli: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
