#!/bin/sh
# test_val_cli.sh: `yolo val` as a user runs it.
# 1. Issue 6's acceptance on the first VAL_IMAGES (default 32) coco128 images: for yolov8n_dq,
#    yolov5n and yolo11n_dq, the engine's mAP50-95 equals, within 0.002, the mAP50-95 of the
#    reference pipeline's detections scored with --predictions (scripts/reference_val.sh; the
#    reference detections are cached in build/refval whatever BUILD is, since nothing of this
#    build makes them: only the first run of any build pays ~40 s for them, and make asan after
#    make test reuses them). VAL_IMAGES=all runs the full 128-image acceptance. Needs ONNX
#    Runtime (node + npm; installed on first use): without it this test FAILS, it does not skip.
# 2. On a small folder: --json and --save-json, the table, --predictions giving the very same
#    numbers from the saved detections, matching lines by file name, images without lines and
#    lines without images, bad JSON lines, duplicate lines, out-of-range classes, a malformed
#    label file, a label file without an image, and usage errors.
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}; BUILD=${BUILD:-build}
N=${VAL_IMAGES:-32}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
PY=/usr/bin/python3

# ---------------------------------------------------------------- 1. acceptance (subset)
if BUILD=$BUILD SHARED=$SHARED YOLO=$YOLO ENGINES=$T REFVAL_CACHE=${REFVAL_CACHE:-build/refval} \
    sh scripts/reference_val.sh "$N" \
    > "$T/acc.out" 2> "$T/acc.err"; then ok
else fail "reference_val.sh $N: $(tail -5 "$T/acc.err")"; fi
cat "$T/acc.out"
[ "$(grep -c ': ok$' "$T/acc.out")" = 3 ] && ok || fail "expected 3 models within tolerance"

# ---------------------------------------------------------------- 2. a small folder
E=$T/yolov8n_dq.engine
[ -f "$E" ] || "$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$E" > /dev/null ||
    fail "build yolov8n_dq"
