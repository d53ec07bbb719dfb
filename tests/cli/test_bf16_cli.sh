#!/bin/sh
# test_bf16_cli.sh: `yolo build --bf16` as a user runs it (issue 11): it builds, records its
# precision, picks the bf16 kernel on a CPU with AVX512_BF16 (the float32 kernels at --isa
# avx2, as on a CPU without it: same engine, no illegal instruction), detects what the float
# model detects on bus.jpg on both paths, and the usage errors of the option.
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
PY=/usr/bin/python3
M=$SHARED/data/models

"$YOLO" build "$M/yolov8n_dq.onnx" -o "$T/b.engine" --bf16 > /dev/null 2> "$T/err" && ok || fail "--bf16 build: $(cat "$T/err")"
"$YOLO" info "$T/b.engine" > "$T/bi" 2>&1
grep -q '^precision: bf16' "$T/bi" && ok || fail "--bf16: precision not bf16: $(head -3 "$T/bi")"
grep -q 'bf16.convs *62 of 64' "$T/bi" && ok || fail "--bf16: not 62 of 64 convs (the 27-product stem and the DFL conv stay float32)"
if grep -q avx512_bf16 /proc/cpuinfo; then
    grep -q 'bf16-gemm' "$T/bi" && ok || fail "--bf16: no bf16-gemm kernel on an AVX512_BF16 CPU"
fi
"$YOLO" info "$T/b.engine" --isa avx2 2>&1 | grep -q 'bf16-gemm' && fail "--isa avx2 still picks bf16-gemm" || ok

for isa in avx512 avx2; do
    "$YOLO" detect "$T/b.engine" "$SHARED/data/images/bus.jpg" --isa $isa --save-dir "$T/d$isa" --exist-ok \
        --json --nosave > /dev/null 2> "$T/err" && ok || fail "--bf16 detect --isa $isa: $(cat "$T/err")"
    # every confident reference detection (conf > 0.5) found: same class, IoU >= 0.95
    $PY - "$T/d$isa/detections.jsonl" "$SHARED/golden/dets_yolov8n_dq_bus.json" $isa <<'PYEOF' && ok || fail "--bf16 --isa $isa detections on bus.jpg differ"
import json, sys
got = json.loads(open(sys.argv[1]).readline())['detections']
ref = [r for r in json.load(open(sys.argv[2])) if r['conf'] > 0.5]
def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0])); iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - ix*iy
    return ix*iy/u if u > 0 else 0
bad = [r for r in ref if not any(g['cls'] == r['cls'] and iou(g['box'], r['box']) >= 0.95 for g in got)]
print(f"bf16 ({sys.argv[3]}) bus.jpg: {len(ref) - len(bad)}/{len(ref)} confident reference detections found")
sys.exit(1 if bad else 0)
PYEOF
done

# usage errors (2)
expect() {   # expect CODE WORD ARGS...
    code=$1; word=$2; shift 2
    "$YOLO" build "$M/yolov8n_dq.onnx" -o "$T/x.engine" "$@" > /dev/null 2> "$T/e"; rc=$?
    [ $rc -eq "$code" ] && grep -q -- "$word" "$T/e" && ok || fail "build $*: exit $rc, want $code with '$word': $(cat "$T/e")"
}
expect 2 "exclude" --bf16 --int8 --calib "$SHARED/data/coco128/images/train2017"
expect 2 "--int8" --bf16 --calib "$SHARED/data/coco128/images/train2017"
[ -e "$T/x.engine" ] && fail "a failed build left $T/x.engine" || ok
# --keep-float works with --bf16: the named convs stay float32
"$YOLO" build "$M/yolov8n_dq.onnx" -o "$T/k.engine" --bf16 --keep-float '/model.22/*' > /dev/null 2>&1 && ok || fail "--bf16 --keep-float build"
"$YOLO" info "$T/k.engine" 2>&1 | grep -q 'bf16.convs *[0-9]* of 64' && ! "$YOLO" info "$T/k.engine" 2>&1 | grep -q 'bf16.convs *62 of 64' && ok ||
    fail "--keep-float '/model.22/*' kept nothing in float32"

echo "test_bf16_cli: $checks checks, $fails failed"
[ $fails -eq 0 ]
