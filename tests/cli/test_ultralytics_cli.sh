#!/bin/sh
# test_ultralytics_cli.sh: the CLI for someone coming from Ultralytics: an ONNX model where an
# engine goes (built once into the engine cache, reused after), `yolo predict` with key=value
# arguments, swapped arguments explained, range errors that name the option and its range,
# class ids the model does not have refused.
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME="$T/cache"          # never the user's cache
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
M=$SHARED/data/models/yolov8n_dq.onnx; I=$SHARED/data/images/bus.jpg

# first use builds into the cache, with one line saying so; the second reuses it
"$YOLO" detect "$M" "$I" --save-dir "$T/a" --json > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 0 ] && [ "$(grep -c 'building .*yolov8n_dq.onnx into the engine cache' "$T/err")" = 1 ] && ok ||
    fail "first run: exit $rc: $(cat "$T/err")"
E=$(ls "$T"/cache/yolo/yolov8n_dq-*.engine 2>/dev/null)
[ -n "$E" ] && [ "$(ls "$T/cache/yolo" | wc -l)" = 1 ] && ok || fail "cache: $(ls -la "$T/cache/yolo" 2>&1)"
before=$(stat -c %Y.%i "$E" 2>/dev/null)
sleep 1
"$YOLO" detect "$M" "$I" --save-dir "$T/b" --json > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 0 ] && ! grep -q building "$T/err" && [ "$(stat -c %Y.%i "$E")" = "$before" ] && ok ||
    fail "second run rebuilt or failed: exit $rc: $(cat "$T/err")"
same_dets() {   # the detections of two detections.jsonl files of one image are equal
    /usr/bin/python3 -c '
import json, sys
a, b = (json.loads(open(p).readline())["detections"] for p in sys.argv[1:3])
sys.exit(a != b)' "$1" "$2"
}
same_dets "$T/a/detections.jsonl" "$T/b/detections.jsonl" && ok || fail "cached engine gives other detections"
# the same boxes as an engine built by yolo build
"$YOLO" build "$M" -o "$T/m.engine" > /dev/null 2>&1
"$YOLO" detect "$T/m.engine" "$I" --save-dir "$T/c" --json > /dev/null 2>&1
same_dets "$T/a/detections.jsonl" "$T/c/detections.jsonl" && ok || fail "cache engine differs from yolo build's"
# other build options get their own engine
"$YOLO" bench "$M" -r 1 --warmup 0 > /dev/null 2> "$T/err" && ok || fail "bench MODEL.onnx: $(cat "$T/err")"

# Ultralytics' form
"$YOLO" predict model="$M" source="$I" conf=0.5 save_txt=True save_conf=True project="$T/p" name=run \
    > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 0 ] && [ -s "$T/p/run/bus.jpg" ] && [ -s "$T/p/run/labels/bus.txt" ] &&
    awk 'NF != 6 || $6 <= 0.5 {exit 1}' "$T/p/run/labels/bus.txt" && ok ||
    fail "predict key=value: exit $rc: $(cat "$T/err") $(ls -R "$T/p")"
"$YOLO" detect predict "$M" "$I" classes=[0] show_labels=False save=False save_txt=True exist_ok=True \
    project="$T/p" name=run2 > /dev/null 2> "$T/err" && [ ! -e "$T/p/run2/bus.jpg" ] &&
    awk '$1 != 0 {exit 1}' "$T/p/run2/labels/bus.txt" && ok || fail "detect predict: $(cat "$T/err")"

usage() {   # usage PATTERN ARGS...: exit code 2 and PATTERN in the message
    pat=$1; shift
    "$YOLO" "$@" > /dev/null 2> "$T/err"; rc=$?
    [ $rc -eq 2 ] && grep -q -- "$pat" "$T/err" && ok || fail "yolo $*: exit $rc, wanted 2 and '$pat': $(cat "$T/err")"
}
usage "arguments swapped" detect "$I" "$T/m.engine"
usage "arguments swapped" detect "$I" "$M"
usage "not a model" detect "$I" "$I"
usage "PyTorch model" detect "$T/yolov8n.pt" "$I"
usage "conf 2 is out of range: expected 0 < F < 1" detect "$T/m.engine" "$I" --conf 2
usage "conf 2 is out of range" predict model="$T/m.engine" source="$I" conf=2
usage "iou 1.5 is out of range" val "$T/m.engine" --data x --iou 1.5
usage "line-width 1000 is out of range: expected 0 <= N <= 100" detect "$T/m.engine" "$I" --line-width 1000
usage "line-width 1000 is out of range" video "$T/m.engine" x.mp4 --line-width 1000
usage "runs 0 is out of range" bench "$T/m.engine" -r 0
usage "class id 99 is out of range for .*m.engine (0..79)" detect "$T/m.engine" "$I" --classes 99
usage "class id 80 is out of range" video "$T/m.engine" x.mp4 --classes 0,80
usage "unknown argument 'foo=bar'" detect "$T/m.engine" "$I" foo=bar
usage "save_txt=maybe: expected True or False" detect "$T/m.engine" "$I" save_txt=maybe
usage "--half needs --device cuda" detect "$T/m.engine" "$I" half=True

echo "ultralytics cli: $checks checks, $fails failed"
[ $fails -eq 0 ]