C=$SHARED/data/coco128
case "$C" in /*) ;; *) C=$PWD/$C;; esac
S=$T/small
mkdir -p "$S/images" "$S/labels"
# the first 7 images with their labels, 000000000250 (no label file: no objects), and a label
# file without an image
for f in $(ls "$C/images/train2017" | sort | head -n 7) 000000000250.jpg; do
    ln -s "$C/images/train2017/$f" "$S/images/$f"
    [ -f "$C/labels/train2017/${f%.jpg}.txt" ] && ln -s "$C/labels/train2017/${f%.jpg}.txt" "$S/labels/"
done
echo "0 0.5 0.5 0.2 0.2" > "$S/labels/orphan.txt"
first=$(ls "$S/images" | sort | head -n 1); first=${first%.jpg}

"$YOLO" val "$E" --data "$S" --json --save-json "$T/s.jsonl" > "$T/e.json" 2> "$T/e.err"; rc=$?
[ $rc -eq 0 ] && ok || fail "engine val: exit $rc: $(cat "$T/e.err")"
grep -q "orphan.txt: label file without an image" "$T/e.err" && ok || fail "orphan label not reported: $(cat "$T/e.err")"
[ "$(grep -vc "label file without an image" "$T/e.err")" = 0 ] && ok ||
    fail "unexpected stderr (no progress without a terminal): $(cat "$T/e.err")"
$PY - "$T/e.json" "$T/s.jsonl" <<'EOF' && ok || fail "--json / --save-json content"
import json, sys
r = json.load(open(sys.argv[1]))
for k in ('images', 'instances', 'precision', 'recall', 'mAP50', 'mAP50-95', 'per_class'):
    assert k in r, k
assert r['images'] == 8 and r['instances'] > 0 and r['skipped'] == 0, r
assert 0 < r['mAP50-95'] <= r['mAP50'] <= 1, r
pc = r['per_class']
assert pc and all(set(c) >= {'class', 'name', 'images', 'instances', 'precision', 'recall', 'mAP50',
                             'mAP50-95'} for c in pc)
assert sum(c['instances'] for c in pc) == r['instances']
assert abs(sum(c['mAP50-95'] for c in pc) / len(pc) - r['mAP50-95']) < 1e-12
lines = [json.loads(l) for l in open(sys.argv[2])]
assert len(lines) == 8 and all(set(l) >= {'path', 'width', 'height', 'detections'} for l in lines)
assert sum(len(l['detections']) for l in lines) == r['predictions']
assert all(len(d['box']) == 4 and d['conf'] > 0.001 for l in lines for d in l['detections'])
assert max(len(l['detections']) for l in lines) <= 300
EOF

# --predictions on the saved detections: the very same numbers, with or without ENGINE
"$YOLO" val --data "$S" --predictions "$T/s.jsonl" --json > "$T/p.json" 2> "$T/p.err"; rc=$?
[ $rc -eq 0 ] && cmp -s "$T/e.json" "$T/p.json" && ok ||
    fail "--predictions differs from the engine run: exit $rc $(cat "$T/p.err"); $(head -c 300 "$T/p.json")"
"$YOLO" val "$E" --data "$S" --predictions "$T/s.jsonl" --json > "$T/p2.json" 2> /dev/null &&
    cmp -s "$T/e.json" "$T/p2.json" && ok || fail "--predictions with ENGINE differs"

# the table: header, the 'all' row first, one row per class, names from the lines
"$YOLO" val --data "$S" --predictions "$T/s.jsonl" > "$T/tab" 2> /dev/null; rc=$?
nclass=$($PY -c "import json,sys; print(len(json.load(open(sys.argv[1]))['per_class']))" "$T/e.json")
[ $rc -eq 0 ] && head -1 "$T/tab" | grep -Eq '^ +Class +Images +Instances +P +R +mAP50 +mAP50-95$' &&
    sed -n 2p "$T/tab" | grep -Eq '^ +all +8 +[0-9]+ ' && grep -Eq '^ +person +[0-9]' "$T/tab" &&
    [ "$(wc -l < "$T/tab")" = $((nclass + 2)) ] && ok || fail "table: exit $rc: $(cat "$T/tab")"

# lines matched by file name when the paths differ; an extra line and a missing one are
# reported, not fatal
$PY - "$T/s.jsonl" "$T/moved.jsonl" "$T/partial.jsonl" <<'EOF'
import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[2], 'w') as f:
    for l in reversed(lines):
        f.write(json.dumps(dict(l, path='elsewhere/' + os.path.basename(l['path']))) + '\n\n')
with open(sys.argv[3], 'w') as f:
    for l in lines[1:]:
        f.write(json.dumps(l) + '\n')
    f.write(json.dumps(dict(lines[0], path='/nowhere/nothere.jpg')) + '\n')
EOF
"$YOLO" val --data "$S" --predictions "$T/moved.jsonl" --json > "$T/m.json" 2> "$T/m.err" &&
    cmp -s "$T/e.json" "$T/m.json" && ok || fail "matching by file name: $(cat "$T/m.err")"
"$YOLO" val --data "$S" --predictions "$T/partial.jsonl" --json > "$T/q.json" 2> "$T/q.err"; rc=$?
[ $rc -eq 0 ] && grep -q "partial.jsonl:8: /nowhere/nothere.jpg: no image of the split" "$T/q.err" &&
    grep -q "$first.jpg: no line in .*partial.jsonl" "$T/q.err" && ok ||
    fail "partial predictions: exit $rc: $(cat "$T/q.err")"

# bad lines: malformed JSON, a second line for an image, a class the engine does not have
sed '3s/"detections"/"detections" 1/' "$T/s.jsonl" > "$T/bad.jsonl"
"$YOLO" val --data "$S" --predictions "$T/bad.jsonl" > /dev/null 2> "$T/b.err"; rc=$?
[ $rc -eq 1 ] && grep -q "bad.jsonl:3: column [0-9]*: expected ':'" "$T/b.err" && ok ||
    fail "bad JSON line: exit $rc: $(cat "$T/b.err")"
{ cat "$T/s.jsonl"; head -n 2 "$T/s.jsonl" | tail -n 1; } > "$T/dup.jsonl"
"$YOLO" val --data "$S" --predictions "$T/dup.jsonl" > /dev/null 2> "$T/b.err"; rc=$?
[ $rc -eq 1 ] && grep -q "dup.jsonl:9: a second line for .* (the first is line 2)" "$T/b.err" && ok ||
    fail "duplicate line: exit $rc: $(cat "$T/b.err")"
$PY -c 'import json,sys
for i, l in enumerate(open(sys.argv[1])):
    l = json.loads(l)
    if i == 4: l["detections"].append({"cls": 80, "conf": 0.5, "box": [0, 0, 1, 1]})
    print(json.dumps(l))' "$T/s.jsonl" > "$T/cls.jsonl"
"$YOLO" val "$E" --data "$S" --predictions "$T/cls.jsonl" > /dev/null 2> "$T/b.err"; rc=$?
[ $rc -eq 1 ] && grep -q "cls.jsonl:5: detections\[[0-9]*\]: class 80 out of range (0..79" "$T/b.err" && ok ||
    fail "class out of range: exit $rc: $(cat "$T/b.err")"

# a malformed label line: reported with file and line, that image skipped, exit 1
B=$T/badlab
mkdir -p "$B/images" "$B/labels"
cp -P "$S"/images/* "$B/images/" && cp -P "$S"/labels/*.txt "$B/labels/" && rm -f "$B/labels/orphan.txt"
rm -f "$B/labels/$first.txt"
{ head -n 1 "$C/labels/train2017/$first.txt"; echo "0 0.5 0.5 0.2"; } > "$B/labels/$first.txt"
"$YOLO" val --data "$B" --predictions "$T/s.jsonl" --json > "$T/l.json" 2> "$T/l.err"; rc=$?
[ $rc -eq 1 ] && grep -q "labels/$first.txt:2: " "$T/l.err" && grep -q "skipped" "$T/l.err" &&
    $PY -c 'import json,sys; r = json.load(open(sys.argv[1])); assert r["images"] == 7 and r["skipped"] == 1' \
        "$T/l.json" && ok || fail "malformed label: exit $rc: $(cat "$T/l.err")"

# a data.yaml naming the split, with the split missing; an empty folder
printf 'path: .\ntrain: images\nnames: [a, b]\n' > "$S/data.yaml"
"$YOLO" val --data "$S/data.yaml" --predictions "$T/s.jsonl" > /dev/null 2> "$T/b.err"; rc=$?
[ $rc -eq 1 ] && grep -q "val" "$T/b.err" && ok || fail "missing val split: exit $rc: $(cat "$T/b.err")"
mkdir -p "$T/empty"
"$YOLO" val "$E" --data "$T/empty" > /dev/null 2> "$T/b.err"; rc=$?
[ $rc -eq 1 ] && grep -q "no images" "$T/b.err" && ok || fail "empty folder: exit $rc: $(cat "$T/b.err")"

# usage errors (2) and missing files (1)
u() {   # u WANT ARGS...: exit status of yolo val ARGS
    want=$1; shift
    "$YOLO" val "$@" > /dev/null 2> "$T/u.err"; rc=$?
    [ $rc -eq "$want" ] && [ -s "$T/u.err" ] && ok || fail "yolo val $*: exit $rc, want $want"
}
u 2 "$E"
u 2 --data "$S"
u 2 --data "$S" --predictions "$T/s.jsonl" --conf 0.1
u 2 "$E" --data "$S" --split bogus
u 2 "$E" --data "$S" --conf 0
u 2 "$E" --data "$S" --iou 1.5
u 2 "$E" "$E" --data "$S"
u 2 "$E" --data "$S" --bogus
u 1 "$E" --data "$T/nothing_here"
u 1 --data "$S" --predictions "$T/nothing_here.jsonl"
u 1 "$T/nothing_here.engine" --data "$S"
"$YOLO" val --help | grep -q -- "--predictions" && ok || fail "--help"

echo "test_val_cli: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
