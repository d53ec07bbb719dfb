#!/bin/sh
# test_text_cli.sh: text outputs for any file name. An image named with Latin-1 bytes (not
# UTF-8), a quote and a backslash: detect's detections.jsonl is JSON Python reads, gives the
# exact bytes back (surrogateescape), `yolo val --predictions` accepts it and finds the image,
# and --resume recognises the image as done.
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
PY=/usr/bin/python3

"$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$T/m.engine" > /dev/null 2> "$T/err" || fail "build: $(cat "$T/err")"
mkdir -p "$T/ds/images" "$T/ds/labels"
name=$(printf 'caf\351 \\ "q"')                       # Latin-1 e-acute, a backslash, quotes
cp "$SHARED/data/images/bus.jpg" "$T/ds/images/$name.jpg"
printf '5 0.5 0.5 0.9 0.6\n0 0.2 0.6 0.2 0.5\n' > "$T/ds/labels/$name.txt"

"$YOLO" detect "$T/m.engine" "$T/ds/images" --json --nosave --save-dir "$T/out" > /dev/null 2> "$T/err" && ok ||
    fail "detect: $(cat "$T/err")"
J=$T/out/detections.jsonl
$PY -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1],"rb")]' "$J" 2> "$T/err" && ok ||
    fail "python's json cannot read $J: $(cat "$T/err")"
$PY -c '
import json, os, sys
p = os.fsencode(json.loads(open(sys.argv[1], "rb").readline())["path"])
sys.exit(p != os.fsencode(sys.argv[2]))' "$J" "$T/ds/images/$name.jpg" && ok || fail "path bytes do not come back: $(cat "$J")"

"$YOLO" val --data "$T/ds" --predictions "$J" > "$T/val.out" 2> "$T/err"; rc=$?
[ $rc -eq 0 ] && grep -q '^ *all  *1  *2 ' "$T/val.out" && ! grep -qi 'without\|no line' "$T/err" && ok ||
    fail "val --predictions of our own output: exit $rc: $(cat "$T/err" "$T/val.out")"

"$YOLO" detect "$T/m.engine" "$T/ds/images" --json --nosave --save-dir "$T/out" --resume > "$T/out.txt" 2> "$T/err" &&
    grep -q "1 of this run's 1 images are done, 0 to go" "$T/out.txt" && ok ||
    fail "resume does not know the image: $(cat "$T/out.txt" "$T/err")"

echo "text cli: $checks checks, $fails failed"
[ $fails -eq 0 ]
