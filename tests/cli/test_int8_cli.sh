#!/bin/sh
# test_int8_cli.sh: reduced precision as a user runs it (issue 11): the QDQ model builds as
# int8; `yolo build --int8 --calib` builds, records its precision and calibration, detects
# what the float model detects on bus.jpg, is byte-for-byte deterministic across thread
# counts; and the usage errors of the new options.
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
PY=/usr/bin/python3
M=$SHARED/data/models
C=$SHARED/data/coco128/images/train2017

# the QDQ export: every Conv on int8
"$YOLO" build "$M/yolov8n_int8_qdq.onnx" -o "$T/q.engine" > /dev/null 2> "$T/err" && ok || fail "qdq build: $(cat "$T/err")"
"$YOLO" info "$T/q.engine" --nodes > "$T/qi" 2>&1
grep -q '^precision: int8' "$T/qi" && ok || fail "qdq: precision not int8: $(head -3 "$T/qi")"
if grep -q avx512_vnni /proc/cpuinfo; then
    grep -q 'vnni-int8' "$T/qi" && ok || fail "qdq: no vnni-int8 kernel on a VNNI CPU"
fi
# a CPU without AVX-512 (--isa avx2) runs the AVX2 int8 kernels, never the reference
"$YOLO" info "$T/q.engine" --isa avx2 --nodes > "$T/qa" 2>&1
grep -Eq 'avxvnni-int8|avx2-int8' "$T/qa" && ok || fail "qdq --isa avx2: no AVX2 int8 kernel"
YOLO_AVXVNNI=0 "$YOLO" info "$T/q.engine" --isa avx2 --nodes 2>&1 | grep -q 'avx2-int8' && ok || fail "YOLO_AVXVNNI=0: no avx2-int8 kernel"

# --int8 on the float model, 4 calibration images, 1 and 2 threads
for t in 1 2; do
    "$YOLO" build "$M/yolov8n_dq.onnx" -o "$T/i8.$t.engine" --int8 --calib "$C" --calib-images 4 -t $t \
        > "$T/out" 2> "$T/err" && ok || fail "--int8 -t $t: $(cat "$T/err")"
done
# mse: two passes over the 4 images (ranges, then histograms)
grep -q 'calibrating \[#*\] 8/8' "$T/err" && ok || fail "no progress bar on stderr: $(cat "$T/err")"
cmp -s "$T/i8.1.engine" "$T/i8.2.engine" && ok || fail "--int8 engines differ between 1 and 2 threads"
"$YOLO" info "$T/i8.1.engine" > "$T/ii" 2>&1
grep -q '^precision: mixed' "$T/ii" && ok || fail "--int8: precision not mixed (DFL stays float)"
grep -q 'quant.calibration *mse, 4 images' "$T/ii" && ok || fail "--int8: calibration not recorded"
grep -q 'QConv' "$T/ii" && ok || fail "--int8: no QConv"
"$YOLO" detect "$T/i8.1.engine" "$SHARED/data/images/bus.jpg" --save-dir "$T/d" --exist-ok --json --nosave \
    > /dev/null 2> "$T/err" && ok || fail "--int8 detect: $(cat "$T/err")"
# every confident reference detection (conf > 0.5) found: same class, IoU >= 0.9
$PY - "$T/d/detections.jsonl" "$SHARED/golden/dets_yolov8n_dq_bus.json" <<'PYEOF' && ok || fail "--int8 detections on bus.jpg differ"
import json, sys
got = json.loads(open(sys.argv[1]).readline())['detections']
ref = [r for r in json.load(open(sys.argv[2])) if r['conf'] > 0.5]
def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0])); iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - ix*iy
    return ix*iy/u if u > 0 else 0
bad = [r for r in ref if not any(g['cls'] == r['cls'] and iou(g['box'], r['box']) >= 0.9 for g in got)]
print(f"int8 bus.jpg: {len(ref) - len(bad)}/{len(ref)} confident reference detections found")
sys.exit(1 if bad else 0)
PYEOF

# --keep-float: a named Conv stays float
"$YOLO" build "$M/yolov8n_dq.onnx" -o "$T/k.engine" --int8 --calib "$C" --calib-images 2 \
    --keep-float '/model.22/*' > /dev/null 2>&1 && ok || fail "--keep-float build"
"$YOLO" info "$T/k.engine" --nodes 2>/dev/null | grep -E '^ +[0-9]+ QConv(Grid)? +/model\.22/' > /dev/null &&
    fail "--keep-float '/model.22/*' left a QConv in model.22" || ok

# usage errors (2) and runtime errors (1)
expect() {   # expect CODE WORD ARGS...
    code=$1; word=$2; shift 2
    "$YOLO" build "$M/yolov8n_dq.onnx" -o "$T/x.engine" "$@" > /dev/null 2> "$T/e"; rc=$?
    [ $rc -eq "$code" ] && grep -q -- "$word" "$T/e" && ok || fail "build $*: exit $rc, want $code with '$word': $(cat "$T/e")"
}
expect 2 "--calib" --int8
expect 2 "--int8" --calib "$C"
expect 2 "calib-method" --int8 --calib "$C" --calib-method entropy
expect 2 "positive" --int8 --calib "$C" --calib-images 0
expect 1 "nothere" --int8 --calib "$T/nothere"
mkdir "$T/empty"
expect 1 "no images" --int8 --calib "$T/empty"
printf 'not an image' > "$T/bad.jpg"; mkdir "$T/badimg"; cp "$T/bad.jpg" "$T/badimg/"
expect 1 "bad.jpg" --int8 --calib "$T/badimg"
[ -e "$T/x.engine" ] && fail "a failed build left $T/x.engine" || ok

echo "test_int8_cli: $checks checks, $fails failed"
[ $fails -eq 0 ]
